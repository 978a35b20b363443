"""Settings of the ScalingWebTier (blue/green EC2 auto scaling groups behind one ALB)."""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field, model_validator

from .base import ComponentSection, Section, invalid

COLOURS = ("blue", "green")

# family + generation (+ attributes) "." size, e.g. t3.micro, t4g.small, m7i-flex.large, c6gn.2xlarge
INSTANCE_TYPE_PATTERN = r"^[a-z][a-z0-9-]*\d[a-z0-9-]*\.(nano|micro|small|medium|metal|\d*x?large)$"
AMI_PATTERN = r"^ami-[0-9a-f]{8,17}$"
CERTIFICATE_PATTERN = r"^(arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+)?$"
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$"


class ColourSettings(Section):
    """One colour's fleet: its size, its image, what it runs."""

    min_size: int = Field(0, ge=0, le=100)
    """Smallest size of the colour's auto scaling group (>= 1 while it takes traffic)."""
    max_size: int = Field(1, ge=0, le=100)
    """Largest size of the colour's auto scaling group."""
    desired_capacity: int = Field(0, ge=0, le=100)
    """Size at creation; afterwards scaling owns it (ignore_changes)."""
    ami_id: str | None = Field(None, pattern=AMI_PATTERN)
    """The pinned image. None only while the colour is idle (weight 0): the program then uses the
    current Amazon Linux 2023 from AWS's public parameter, and `platformctl release` pins it."""
    bootstrap: bool = True
    """Install and start the web server at boot (the course's bootstrapping)."""
    user_data: str | None = Field(None, min_length=1, max_length=16000)
    """A script of your own instead of the built-in bootstrap (the EC2 limit is 16 KiB)."""
    version: str = Field("1.0.0", pattern=VERSION_PATTERN)
    """Release shown on the page and tagged on the instances."""

    @model_validator(mode="after")
    def _sizes(self) -> ColourSettings:
        if self.min_size > self.max_size:
            raise invalid("minSize", f"must be <= maxSize (got {self.min_size} > {self.max_size})")
        if not self.min_size <= self.desired_capacity <= self.max_size:
            raise invalid(
                "desiredCapacity",
                f"must be between minSize and maxSize (got {self.desired_capacity}, "
                f"allowed {self.min_size}..{self.max_size})",
            )
        if self.ami_id is None and not self.bootstrap and self.user_data is None:
            raise invalid(
                "amiId",
                "or bootstrap is required: give a prebaked image id, bootstrap: true or userData "
                "(got no amiId, bootstrap: false, no userData)",
            )
        return self


def _not_a_colour(key: Any):
    return invalid(str(key), f"is not a colour (allowed: {', '.join(COLOURS)})")


class TrafficSettings(Section):
    """Listener weights per colour; they must add up to 100."""

    blue: int = Field(100, ge=0, le=100)
    """Percent of the listener's traffic to blue (blue + green = 100; written by platformctl cutover)."""
    green: int = Field(0, ge=0, le=100)
    """Percent of the listener's traffic to green."""

    @model_validator(mode="before")
    @classmethod
    def _colours(cls, value: Any) -> Any:
        for key in value if isinstance(value, dict) else ():
            if key not in COLOURS:
                raise _not_a_colour(key)
        return value

    @model_validator(mode="after")
    def _sum(self) -> TrafficSettings:
        total = self.blue + self.green
        if total != 100:
            raise invalid("blue", f"+ green must add up to 100 (got {self.blue} + {self.green} = {total})")
        return self

    def as_dict(self) -> dict[str, int]:
        return {c: getattr(self, c) for c in COLOURS}


class StickinessSettings(Section):
    enabled: bool = False
    """Cookie stickiness: a client stays on one colour."""
    duration_seconds: int = Field(3600, ge=1, le=604800)
    """How long the stickiness cookie holds a client on one target."""


class AccessLogSettings(Section):
    enabled: bool = False
    """ALB access logs to an S3 bucket of their own."""
    retention_days: int = Field(90, ge=1, le=3653)
    """Lifecycle expiry of the log objects in the bucket."""


class ScalingSettings(Section):
    """Target tracking per ASG: average CPU (%) or ALB requests per target (per minute)."""

    metric: Literal["cpu", "requests"] = "cpu"
    """Target tracking on average CPU (percent) or ALB requests per target."""
    target: float = Field(50, gt=0, le=100000)
    """The value target tracking keeps the metric at."""

    @model_validator(mode="after")
    def _cpu_percent(self) -> ScalingSettings:
        if self.metric == "cpu" and self.target > 100:
            raise invalid("target", f"is a CPU percentage for metric cpu and must be <= 100 (got {self.target:g})")
        return self


class RolloutSettings(Section):
    """How `platformctl release`/`cutover` test and watch a colour."""

    alarm_names: list[str] = Field(default_factory=list, max_length=20)
    """CloudWatch alarms that must not be in ALARM while traffic shifts (any one rolls back)."""
    test_header: str = Field("X-Colour", pattern=r"^[A-Za-z0-9-]{1,40}$")
    """Requests carrying `<testHeader>: <colour>` reach that colour whatever the weights (smoke tests)."""
    test_rule_priority: int = Field(10, ge=1, le=49999)
    """Priority of blue's test rule; green's is the next one. Must not collide with other rules."""
    test_source_cidrs: list[str] = Field(default_factory=list, max_length=4)
    """When set, test rules match only requests from these CIDRs (e.g. the CI runners' egress)."""

    @model_validator(mode="after")
    def _cidrs(self) -> RolloutSettings:
        for cidr in self.test_source_cidrs:
            try:
                ipaddress.ip_network(cidr)
            except ValueError:
                raise invalid("testSourceCidrs", f"must be CIDR blocks such as 203.0.113.0/24 (got {cidr!r})") from None
        return self


class ImagePipelineSettings(Section):
    """EC2 Image Builder pipeline baking the web server into an AMI (`release --ami baked`)."""

    enabled: bool = False
    """Build the pipeline (recipe, build infrastructure, distribution to an SSM parameter)."""
    schedule: str = Field("", pattern=r"^(cron\([0-9*?,/ A-Za-z#L-]{9,120}\))?$")
    """Image Builder cron expression, e.g. `cron(0 4 ? * MON *)`; empty: builds only when started."""


class WebSettings(ComponentSection):
    """ScalingWebTier: the ALB and the blue and green fleets (docs/web-tier.md, docs/blue-green.md)."""

    instance_type: str = Field("t3.micro", pattern=INSTANCE_TYPE_PATTERN)
    """EC2 instance type of both colours (Graviton types such as t4g get the arm64 image)."""
    app_port: int = Field(80, ge=1, le=65535)
    """Port the instances serve on, behind the load balancer."""
    health_check_path: str = Field("/", pattern=r"^/[\x21-\x7e]{0,1023}$")
    """Path the target groups probe (and the bootstrap page answers)."""
    health_check_grace_period: int = Field(300, ge=0, le=7200)
    """Seconds a new instance may take before health checks count (also the refresh warm-up)."""
    deregistration_delay: int = Field(30, ge=0, le=3600)
    """Seconds a target drains before it leaves its group."""
    stickiness: StickinessSettings = Field(default_factory=StickinessSettings)
    certificate_arn: str = Field("", pattern=CERTIFICATE_PATTERN)
    """ACM certificate for HTTPS; empty: HTTP only (no redirect)."""
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    """ELB security policy of the HTTPS listener."""
    deletion_protection: bool = False
    """ALB deletion protection; also protects and retains the access log bucket."""
    access_logs: AccessLogSettings = Field(default_factory=AccessLogSettings)
    scaling: ScalingSettings = Field(default_factory=ScalingSettings)
    traffic: TrafficSettings = Field(default_factory=TrafficSettings)
    require_pinned_images: bool = False
    """A colour with traffic must name its image (`amiId`): no `up` may roll a live fleet to a new image."""
    rollout: RolloutSettings = Field(default_factory=RolloutSettings)
    image_pipeline: ImagePipelineSettings = Field(default_factory=ImagePipelineSettings)
    blue: ColourSettings = ColourSettings(min_size=1, max_size=2, desired_capacity=1)
    """Percent of the listener's traffic to blue (blue + green = 100; written by platformctl cutover)."""
    green: ColourSettings = Field(default_factory=ColourSettings)
    """Percent of the listener's traffic to green."""

    @model_validator(mode="before")
    @classmethod
    def _colours(cls, value: Any) -> Any:
        # Any unknown key that is not a setting at all reads best as an unknown colour
        # when it is a mapping (`web.red: {minSize: 1}`); plain typos keep the generic message.
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, dict) and key not in _WEB_KEYS:
                    raise _not_a_colour(key)
        return value

    @model_validator(mode="after")
    def _serving_colours_have_capacity(self) -> WebSettings:
        for colour in COLOURS:
            fleet: ColourSettings = getattr(self, colour)
            if getattr(self.traffic, colour) > 0 and fleet.min_size == 0:
                raise invalid(
                    f"{colour}.minSize",
                    f"must be >= 1 while traffic.{colour} is {getattr(self.traffic, colour)} "
                    "(only a colour at weight 0 may be scaled to 0)",
                )
            if self.require_pinned_images and getattr(self.traffic, colour) > 0 and fleet.ami_id is None:
                raise invalid(
                    f"{colour}.amiId",
                    f"must be set while traffic.{colour} is {getattr(self.traffic, colour)} and "
                    "requirePinnedImages is true (got none): a colour with traffic runs a pinned image; "
                    "set the image it runs now (`platformctl status` shows it)",
                )
        return self

    @property
    def https(self) -> bool:
        return bool(self.certificate_arn)

    def colour(self, name: str) -> ColourSettings:
        return getattr(self, name)


_WEB_KEYS = frozenset(f.alias or n for n, f in WebSettings.model_fields.items())
