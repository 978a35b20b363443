"""Settings of the NetworkingBase component (and its optional cross-region peer)."""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import ComponentSection, Section, invalid

REGION_PATTERN = r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$"

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)

NatStrategy = Literal["none", "instance", "single", "per_az"]


def check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
    return days


def parse_cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"must be an IPv4 network in CIDR notation, e.g. 10.0.0.0/16 ({exc})") from None
    if not network.is_private:
        raise ValueError("must be a private (RFC 1918) range")
    if not 16 <= network.prefixlen <= 28:
        raise ValueError("must have a prefix between /16 and /28 (the VPC limits)")
    return str(network)


class AddressPlan(Section):
    """How one VPC is cut into subnets: 2 x azCount subnets of /subnetPrefix."""

    cidr: str
    """The VPC's IPv4 range: private (RFC 1918), /16 to /28."""
    az_count: int = Field(2, ge=1, le=6)
    """Availability zones used: one public and one private subnet in each."""
    subnet_prefix: int = Field(20, ge=16, le=28)
    """Prefix length of every subnet; 2 x azCount subnets must fit into the VPC."""
    nat_strategy: NatStrategy = "none"
    """Egress of the private subnets: none (gateway endpoints only), instance (one NAT instance, dev),
    single NAT gateway, or per_az NAT gateways (prod)."""
    nat_instance_type: str = Field("t4g.nano", pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
    """Size of the NAT instance (natStrategy `instance`): egress for a few tasks needs little."""
    nat_instance_market: Literal["on-demand", "spot"] = "on-demand"
    """How the NAT instance runs (natStrategy `instance`; other strategies ignore it, like
    natInstanceType). on-demand: one instance, EC2 recovers it in place on failed hardware. spot: an
    Auto Scaling group of one Spot instance that attaches a fixed network interface (the private
    routes' target) at boot; an interruption or failed status check replaces it, egress pauses for
    the new instance's boot (a few minutes), the instance costs ~2/3 less (docs/cost.md)."""

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        return parse_cidr(value)

    @model_validator(mode="after")
    def _fits(self) -> AddressPlan:
        network = ipaddress.IPv4Network(self.cidr)
        if self.subnet_prefix <= network.prefixlen:
            raise invalid(
                "subnetPrefix",
                f"must be longer than the VPC prefix /{network.prefixlen} (got /{self.subnet_prefix})",
            )
        wanted = 2 * self.az_count
        available = 2 ** (self.subnet_prefix - network.prefixlen)
        if wanted > available:
            raise invalid(
                "cidr",
                f"{self.cidr} is too small for {wanted} subnets of /{self.subnet_prefix} "
                f"(2 x azCount {self.az_count}; it holds {available})",
            )
        return self


class PeerSettings(AddressPlan):
    """A second VPC in another region, peered with the home VPC (course project "Cross Region VPC")."""

    enabled: bool = True
    """false keeps the peer's settings in the stack file but builds nothing (dev: switch it on to try it)."""
    region: str = Field(pattern=REGION_PATTERN)
    """The peer VPC's region (another region of the aws partition than aws:region)."""


class FlowLogSettings(Section):
    enabled: bool = True
    """VPC flow logs to CloudWatch Logs."""
    retention_days: int = 30
    """Days CloudWatch keeps the flow logs (a CloudWatch retention value: 1, 3, 5, 7, 14, 30, ...)."""
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"
    """Which traffic the flow logs record."""

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return check_retention(value)


class NetworkingSettings(ComponentSection, AddressPlan):
    """NetworkingBase: the VPC, its subnets and egress, flow logs, the optional peer VPC (docs/networking.md)."""

    enabled: bool = True
    """Build the VPC (web, container and the peer need it)."""
    cidr: str = "10.0.0.0/16"
    """The VPC's IPv4 range: private (RFC 1918), /16 to /28."""
    flow_logs: FlowLogSettings = Field(default_factory=FlowLogSettings)
    peer: PeerSettings | None = None

    @model_validator(mode="after")
    def _peer_apart(self) -> NetworkingSettings:
        if self.peer is not None:
            home, other = ipaddress.IPv4Network(self.cidr), ipaddress.IPv4Network(self.peer.cidr)
            if home.overlaps(other):
                raise invalid(
                    "peer.cidr",
                    f"{self.peer.cidr} overlaps the home VPC cidr {self.cidr}; peered VPCs need disjoint ranges",
                )
        return self


def subnet_cidrs(plan: Any) -> tuple[list[str], list[str]]:
    """(public, private) CIDRs of a plan (anything with cidr, subnet_prefix, az_count): the first
    azCount blocks are public, the next azCount private."""
    blocks = ipaddress.IPv4Network(plan.cidr).subnets(new_prefix=plan.subnet_prefix)
    chosen = [str(next(blocks)) for _ in range(2 * plan.az_count)]
    return chosen[: plan.az_count], chosen[plan.az_count :]
