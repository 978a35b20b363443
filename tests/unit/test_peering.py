"""Cross-region peering that carries traffic: DNS options both sides, SG rules for the peer CIDR,
the probe Lambda in the peer VPC (resource properties and relations under the recording mock)."""

from __future__ import annotations

import json

OPTIONS = "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions"
ACCEPTER = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
FUNCTION = "aws:lambda/function:Function"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
DEV_PEER = {"cloud-platform:networking": {"peer": {"enabled": True}}}


def _probe_function(plan):
    (function,) = [f for f in plan.mocks.of_type(FUNCTION) if f.name.endswith("-peering-probe")]
    return function


def _subnets(plan, component):
    return {s.id: s for s in plan.mocks.of_type("aws:ec2/subnet:Subnet")
            if plan.mocks.component_of(s).name == component}


def test_dns_resolution_over_the_peering_is_set_on_each_side_in_its_region(prod_plan):
    (accepter,) = prod_plan.mocks.of_type(ACCEPTER)
    options = {("requester" if "requester" in o.inputs else "accepter"): o for o in prod_plan.mocks.of_type(OPTIONS)}
    assert set(options) == {"requester", "accepter"}
    assert options["requester"].inputs["requester"] == {"allowRemoteVpcDnsResolution": True}
    assert options["accepter"].inputs["accepter"] == {"allowRemoteVpcDnsResolution": True}
    assert options["requester"].region is None or options["requester"].region == "eu-west-1"
    assert options["accepter"].region == "eu-central-1"
    for option in options.values():
        # Options can only be set on an active (accepted) connection.
        assert option.inputs["vpcPeeringConnectionId"] == accepter.id
        assert accepter.urn in option.dependencies


def test_probe_lambda_runs_in_the_peer_vpc_private_subnets(prod_plan):
    function = _probe_function(prod_plan)
    assert function.region == "eu-central-1"
    peer_private = {i for i, s in _subnets(prod_plan, "cloud-platform-prod-peer-network").items()
                    if s.inputs["tags"]["Tier"] == "private"}
    vpc = function.inputs["vpcConfig"]
    assert set(vpc["subnetIds"]) == peer_private and len(peer_private) == 2
    (group,) = vpc["securityGroupIds"]
    assert prod_plan.mocks.by_id(group).region == "eu-central-1"
    assert function.inputs["handler"] == "peering_probe.app.lambda_handler"
    assert sorted(function.inputs["code"].assets) == ["peering_probe/__init__.py", "peering_probe/app.py"]
    assert len(function.inputs["name"]) <= 64
    logs = prod_plan.mocks.named("cloud-platform-prod-peering-probe-logs")
    assert logs.region == "eu-central-1" and logs.inputs["retentionInDays"] == 365
    assert function.inputs["loggingConfig"]["logGroup"] == logs.outputs["name"]


def test_probe_role_has_its_log_group_and_eni_actions_only(prod_plan):
    function = _probe_function(prod_plan)
    role = next(r for r in prod_plan.mocks.of_type("aws:iam/role:Role") if r.outputs["arn"] == function.inputs["role"])
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    (policy,) = [p for p in prod_plan.mocks.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.id]
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    logs = prod_plan.mocks.named("cloud-platform-prod-peering-probe-logs")
    assert statements["OwnLogGroup"]["Resource"] == [f"{logs.outputs['arn']}:*"]
    assert all(a.startswith("ec2:") for a in statements["VpcNetworkInterfaces"]["Action"])
    assert policy.urn in function.dependencies


def test_security_groups_admit_the_other_cidr_on_the_crossing_port_only(prod_plan):
    web_sg = prod_plan.outputs["peeringCheck"]["endpoints"][0]["securityGroupId"]
    probe_sg = prod_plan.outputs["peeringCheck"]["probeSecurityGroupId"]
    ingress = [r.inputs for r in prod_plan.mocks.of_type(INGRESS) if r.inputs["securityGroupId"] == web_sg]
    from_peer = [r for r in ingress if r.get("cidrIpv4") == "10.30.0.0/16"]
    assert [(r["ipProtocol"], r["fromPort"], r["toPort"]) for r in from_peer] == [("tcp", 80, 80)]
    egress = [r for r in prod_plan.mocks.of_type(EGRESS) if r.inputs["securityGroupId"] == probe_sg]
    assert [(e.inputs["ipProtocol"], e.inputs["fromPort"], e.inputs["toPort"], e.inputs["cidrIpv4"]) for e in egress] \
        == [("tcp", 80, 80, "10.20.0.0/16")]
    assert all(e.region == "eu-central-1" for e in egress)
    group = prod_plan.mocks.by_id(probe_sg)
    assert not group.inputs.get("ingress") and not group.inputs.get("egress")  # no default allow-all


def test_peering_check_output_names_every_hop(prod_plan):
    out = prod_plan.outputs["peeringCheck"]
    (connection,) = prod_plan.mocks.of_type("aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
    assert out["connectionId"] == connection.id
    assert (out["homeRegion"], out["peerRegion"], out["homeCidr"], out["peerCidr"]) == (
        "eu-west-1", "eu-central-1", "10.20.0.0/16", "10.30.0.0/16")
    assert out["probeFunctionName"] == _probe_function(prod_plan).outputs["name"]
    assert out["endpoints"] == [{"label": "web", "securityGroupId": out["endpoints"][0]["securityGroupId"], "port": 80}]


def test_dev_peer_is_a_setting_off_by_default(dev_plan, plan_with):
    assert dev_plan.mocks.of_type(ACCEPTER) == [] and "peeringCheck" not in dev_plan.outputs
    plan = plan_with("dev", DEV_PEER)
    assert len(plan.mocks.of_type(ACCEPTER)) == 1 and len(plan.mocks.of_type(OPTIONS)) == 2
    assert plan.outputs["peeringCheck"]["peerCidr"] == "10.11.0.0/16"
    assert _probe_function(plan).region == "eu-central-1"


def test_no_web_tier_means_no_endpoints_but_still_a_probe(plan_with):
    plan = plan_with("prod", {"cloud-platform:web": {"enabled": False}, "cloud-platform:container": {"enabled": False}})
    assert plan.outputs["peeringCheck"]["endpoints"] == []
    assert not [r for r in plan.mocks.of_type(EGRESS) if "peering-probe" in r.name]
