"""NetworkingBase and cross-region peering under the recording mock."""

from __future__ import annotations

import ipaddress
import json

import pytest

from components.settings import SettingsError
from offline.recording_mock import RecordingMocks
from tests.conftest import one_line_error

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
TABLE = "aws:ec2/routeTable:RouteTable"
NAT = "aws:ec2/natGateway:NatGateway"


def home(plan, type_):
    """Resources of a type that belong to the home NetworkingBase."""
    return [r for r in plan.mocks.of_type(type_) if plan.mocks.component_of(r).name.endswith("-network")
            and "-peer-" not in plan.mocks.component_of(r).name]


def private_tables(plan):
    return [t for t in home(plan, TABLE) if "private" in t.name]


def default_route(plan, table):
    return [r for r in plan.mocks.of_type(ROUTE)
            if r.inputs["routeTableId"] == table.id and r.inputs["destinationCidrBlock"] == "0.0.0.0/0"]


@pytest.mark.parametrize("stack,azs", [("dev", 2), ("prod", 3)])
def test_subnets_per_az_inside_vpc_and_disjoint(stack, azs, dev_plan, prod_plan):
    plan = {"dev": dev_plan, "prod": prod_plan}[stack]
    vpc = home(plan, "aws:ec2/vpc:Vpc")[0]
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True
    subnets = home(plan, SUBNET)
    assert len(subnets) == 2 * azs
    assert {s.inputs["vpcId"] for s in subnets} == {vpc.id}
    vpc_net = ipaddress.ip_network(vpc.inputs["cidrBlock"])
    nets = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in subnets]
    assert all(n.subnet_of(vpc_net) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])
    assert len({s.inputs["availabilityZone"] for s in subnets}) == azs
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_public_routes_to_igw_private_never(stack, dev_plan, prod_plan):
    plan = {"dev": dev_plan, "prod": prod_plan}[stack]
    igw = home(plan, "aws:ec2/internetGateway:InternetGateway")[0]
    public = [t for t in home(plan, TABLE) if "public" in t.name]
    assert [r.inputs.get("gatewayId") for t in public for r in default_route(plan, t)] == [igw.id]
    for table in private_tables(plan):
        assert all("gatewayId" not in r.inputs for r in default_route(plan, table))
    # every subnet is associated with the table of its tier
    assocs = plan.mocks.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    by_subnet = {a.inputs["subnetId"]: a.inputs["routeTableId"] for a in assocs}
    for subnet in home(plan, SUBNET):
        table = plan.mocks.by_id(by_subnet[subnet.id])
        assert subnet.inputs["tags"]["Tier"] in table.name


def test_nat_none_means_no_private_default_route(plan_with):
    plan = plan_with("dev", {"cloud-platform:networking": {"natStrategy": "none"},
                             "cloud-platform:container": {"interfaceEndpoints": True}})
    assert plan.mocks.of_type(NAT) == [] and home(plan, "aws:ec2/instance:Instance") == []
    assert all(default_route(plan, t) == [] for t in private_tables(plan)) and private_tables(plan)


def test_prod_per_az_nat_uses_same_az(prod_plan):
    nats = home(prod_plan, NAT)
    assert len(nats) == 3
    subnet_az = {s.id: s.inputs["availabilityZone"] for s in home(prod_plan, SUBNET)}
    private_az = {}
    assocs = prod_plan.mocks.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    for a in assocs:
        if a.inputs["subnetId"] in subnet_az:
            private_az[a.inputs["routeTableId"]] = subnet_az[a.inputs["subnetId"]]
    nat_az = {n.id: subnet_az[n.inputs["subnetId"]] for n in nats}
    for table in private_tables(prod_plan):
        (route,) = default_route(prod_plan, table)
        assert nat_az[route.inputs["natGatewayId"]] == private_az[table.id]
    # NAT gateways sit in public subnets
    public_ids = {s.id for s in home(prod_plan, SUBNET) if s.inputs["tags"]["Tier"] == "public"}
    assert {n.inputs["subnetId"] for n in nats} <= public_ids


def test_single_nat_is_shared(plan_with):
    plan = plan_with("prod", {"cloud-platform:networking": {"natStrategy": "single"}})
    nats = home(plan, NAT)
    assert len(nats) == 1
    targets = {default_route(plan, t)[0].inputs["natGatewayId"] for t in private_tables(plan)}
    assert targets == {nats[0].id}


def test_on_demand_egress_through_one_nat_instance(on_demand_nat_plan):
    dev_plan = on_demand_nat_plan
    (nat,) = home(dev_plan, "aws:ec2/instance:Instance")
    assert home(dev_plan, NAT) == [] and home(dev_plan, "aws:ec2/eip:Eip") == []
    i = nat.inputs
    public = {s.id for s in home(dev_plan, SUBNET) if s.inputs["tags"]["Tier"] == "public"}
    assert i["subnetId"] in public and i["associatePublicIpAddress"] is True
    assert i["sourceDestCheck"] is False and i["instanceType"] == "t4g.nano"
    assert i["metadataOptions"]["httpTokens"] == "required" and i["rootBlockDevice"]["encrypted"] is True
    assert "MASQUERADE" in i["userData"] and "-s 10.10.0.0/16" in i["userData"]
    # Every private table sends 0.0.0.0/0 to the instance's network interface.
    targets = {default_route(dev_plan, t)[0].inputs.get("networkInterfaceId") for t in private_tables(dev_plan)}
    assert targets == {nat.outputs["primaryNetworkInterfaceId"]} and len(private_tables(dev_plan)) == 2
    # Only the VPC may send traffic through it; nobody reaches it from the internet.
    (group,) = [g for g in home(dev_plan, "aws:ec2/securityGroup:SecurityGroup") if g.id in i["vpcSecurityGroupIds"]]
    assert [(r["protocol"], r["fromPort"], r["toPort"], r["cidrBlocks"]) for r in group.inputs["ingress"]] == [
        ("tcp", 80, 80, ["10.10.0.0/16"]), ("tcp", 443, 443, ["10.10.0.0/16"])]
    # ...and it forwards only HTTP(S) out, not every protocol.
    assert [(r["protocol"], r["fromPort"], r["toPort"], r["cidrBlocks"]) for r in group.inputs["egress"]] == [
        ("tcp", 80, 80, ["0.0.0.0/0"]), ("tcp", 443, 443, ["0.0.0.0/0"])]
    # Managed through SSM, no key pair.
    assert "keyName" not in i and i["iamInstanceProfile"]
    assert nat.ignore_changes == ["ami"]  # a new AL2023 release does not replace the NAT on `up`


def test_nat_instance_type_is_validated(plan_with):
    mocks = RecordingMocks()
    message = one_line_error(plan_with, "dev", {"cloud-platform:networking": {"natInstanceType": "nano"}}, mocks=mocks)
    assert message == r"cloud-platform:networking.natInstanceType must match ^[a-z][a-z0-9-]*\.[a-z0-9]+$ (got 'nano')"
    assert mocks.resources == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_endpoints_on_every_private_route_table(stack, dev_plan, prod_plan):
    plan = {"dev": dev_plan, "prod": prod_plan}[stack]
    endpoints = home(plan, "aws:ec2/vpcEndpoint:VpcEndpoint")
    assert sorted(e.inputs["serviceName"] for e in endpoints) == [
        "com.amazonaws.eu-west-1.dynamodb", "com.amazonaws.eu-west-1.s3"]
    private_ids = sorted(t.id for t in private_tables(plan))
    for endpoint in endpoints:
        assert endpoint.inputs["vpcEndpointType"] == "Gateway"
        assert sorted(endpoint.inputs["routeTableIds"]) == private_ids


@pytest.mark.parametrize("stack,days", [("dev", 7), ("prod", 365)])
def test_flow_logs_with_retention_and_scoped_role(stack, days, dev_plan, prod_plan):
    plan = {"dev": dev_plan, "prod": prod_plan}[stack]
    vpc = home(plan, "aws:ec2/vpc:Vpc")[0]
    (flow,) = [f for f in plan.mocks.of_type("aws:ec2/flowLog:FlowLog") if f.inputs["vpcId"] == vpc.id]
    group = next(g for g in plan.mocks.of_type("aws:cloudwatch/logGroup:LogGroup") if g.outputs["arn"] == flow.inputs["logDestination"])
    assert group.inputs["retentionInDays"] == days
    assert flow.inputs["trafficType"] == "ALL"
    role = next(r for r in plan.mocks.of_type("aws:iam/role:Role") if r.outputs["arn"] == flow.inputs["iamRoleArn"])
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    policy = next(p for p in plan.mocks.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.id)
    statement = json.loads(policy.inputs["policy"])["Statement"][0]
    assert statement["Resource"] == [group.outputs["arn"], group.outputs["arn"] + ":*"]
    assert all(not a.endswith("*") for a in statement["Action"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_default_security_group_has_no_rules(stack, dev_plan, prod_plan):
    plan = {"dev": dev_plan, "prod": prod_plan}[stack]
    groups = plan.mocks.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    vpcs = plan.mocks.of_type("aws:ec2/vpc:Vpc")
    assert sorted(g.inputs["vpcId"] for g in groups) == sorted(v.id for v in vpcs)
    for group in groups:
        assert group.inputs.get("ingress", []) == [] and group.inputs.get("egress", []) == []


def test_dev_has_no_peer(dev_plan):
    assert len(dev_plan.mocks.of_type("aws:ec2/vpc:Vpc")) == 1
    assert dev_plan.mocks.of_type("aws:ec2/vpcPeeringConnection:VpcPeeringConnection") == []
    assert all(r.region in (None, "eu-west-1") for r in dev_plan.resources)


def test_prod_peer_vpc_in_peer_region_with_routes_both_ways(prod_plan):
    m = prod_plan.mocks
    vpcs = {v.region: v for v in m.of_type("aws:ec2/vpc:Vpc")}
    assert set(vpcs) == {"eu-west-1", "eu-central-1"}
    peer_vpc, home_vpc = vpcs["eu-central-1"], vpcs["eu-west-1"]
    assert peer_vpc.inputs["cidrBlock"] == "10.30.0.0/16"
    peer_subnets = [s for s in m.of_type(SUBNET) if s.inputs["vpcId"] == peer_vpc.id]
    assert all(s.region == "eu-central-1" and s.inputs["availabilityZone"].startswith("eu-central-1") for s in peer_subnets)

    (conn,) = m.of_type("aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
    assert conn.region == "eu-west-1"
    assert conn.inputs["vpcId"] == home_vpc.id and conn.inputs["peerVpcId"] == peer_vpc.id
    assert conn.inputs["peerRegion"] == "eu-central-1"
    (accepter,) = m.of_type("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
    assert accepter.region == "eu-central-1" and accepter.inputs["autoAccept"] is True
    assert accepter.inputs["vpcPeeringConnectionId"] == conn.id

    tables = {t.id: t for t in m.of_type(TABLE)}
    peer_routes = [r for r in m.of_type(ROUTE) if "vpcPeeringConnectionId" in r.inputs]
    to_peer = {r.inputs["routeTableId"] for r in peer_routes if r.inputs["destinationCidrBlock"] == "10.30.0.0/16"}
    to_home = {r.inputs["routeTableId"] for r in peer_routes if r.inputs["destinationCidrBlock"] == "10.20.0.0/16"}
    home_tables = {t for t, r in tables.items() if r.inputs["vpcId"] == home_vpc.id}
    peer_tables = {t for t, r in tables.items() if r.inputs["vpcId"] == peer_vpc.id}
    assert to_peer == home_tables and len(home_tables) == 4  # 1 public + 3 private
    assert to_home == peer_tables and len(peer_tables) == 3  # 1 public + 2 private
    for route in peer_routes:
        assert route.region == tables[route.inputs["routeTableId"]].region


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"natStrategy": "double"}, "cloud-platform:networking.natStrategy must be one of"),
        ({"azCount": 0}, "cloud-platform:networking.azCount must be >= 1 (got 0)"),
        ({"peer": {"cidr": "10.20.128.0/17"}}, "cloud-platform:networking.peer.cidr 10.20.128.0/17 overlaps"),
        ({"peer": {"region": "eu-west-1"}}, "cloud-platform:networking.peer.region must differ"),
        ({"cidr": "10.20.0.0"}, "cloud-platform:networking.cidr"),
    ],
)
def test_invalid_config_registers_nothing(plan_with, overrides, message):
    mocks = RecordingMocks()
    with pytest.raises(SettingsError) as info:
        plan_with("prod", {"cloud-platform:networking": overrides}, mocks=mocks)
    assert str(info.value).startswith(message)
    assert mocks.resources == []


def test_component_built_directly_with_single_nat(build):
    from components.networking import AddressPlanArgs, NetworkingBase, NetworkingBaseArgs

    plan = AddressPlanArgs(cidr="10.50.0.0/20", az_count=3, subnet_prefix=24, nat_strategy="single")
    mocks = build(lambda: NetworkingBase("t-net", NetworkingBaseArgs(plan=plan, region="eu-west-1",
                                                                     flow_log_retention_days=None)))
    assert len(mocks.of_type(NAT)) == 1
    assert mocks.of_type("aws:ec2/flowLog:FlowLog") == []
    assert sorted(s.inputs["cidrBlock"] for s in mocks.of_type(SUBNET)) == [f"10.50.{i}.0/24" for i in range(6)]
    assert all(r.parent == mocks.named("t-net").urn for r in mocks.of_type(SUBNET))
