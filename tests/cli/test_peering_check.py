"""`platformctl peering-check`: hop checks against moto's EC2 (peering, routes, NACLs, SGs, DNS
options in two regions), the probe's answers from a fake Lambda client."""

from __future__ import annotations

import io
import json

import boto3
import pytest

from platformctl import cli
from platformctl import peering_check as check

HOME, PEER = "eu-west-1", "eu-central-1"


class FakeLambda:
    """Answers the probe invoke with canned per-target results; records the payload."""

    def __init__(self, results=None, function_error=None):
        self.results, self.function_error, self.payloads = results, function_error, []

    def invoke(self, FunctionName, InvocationType, Payload):  # noqa: N803 (boto3's argument names)
        request = json.loads(Payload)
        self.payloads.append((FunctionName, request))
        results = self.results or [{"host": t["host"], "port": t["port"], "address": t["host"], "dnsError": None,
                                    "samplesMs": [12.0, 10.0, 11.0, 30.0, 13.0], "errors": []}
                                   for t in request["targets"]]
        answer = {"Payload": io.BytesIO(json.dumps({"results": results}).encode())}
        if self.function_error:
            answer["FunctionError"] = self.function_error
        return answer


@pytest.fixture
def world(aws):
    """Two VPCs in two regions, peered and routed as the stack builds them, one web instance at home."""
    home, peer = boto3.client("ec2", HOME), boto3.client("ec2", PEER)
    home_vpc = home.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    peer_vpc = peer.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    pcx = home.create_vpc_peering_connection(VpcId=home_vpc, PeerVpcId=peer_vpc, PeerRegion=PEER)[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    peer.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    home.modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})
    peer.modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx, AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})

    def subnet_with_table(ec2, vpc, cidr, destination):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        ec2.create_route(RouteTableId=table, DestinationCidrBlock=destination, VpcPeeringConnectionId=pcx)
        return subnet, table

    web_subnet, web_table = subnet_with_table(home, home_vpc, "10.20.32.0/20", "10.30.0.0/16")
    probe_subnet, probe_table = subnet_with_table(peer, peer_vpc, "10.30.32.0/20", "10.20.0.0/16")
    web_sg = home.create_security_group(GroupName="web", Description="web", VpcId=home_vpc)["GroupId"]
    home.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.30.0.0/16"}]}])
    probe_sg = peer.create_security_group(GroupName="probe", Description="probe", VpcId=peer_vpc)["GroupId"]
    peer.revoke_security_group_egress(GroupId=probe_sg, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    peer.authorize_security_group_egress(GroupId=probe_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}])
    instance = home.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=web_subnet,
                                  SecurityGroupIds=[web_sg])["Instances"][0]
    out = {
        "connectionId": pcx, "homeRegion": HOME, "peerRegion": PEER, "homeVpcId": home_vpc, "peerVpcId": peer_vpc,
        "homeCidr": "10.20.0.0/16", "peerCidr": "10.30.0.0/16", "probeFunctionName": "cp-peering-probe",
        "probeSecurityGroupId": probe_sg, "probeSubnetIds": [probe_subnet],
        "endpoints": [{"label": "web", "securityGroupId": web_sg, "port": 80}],
    }
    return {"out": out, "home": home, "peer": peer, "web_table": web_table, "probe_table": probe_table,
            "web_sg": web_sg, "web_subnet": web_subnet, "ip": instance["PrivateIpAddress"], "id": instance["InstanceId"]}


def _clients(fake_lambda):
    return lambda service, region: fake_lambda if service == "lambda" else boto3.client(service, region_name=region)


def _failure(world, fake=None) -> str:
    with pytest.raises(check.HopFailedError) as info:
        check.run(world["out"], _clients(fake or FakeLambda()))
    return str(info.value)


def test_every_hop_ok_reports_reachability_and_rtt(world):
    fake = FakeLambda()
    report = check.run(world["out"], _clients(fake), samples=5, timeout=1.5)
    assert report.lines[1] == "hops ok: peering, route, NACL, SG, DNS"
    assert report.lines[2] == (f"web {world['id']} {world['ip']}:80 reachable: 5/5 connects, "
                               "rtt min 10.0 ms, median 12.0 ms, p95 30.0 ms")
    (function, request), = fake.payloads
    assert function == "cp-peering-probe"
    assert request == {"targets": [{"host": world["ip"], "port": 80}], "samples": 5, "timeoutSeconds": 1.5}


def test_deleted_peering_is_the_failed_hop(world):
    world["home"].delete_vpc_peering_connection(VpcPeeringConnectionId=world["out"]["connectionId"])
    message = _failure(world)
    assert message.startswith(f"peering: {world['out']['connectionId']} is ") and "not active" in message


def test_missing_route_on_the_peer_side_names_the_subnet(world):
    world["peer"].delete_route(RouteTableId=world["probe_table"], DestinationCidrBlock="10.20.0.0/16")
    message = _failure(world)
    assert message.startswith("route: subnet ") and f"sends {world['ip']} to no route" in message


def test_more_specific_route_elsewhere_wins_over_the_peering(world):
    igw = world["home"].create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    world["home"].attach_internet_gateway(InternetGatewayId=igw, VpcId=world["out"]["homeVpcId"])
    world["home"].create_route(RouteTableId=world["web_table"], DestinationCidrBlock="10.30.0.0/17", GatewayId=igw)
    # Half of the peer's range (10.30.0.0/17) now returns through the internet gateway instead.
    assert _failure(world) == (f"route: subnet {world['web_subnet']} in {HOME} sends 10.30.0.0/16 to "
                               f"10.30.0.0/17 via {igw} (active), not to {world['out']['connectionId']}")


def test_nacl_denying_the_peer_cidr_is_the_failed_hop(world):
    home = world["home"]
    acl = home.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [world["web_subnet"]]}])[
        "NetworkAcls"][0]["NetworkAclId"]
    home.create_network_acl_entry(NetworkAclId=acl, RuleNumber=50, Protocol="6", RuleAction="deny", Egress=False,
                                  CidrBlock="10.30.0.0/16", PortRange={"From": 80, "To": 80})
    assert _failure(world) == (f"NACL: network ACL of web subnet {world['web_subnet']} denies tcp/80 in from 10.30.0.0/16")


def test_sg_without_the_peer_cidr_is_the_failed_hop(world):
    world["home"].revoke_security_group_ingress(GroupId=world["web_sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.30.0.0/16"}]}])
    assert _failure(world).startswith(f"SG: web group {world['web_sg']} admits no tcp/80 from 10.30.0.0/16")


def test_dns_resolution_off_on_one_side_is_the_failed_hop(world):
    world["peer"].modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=world["out"]["connectionId"],
        AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": False})
    assert _failure(world).startswith("DNS: DNS resolution over pcx-") and "accepter side" in _failure(world)


@pytest.mark.parametrize("result,expected", [
    ({"dnsError": "[Errno -2] Name or service not known", "address": None}, "DNS: "),
    ({"address": "54.1.2.3"}, "DNS: "),
    ({"samplesMs": [], "errors": ["refused"]}, "endpoint: web "),
    ({"samplesMs": [], "errors": ["timeout"]}, "endpoint: web "),
])
def test_probe_answers_name_the_failed_hop(world, result, expected):
    base = {"host": world["ip"], "port": 80, "address": world["ip"], "dnsError": None, "samplesMs": [1.0], "errors": []}
    message = _failure(world, FakeLambda(results=[{**base, **result}]))
    assert message.startswith(expected)
    if "refused" in result.get("errors", []):
        assert "the path works, nothing listens there" in message


def test_cli_prints_one_line_and_exits_1_on_a_failed_hop(world, tmp_path, monkeypatch, capsys):
    world["home"].revoke_security_group_ingress(GroupId=world["web_sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.30.0.0/16"}]}])
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"peeringCheck": world["out"]}))
    monkeypatch.setattr("platformctl.latency.boto3_clients", _clients(FakeLambda()))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["peering-check", "--stack", "prod", "--outputs", str(outputs)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and err.count("\n") == 1
    assert err.startswith(f"error: peering-check failed at SG: web group {world['web_sg']}")


def test_cli_reports_success(world, tmp_path, monkeypatch, capsys):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"peeringCheck": world["out"]}))
    monkeypatch.setattr("platformctl.latency.boto3_clients", _clients(FakeLambda()))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["peering-check", "--stack", "prod", "--outputs", str(outputs), "--samples", "5"])
    assert exit_info.value.code == 0
    assert "reachable: 5/5 connects" in capsys.readouterr().out


def test_cli_without_peer_output_is_one_line(tmp_path, capsys):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"vpcId": "vpc-1"}))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["peering-check", "--stack", "dev", "--outputs", str(outputs)])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == (
        "error: the stack has no peeringCheck output: set networking.peer (enabled) and deploy\n")
