"""ContainerService in the shipped stacks and through the program: dev cheap, prod protected,
the web tier's ALB shared, sizes Fargate refuses stopped by the settings."""

from __future__ import annotations

import pytest

from components.settings import SettingsError
from tests.unit.container_builds import (
    ALB,
    REPO,
    RULE,
    SERVICE,
    SHARED,
    TASKDEF,
    one,
)


def test_dev_stack_is_cheap_and_disposable(dev_plan):
    mocks = dev_plan.mocks
    service = one(mocks, SERVICE).inputs
    assert service["capacityProviderStrategies"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    assert service["desiredCount"] == 1
    task = one(mocks, TASKDEF).inputs
    assert (task["cpu"], task["memory"]) == ("256", "512")
    repo = one(mocks, REPO)
    assert repo.inputs["forceDelete"] is True and repo.inputs["imageTagMutability"] == "MUTABLE" and repo.protect is False
    endpoints = [e for e in mocks.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Interface"
                 and mocks.component_of(e).type.endswith(":ContainerService")]
    # Image pulls and logs leave through the dev NAT instance (its routes' fixed interface): no interface endpoints.
    nat_routes = [r for r in mocks.of_type("aws:ec2/route:Route") if r.inputs.get("networkInterfaceId")]
    assert endpoints == [] and len(nat_routes) == 2
    net_private = dev_plan.outputs["privateSubnetIds"]
    assert service["networkConfiguration"]["subnets"] == net_private
    assert service["networkConfiguration"]["assignPublicIp"] is False


def test_prod_stack_is_protected_and_on_demand(prod_plan):
    mocks = prod_plan.mocks
    repo = one(mocks, REPO)
    assert repo.protect is True and repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["forceDelete"] is False
    assert repo.inputs["encryptionConfigurations"][0]["encryptionType"] == "KMS"
    service = one(mocks, SERVICE).inputs
    assert service["desiredCount"] >= 2
    assert service["capacityProviderStrategies"] == [{"capacityProvider": "FARGATE", "weight": 1}]
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert one(mocks, "aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"] == 365
    assert service["networkConfiguration"]["subnets"] == prod_plan.outputs["privateSubnetIds"]
    # NAT per AZ: no interface endpoints needed
    assert not [e for e in mocks.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if "container" in e.name]
    # all container resources in the home region through the tagged provider
    component = mocks.named("cloud-platform-prod-container")
    aws_resources = [r for r in mocks.descendants(component) if r.custom and r.type.startswith("aws:")]
    assert {r.region for r in aws_resources} == {"eu-west-1"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_outputs(stack, dev_plan, prod_plan):
    plan = {"dev": dev_plan, "prod": prod_plan}[stack]
    repo = one(plan.mocks, REPO)
    assert plan.outputs["containerRepositoryUrl"] == repo.outputs["repositoryUrl"]
    assert plan.outputs["containerServiceName"] == one(plan.mocks, SERVICE).outputs["name"]
    web = [r for r in plan.resources if r.type == "cloud-platform:web:ScalingWebTier"]
    if web:  # one ALB per environment: a rule on the web tier's listener, no ALB of our own
        assert [r for r in plan.mocks.of_type(ALB) if plan.mocks.component_of(r).type.endswith(":ContainerService")] == []
        assert one(plan.mocks, RULE).inputs["priority"] == 100
        web_alb = [r for r in plan.mocks.of_type(ALB) if plan.mocks.component_of(r).urn == web[0].urn]
        assert plan.outputs["containerUrl"] == f"http://{web_alb[0].outputs['dnsName']}/app/"
    else:
        alb = one(plan.mocks, ALB)
        assert plan.outputs["containerUrl"] == f"http://{alb.outputs['dnsName']}/app/"


def test_shared_alb_through_the_program(plan_with, monkeypatch):
    """build_container hands p.web's ALB to the component when the web tier is built."""
    from components import program

    class FakeWeb:
        listener_arn = SHARED.listener_arn
        alb_security_group_id = SHARED.security_group_id
        alb_arn_suffix = SHARED.arn_suffix
        alb_dns_name = SHARED.dns_name

        def alarm_targets(self):
            from components.alarms import AlarmTargets

            return AlarmTargets()

    def fake_web(p):
        p.web = FakeWeb()

    steps = [fake_web if s is program.build_web else s for s in program.STEPS]
    monkeypatch.setattr(program, "STEPS", steps)
    plan = plan_with("dev")
    assert plan.mocks.of_type(ALB) == []
    rule = one(plan.mocks, RULE)
    assert rule.inputs["listenerArn"] == SHARED.listener_arn and rule.inputs["priority"] == 100
    assert plan.outputs["containerUrl"] == "http://web-123.eu-west-1.elb.amazonaws.com/app/"


def test_container_off_builds_nothing(plan_with):
    plan = plan_with("dev", {"cloud-platform:container": {"enabled": False}})
    assert [r for r in plan.resources if "container" in r.type or "ecs" in r.type or "ecr" in r.type] == []
    assert "containerUrl" not in plan.outputs


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"cpu": 512, "memory": 512}, "cloud-platform:container.memory 512 is not valid with cpu 512 (allowed: 1024-4096 in steps of 1024)"),
        ({"cpu": 4096, "memory": 4096}, "cloud-platform:container.memory 4096 is not valid with cpu 4096 (allowed: 8192-30720 in steps of 1024)"),
        ({"spotShare": 150}, "cloud-platform:container.spotShare must be <= 100 (got 150)"),
    ],
)
def test_invalid_fargate_sizes_stop_the_program(plan_with, overrides, message):
    with pytest.raises(SettingsError) as info:
        plan_with("dev", {"cloud-platform:container": overrides})
    assert str(info.value) == message


def test_service_autoscaling_owns_desired_count_after_creation(dev_plan):
    assert one(dev_plan.mocks, SERVICE).ignore_changes == ["desiredCount"]
