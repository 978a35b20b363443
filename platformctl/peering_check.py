"""`platformctl peering-check`: does traffic cross the cross-region peering, and how fast?

Reads the deployed stack's `peeringCheck` output, checks each hop of the path from the probe
(peer VPC) to the private endpoints at home with the EC2 API, in path order: the peering is
active, routes point at it both ways (longest prefix wins), the subnets' network ACLs and the
security groups admit the other VPC's CIDR on the port (and ephemeral ports back), DNS
resolution over the peering is on both sides. Then it invokes the probe, which times TCP
handshakes from the peer VPC, and reports reachability and round-trip times. The first hop
that fails is one line naming it.
"""

from __future__ import annotations

import ipaddress
import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .latency import percentile

HOPS = ("peering", "route", "NACL", "SG", "DNS")
EPHEMERAL = (1024, 65535)  # what return traffic to a Lambda ENI may use (AWS network ACL guidance)
Clients = Callable[[str, str], Any]


class PeeringCheckError(RuntimeError):
    """The check could not run (missing output, API error): one line."""


class HopFailedError(RuntimeError):
    def __init__(self, hop: str, message: str):
        super().__init__(f"{hop}: {message}")
        self.hop = hop


@dataclass
class Target:
    label: str
    instance_id: str
    private_ip: str
    subnet_id: str
    port: int
    security_group_id: str
    public_dns: str = ""

    @property
    def host(self) -> str:
        """The name the probe resolves: the public DNS name (which peering DNS answers privately), else the IP."""
        return self.public_dns or self.private_ip


@dataclass
class Report:
    connection: str
    lines: list[str] = field(default_factory=list)


def _net(cidr: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(cidr, strict=False)


# --- rules ---------------------------------------------------------------------------------
def sg_admits(permissions: list[dict[str, Any]], cidr: str, port: int) -> bool:
    """Whether any rule allows tcp/`port` for every address of `cidr`."""
    wanted = _net(cidr)
    for p in permissions:
        proto = str(p.get("IpProtocol"))
        if proto not in ("-1", "tcp", "6"):
            continue
        if proto != "-1" and not p.get("FromPort", 0) <= port <= p.get("ToPort", -1):
            continue
        if any(wanted.subnet_of(_net(r["CidrIp"])) for r in p.get("IpRanges", []) if r.get("CidrIp")):
            return True
    return False


def nacl_admits(entries: list[dict[str, Any]], egress: bool, cidr: str, ports: tuple[int, int]) -> bool:
    """Network ACL verdict for tcp `ports` to/from `cidr`: rules in number order, first match wins."""
    wanted, low, high = _net(cidr), *ports
    for e in sorted((e for e in entries if bool(e.get("Egress")) == egress), key=lambda e: e["RuleNumber"]):
        if not e.get("CidrBlock") or not wanted.overlaps(_net(e["CidrBlock"])):
            continue
        proto = str(e.get("Protocol"))
        if proto not in ("-1", "6"):
            continue
        rng = e.get("PortRange") or {}
        first, last = (0, 65535) if proto == "-1" else (rng.get("From", 0), rng.get("To", 65535))
        if last < low or first > high:
            continue
        covers = first <= low and high <= last and wanted.subnet_of(_net(e["CidrBlock"]))
        if e["RuleAction"] == "deny":
            return False
        if covers:
            return True
    return False


def route_to(tables: list[dict[str, Any]], destination: str) -> dict[str, Any] | None:
    """The route traffic to `destination` (an address or CIDR) takes: longest matching prefix.

    For a CIDR, a more specific route covering part of it wins for that part, so it is the
    one reported (the whole range must go the same way).
    """
    wanted = _net(destination)
    routes = [r for t in tables for r in t.get("Routes", [])
              if r.get("DestinationCidrBlock") and wanted.overlaps(_net(r["DestinationCidrBlock"]))]
    return max(routes, key=lambda r: _net(r["DestinationCidrBlock"]).prefixlen, default=None)


# --- reading the VPCs ----------------------------------------------------------------------
def _target(route: dict[str, Any]) -> str:
    keys = ("VpcPeeringConnectionId", "GatewayId", "NatGatewayId", "NetworkInterfaceId", "TransitGatewayId")
    return next((route[k] for k in keys if route.get(k)), "?")


def _tables(ec2: Any, vpc_id: str, subnet_id: str) -> list[dict[str, Any]]:
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])["RouteTables"]
    if tables:
        return tables
    return ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"]


def _nacl(ec2: Any, subnet_id: str) -> list[dict[str, Any]]:
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])["NetworkAcls"]
    return acls[0]["Entries"] if acls else []


def _group_rules(ec2: Any, group_id: str, key: str) -> list[dict[str, Any]]:
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0].get(key, [])


def find_targets(ec2: Any, out: dict[str, Any]) -> list[Target]:
    targets = []
    for endpoint in out.get("endpoints") or []:
        pages = ec2.describe_instances(Filters=[
            {"Name": "vpc-id", "Values": [out["homeVpcId"]]},
            {"Name": "instance.group-id", "Values": [endpoint["securityGroupId"]]},
            {"Name": "instance-state-name", "Values": ["running"]},
        ])["Reservations"]
        for i in (i for r in pages for i in r["Instances"]):
            targets.append(Target(endpoint["label"], i["InstanceId"], i["PrivateIpAddress"], i["SubnetId"],
                                  int(endpoint["port"]), endpoint["securityGroupId"], i.get("PublicDnsName") or ""))
    return targets


def check_hops(out: dict[str, Any], targets: list[Target], home: Any, peer: Any) -> None:
    """Raise HopFailedError for the first hop (in path order) that would drop the probe's traffic."""
    pcx, home_cidr, peer_cidr = out["connectionId"], out["homeCidr"], out["peerCidr"]
    found = home.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"]
    status = found[0]["Status"]["Code"] if found else "missing"
    if status != "active":
        raise HopFailedError("peering", f"{pcx} is {status}, not active (accept it in {out['peerRegion']})")
    probe_subnets = out["probeSubnetIds"]
    for t in targets:
        for side, ec2, vpc, subnets, destination in (
            (out["peerRegion"], peer, out["peerVpcId"], probe_subnets, t.private_ip),
            (out["homeRegion"], home, out["homeVpcId"], [t.subnet_id], peer_cidr),
        ):
            for subnet in subnets:
                route = route_to(_tables(ec2, vpc, subnet), destination)
                if route is None or route.get("VpcPeeringConnectionId") != pcx or route.get("State", "active") != "active":
                    via = "no route" if route is None else (
                        f"{route['DestinationCidrBlock']} via {_target(route)} ({route.get('State', 'active')})")
                    raise HopFailedError("route", f"subnet {subnet} in {side} sends {destination} to {via}, not to {pcx}")
    for t in targets:
        for subnet in probe_subnets:
            acl = _nacl(peer, subnet)
            if not nacl_admits(acl, True, home_cidr, (t.port, t.port)):
                raise HopFailedError("NACL", f"network ACL of probe subnet {subnet} denies tcp/{t.port} out to {home_cidr}")
            if not nacl_admits(acl, False, home_cidr, EPHEMERAL):
                raise HopFailedError("NACL", f"network ACL of probe subnet {subnet} denies replies from {home_cidr} "
                                        f"(tcp {EPHEMERAL[0]}-{EPHEMERAL[1]} in)")
        acl = _nacl(home, t.subnet_id)
        if not nacl_admits(acl, False, peer_cidr, (t.port, t.port)):
            raise HopFailedError("NACL", f"network ACL of {t.label} subnet {t.subnet_id} denies tcp/{t.port} in from {peer_cidr}")
        if not nacl_admits(acl, True, peer_cidr, EPHEMERAL):
            raise HopFailedError("NACL", f"network ACL of {t.label} subnet {t.subnet_id} denies replies to {peer_cidr} "
                                    f"(tcp {EPHEMERAL[0]}-{EPHEMERAL[1]} out)")
    for t in targets:
        if not sg_admits(_group_rules(peer, out["probeSecurityGroupId"], "IpPermissionsEgress"), home_cidr, t.port):
            raise HopFailedError("SG", f"probe group {out['probeSecurityGroupId']} allows no tcp/{t.port} out to {home_cidr}")
        if not sg_admits(_group_rules(home, t.security_group_id, "IpPermissions"), peer_cidr, t.port):
            raise HopFailedError("SG", f"{t.label} group {t.security_group_id} admits no tcp/{t.port} from {peer_cidr} "
                                  "(groups cannot reference each other across regions: allow the CIDR)")
    options = found[0]
    for side, info in (("requester", "RequesterVpcInfo"), ("accepter", "AccepterVpcInfo")):
        if not (options.get(info, {}).get("PeeringOptions") or {}).get("AllowDnsResolutionFromRemoteVpc"):
            raise HopFailedError("DNS", f"DNS resolution over {pcx} is off on the {side} side "
                                   "(public DNS names would resolve to public addresses)")


# --- the probe -----------------------------------------------------------------------------
def invoke_probe(lam: Any, function: str, targets: list[Target], samples: int, timeout: float) -> list[dict[str, Any]]:
    payload = {"targets": [{"host": t.host, "port": t.port} for t in targets], "samples": samples,
               "timeoutSeconds": timeout}
    response = lam.invoke(FunctionName=function, InvocationType="RequestResponse", Payload=json.dumps(payload).encode())
    body = response["Payload"].read()
    if response.get("FunctionError"):
        raise PeeringCheckError(f"probe {function} failed ({response['FunctionError']}): {body[:200]!r}")
    data = json.loads(body or b"{}")
    if "error" in data or len(data.get("results") or []) != len(targets):
        raise PeeringCheckError(f"probe {function} answered {str(data)[:200]}")
    return data["results"]


def judge(targets: list[Target], results: list[dict[str, Any]]) -> list[str]:
    """Per target one line with reachability and RTT; HopFailedError for the first target that failed."""
    lines = []
    for t, r in zip(targets, results, strict=True):
        where = f"{t.label} {t.instance_id} {t.private_ip}:{t.port}"
        if r.get("dnsError"):
            raise HopFailedError("DNS", f"{t.host} does not resolve from the peer VPC ({r['dnsError']})")
        if r.get("address") != t.private_ip:
            raise HopFailedError("DNS", f"{t.host} resolves to {r.get('address')} from the peer VPC, not to the private "
                                   f"{t.private_ip} (DNS resolution over the peering is not in effect)")
        samples = r.get("samplesMs") or []
        if not samples:
            errors = r.get("errors") or ["no sample"]
            if errors[0] == "refused":
                raise HopFailedError("endpoint", f"{where} refused the connection: the path works, nothing listens there")
            raise HopFailedError("endpoint", f"{where}: {errors[0]} although route, NACL and SG admit it "
                                        "(host firewall or instance down?)")
        lines.append(f"{where} reachable: {len(samples)}/{len(samples) + len(r.get('errors') or [])} connects, "
                     f"rtt min {min(samples):.1f} ms, median {statistics.median(samples):.1f} ms, "
                     f"p95 {percentile(samples, 95):.1f} ms")
    return lines


def run(out: dict[str, Any] | None, clients: Clients, samples: int = 10, timeout: float = 2.0) -> Report:
    if not out:
        raise PeeringCheckError("the stack has no peeringCheck output: set networking.peer (enabled) and deploy")
    try:
        home = clients("ec2", out["homeRegion"])
        peer = clients("ec2", out["peerRegion"])
        targets = find_targets(home, out)
        if not targets:
            labels = ", ".join(e["label"] for e in out.get("endpoints") or []) or "none configured"
            raise PeeringCheckError(f"no running private endpoint at home to probe (endpoints: {labels})")
        check_hops(out, targets, home, peer)
        report = Report(out["connectionId"])
        report.lines.append(f"peering {out['connectionId']} {out['homeRegion']} {out['homeCidr']} <-> "
                            f"{out['peerRegion']} {out['peerCidr']}: active")
        report.lines.append("hops ok: " + ", ".join(HOPS))
        results = invoke_probe(clients("lambda", out["peerRegion"]), out["probeFunctionName"], targets, samples, timeout)
    except KeyError as exc:
        raise PeeringCheckError(f"the peeringCheck output lacks {exc}: redeploy the stack") from None
    report.lines += judge(targets, results)
    return report
