"""Node labels: what a reader needs on the box (size, count, tier), read from the resource's inputs."""

from __future__ import annotations

from offline.planindex import PlanIndex
from offline.recording_mock import Recorded

TITLES = {
    "vpc": "VPC", "igw": "Internet gateway", "tg": "Target group", "instance": "EC2 instance", "ecr": "ECR repository",
    "api": "API Gateway", "bucket": "S3 bucket", "cdn": "CloudFront", "topic": "SNS topic", "queue": "SQS queue",
    "sfn": "Step Functions", "vault": "Backup vault", "waf": "WAF web ACL",
}


def label(r: Recorded, kind: str, short: str, index: PlanIndex, dlq: bool = False) -> str:
    i = r.inputs
    if kind == "vpc":
        return f"VPC\n{i.get('cidrBlock', '')}"
    if kind == "subnet":
        return f"{tier(r)} subnet\n{i.get('cidrBlock', '')}"
    if kind == "nat" and r.type == "aws:ec2/instance:Instance":
        return f"NAT instance\n{i.get('instanceType', '')}"
    if kind == "nat" and r.type == "aws:ec2/networkInterface:NetworkInterface":
        return "NAT instance\nSpot, group of one"
    if kind == "nat":
        return "NAT gateway\n+ Elastic IP"
    if kind == "endpoint":
        service = str(i.get("serviceName", "")).rsplit(".", 1)[-1]
        return f"{service} {str(i.get('vpcEndpointType') or 'Gateway').lower()} endpoint"
    if kind == "alb":
        return f"ALB\n{short}\n{'internal' if i.get('internal') else 'internet-facing'}"
    if kind == "tg":
        return f"Target group\n{short}\n{i.get('protocol', '')}:{i.get('port', '')}".rstrip(":")
    if kind == "asg":
        template = index.first(r, "launchTemplate", "mixedInstancesPolicy", type_="aws:ec2/launchTemplate:LaunchTemplate")
        itype = template.inputs.get("instanceType", "?") if template else "?"
        desired = i.get("desiredCapacity", i.get("minSize"))
        return f"Auto Scaling group\n{short}\n{desired} x {itype} ({i.get('minSize')}-{i.get('maxSize')})"
    if kind == "ecs":
        task = index.first(r, "taskDefinition", type_="aws:ecs/taskDefinition:TaskDefinition")
        size = f"\n{task.inputs.get('cpu')} CPU / {task.inputs.get('memory')} MB" if task else ""
        spot = any(
            s.get("capacityProvider") == "FARGATE_SPOT" and s.get("weight") for s in i.get("capacityProviderStrategies") or []
        )
        return f"ECS service\n{short}\n{i.get('desiredCount', 1)} Fargate tasks{' (Spot)' if spot else ''}{size}"
    if kind == "lambda":
        arch = ",".join(i.get("architectures") or ["x86_64"])
        return f"Lambda\n{short}\n{i.get('memorySize', 128)} MB {arch}"
    if kind == "queue" and dlq:
        return f"SQS DLQ\n{short}"
    if kind == "table":
        return f"DynamoDB\n{short}\n{i.get('billingMode', 'PROVISIONED')}"
    if kind == "backupplan":
        rules = [x for x in i.get("rules") or [] if isinstance(x, dict)]
        return "Backup plan\n" + "\n".join(
            f"{x.get('ruleName')}: keep {(x.get('lifecycle') or {}).get('deleteAfter', '?')} d" for x in rules)
    if kind == "cert":
        region = f"\n{i['region']}" if i.get("region") else ""
        return f"ACM certificate\n{i.get('domainName', short)}{region}"
    if kind == "logs":
        return f"CloudWatch Logs\n{(i.get('region') or index.region(r))}"
    return f"{TITLES.get(kind, kind)}\n{short}"


def tier(subnet: Recorded) -> str:
    return (subnet.inputs.get("tags") or {}).get("Tier") or ("public" if "public" in subnet.name else "private")
