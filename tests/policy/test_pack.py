"""The pulumi-policy side: adapters, per-stack enforcement, and the pack served over gRPC."""

from __future__ import annotations

import json
import subprocess
import sys

import pulumi_policy as pp
import pytest
from pulumi.runtime.rpc import UNKNOWN as ENGINE_UNKNOWN
from pulumi_policy.proxy import unknown_checking_proxy

from components.settings import SettingsError
from policy.model import UNKNOWN
from policy.pack import PackState, build_policies, compliance_from_config, plain
from tests.conftest import ROOT

SG = "aws:ec2/securityGroup:SecurityGroup"
OPEN_22 = {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]}


def _opts(protect=False):
    return pp.PolicyResourceOptions(protect, [], None, [], pp.PolicyCustomTimeouts(0, 0, 0), [], None)


def _policies(state=None):
    return {p.name: p for p in build_policies(state or PackState())}


def test_every_policy_is_wrapped_with_its_level_and_description():
    policies = _policies()
    assert len(policies) >= 20
    assert isinstance(policies["vpc-flow-logs"], pp.StackValidationPolicy)
    assert isinstance(policies["ec2-imdsv2"], pp.ResourceValidationPolicy)
    assert policies["alarm-actions"].enforcement_level is pp.EnforcementLevel.ADVISORY
    assert "FSBP EC2.13" in policies["no-admin-ports-from-internet"].description


def test_resource_policy_reports_through_the_sdk():
    reports = []
    args = pp.ResourceValidationArgs(SG, unknown_checking_proxy(OPEN_22), "urn:sg", "sg", _opts(), None)
    _policies()["no-admin-ports-from-internet"].validate(args, lambda m, urn=None: reports.append((m, urn)))
    assert reports == [("ingress 0.0.0.0/0 to port 22 opens SSH (22) to the internet "
                        "(fix: remove the rule; reach instances through SSM Session Manager instead of SSH)", None)]
    reports.clear()
    args = pp.ResourceValidationArgs("aws:dynamodb/table:Table", {}, "urn:t", "t", _opts(), None)
    _policies()["no-admin-ports-from-internet"].validate(args, lambda m, urn=None: reports.append(m))
    assert reports == []


def test_unknown_preview_values_become_unknown_not_errors():
    props = unknown_checking_proxy({"kmsMasterKeyId": ENGINE_UNKNOWN, "tags": {"a": ENGINE_UNKNOWN}, "l": [1]})
    assert plain(props) == {"kmsMasterKeyId": UNKNOWN, "tags": {"a": UNKNOWN}, "l": [1]}
    reports = []
    args = pp.ResourceValidationArgs("aws:sqs/queue:Queue", props, "urn:q", "q", _opts(), None)
    _policies()["sqs-encryption"].validate(args, lambda m, urn=None: reports.append(m))
    assert reports == []


def test_stack_policy_uses_property_dependencies():
    vpc = pp.PolicyResource("aws:ec2/vpc:Vpc", {}, "urn:vpc", "vpc", _opts(), None, None, [], {})
    other = pp.PolicyResource("aws:ec2/vpc:Vpc", {}, "urn:vpc2", "vpc2", _opts(), None, None, [], {})
    flow = pp.PolicyResource("aws:ec2/flowLog:FlowLog", {"vpcId": ENGINE_UNKNOWN}, "urn:fl", "fl", _opts(), None,
                             None, [vpc], {"vpcId": [vpc]})
    reports = []
    _policies()["vpc-flow-logs"].validate(pp.StackValidationArgs([vpc, other, flow]),
                                          lambda m, urn=None: reports.append((m, urn)))
    assert [(m.split(" (fix")[0], urn) for m, urn in reports] == [("VPC vpc2 has no flow log", "urn:vpc2")]


def test_stack_config_sets_context_and_bad_config_is_one_line():
    state = PackState()
    state.configure("prod", {"cloud-platform:compliance": json.dumps({"requireProtect": True})})
    assert state.context.settings.require_protect and state.context.stack == "prod"
    with pytest.raises(SettingsError) as info:
        compliance_from_config({"cloud-platform:compliance": json.dumps({"enforcement": {"nope": "advisory"}})})
    assert "cloud-platform:compliance.enforcement names unknown policies nope" in str(info.value)
    with pytest.raises(SettingsError, match=r"^cloud-platform:compliance must be a mapping of keys to values \(got 'x'\)$"):
        compliance_from_config({"cloud-platform:compliance": "x"})


def test_from_environment_reads_the_stack_file(monkeypatch):
    monkeypatch.setenv("PULUMI_STACK", "prod")
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)
    assert PackState.from_environment(ROOT).context.settings.require_pitr is True


def test_pack_serves_policies_and_honours_stack_enforcement():
    """`policy/__main__.py` as the engine runs it: a gRPC analyzer on 127.0.0.1."""
    import grpc
    from google.protobuf import empty_pb2, struct_pb2
    from pulumi.runtime.proto import analyzer_pb2 as pb
    from pulumi.runtime.proto import analyzer_pb2_grpc

    proc = subprocess.Popen([sys.executable, str(ROOT / "policy" / "__main__.py")], cwd=ROOT / "policy",
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = proc.stdout.readline().strip()
        assert port.isdigit(), proc.stderr.read()
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=20)
            assert info.name == "cloud-platform-guardrails" and len(info.policies) >= 20
            props = struct_pb2.Struct()
            props.update(OPEN_22)

            def analyze():
                response = stub.Analyze(pb.AnalyzeRequest(type=SG, properties=props, urn="urn:sg", name="sg"),
                                        timeout=20)
                return {d.policyName: d.enforcementLevel for d in response.diagnostics}

            assert analyze()["no-admin-ports-from-internet"] == pb.MANDATORY
            override = {"enforcement": {"no-admin-ports-from-internet": "advisory", "required-tags": "disabled"}}
            stub.ConfigureStack(pb.AnalyzerStackConfigureRequest(
                stack="dev", config={"cloud-platform:compliance": json.dumps(override)}), timeout=20)
            levels = analyze()
            assert levels["no-admin-ports-from-internet"] == pb.ADVISORY
            assert "required-tags" not in levels
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def test_context_refuses_enforcement_of_unknown_policies():
    """Checked by the pack (not the settings, which sit below it): one line naming key and value."""
    from components.settings.compliance import ComplianceSettings
    from policy.registry import Context
    from tests.conftest import one_line_error

    message = one_line_error(Context, ComplianceSettings(enforcement={"no-ssh": "advisory"}))
    assert message.startswith("cloud-platform:compliance.enforcement names unknown policies no-ssh (known: ")
    assert Context(ComplianceSettings(enforcement={"vpc-flow-logs": "advisory"})).stack == ""


def test_policy_pack_config_overrides_a_compliance_setting_for_one_policy():
    """pulumi-policy's own mechanism: each policy's config_schema lists the compliance settings
    (no defaults, so the engine cannot silently override the stack's values)."""
    state = PackState()
    state.configure("dev", {})
    policy = _policies(state)["dynamodb-pitr"]
    properties = policy.config_schema.properties
    assert "requirePitr" in properties and "enforcement" not in properties
    assert all("default" not in p for p in properties.values())
    table = ("aws:dynamodb/table:Table", {"pointInTimeRecovery": {"enabled": False}}, "urn:t", "t", _opts(), None)
    reports = []
    policy.validate(pp.ResourceValidationArgs(*table), lambda m, urn=None: reports.append(m))
    assert reports == []
    policy.validate(pp.ResourceValidationArgs(*table, config={"requirePitr": True}), lambda m, urn=None: reports.append(m))
    assert reports and reports[0].startswith("table has no point-in-time recovery")
    with pytest.raises(SettingsError, match="cloud-platform:compliance.requirePitr"):
        policy.validate(pp.ResourceValidationArgs(*table, config={"requirePitr": "maybe"}), lambda m, urn=None: None)
