"""Inventory and resilience: required tags, protected stateful resources, alarm actions."""

from __future__ import annotations

from ..model import Resource, as_json, truthy
from ..registry import Context, resource_policy
from .types import (
    BACKUP_VAULT,
    DYNAMODB_TABLE,
    EFS,
    METRIC_ALARM,
    RDS_CLUSTER,
    RDS_INSTANCE,
    S3_BUCKET,
)

# Types that take `tags` and inherit the provider's default tags. Auto Scaling groups are
# left out on purpose: they use a different tag shape and default_tags do not reach them.
NOT_TAGGABLE_HINTS = (
    "aws:autoscaling/group:Group",
)
TAGGABLE = (
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/routeTable:RouteTable",
    "aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip",
    "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:ec2/flowLog:FlowLog", "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/instance:Instance", "aws:ebs/volume:Volume",
    "aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup", "aws:lb/listener:Listener",
    "aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:iam/role:Role",
    "aws:iam/policy:Policy", "aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:lambda/function:Function",
    "aws:sqs/queue:Queue", "aws:sns/topic:Topic", "aws:dynamodb/table:Table", "aws:ecr/repository:Repository",
    "aws:ecs/cluster:Cluster", "aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition",
    "aws:apigateway/restApi:RestApi", "aws:apigateway/stage:Stage", "aws:cloudfront/distribution:Distribution",
    "aws:backup/vault:Vault", "aws:backup/plan:Plan", "aws:rds/instance:Instance", "aws:rds/cluster:Cluster",
    "aws:efs/fileSystem:FileSystem",
)


@resource_policy(
    "required-tags",
    types=TAGGABLE,
    summary="Every taggable resource carries the required tags (compliance.requiredTags: Project, Environment, "
            "Owner, ManagedBy, CostCenter), normally from the provider's default_tags.",
    fix="create the resource through the stack's tagged provider (p.opts()/parent=component) or add the tags",
    c5=("AM-01",), iso=("5.9",), fsbp=(),
)
def required_tags(r: Resource, ctx: Context):
    tags = r.tags
    missing = [t for t in ctx.settings.required_tags if not tags.get(t)]
    if missing:
        yield f"missing tags {', '.join(missing)}"


STATEFUL = (*S3_BUCKET, DYNAMODB_TABLE, RDS_INSTANCE, RDS_CLUSTER, EFS, BACKUP_VAULT)


@resource_policy(
    "stateful-protected",
    types=STATEFUL,
    summary="Stateful resources (buckets, tables, databases, file systems, backup vaults) are protected from "
            "deletion by `pulumi destroy`/replacement where compliance.requireProtect is set (prod); website "
            "buckets (allowedPublicBuckets / Website=true) are exempt.",
    fix="pass opts=ResourceOptions(protect=True, retain_on_delete=True) from the component's settings",
    c5=("OPS-06", "BCM-03"), iso=("8.13", "8.32"), fsbp=(),
)
def stateful_protected(r: Resource, ctx: Context):
    from .storage import public_bucket_allowed

    if r.type in S3_BUCKET and public_bucket_allowed(r, ctx):
        return  # website content is redeployed from site/, not data to protect
    if ctx.settings.require_protect and not r.protect:
        yield f"{r.physical_name} holds data but is not protected (protect=True)"


@resource_policy(
    "alarm-actions",
    types=(METRIC_ALARM,),
    summary="CloudWatch alarms notify someone: alarm actions are enabled and name at least one target.",
    fix="set alarm_actions=[ops_topic.arn] (the Alarms component's ops topic)",
    c5=("OPS-13",), iso=("8.16",), fsbp=("CloudWatch.15",),
    enforcement="advisory",
)
def alarm_actions(r: Resource, ctx: Context):
    if r.props.get("actionsEnabled") is not None and not truthy(r.props.get("actionsEnabled")):
        yield "actionsEnabled is off"
    elif not as_json(r.props.get("alarmActions")):
        yield "alarm has no alarmActions"
