"""A small synthetic platform with every kind of resource the diagram and cost estimate relate.

It mirrors the shapes the components create (an ALB with blue/green target groups and ASGs,
a Fargate service with a Spot share, API Gateway -> Lambda -> DynamoDB, CloudFront -> S3,
SNS -> SQS (+ DLQ) -> worker, a backup vault, alarms, a peer-region VPC), each wrapped in a
`cloud-platform:*` component, so the tests do not depend on which components a branch has.
Relations are made only through ids/ARNs, exactly as the real components do.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws


class Component(pulumi.ComponentResource):
    def __init__(self, type_: str, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_, name, None, opts)
        self.child = pulumi.ResourceOptions(parent=self)


def network(name: str, cidr: str, azs: list[str], nat: bool, provider: aws.Provider | None = None):
    c = Component("cloud-platform:network:NetworkingBase", name, pulumi.ResourceOptions(provider=provider))
    vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=cidr, opts=c.child)
    igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, opts=c.child)
    public_rt = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=vpc.id, opts=c.child)
    aws.ec2.Route(f"{name}-public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0",
                  gateway_id=igw.id, opts=c.child)
    public, private = [], []
    base = cidr.rsplit(".", 2)[0]
    for i, az in enumerate(azs):
        s = az[-1]
        pub = aws.ec2.Subnet(f"{name}-public-{s}", vpc_id=vpc.id, cidr_block=f"{base}.{i * 16}.0/20",
                             availability_zone=az, tags={"Tier": "public"}, opts=c.child)
        aws.ec2.RouteTableAssociation(f"{name}-public-{s}", subnet_id=pub.id, route_table_id=public_rt.id, opts=c.child)
        priv = aws.ec2.Subnet(f"{name}-private-{s}", vpc_id=vpc.id, cidr_block=f"{base}.{64 + i * 16}.0/20",
                              availability_zone=az, tags={"Tier": "private"}, opts=c.child)
        rt = aws.ec2.RouteTable(f"{name}-private-rt-{s}", vpc_id=vpc.id, opts=c.child)
        aws.ec2.RouteTableAssociation(f"{name}-private-{s}", subnet_id=priv.id, route_table_id=rt.id, opts=c.child)
        if nat:
            eip = aws.ec2.Eip(f"{name}-nat-{s}", domain="vpc", opts=c.child)
            gw = aws.ec2.NatGateway(f"{name}-nat-{s}", allocation_id=eip.id, subnet_id=pub.id, opts=c.child)
            aws.ec2.Route(f"{name}-private-default-{s}", route_table_id=rt.id, destination_cidr_block="0.0.0.0/0",
                          nat_gateway_id=gw.id, opts=c.child)
        public.append(pub)
        private.append(priv)
    aws.ec2.VpcEndpoint(f"{name}-s3-endpoint", vpc_id=vpc.id, service_name="com.amazonaws.eu-west-1.s3",
                        vpc_endpoint_type="Gateway", opts=c.child)
    return c, vpc, public, private


def web(name: str, vpc, public, private, instance_type: str = "t3.micro", desired: int = 2):
    c = Component("cloud-platform:web:ScalingWebTier", name)
    alb = aws.lb.LoadBalancer(f"{name}-alb", name_prefix="web-", load_balancer_type="application", subnets=[s.id for s in public],
                              opts=c.child)
    lt = aws.ec2.LaunchTemplate(f"{name}-lt", instance_type=instance_type, image_id="ami-123",
                                block_device_mappings=[{"device_name": "/dev/xvda",
                                                        "ebs": {"volume_size": 8, "volume_type": "gp3"}}],
                                opts=c.child)
    tgs = []
    for colour in ("blue", "green"):
        tg = aws.lb.TargetGroup(f"{name}-{colour}", name_prefix=f"{colour}-"[:6], port=80, protocol="HTTP", vpc_id=vpc.id, opts=c.child)
        aws.autoscaling.Group(f"{name}-{colour}", min_size=1 if colour == "blue" else 0, max_size=4,
                              desired_capacity=desired if colour == "blue" else 0,
                              launch_template={"id": lt.id, "version": "$Latest"},
                              vpc_zone_identifiers=[s.id for s in private], target_group_arns=[tg.arn], opts=c.child)
        tgs.append(tg)
    aws.lb.Listener(f"{name}-http", load_balancer_arn=alb.arn, port=80, protocol="HTTP",
                    default_actions=[{"type": "forward", "forward": {"target_groups": [
                        {"arn": tgs[0].arn, "weight": 100}, {"arn": tgs[1].arn, "weight": 0}]}}], opts=c.child)
    return c, alb, tgs


def container(name: str, vpc, private, desired: int = 2, spot_weight: int = 1):
    c = Component("cloud-platform:container:ContainerService", name)
    repo = aws.ecr.Repository(f"{name}-repo", opts=c.child)
    cluster = aws.ecs.Cluster(f"{name}-cluster", opts=c.child)
    tg = aws.lb.TargetGroup(f"{name}-tg", name_prefix="app-", port=8080, protocol="HTTP", target_type="ip", vpc_id=vpc.id, opts=c.child)
    task = aws.ecs.TaskDefinition(
        f"{name}-task", family=f"{name}-task", cpu="256", memory="512", network_mode="awsvpc",
        requires_compatibilities=["FARGATE"], runtime_platform={"cpu_architecture": "ARM64", "operating_system_family": "LINUX"},
        container_definitions=repo.repository_url.apply(lambda url: json.dumps([{"name": "app", "image": f"{url}:v1"}])),
        opts=c.child)
    # On the shared ALB's listener (an ARN from outside the plan); ECS needs the rule before the service.
    rule = aws.lb.ListenerRule(f"{name}-rule", priority=10, conditions=[{"path_pattern": {"values": ["/app/*"]}}],
                               listener_arn="arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shared/1/2",
                               actions=[{"type": "forward", "target_group_arn": tg.arn}], opts=c.child)
    aws.ecs.Service(f"{name}-service", cluster=cluster.arn, task_definition=task.arn, desired_count=desired,
                    capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1},
                                                  {"capacity_provider": "FARGATE_SPOT", "weight": spot_weight}],
                    network_configuration={"subnets": [s.id for s in private]},
                    load_balancers=[{"target_group_arn": tg.arn, "container_name": "app", "container_port": 8080}],
                    opts=pulumi.ResourceOptions(parent=c, depends_on=[rule]))
    return c


def messaging(name: str):
    c = Component("cloud-platform:messaging:Messaging", name)
    key = aws.kms.Key(f"{name}-key", opts=c.child)
    topic = aws.sns.Topic(f"{name}-topic", kms_master_key_id=key.id, opts=c.child)
    dlq = aws.sqs.Queue(f"{name}-dlq", opts=c.child)
    queue = aws.sqs.Queue(f"{name}-queue", redrive_policy=dlq.arn.apply(
        lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3})), opts=c.child)
    aws.sns.TopicSubscription(f"{name}-to-queue", topic=topic.arn, protocol="sqs", endpoint=queue.arn, opts=c.child)
    role = aws.iam.Role(f"{name}-worker", assume_role_policy="{}", opts=c.child)
    worker = aws.lambda_.Function(f"{name}-worker", role=role.arn, runtime="python3.12", handler="h.handler",
                                  memory_size=256, architectures=["arm64"], code=pulumi.AssetArchive({}), opts=c.child)
    aws.lambda_.EventSourceMapping(f"{name}-worker", event_source_arn=queue.arn, function_name=worker.arn, opts=c.child)
    aws.cloudwatch.MetricAlarm(f"{name}-dlq-depth", comparison_operator="GreaterThanThreshold", evaluation_periods=1,
                               metric_name="ApproximateNumberOfMessagesVisible", namespace="AWS/SQS", period=60,
                               statistic="Maximum", threshold=0, alarm_actions=[topic.arn],
                               dimensions={"QueueName": dlq.name}, opts=c.child)
    return c, topic


def serverless(name: str, topic):
    c = Component("cloud-platform:serverless:ServerlessApi", name)
    table = aws.dynamodb.Table(f"{name}-table", billing_mode="PAY_PER_REQUEST", hash_key="id",
                               attributes=[{"name": "id", "type": "S"}], opts=c.child)
    role = aws.iam.Role(f"{name}-api", assume_role_policy="{}", opts=c.child)
    fn = aws.lambda_.Function(f"{name}-api", role=role.arn, runtime="python3.12", handler="h.handler", memory_size=128,
                              code=pulumi.AssetArchive({}),
                              environment={"variables": {"TABLE_NAME": table.name, "TOPIC_ARN": topic.arn}}, opts=c.child)
    api = aws.apigateway.RestApi(f"{name}-api", opts=c.child)
    resource = aws.apigateway.Resource(f"{name}-items", rest_api=api.id, parent_id=api.root_resource_id, path_part="items",
                                       opts=c.child)
    method = aws.apigateway.Method(f"{name}-items-any", rest_api=api.id, resource_id=resource.id, http_method="ANY",
                                   authorization="NONE", opts=c.child)
    aws.apigateway.Integration(f"{name}-items-any", rest_api=api.id, resource_id=resource.id, http_method=method.http_method,
                               type="AWS_PROXY", integration_http_method="POST", uri=fn.invoke_arn, opts=c.child)
    bucket = aws.s3.Bucket(f"{name}-site", opts=c.child)
    aws.cloudfront.Distribution(
        f"{name}-cdn", enabled=True,
        origins=[{"origin_id": "site", "domain_name": bucket.bucket_regional_domain_name}],
        default_cache_behavior={"target_origin_id": "site", "viewer_protocol_policy": "redirect-to-https",
                                "allowed_methods": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"]},
        restrictions={"geo_restriction": {"restriction_type": "none"}},
        viewer_certificate={"cloudfront_default_certificate": True}, opts=c.child)
    return c


def guardrails(name: str):
    c = Component("cloud-platform:guardrails:Backups", name)
    vault = aws.backup.Vault(f"{name}-vault", opts=c.child)
    aws.backup.Plan(f"{name}-plan", rules=[{"rule_name": "daily", "target_vault_name": vault.name,
                                           "schedule": "cron(0 3 * * ? *)"}], opts=c.child)
    return c


def full_platform() -> None:
    """Everything: home network with NAT, web, container, messaging, serverless, backups, peer VPC."""
    _, vpc, public, private = network("cloud-platform-test-network", "10.20.0.0/16", ["eu-west-1a", "eu-west-1b"], nat=True)
    web("cloud-platform-test-web", vpc, public, private)
    container("cloud-platform-test-container", vpc, private)
    _, topic = messaging("cloud-platform-test-messaging")
    serverless("cloud-platform-test-serverless", topic)
    guardrails("cloud-platform-test-backups")
    peer = aws.Provider("cloud-platform-test-peer", region="eu-central-1")
    _, peer_vpc, _, _ = network("cloud-platform-test-peer-network", "10.30.0.0/16", ["eu-central-1a"], nat=False,
                                provider=peer)
    link = Component("cloud-platform:network:CrossRegionPeering", "cloud-platform-test-peering")
    aws.ec2.VpcPeeringConnection("cloud-platform-test-peering-requester", vpc_id=vpc.id, peer_vpc_id=peer_vpc.id,
                                 peer_region="eu-central-1", opts=link.child)


def known_cost_platform() -> None:
    """2 NAT gateways (+ 2 EIPs), one internet-facing ALB over 2 subnets, an ASG of 2 t3.micro (no EBS)."""
    c = Component("cloud-platform:network:NetworkingBase", "n")
    vpc = aws.ec2.Vpc("n-vpc", cidr_block="10.0.0.0/16", opts=c.child)
    subnets = [aws.ec2.Subnet(f"n-public-{s}", vpc_id=vpc.id, cidr_block=f"10.0.{i * 16}.0/20",
                              availability_zone=f"eu-west-1{s}", opts=c.child) for i, s in enumerate("ab")]
    for s, subnet in zip("ab", subnets, strict=True):
        eip = aws.ec2.Eip(f"n-nat-{s}", domain="vpc", opts=c.child)
        aws.ec2.NatGateway(f"n-nat-{s}", allocation_id=eip.id, subnet_id=subnet.id, opts=c.child)
    w = Component("cloud-platform:web:ScalingWebTier", "w")
    aws.lb.LoadBalancer("w-alb", load_balancer_type="application", subnets=[s.id for s in subnets], opts=w.child)
    lt = aws.ec2.LaunchTemplate("w-lt", instance_type="t3.micro", opts=w.child)
    aws.autoscaling.Group("w-blue", min_size=1, max_size=3, desired_capacity=2, launch_template={"id": lt.id},
                          opts=w.child)
