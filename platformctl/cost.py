"""Monthly cost estimate of an offline plan: `platformctl cost --stack dev|prod`.

Every custom resource of the plan is either priced (a rule below turns it into lines of
quantity x unit price), free by nature (FREE_TYPES / FREE_PREFIXES: IAM, routes, subnets,
rules, associations...), or reported as unpriced: nothing that can cost money is dropped
silently. Prices come from `prices/eu.yaml` (on-demand list prices with source and date);
request- and volume-priced services use the per-stack assumptions of `prices/usage.yaml`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from offline.plan import Plan
from offline.planindex import PlanIndex
from offline.recording_mock import Recorded

PRICES_DIR = Path(__file__).resolve().parent / "prices"
HOURS_PER_MONTH = 730

# Types that cost nothing by themselves (their traffic, if any, is priced on another resource).
FREE_TYPES = frozenset(
    {
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/route:Route",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:ec2/networkAcl:NetworkAcl",
        "aws:ec2/networkAclRule:NetworkAclRule",
        "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
        "aws:ec2/defaultRouteTable:DefaultRouteTable",
        "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation",
        "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
        "aws:ec2/vpcPeeringConnectionOptions:VpcPeeringConnectionOptions",
        "aws:ec2/flowLog:FlowLog",  # the delivered logs are priced on the log group
        "aws:ec2/launchTemplate:LaunchTemplate",  # priced through the ASG that launches it
        "aws:ec2/keyPair:KeyPair",
        "aws:ec2/placementGroup:PlacementGroup",
        "aws:lb/targetGroup:TargetGroup",
        "aws:lb/listener:Listener",
        "aws:lb/listenerRule:ListenerRule",
        "aws:lb/targetGroupAttachment:TargetGroupAttachment",
        "aws:lb/listenerCertificate:ListenerCertificate",
        "aws:autoscaling/policy:Policy",
        "aws:autoscaling/attachment:Attachment",
        "aws:autoscaling/lifecycleHook:LifecycleHook",
        "aws:autoscaling/schedule:Schedule",
        "aws:autoscaling/notification:Notification",
        "aws:appautoscaling/target:Target",
        "aws:appautoscaling/policy:Policy",
        "aws:appautoscaling/scheduledAction:ScheduledAction",
        "aws:ecs/cluster:Cluster",
        "aws:ecs/taskDefinition:TaskDefinition",
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        "aws:cloudwatch/logStream:LogStream",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/eventTarget:EventTarget",
        "aws:kms/alias:Alias",
        "aws:kms/grant:Grant",
        "aws:kms/keyPolicy:KeyPolicy",
        "aws:lambda/permission:Permission",
        "aws:lambda/alias:Alias",
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
        "aws:lambda/layerVersion:LayerVersion",
        "aws:apigateway/resource:Resource",
        "aws:apigateway/method:Method",
        "aws:apigateway/integration:Integration",
        "aws:apigateway/methodResponse:MethodResponse",
        "aws:apigateway/integrationResponse:IntegrationResponse",
        "aws:apigateway/deployment:Deployment",
        "aws:apigateway/stage:Stage",
        "aws:apigateway/methodSettings:MethodSettings",
        "aws:apigateway/gatewayResponse:GatewayResponse",
        "aws:apigateway/response:Response",
        "aws:apigateway/account:Account",
        "aws:apigateway/usagePlan:UsagePlan",
        "aws:apigateway/requestValidator:RequestValidator",
        "aws:apigateway/model:Model",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:sqs/redrivePolicy:RedrivePolicy",
        "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketVersioningV2:BucketVersioningV2",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketWebsiteConfigurationV2:BucketWebsiteConfigurationV2",
        "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration",
        "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2",
        "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
        "aws:s3/bucketAclV2:BucketAclV2",
        "aws:s3/bucketLoggingV2:BucketLoggingV2",
        "aws:s3/bucketAcl:BucketAcl",
        "aws:s3/bucketLogging:BucketLogging",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
        "aws:s3/bucketNotification:BucketNotification",
        "aws:s3/bucketObject:BucketObject",
        "aws:s3/bucketObjectv2:BucketObjectv2",  # storage priced on the bucket
        "aws:cloudfront/originAccessControl:OriginAccessControl",
        "aws:cloudfront/originAccessIdentity:OriginAccessIdentity",
        "aws:cloudfront/cachePolicy:CachePolicy",
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
        "aws:cloudfront/originRequestPolicy:OriginRequestPolicy",
        "aws:backup/plan:Plan",
        "aws:backup/selection:Selection",
        "aws:backup/vaultPolicy:VaultPolicy",
        "aws:backup/vaultNotifications:VaultNotifications",
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "aws:ssm/parameter:Parameter",  # standard tier
        "aws:resourcegroups/group:Group",
        "aws:budgets/budget:Budget",  # first two budgets are free
        "aws:apigateway/restApiPolicy:RestApiPolicy",
        "aws:apigateway/apiKey:ApiKey",
        "aws:apigateway/usagePlanKey:UsagePlanKey",
        "aws:apigateway/basePathMapping:BasePathMapping",
        "aws:lambda/functionUrl:FunctionUrl",  # requests are priced as Lambda invocations
        "aws:lambda/functionRecursionConfig:FunctionRecursionConfig",
        "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
        "aws:cloudwatch/logDataProtectionPolicy:LogDataProtectionPolicy",
        "aws:ecs/capacityProvider:CapacityProvider",
        "aws:ebs/encryptionByDefault:EncryptionByDefault",
        "aws:ebs/defaultKmsKey:DefaultKmsKey",
        "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults",
        "aws:dynamodb/tableItem:TableItem",
        "aws:sfn/alias:Alias",
    }
)
FREE_PREFIXES = ("pulumi:", "aws:iam/", "cloud-platform:", "random:", "command:", "docker-build:", "tls:")
# awsx components reach the mock only as themselves, their children are invisible: the ones that
# create billable resources are priced from their inputs (PRICERS) or reported, the rest are free.
AWSX_FREE = frozenset({"awsx:ecr:Image", "awsx:ec2:DefaultVpc"})

# Why a line costs what it costs, keyed by kind: docs/cost.md explains lines above $5 with these.
EXPLAIN = {
    "alb": "ALB: fixed hourly charge per load balancer plus LCUs from the usage profile; one shared ALB per stack",
    "nlb": "NLB: fixed hourly charge plus NLCUs",
    "alb-ipv4": "ALB public IPv4: AWS bills every public address ($0.005/h), one per AZ of an internet-facing ALB",
    "nat": "NAT gateway: hourly charge per gateway (prod: one per AZ for HA egress) plus GB processed",
    "eip": "Elastic IP: public IPv4 charge, one per NAT gateway",
    "endpoint": "Interface VPC endpoint: hourly charge per AZ plus GB processed (gateway endpoints are free)",
    "ec2": "EC2: desiredCapacity x on-demand price of the launch template's instance type, 730 h",
    "ebs": "EBS: gp3/gp2 volumes of the launch template, per instance",
    "fargate": "Fargate: desiredCount x task vCPU/GB, On-Demand and Spot share from the capacity provider weights",
    "alarm": "CloudWatch alarms: per alarm metric per month",
    "dashboard": "CloudWatch dashboard: per dashboard per month",
    "metric": "CloudWatch custom metric from a log metric filter: per metric per month",
    "kms": "KMS: customer managed key per month (+ requests)",
    "backup": "AWS Backup: warm storage of the usage profile's GB",
    "logs": "CloudWatch Logs: ingestion and storage of the usage profile per log group (retention from config)",
    "apigateway": "API Gateway REST: requests of the usage profile",
    "lambda": "Lambda: invocations and GB-seconds (memorySize x average duration) of the usage profile",
    "dynamodb": "DynamoDB: on-demand reads/writes and storage of the usage profile (+ PITR)",
    "sqs": "SQS: requests of the usage profile",
    "sns": "SNS: publishes of the usage profile (deliveries to SQS/Lambda are free)",
    "s3": "S3: storage and requests of the usage profile",
    "cloudfront": "CloudFront: data transfer out and HTTPS requests of the usage profile",
    "stepfunctions": "Step Functions: state transitions (Standard) or requests (Express) of the usage profile",
    "ecr": "ECR: image storage of the usage profile",
    "secret": "Secrets Manager: per secret per month",
    "peering": "VPC peering: inter-region data transfer of the usage profile (the connection itself is free)",
    "instance": "EC2 instance (e.g. the dev NAT instance): on-demand price of its instance type, 730 h",
    "instance-ipv4": "EC2 instance public IPv4: $0.005/h for the address of an instance in a public subnet",
}


class PriceError(Exception):
    """The price table or usage profile is unusable (one line for the operator)."""


@dataclass
class Line:
    component: str
    region: str
    type: str
    name: str
    kind: str
    item: str
    quantity: float
    unit: str
    unitPrice: float  # noqa: N815 (JSON field name)
    monthly: float
    basis: str  # "fixed" (runs 730 h whatever the traffic) or "usage" (from the usage profile)
    note: str = ""


@dataclass
class Estimate:
    stack: str
    lines: list[Line]
    unpriced: list[dict[str, str]]
    resource_counts: dict[str, int]
    retrieved: str = ""
    by_component: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        totals: dict[str, float] = defaultdict(float)
        for line in self.lines:
            totals[line.component] += line.monthly
        self.by_component = {k: round(v, 2) for k, v in sorted(totals.items())}

    @property
    def total(self) -> float:
        return round(sum(line.monthly for line in self.lines), 2)

    def basis_total(self, basis: str) -> float:
        return round(sum(line.monthly for line in self.lines if line.basis == basis), 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "currency": "USD",
            "hoursPerMonth": HOURS_PER_MONTH,
            "pricesRetrieved": self.retrieved,
            "lines": [asdict(line) for line in self.lines],
            "byComponent": self.by_component,
            "fixed": self.basis_total("fixed"),
            "usage": self.basis_total("usage"),
            "total": self.total,
            "unpriced": self.unpriced,
            "resourceCounts": self.resource_counts,
        }


# --- price table and usage profile -------------------------------------------------------


def load_prices(path: Path = PRICES_DIR / "eu.yaml") -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise PriceError(f"cannot read price table {path}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("regions"), dict):
        raise PriceError(f"price table {path} has no 'regions' mapping")
    return doc


def load_usage(stack: str, path: Path = PRICES_DIR / "usage.yaml") -> dict[str, dict[str, float]]:
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PriceError(f"cannot read usage profile {path}: {exc}") from None
    profile = {k: dict(v) for k, v in (doc.get("defaults") or {}).items()}
    for kind, values in (doc.get(stack) or {}).items():
        profile.setdefault(kind, {}).update(values or {})
    return profile


class MissingPriceError(Exception):
    """No price (or usage figure) for what a resource needs: the resource is reported unpriced."""


@dataclass
class Context:
    index: PlanIndex
    prices: dict[str, Any]
    usage: dict[str, dict[str, float]]

    def price(self, region: str, *path: str) -> float:
        node: Any = self.prices["regions"].get(region)
        for key in path:
            if not isinstance(node, dict) or key not in node:
                raise MissingPriceError(f"no price {'.'.join(path)} for {region}")
            node = node[key]
        return float(node)

    def use(self, kind: str, key: str) -> float:
        try:
            return float(self.usage[kind][key])
        except KeyError:
            raise MissingPriceError(f"usage profile has no {kind}.{key}") from None


Row = tuple[str, str, float, str, float, str, str]  # kind, item, quantity, unit, unit price, basis, note
Pricer = Callable[[Recorded, Context, str], list[Row]]
H = HOURS_PER_MONTH


def _num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _load_balancer(r: Recorded, c: Context, region: str) -> list[Row]:
    lb_type = r.inputs.get("loadBalancerType") or "application"
    key = {"application": "alb", "network": "nlb"}.get(lb_type)
    if key is None:
        raise MissingPriceError(f"no price for {lb_type} load balancers")
    lcu = c.use("alb", "averageLcu")
    rows: list[Row] = [
        (key, "load balancer hours", H, "h", c.price(region, key, "hour"), "fixed", f"{lb_type}"),
        (key, "LCU hours", lcu * H, "LCU-h", c.price(region, key, "lcuHour"), "usage", f"{lcu:g} LCU average"),
    ]
    if not r.inputs.get("internal"):
        azs = len(r.inputs.get("subnets") or r.inputs.get("subnetMappings") or []) or 2
        rows.append(
            (
                "alb-ipv4",
                "public IPv4 addresses",
                azs * H,
                "IP-h",
                c.price(region, "publicIpv4", "hour"),
                "fixed",
                f"internet-facing, {azs} AZs",
            )
        )
    return rows


def _nat(r: Recorded, c: Context, region: str) -> list[Row]:
    gb = c.use("natGateway", "gbProcessed")
    return [
        ("nat", "NAT gateway hours", H, "h", c.price(region, "natGateway", "hour"), "fixed", ""),
        ("nat", "data processed", gb, "GB", c.price(region, "natGateway", "perGb"), "usage", ""),
    ]


def _eip(r: Recorded, c: Context, region: str) -> list[Row]:
    return [("eip", "public IPv4 address", H, "IP-h", c.price(region, "publicIpv4", "hour"), "fixed", "")]


def _endpoint(r: Recorded, c: Context, region: str) -> list[Row]:
    kind = r.inputs.get("vpcEndpointType") or "Gateway"
    if kind == "Gateway":
        return []
    azs = max(1, len(r.inputs.get("subnetIds") or []))
    gb = c.use("interfaceEndpoint", "gbProcessed")
    service = str(r.inputs.get("serviceName", "")).rsplit(".", 1)[-1]
    return [
        (
            "endpoint",
            f"{kind} endpoint hours ({service})",
            azs * H,
            "AZ-h",
            c.price(region, "interfaceEndpoint", "hourPerAz"),
            "fixed",
            f"{azs} AZs",
        ),
        ("endpoint", "data processed", gb, "GB", c.price(region, "interfaceEndpoint", "perGb"), "usage", ""),
    ]


def _instance_type_of_template(template: Recorded | None) -> str | None:
    return template.inputs.get("instanceType") if template else None


def _ebs_row(item: str, gb: float, volume_type: str, note: str, c: Context, region: str) -> Row:
    """GB-months of one kind of EBS volume at its per-GB price (gp3, gp2, ...)."""
    return ("ebs", item, gb, "GB-month", c.price(region, "ebs", f"{volume_type}GbMonth"), "fixed", note)


def _ebs_rows(template: Recorded | None, count: float, c: Context, region: str) -> list[Row]:
    mappings = [m for m in (template.inputs.get("blockDeviceMappings") or []) if m.get("ebs")] if template else []
    if not mappings:
        # No mapping: the AMI's root volume is used; its size is an assumption of the usage profile.
        size = c.use("ec2", "defaultRootVolumeGb")
        if not (size and count):
            return []
        note = f"{size:g} GB assumed x {count:g} instances"
        return [_ebs_row("EBS gp3 root (AMI default)", size * count, "gp3", note, c, region)]
    if not count:
        return []
    rows: list[Row] = []
    for mapping in mappings:
        ebs = mapping["ebs"]
        size = _num(ebs.get("volumeSize")) or c.use("ec2", "defaultRootVolumeGb")
        vtype = ebs.get("volumeType") or "gp3"
        item = f"EBS {vtype} {mapping.get('deviceName', '')}".strip()
        rows.append(_ebs_row(item, size * count, vtype, f"{size:g} GB x {count:g} instances", c, region))
    return rows


def _asg(r: Recorded, c: Context, region: str) -> list[Row]:
    i = r.inputs
    desired = i.get("desiredCapacity")
    count = _num(desired if desired is not None else i.get("minSize"))
    spec = i.get("launchTemplate") or {}
    mixed = (i.get("mixedInstancesPolicy") or {}).get("launchTemplate") or {}
    template = (
        c.index.resolve(spec.get("id"))
        or c.index.resolve(spec.get("name"))
        or c.index.first(r, "mixedInstancesPolicy", type_="aws:ec2/launchTemplate:LaunchTemplate")
    )
    overrides = [o.get("instanceType") for o in mixed.get("overrides") or [] if o.get("instanceType")]
    itype = overrides[0] if overrides else _instance_type_of_template(template)
    if not itype:
        raise MissingPriceError("instance type not found (no launch template with instanceType)")
    note = f"desired {count:g} (min {i.get('minSize')}, max {i.get('maxSize')})"
    rows: list[Row] = [("ec2", f"EC2 {itype}", count * H, "instance-h", c.price(region, "ec2", itype), "fixed", note)]
    return rows + _ebs_rows(template, count, c, region)


def _instance(r: Recorded, c: Context, region: str) -> list[Row]:
    i = r.inputs
    itype = i.get("instanceType")
    rows: list[Row] = [("instance", f"EC2 {itype}", H, "instance-h", c.price(region, "ec2", str(itype)), "fixed", "")]
    root = i.get("rootBlockDevice") or {}
    size = _num(root.get("volumeSize")) or c.use("ec2", "defaultRootVolumeGb")
    vtype = root.get("volumeType") or "gp3"
    note = "" if root.get("volumeSize") else f"{size:g} GB assumed (AMI default)"
    rows.append(_ebs_row(f"EBS {vtype} root", size, vtype, note, c, region))
    if i.get("associatePublicIpAddress"):
        rows.append(("instance-ipv4", "public IPv4 address", H, "IP-h", c.price(region, "publicIpv4", "hour"), "fixed", ""))
    return rows


def _ecs_service(r: Recorded, c: Context, region: str) -> list[Row]:
    i = r.inputs
    strategies = i.get("capacityProviderStrategies") or []
    if not strategies and (i.get("launchType") or "FARGATE") != "FARGATE":
        return []  # EC2 launch type: the instances are priced on their ASG
    task = c.index.first(r, "taskDefinition", type_="aws:ecs/taskDefinition:TaskDefinition")
    if task is None:
        raise MissingPriceError("task definition not found in the plan")
    return _fargate_rows(_num(i.get("desiredCount"), 1.0), strategies, task.inputs, c, region)


def _awsx_fargate(r: Recorded, c: Context, region: str) -> list[Row]:
    """awsx FargateService: the mock sees only the component, so size comes from `taskDefinitionArgs`."""
    i = r.inputs
    args = i.get("taskDefinitionArgs") or {}
    if not args.get("cpu") or not args.get("memory"):
        containers = [args["container"]] if args.get("container") else list((args.get("containers") or {}).values())
        cpu = sum(_num(x.get("cpu")) for x in containers)
        memory = sum(_num(x.get("memory") or x.get("memoryReservation")) for x in containers)
        if not cpu or not memory:
            raise MissingPriceError("awsx FargateService without cpu/memory in taskDefinitionArgs")
        args = {**args, "cpu": cpu, "memory": memory}
    return _fargate_rows(_num(i.get("desiredCount"), 1.0), i.get("capacityProviderStrategies") or [], args, c, region)


def _fargate_rows(count: float, strategies: list[dict[str, Any]], task: dict[str, Any], c: Context, region: str) -> list[Row]:
    vcpu = _num(task.get("cpu")) / 1024
    gb = _num(task.get("memory")) / 1024
    if not vcpu or not gb:
        raise MissingPriceError("task definition without cpu/memory")
    arch = str((task.get("runtimePlatform") or {}).get("cpuArchitecture") or "X86_64").upper()
    family = "arm64" if arch == "ARM64" else "x86"
    spot = _spot_tasks(strategies, count)
    discount = c.price(region, "fargate", "spotDiscount")
    vcpu_price, gb_price = c.price(region, "fargate", family, "vcpuHour"), c.price(region, "fargate", family, "gbHour")
    size = f"{vcpu:g} vCPU / {gb:g} GB {family}"
    rows: list[Row] = []
    for label, tasks, factor in (("On-Demand", count - spot, 1.0), ("Spot", spot, 1.0 - discount)):
        if tasks:
            note = f"{tasks:g} of {count:g} tasks x {size}"
            rows.append(
                ("fargate", f"Fargate {label} vCPU", tasks * vcpu * H, "vCPU-h", round(vcpu_price * factor, 8), "fixed", note)
            )
            rows.append(
                ("fargate", f"Fargate {label} memory", tasks * gb * H, "GB-h", round(gb_price * factor, 8), "fixed", note)
            )
    return rows


def _spot_tasks(strategies: list[dict[str, Any]], count: float) -> float:
    """Tasks on FARGATE_SPOT: `base` tasks go first to their provider, the rest split by weight."""
    if not strategies:
        return 0.0
    remaining = count
    spot = 0.0
    for s in strategies:
        base = min(_num(s.get("base")), remaining)
        remaining -= base
        if s.get("capacityProvider") == "FARGATE_SPOT":
            spot += base
    weights = {s.get("capacityProvider"): _num(s.get("weight")) for s in strategies}
    total = sum(weights.values())
    if total and remaining:
        spot += remaining * weights.get("FARGATE_SPOT", 0.0) / total
    return spot


def _alarm(r: Recorded, c: Context, region: str) -> list[Row]:
    queries = r.inputs.get("metricQueries") or []
    metrics = sum(1 for q in queries if q.get("metric")) or 1
    high_res = _num(r.inputs.get("period"), 60) < 60
    key = "highResAlarmMetricMonth" if high_res else "alarmMetricMonth"
    return [
        (
            "alarm",
            "alarm metrics",
            metrics,
            "metric-month",
            c.price(region, "cloudwatch", key),
            "fixed",
            "high resolution" if high_res else "",
        )
    ]


def _composite_alarm(r: Recorded, c: Context, region: str) -> list[Row]:
    return [("alarm", "composite alarm", 1, "alarm-month", c.price(region, "cloudwatch", "compositeAlarmMonth"), "fixed", "")]


def _metric_filter(r: Recorded, c: Context, region: str) -> list[Row]:
    # A filter's single metricTransformation publishes one custom metric (billed once it has data).
    return [("metric", "custom metric", 1, "metric-month", c.price(region, "cloudwatch", "customMetricMonth"), "fixed", "")]


def _dashboard(r: Recorded, c: Context, region: str) -> list[Row]:
    return [("dashboard", "dashboard", 1, "month", c.price(region, "cloudwatch", "dashboardMonth"), "fixed", "")]


def _kms(r: Recorded, c: Context, region: str) -> list[Row]:
    rows: list[Row] = [("kms", "customer managed key", 1, "key-month", c.price(region, "kms", "keyMonth"), "fixed", "")]
    requests = c.use("kms", "requests")
    if requests:
        rows.append(("kms", "requests", requests / 10_000, "10k requests", c.price(region, "kms", "per10kRequests"), "usage", ""))
    return rows


def _vault(r: Recorded, c: Context, region: str) -> list[Row]:
    return [
        (
            "backup",
            "backup storage",
            c.use("backup", "storageGb"),
            "GB-month",
            c.price(region, "backup", "storageGbMonth"),
            "usage",
            "",
        )
    ]


def _log_group(r: Recorded, c: Context, region: str) -> list[Row]:
    ingest = c.use("logs", "ingestGb")
    cap = c.use("logs", "maxRetentionMonths")
    days = _num(r.inputs.get("retentionInDays"))
    months = min(days / 30, cap) if days else cap
    return [
        ("logs", "log ingestion", ingest, "GB", c.price(region, "logs", "ingestGb"), "usage", ""),
        (
            "logs",
            "log storage",
            ingest * months,
            "GB-month",
            c.price(region, "logs", "storageGbMonth"),
            "usage",
            f"retention {int(days) if days else 'never'} days",
        ),
    ]


def _rest_api(r: Recorded, c: Context, region: str) -> list[Row]:
    requests = c.use("apigateway", "requests")
    return [
        (
            "apigateway",
            "REST API requests",
            requests / 1e6,
            "M requests",
            c.price(region, "apigateway", "restPerMillion"),
            "usage",
            f"{requests:,.0f} requests",
        )
    ]


def _lambda(r: Recorded, c: Context, region: str) -> list[Row]:
    invocations = c.use("lambda", "invocations")
    seconds = c.use("lambda", "averageDurationMs") / 1000
    memory_gb = _num(r.inputs.get("memorySize"), 128) / 1024
    arch = "arm64" if "arm64" in (r.inputs.get("architectures") or []) else "x86"
    gb_s = invocations * seconds * memory_gb
    return [
        ("lambda", "requests", invocations / 1e6, "M requests", c.price(region, "lambda", "perMillionRequests"), "usage", ""),
        (
            "lambda",
            f"compute {arch}",
            round(gb_s, 4),
            "GB-s",
            c.price(region, "lambda", f"{arch}GbSecond"),
            "usage",
            f"{memory_gb * 1024:g} MB x {seconds * 1000:g} ms",
        ),
    ]


def _dynamodb(r: Recorded, c: Context, region: str) -> list[Row]:
    i = r.inputs
    storage = c.use("dynamodb", "storageGb")
    if (i.get("billingMode") or "PROVISIONED") == "PAY_PER_REQUEST":
        rows: list[Row] = [
            (
                "dynamodb",
                "read request units",
                c.use("dynamodb", "reads") / 1e6,
                "M RRU",
                c.price(region, "dynamodb", "perMillionReads"),
                "usage",
                "",
            ),
            (
                "dynamodb",
                "write request units",
                c.use("dynamodb", "writes") / 1e6,
                "M WRU",
                c.price(region, "dynamodb", "perMillionWrites"),
                "usage",
                "",
            ),
        ]
    else:
        rows = [
            (
                "dynamodb",
                "provisioned RCU",
                _num(i.get("readCapacity")) * H,
                "RCU-h",
                c.price(region, "dynamodb", "rcuHour"),
                "fixed",
                "",
            ),
            (
                "dynamodb",
                "provisioned WCU",
                _num(i.get("writeCapacity")) * H,
                "WCU-h",
                c.price(region, "dynamodb", "wcuHour"),
                "fixed",
                "",
            ),
        ]
    rows.append(("dynamodb", "storage", storage, "GB-month", c.price(region, "dynamodb", "storageGbMonth"), "usage", ""))
    if (i.get("pointInTimeRecovery") or {}).get("enabled"):
        rows.append(("dynamodb", "PITR", storage, "GB-month", c.price(region, "dynamodb", "pitrGbMonth"), "usage", ""))
    return rows


def _sqs(r: Recorded, c: Context, region: str) -> list[Row]:
    fifo = bool(r.inputs.get("fifoQueue"))
    requests = c.use("sqs", "requests")
    key = "fifoPerMillion" if fifo else "standardPerMillion"
    return [("sqs", "requests", requests / 1e6, "M requests", c.price(region, "sqs", key), "usage", "FIFO" if fifo else "")]


def _sns(r: Recorded, c: Context, region: str) -> list[Row]:
    return [
        (
            "sns",
            "publishes",
            c.use("sns", "publishes") / 1e6,
            "M publishes",
            c.price(region, "sns", "perMillionPublishes"),
            "usage",
            "",
        )
    ]


def _s3(r: Recorded, c: Context, region: str) -> list[Row]:
    return [
        ("s3", "storage", c.use("s3", "storageGb"), "GB-month", c.price(region, "s3", "storageGbMonth"), "usage", ""),
        ("s3", "PUT requests", c.use("s3", "puts") / 1000, "1k requests", c.price(region, "s3", "per1kPuts"), "usage", ""),
        ("s3", "GET requests", c.use("s3", "gets") / 1000, "1k requests", c.price(region, "s3", "per1kGets"), "usage", ""),
    ]


def _cloudfront(r: Recorded, c: Context, region: str) -> list[Row]:
    return [
        (
            "cloudfront",
            "data transfer out",
            c.use("cloudfront", "gbOut"),
            "GB",
            c.price(region, "cloudfront", "perGbOut"),
            "usage",
            "",
        ),
        (
            "cloudfront",
            "HTTPS requests",
            c.use("cloudfront", "requests") / 10_000,
            "10k requests",
            c.price(region, "cloudfront", "per10kHttpsRequests"),
            "usage",
            "",
        ),
    ]


def _state_machine(r: Recorded, c: Context, region: str) -> list[Row]:
    if (r.inputs.get("type") or "STANDARD") == "EXPRESS":
        return [
            (
                "stepfunctions",
                "Express requests",
                c.use("stepfunctions", "expressRequests") / 1e6,
                "M requests",
                c.price(region, "stepfunctions", "expressPerMillion"),
                "usage",
                "duration not priced",
            )
        ]
    return [
        (
            "stepfunctions",
            "state transitions",
            c.use("stepfunctions", "transitions") / 1000,
            "1k transitions",
            c.price(region, "stepfunctions", "per1kTransitions"),
            "usage",
            "",
        )
    ]


def _ecr(r: Recorded, c: Context, region: str) -> list[Row]:
    return [
        ("ecr", "image storage", c.use("ecr", "storageGb"), "GB-month", c.price(region, "ecr", "storageGbMonth"), "usage", "")
    ]


def _secret(r: Recorded, c: Context, region: str) -> list[Row]:
    return [("secret", "secret", 1, "secret-month", c.price(region, "secretsmanager", "secretMonth"), "fixed", "")]


def _peering(r: Recorded, c: Context, region: str) -> list[Row]:
    peer_region = r.inputs.get("peerRegion")
    if not peer_region or peer_region == region:
        return []  # same-region peering: traffic inside an AZ is free, cross-AZ priced as usual
    gb = c.use("peering", "gbPerMonth")
    return [
        (
            "peering",
            f"inter-region transfer to {peer_region}",
            gb,
            "GB",
            c.price(region, "dataTransfer", "interRegionGb"),
            "usage",
            "",
        )
    ]


PRICERS: dict[str, Pricer] = {
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:ec2/natGateway:NatGateway": _nat,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _endpoint,
    "aws:autoscaling/group:Group": _asg,
    "aws:ec2/instance:Instance": _instance,
    "aws:ecs/service:Service": _ecs_service,
    "awsx:ecs:FargateService": _awsx_fargate,
    "awsx:ecr:Repository": _ecr,
    "awsx:lb:ApplicationLoadBalancer": _load_balancer,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _composite_alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": _metric_filter,
    "aws:kms/key:Key": _kms,
    "aws:kms/replicaKey:ReplicaKey": _kms,
    "aws:backup/vault:Vault": _vault,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:apigateway/restApi:RestApi": _rest_api,
    "aws:lambda/function:Function": _lambda,
    "aws:dynamodb/table:Table": _dynamodb,
    "aws:sqs/queue:Queue": _sqs,
    "aws:sns/topic:Topic": _sns,
    "aws:s3/bucket:Bucket": _s3,
    "aws:s3/bucketV2:BucketV2": _s3,
    "aws:cloudfront/distribution:Distribution": _cloudfront,
    "aws:sfn/stateMachine:StateMachine": _state_machine,
    "aws:ecr/repository:Repository": _ecr,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": _peering,
}


def is_free(type_: str) -> bool:
    return type_ not in PRICERS and (type_ in FREE_TYPES or type_.startswith(FREE_PREFIXES))


def estimate(plan: Plan, prices: dict[str, Any] | None = None, usage: dict[str, dict[str, float]] | None = None) -> Estimate:
    prices = prices if prices is not None else load_prices()
    usage = usage if usage is not None else load_usage(plan.stack)
    index = PlanIndex(plan)
    ctx = Context(index, prices, usage)
    lines: list[Line] = []
    unpriced: list[dict[str, str]] = []
    opaque = [r for r in index.awsx if r.type not in AWSX_FREE]
    for r in [*index.custom, *opaque]:
        component, region = index.component_name(r), index.region(r)
        pricer = PRICERS.get(r.type)
        if pricer is None:
            if not is_free(r.type):
                unpriced.append(
                    {
                        "type": r.type,
                        "name": r.name,
                        "component": component,
                        "region": region,
                        "reason": "no price rule for this type",
                    }
                )
            continue
        try:
            rows = pricer(r, ctx, region)
        except MissingPriceError as exc:
            unpriced.append({"type": r.type, "name": r.name, "component": component, "region": region, "reason": str(exc)})
            continue
        for kind, item, quantity, unit, unit_price, basis, note in rows:
            lines.append(
                Line(
                    component=component,
                    region=region,
                    type=r.type,
                    name=r.name,
                    kind=kind,
                    item=item,
                    quantity=round(quantity, 6),
                    unit=unit,
                    unitPrice=unit_price,
                    monthly=round(quantity * unit_price, 4),
                    basis=basis,
                    note=note,
                )
            )
    # Registration order depends on the async engine: sort so JSON and docs are stable.
    lines.sort(key=lambda x: (x.component, x.name, x.item))
    unpriced.sort(key=lambda u: (u["component"], u["name"]))
    counts = Counter(index.component_name(r) for r in index.custom)
    return Estimate(
        stack=plan.stack,
        lines=lines,
        unpriced=unpriced,
        resource_counts=dict(sorted(counts.items())),
        retrieved=str(prices.get("retrieved", "")),
    )


# Instance types that are "the smallest that works" for the course's web servers.
SMALLEST_INSTANCES = frozenset({"t3.nano", "t3.micro", "t4g.nano", "t4g.micro"})


def above_minimum(est: Estimate) -> list[str]:
    """Fixed costs beyond the cheapest stack that still runs every component (the dev cost goal).

    For prod most of these are deliberate (HA egress, capacity); for dev each is a config fix.
    """
    found: list[str] = []
    fixed = [line for line in est.lines if line.basis == "fixed" and line.monthly > 0]
    for line in fixed:
        where = f"`{line.name}` ({line.component}): {money(line.monthly)}/month"
        if line.kind == "nat":
            found.append(f"NAT gateway {where}: natStrategy none + gateway endpoints")
        elif line.kind == "endpoint":
            found.append(f"interface endpoint {where}: gateway endpoints or none")
        elif line.kind == "fargate" and "On-Demand" in line.item:
            found.append(f"Fargate On-Demand {where}: FARGATE_SPOT weight")
        elif line.kind == "instance" and line.item.split()[-1] not in SMALLEST_INSTANCES:
            found.append(f"{line.item} {where}: smallest instance type")
        elif line.kind == "ec2" and (line.quantity > HOURS_PER_MONTH or line.item.split()[-1] not in SMALLEST_INSTANCES):
            found.append(f"{line.item} x {line.quantity / HOURS_PER_MONTH:g} {where}: one smallest instance")
    albs = sorted({line.name for line in fixed if line.kind in ("alb", "nlb")})
    if len(albs) > 1:
        found.append(f"{len(albs)} load balancers ({', '.join(albs)}): share one ALB")
    return found


# --- views -----------------------------------------------------------------------------


def money(value: float) -> str:
    return f"${value:,.2f}"


def unit_price(value: float) -> str:
    """Unit prices in plain decimals ($0.0000166667, not 1.66667e-05)."""
    return "$" + (f"{value:.10f}".rstrip("0").rstrip(".") if value else "0")


def render_table(est: Estimate, console) -> None:
    from rich.table import Table

    by_component: dict[str, list[Line]] = defaultdict(list)
    for line in est.lines:
        by_component[line.component].append(line)
    for component in sorted(by_component):
        table = Table(
            title=f"{component}  {money(est.by_component[component])}/month",
            title_justify="left",
            show_edge=False,
            pad_edge=False,
        )
        for col, justify in (
            ("resource", "left"),
            ("item", "left"),
            ("quantity", "right"),
            ("unit price", "right"),
            ("monthly", "right"),
            ("note", "left"),
        ):
            table.add_column(col, justify=justify, overflow="fold")
        for line in sorted(by_component[component], key=lambda x: (-x.monthly, x.name)):
            table.add_row(
                _short(line.name, component),
                line.item,
                f"{line.quantity:,.4g} {line.unit}",
                unit_price(line.unitPrice),
                money(line.monthly),
                line.note,
            )
        console.print(table)
        console.print()
    console.print(
        f"fixed {money(est.basis_total('fixed'))} + usage {money(est.basis_total('usage'))} "
        f"= [bold]total {money(est.total)}/month[/bold] (USD, {HOURS_PER_MONTH} h, prices of {est.retrieved})"
    )
    if est.unpriced:
        console.print(f"[yellow]{len(est.unpriced)} unpriced resource(s):[/yellow]")
        for u in est.unpriced:
            console.print(f"  {u['type']}  {u['name']}  ({u['reason']})")


def _short(name: str, component: str) -> str:
    """Resource name without its component's prefix: `nat-a` under `cloud-platform-prod-network`."""
    return name[len(component) + 1 :] if name.startswith(component + "-") else name


def to_json_text(est: Estimate) -> str:
    return json.dumps(est.to_json(), indent=2) + "\n"
