"""Service trust policies of the shipped plans: each trusts its service for this account only."""

from __future__ import annotations

import json

import pytest

ROLE = "aws:iam/role:Role"
ACCOUNT = "123456789012"  # the recording mock's account

# Services that assume the role without telling STS whose request it serves: a SourceAccount
# condition would never match and the role would stop working. Each is bound another way.
NO_SOURCE_CONTEXT = {
    # Instance profiles: only a principal allowed iam:PassRole on the role can attach it.
    "ec2.amazonaws.com",
    # The account-wide CloudWatch Logs role of API Gateway, set by apigateway.Account.
    "apigateway.amazonaws.com",
}


def service_statements(plan):
    for role in plan.mocks.of_type(ROLE):
        document = role.inputs["assumeRolePolicy"]
        for statement in (json.loads(document) if isinstance(document, str) else document)["Statement"]:
            services = (statement.get("Principal") or {}).get("Service")
            if services:
                yield role.name, [services] if isinstance(services, str) else services, statement


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_service_trust_is_limited_to_this_account(stack, dev_plan, prod_plan):
    plan = {"dev": dev_plan, "prod": prod_plan}[stack]
    checked = set()
    for name, services, statement in service_statements(plan):
        if set(services) <= NO_SOURCE_CONTEXT:
            continue
        condition = statement.get("Condition", {})
        assert condition.get("StringEquals", {}).get("aws:SourceAccount") == ACCOUNT, (name, statement)
        # Where a SourceArn is given too, it names this account's resources only.
        source_arn = condition.get("ArnLike", {}).get("aws:SourceArn") or condition.get("ArnEquals", {}).get("aws:SourceArn")
        assert source_arn is None or source_arn.split(":")[4] == ACCOUNT, (name, source_arn)
        checked.update(services)
    # The services of the shipped plans, so a new role cannot slip past unchecked.
    expected = {"vpc-flow-logs.amazonaws.com", "ecs-tasks.amazonaws.com", "lambda.amazonaws.com"}
    expected |= {"states.amazonaws.com"} if stack == "dev" else {"backup.amazonaws.com"}
    assert expected <= checked, checked
