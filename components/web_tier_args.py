"""Plain typed inputs of ScalingWebTier (the program maps `cloud-platform:web` onto them).

Defaults are the secure ones and equal the settings' defaults, so the component used on its
own (no stack file) builds what an empty `web` section would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

COLOURS = ("blue", "green")


@dataclass
class FleetArgs:
    """One colour's fleet."""

    min_size: int = 0
    max_size: int = 1
    desired_capacity: int = 0
    """Size at creation; afterwards scaling owns it."""
    ami_id: str | None = None
    """Pinned image; None: the current Amazon Linux 2023 (only for an idle colour)."""
    bootstrap: bool = True
    """Install and start the web server at boot."""
    user_data: str | None = None
    """A script of your own instead of the built-in bootstrap."""
    version: str = "1.0.0"


@dataclass
class TrafficArgs:
    """Listener weights per colour (they add up to 100)."""

    blue: int = 100
    green: int = 0

    def as_dict(self) -> dict[str, int]:
        return {c: getattr(self, c) for c in COLOURS}


@dataclass
class StickinessArgs:
    enabled: bool = False
    duration_seconds: int = 3600


@dataclass
class AccessLogArgs:
    enabled: bool = False
    retention_days: int = 90


@dataclass
class ScalingArgs:
    """Target tracking per colour: average CPU (%) or ALB requests per target."""

    metric: str = "cpu"
    target: float = 50


@dataclass
class RolloutArgs:
    """Header-matched test rules, so a colour can be smoke-tested before it takes traffic."""

    test_header: str = "X-Colour"
    test_rule_priority: int = 10
    test_source_cidrs: list[str] = field(default_factory=list)


@dataclass
class ScalingWebTierArgs:
    """Inputs of ScalingWebTier."""

    vpc_id: pulumi.Input[str]
    public_subnet_ids: list[pulumi.Input[str]]
    """Where the ALB lives."""
    private_subnet_ids: list[pulumi.Input[str]]
    """Where the instances live (all of them, one ASG spans every AZ)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Stack tags for what the provider's default_tags do not reach: instances and volumes an ASG launches."""
    certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate: turns on the HTTPS listener and the 80 -> 443 redirect. None: HTTP only."""
    instance_type: str = "t3.micro"
    app_port: int = 80
    health_check_path: str = "/"
    health_check_grace_period: int = 300
    deregistration_delay: int = 30
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    deletion_protection: bool = False
    """ALB deletion protection; also protects and retains the access log bucket."""
    stickiness: StickinessArgs = field(default_factory=StickinessArgs)
    access_logs: AccessLogArgs = field(default_factory=AccessLogArgs)
    scaling: ScalingArgs = field(default_factory=ScalingArgs)
    traffic: TrafficArgs = field(default_factory=TrafficArgs)
    rollout: RolloutArgs = field(default_factory=RolloutArgs)
    blue: FleetArgs = field(default_factory=lambda: FleetArgs(min_size=1, max_size=2, desired_capacity=1))
    green: FleetArgs = field(default_factory=FleetArgs)

    def colour(self, name: str) -> FleetArgs:
        return getattr(self, name)
