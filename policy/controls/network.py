"""Network exposure and transport: security groups, flow logs, load balancers, CloudFront."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Finding, Resource, as_json, is_unknown, truthy
from ..registry import Context, resource_policy, stack_policy
from .types import (
    CLOUDFRONT,
    DEFAULT_SECURITY_GROUP,
    FLOW_LOG,
    LOAD_BALANCERS,
    SECURITY_GROUP,
    SG_INGRESS_RULE,
    SG_RULE,
    VPC,
)

WORLD = ("0.0.0.0/0", "::/0")
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}


@dataclass(frozen=True)
class OpenRule:
    """An ingress rule that admits the whole internet."""

    resource: Resource
    cidr: str
    from_port: int
    to_port: int

    @property
    def ports(self) -> str:
        return str(self.from_port) if self.from_port == self.to_port else f"{self.from_port}-{self.to_port}"

    def covers(self, port: int) -> bool:
        return self.from_port <= port <= self.to_port


def _port_range(protocol, from_port, to_port) -> tuple[int, int]:
    if str(protocol).lower() in ("-1", "all") or is_unknown(from_port) or is_unknown(to_port):
        return 0, 65535
    low = int(from_port or 0)
    high = int(to_port if to_port not in (None, "") else low)
    if low <= 0 and high <= 0:  # protocol-wide rules (icmp -1/-1) count as everything
        return 0, 65535
    return low, high


def open_rules(r: Resource) -> list[OpenRule]:
    """Internet-open ingress rules declared by a security group or a standalone rule resource."""
    rules = []
    if r.type == SECURITY_GROUP:
        for rule in as_json(r.props.get("ingress")) or []:
            rule = rule or {}
            cidrs = list(rule.get("cidrBlocks") or []) + list(rule.get("ipv6CidrBlocks") or [])
            low, high = _port_range(rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"))
            rules += [OpenRule(r, c, low, high) for c in cidrs if c in WORLD]
    elif r.type == SG_INGRESS_RULE:
        low, high = _port_range(r.props.get("ipProtocol"), r.props.get("fromPort"), r.props.get("toPort"))
        rules += [OpenRule(r, r.props[k], low, high) for k in ("cidrIpv4", "cidrIpv6") if r.props.get(k) in WORLD]
    elif r.type == SG_RULE and r.props.get("type") == "ingress":
        cidrs = list(r.props.get("cidrBlocks") or []) + list(r.props.get("ipv6CidrBlocks") or [])
        low, high = _port_range(r.props.get("protocol"), r.props.get("fromPort"), r.props.get("toPort"))
        rules += [OpenRule(r, c, low, high) for c in cidrs if c in WORLD]
    return rules


@resource_policy(
    "no-admin-ports-from-internet",
    types=(SECURITY_GROUP, SG_INGRESS_RULE, SG_RULE),
    summary="No security group admits 0.0.0.0/0 or ::/0 to remote administration ports (22 SSH, 3389 RDP).",
    fix="remove the rule; reach instances through SSM Session Manager instead of SSH",
    c5=("COS-01", "COS-05"), iso=("8.20", "8.22"), fsbp=("EC2.13", "EC2.14", "EC2.53", "EC2.54"),
)
def no_admin_ports(r: Resource, ctx: Context):
    for rule in open_rules(r):
        for port, label in ADMIN_PORTS.items():
            if rule.covers(port):
                yield f"ingress {rule.cidr} to port {rule.ports} opens {label} ({port}) to the internet"


@stack_policy(
    "public-ingress-only-on-load-balancers",
    summary="Ingress from 0.0.0.0/0 or ::/0 only to compliance.publicPorts (80/443), and only on a security "
            "group attached to a load balancer.",
    fix="restrict the source to the load balancer's security group (referenced_security_group_id), or move "
        "the public listener to an ALB",
    c5=("COS-01", "COS-02"), iso=("8.20", "8.21"), fsbp=("EC2.18", "EC2.19"),
)
def public_ingress(resources: list[Resource], ctx: Context):
    lbs = [r for r in resources if r.type in LOAD_BALANCERS]
    groups = {r.urn: r for r in resources if r.type == SECURITY_GROUP}
    allowed_ports = set(ctx.settings.public_ports)
    for r in resources:
        for rule in open_rules(r):
            if rule.to_port - rule.from_port > 1024 or not set(range(rule.from_port, rule.to_port + 1)) <= allowed_ports:
                yield Finding(f"ingress {rule.cidr} to port {rule.ports}: only {sorted(allowed_ports)} may be public", r)
                continue
            if r.type == SECURITY_GROUP:
                owners = [r]
            else:
                owners = [groups[u] for u in r.refs.get("securityGroupId", ()) if u in groups]
            if not owners and is_unknown(r.props.get("securityGroupId")):
                continue
            if not any(lb.refers_to("securityGroups", sg) for sg in owners for lb in lbs):
                yield Finding(f"ingress {rule.cidr} to port {rule.ports} on a security group no load balancer uses", r)


@resource_policy(
    "default-security-group-closed",
    types=(DEFAULT_SECURITY_GROUP,),
    summary="The VPC default security group has no ingress or egress rules.",
    fix="manage the default security group with ingress=[] and egress=[]",
    c5=("COS-01",), iso=("8.20",), fsbp=("EC2.2",),
)
def default_sg_closed(r: Resource, ctx: Context):
    if as_json(r.props.get("ingress")) or as_json(r.props.get("egress")):
        yield "the default security group allows traffic; leave it without rules"


@stack_policy(
    "vpc-flow-logs",
    summary="Every VPC has a flow log.",
    fix="enable cloud-platform:networking.flowLogs (NetworkingBase creates an aws.ec2.FlowLog per VPC)",
    c5=("OPS-10", "COS-03"), iso=("8.15", "8.16"), fsbp=("EC2.6",),
)
def vpc_flow_logs(resources: list[Resource], ctx: Context):
    flow_logs = [r for r in resources if r.type == FLOW_LOG]
    for vpc in (r for r in resources if r.type == VPC):
        if not any(f.refers_to("vpcId", vpc) for f in flow_logs):
            yield Finding(f"VPC {vpc.name} has no flow log", vpc)


@resource_policy(
    "alb-drop-invalid-headers",
    types=LOAD_BALANCERS,
    summary="Application load balancers drop invalid HTTP header fields (request smuggling).",
    fix="set drop_invalid_header_fields=True",
    c5=("COS-01",), iso=("8.20",), fsbp=("ELB.4",),
)
def alb_drop_invalid_headers(r: Resource, ctx: Context):
    if r.props.get("loadBalancerType", "application") == "application" and not truthy(r.props.get("dropInvalidHeaderFields")):
        yield "dropInvalidHeaderFields is off"


@resource_policy(
    "alb-deletion-protection",
    types=LOAD_BALANCERS,
    summary="Load balancers have deletion protection where compliance.requireDeletionProtection is set (prod).",
    fix="set enable_deletion_protection=True (from the web tier's settings)",
    c5=("OPS-06", "BCM-03"), iso=("8.14", "5.30"), fsbp=("ELB.6",),
)
def alb_deletion_protection(r: Resource, ctx: Context):
    if ctx.settings.require_deletion_protection and not truthy(r.props.get("enableDeletionProtection")):
        yield "enableDeletionProtection is off"


@resource_policy(
    "cloudfront-https-only",
    types=(CLOUDFRONT,),
    summary="CloudFront serves viewers over HTTPS only (redirect-to-https or https-only) with TLS >= 1.2 on custom "
            "certificates.",
    fix="set viewer_protocol_policy='redirect-to-https' on every cache behaviour",
    c5=("CRY-02",), iso=("8.24", "8.20"), fsbp=("CloudFront.3",),
)
def cloudfront_https_only(r: Resource, ctx: Context):
    behaviours = [("default", as_json(r.props.get("defaultCacheBehavior")) or {})]
    behaviours += [(b.get("pathPattern", "?"), b) for b in (as_json(r.props.get("orderedCacheBehaviors")) or []) if b]
    for path, behaviour in behaviours:
        policy = behaviour.get("viewerProtocolPolicy")
        if not is_unknown(policy) and policy not in ("redirect-to-https", "https-only"):
            yield f"cache behaviour {path} allows viewer protocol {policy!r}"
    cert = as_json(r.props.get("viewerCertificate")) or {}
    version = cert.get("minimumProtocolVersion")
    if not truthy(cert.get("cloudfrontDefaultCertificate")) and isinstance(version, str) and version < "TLSv1.2":
        yield f"minimumProtocolVersion {version} is older than TLSv1.2"
