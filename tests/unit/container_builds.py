"""ContainerService built directly under the recording mock, and finding its resources: what
the container tests share."""

from __future__ import annotations

import json

from components.container import ContainerService
from components.container_args import ContainerServiceArgs, SharedLoadBalancer
from components.platform import args_from
from components.settings.container import ContainerSettings
from offline.sdk import resolve

SERVICE = "aws:ecs/service:Service"
TASKDEF = "aws:ecs/taskDefinition:TaskDefinition"
REPO = "aws:ecr/repository:Repository"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
RULE = "aws:lb/listenerRule:ListenerRule"
ALB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
TG = "aws:lb/targetGroup:TargetGroup"
IMAGE = "docker-build:index:Image"

SHARED = SharedLoadBalancer(
    listener_arn="arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/abc/def",
    security_group_id="sg-web-alb",
    arn_suffix="app/web/abc",
    dns_name="web-123.eu-west-1.elb.amazonaws.com",
)
PRIVATE = ["subnet-private-a", "subnet-private-b"]
PUBLIC = ["subnet-public-a", "subnet-public-b"]


def make(settings: ContainerSettings | None = None, shared: SharedLoadBalancer | None = None, tag: str = "abc123def456",
         name: str = "t-ctr"):
    return ContainerService(
        name,
        args_from(
            settings or ContainerSettings(enabled=True), ContainerServiceArgs,
            environment="test",
            region="eu-west-1",
            vpc_id="vpc-test",
            private_subnet_ids=PRIVATE,
            public_subnet_ids=PUBLIC,
            image_tag=tag,
            shared_load_balancer=shared,
        ),
    )


def value(output):
    return resolve(output)


def built(build, **kwargs):
    holder = {}
    mocks = build(lambda: holder.setdefault("c", make(**kwargs)))
    return mocks, holder["c"]


def one(mocks, type_):
    """The single resource of a type inside the container component (stacks hold other areas too)."""
    found = [r for r in mocks.of_type(type_) if (c := mocks.component_of(r)) and c.type.endswith(":ContainerService")]
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def container_def(mocks):
    return json.loads(one(mocks, TASKDEF).inputs["containerDefinitions"])[0]


def role_policy(mocks, name):
    policy = next(p for p in mocks.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == name)
    return json.loads(policy.inputs["policy"])
