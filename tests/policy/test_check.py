"""The offline check: shipped stacks pass, broken settings fail naming the control."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from components.settings import parse_settings
from offline.stacks import merge_overrides, stack_config
from platformctl.check import check_plan, run_check
from policy.engine import context_for, evaluate, from_recorded


def settings_of(stack, overrides=None):
    return parse_settings(merge_overrides(stack_config(stack), overrides), stack)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_have_no_mandatory_violations(stack, dev_plan, prod_plan):
    plan = {"dev": dev_plan, "prod": prod_plan}[stack]
    result = check_plan(plan, settings_of(stack))
    assert result.mandatory == [], [v.message for v in result.mandatory]
    assert result.passed and result.policies >= 20
    assert result.resources == sum(1 for r in plan.resources if r.custom and not r.type.startswith("pulumi:"))
    assert result.summary().startswith(f"PASS check {stack}: ")


def test_flow_logs_off_fails_naming_the_control(plan_with):
    overrides = {"cloud-platform:networking": {"flowLogs": {"enabled": False}}}
    plan = plan_with("dev", overrides)
    result = check_plan(plan, settings_of("dev", overrides))
    assert not result.passed
    (violation,) = result.mandatory
    assert violation.policy == "vpc-flow-logs"
    assert "C5 OPS-10" in violation.controls and "FSBP EC2.6" in violation.controls
    assert violation.resource_name == "cloud-platform-dev-network-vpc"
    assert "vpc-flow-logs x1 (mandatory)" in result.summary()


def test_enforcement_can_be_lowered_or_disabled_per_stack(plan_with):
    for level, passed, count in (("advisory", True, 1), ("disabled", True, 0)):
        overrides = {"cloud-platform:networking": {"flowLogs": {"enabled": False}},
                     "cloud-platform:compliance": {"enforcement": {"vpc-flow-logs": level}}}
        result = run_check("dev", overrides)
        assert result.passed is passed
        assert len([v for v in result.violations if v.policy == "vpc-flow-logs"]) == count


def test_prod_without_backups_or_vault_protection_fails(plan_with):
    result = run_check("prod", {"cloud-platform:backup": {"enabled": False}})
    assert {v.policy for v in result.mandatory} == {"backup-coverage"}
    # Every stateful store tagged Backup=true is named: the API table and the worker's claims table.
    uncovered = " ".join(v.message for v in result.mandatory)
    assert "serverless-subscribers" in uncovered and "messaging-idempotency" in uncovered
    result = run_check("prod", {"cloud-platform:backup": {"protectVault": False}})
    # protectVault also keeps the Audit Manager reports (the evidence bucket).
    assert sorted(v.resource_name for v in result.mandatory if v.policy == "stateful-protected") == [
        "cloud-platform-prod-backup-peer-vault", "cloud-platform-prod-backup-reports", "cloud-platform-prod-backup-vault"]


def test_prod_with_personal_data_under_aws_managed_keys_fails_naming_the_control():
    result = run_check("prod", {"cloud-platform:serverless": {"encryption": "aws-managed"},
                                "cloud-platform:messaging": {"encryptLogs": False}})
    assert {v.policy for v in result.mandatory} == {"personal-data-encrypted"}
    named = sorted(v.resource_name for v in result.mandatory)
    assert named == ["cloud-platform-prod-messaging-notifier-logs", "cloud-platform-prod-messaging-worker-logs",
                     "cloud-platform-prod-serverless-access-logs", "cloud-platform-prod-serverless-api-logs",
                     "cloud-platform-prod-serverless-subscribers"], named


def test_security_group_open_on_22_fails_the_check(build, dev_plan):
    mocks = build(lambda: aws.ec2.SecurityGroup(
        "bastion", vpc_id="vpc-1", description="ssh",
        ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=22, to_port=22, cidr_blocks=["0.0.0.0/0"])],
        opts=pulumi.ResourceOptions(provider=aws.Provider("p", region="eu-west-1")),
    ))
    resources = from_recorded(list(dev_plan.resources)) + from_recorded(mocks.resources)
    violations = evaluate(resources, context_for(settings_of("dev"), "dev"))
    by_policy = {v.policy: v for v in violations if v.enforcement == "mandatory"}
    assert set(by_policy) >= {"no-admin-ports-from-internet", "public-ingress-only-on-load-balancers"}
    assert by_policy["no-admin-ports-from-internet"].message == \
        "ingress 0.0.0.0/0 to port 22 opens SSH (22) to the internet"
    assert "FSBP EC2.13" in by_policy["no-admin-ports-from-internet"].controls


def test_offline_references_follow_ids(dev_plan):
    resources = {r.name: r for r in from_recorded(dev_plan.resources)}
    flow, vpc = resources["cloud-platform-dev-network-flow-log"], resources["cloud-platform-dev-network-vpc"]
    assert flow.refers_to("vpcId", vpc)
    assert flow.tags["Environment"] == "dev" and flow.tags["Name"].endswith("flow-log")
