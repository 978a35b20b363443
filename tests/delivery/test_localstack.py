"""The `local` stack: every AWS service any stack's plan touches is routed to LocalStack."""

from __future__ import annotations

import json
from collections import defaultdict

import pulumi_aws as aws
import pytest

from components.localstack import SERVICES, endpoint_service, python_field
from components.settings import parse_settings
from offline.stacks import known_stacks
from tests.conftest import MINIMAL_CONFIG, one_line_error
from tests.harness import shipped_plan

PROVIDER = "pulumi:providers:aws"
ENDPOINT = "http://localhost:4566"


def local_providers():
    providers = shipped_plan("local").mocks.of_type(PROVIDER)
    assert providers, "the local stack registers no aws provider"
    return providers


def endpoints_of(provider) -> dict[str, str]:
    raw = provider.inputs.get("endpoints")
    blocks = json.loads(raw) if isinstance(raw, str) else (raw or [])
    return {k: v for block in blocks for k, v in block.items() if v}


def secret_value(value):
    return value.get("value") if isinstance(value, dict) else value


def services_used_by_all_stacks() -> dict[str, set[str]]:
    """service -> the type tokens that need it, over the offline plans of every stack file."""
    used: dict[str, set[str]] = defaultdict(set)
    for stack in known_stacks():
        for resource in shipped_plan(stack).resources:
            service = endpoint_service(resource.type)
            if service is not None:
                used[service].add(resource.type)
    return used


def test_local_stack_exists_and_is_not_a_real_environment():
    assert "local" in known_stacks()


def test_every_service_of_every_stack_has_a_localstack_endpoint():
    used = services_used_by_all_stacks()
    assert {"ec2", "iam", "logs"} <= set(used)  # the plans really were read
    for provider in local_providers():
        configured = endpoints_of(provider)
        missing = {s: sorted(t)[:3] for s, t in used.items() if s not in configured}
        assert not missing, f"{provider.name}: no LocalStack endpoint for {missing}"
        assert set(configured.values()) == {ENDPOINT}


def test_every_local_resource_goes_through_a_localstack_provider():
    plan = shipped_plan("local")
    sandbox = {p.urn for p in local_providers()}
    stray = [r.name for r in plan.resources if r.type.startswith("aws:") and (r.provider is None or r.provider.urn not in sandbox)]
    assert stray == [], f"would use the default provider (real AWS): {stray}"


def test_local_stack_disables_the_default_aws_provider():
    from offline.stacks import stack_config

    assert json.loads(stack_config("local")["pulumi:disable-default-providers"]) == ["aws"]


def test_endpoint_names_are_real_provider_fields():
    fields = aws.ProviderEndpointArgs.__init__.__code__.co_varnames
    assert [s for s in SERVICES if python_field(s) not in fields] == []
    # a service a stack uses but the mapping invents would fail here too
    assert [s for s in services_used_by_all_stacks() if python_field(s) not in fields] == []


def test_local_provider_skips_real_aws_checks_and_uses_dummy_keys():
    for provider in local_providers():
        i = provider.inputs
        for flag in ("skipCredentialsValidation", "skipMetadataApiCheck", "skipRequestingAccountId", "s3UsePathStyle"):
            assert str(i[flag]).lower() == "true", flag
        assert secret_value(i["accessKey"]) == "test" and secret_value(i["secretKey"]) == "test"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_real_stacks_do_not_point_at_localstack(stack):
    for provider in shipped_plan(stack).mocks.of_type(PROVIDER):
        assert "endpoints" not in provider.inputs and "accessKey" not in provider.inputs


@pytest.mark.parametrize(
    ("type_token", "service"),
    [
        ("aws:cloudwatch/logGroup:LogGroup", "logs"),
        ("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", "logs"),
        ("aws:cloudwatch/eventRule:EventRule", "events"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "cloudwatch"),
        ("aws:lb/listener:Listener", "elbv2"),
        ("aws:alb/targetGroup:TargetGroup", "elbv2"),
        ("aws:lambda/function:Function", "lambda"),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ec2"),
        ("aws:appautoscaling/policy:Policy", "appautoscaling"),
        ("aws:sfn/stateMachine:StateMachine", "sfn"),
        ("aws:secretsmanager/secret:Secret", "secretsmanager"),
        ("pulumi:providers:aws", None),
        ("cloud-platform:network:NetworkingBase", None),
        ("awsx:ecs:FargateService", None),
    ],
)
def test_endpoint_service_of_type_tokens(type_token, service):
    assert endpoint_service(type_token) == service


BASE = {**MINIMAL_CONFIG, "cloud-platform:environment": "local"}


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"endpoint": "localhost:4566"}, "cloud-platform:localstack.endpoint must match"),
        ({"endpoint": "ftp://localhost:4566"}, "cloud-platform:localstack.endpoint must match"),
        ({}, "cloud-platform:localstack.endpoint is required"),
        ({"endpoint": ENDPOINT, "port": 1}, "cloud-platform:localstack.port is not a known setting (allowed: endpoint)"),
    ],
)
def test_localstack_settings_errors_are_one_line(section, expected):
    message = one_line_error(parse_settings, {**BASE, "cloud-platform:localstack": json.dumps(section)}, stack="local")
    assert message.startswith(expected)


def test_localstack_settings_accept_edge_urls():
    for url in (ENDPOINT, "https://localstack.internal:443/", "http://127.0.0.1:4566"):
        s = parse_settings({**BASE, "cloud-platform:localstack": json.dumps({"endpoint": url})}, stack="local")
        assert s.localstack.endpoint == url
