"""Settings of ContainerService: ECR repository, Fargate task size, service scaling, routing."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import ComponentSection, Section, invalid
from .networking import check_retention

# Fargate task sizes (Linux): cpu units -> (min MiB, max MiB, step MiB). From the ECS
# developer guide "Task CPU and memory"; 8 and 16 vCPU need platform version 1.4.0+ (the default).
FARGATE_SIZES: dict[int, tuple[int, int, int]] = {
    256: (512, 2048, 512),  # 512, 1024, 2048 only: checked separately below
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}
_CPU_256_MEMORY = (512, 1024, 2048)

# ALB listener-rule conditions (elbv2 docs): up to 128 characters each.
PATH_PATTERN = re.compile(r"^/[A-Za-z0-9_\-.$/~\"'@:+&*?]{0,127}$")
HOST_HEADER = re.compile(r"^(?=.{1,128}$)[A-Za-z0-9*?-]+(\.[A-Za-z0-9*?-]+)+$")


def allowed_memory(cpu: int) -> str:
    if cpu == 256:
        return ", ".join(map(str, _CPU_256_MEMORY))
    low, high, step = FARGATE_SIZES[cpu]
    return f"{low}-{high} in steps of {step}"


def fargate_memory_ok(cpu: int, memory: int) -> bool:
    if cpu == 256:
        return memory in _CPU_256_MEMORY
    low, high, step = FARGATE_SIZES[cpu]
    return low <= memory <= high and memory % step == 0


class EcrSettings(Section):
    """The image repository."""

    image_tag_mutability: Literal["MUTABLE", "IMMUTABLE"] = "IMMUTABLE"
    """MUTABLE or IMMUTABLE tags (prod: an image tag can never be overwritten)."""
    keep_images: int = Field(10, ge=1, le=1000)
    """Lifecycle policy: expire all but the newest N images."""
    scan_on_push: bool = True
    """ECR basic scan of every pushed image."""
    encryption: Literal["AES256", "KMS"] = "AES256"
    """Repository encryption: AES256 or KMS (a customer key)."""
    force_delete: bool = False
    """Delete the repository even if it holds images (dev convenience)."""
    protect: bool = False
    """Pulumi `protect`: refuse to delete the repository (prod)."""


class ContainerSettings(ComponentSection):
    """ContainerService: one Fargate service running the image built from `app/`."""

    cpu: int = 256
    """Task CPU units (a Fargate pair with memory)."""
    memory: int = 512
    """Task memory in MiB (a Fargate pair with cpu)."""
    architecture: Literal["x86_64", "arm64"] = "x86_64"
    """CPU architecture of the task and the image."""
    container_port: int = Field(8080, ge=1024, le=65535)
    """>= 1024: the image runs as a non-root user."""
    desired_count: int = Field(1, ge=0, le=100)
    """Tasks at creation; afterwards service autoscaling owns the count."""
    min_capacity: int = Field(1, ge=0, le=100)
    """Fewest tasks autoscaling keeps."""
    max_capacity: int = Field(2, ge=1, le=100)
    """Most tasks autoscaling starts."""
    cpu_target_percent: int = Field(60, ge=10, le=90)
    """Service autoscaling keeps average CPU around this value."""
    spot_share: int = Field(0, ge=0, le=100)
    """Percent of tasks on FARGATE_SPOT (the rest on FARGATE)."""
    health_check_grace_seconds: int = Field(60, ge=0, le=3600)
    """Seconds a new task may take before load balancer health checks count."""
    container_insights: Literal["enabled", "enhanced", "disabled"] = "enabled"
    """ECS Container Insights on the cluster (enabled, enhanced or disabled)."""
    enable_execute_command: bool = False
    """ECS Exec into running tasks (off: no shell into production)."""
    log_retention_days: int = 30
    """Days CloudWatch keeps the tasks' logs."""
    # 115 characters at most: the tag is `<imageVersion>-<12 hex>` and Docker tags end at 128.
    image_version: str = Field("0.1.0", pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,114}$")
    """First part of the image tag, before the content hash of app/ (never `latest`)."""
    path_patterns: list[str] = Field(default_factory=lambda: ["/app", "/app/*"], max_length=5)
    """Listener-rule path patterns on a shared ALB; the first one's literal prefix is the app's base path."""
    host_header: str | None = None
    """Listener-rule host header on a shared ALB (with or instead of path patterns)."""
    listener_rule_priority: int = Field(100, ge=1, le=50000)
    """Priority of the container's rule on the shared listener (unique per listener)."""
    interface_endpoints: bool = False
    """ECR/Logs interface endpoints so tasks in private subnets start without a NAT gateway."""
    ecr: EcrSettings = Field(default_factory=EcrSettings)

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return check_retention(value)

    @field_validator("image_version")
    @classmethod
    def _not_latest(cls, value: str) -> str:
        if value == "latest":
            raise ValueError("must be a fixed version, not 'latest' (tags name one build)")
        return value

    @field_validator("path_patterns")
    @classmethod
    def _paths(cls, values: list[str]) -> list[str]:
        for value in values:
            if not PATH_PATTERN.match(value):
                raise ValueError(
                    f"{value!r} must start with '/' and use only A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + & * ? "
                    "(at most 128 characters)"
                )
        return values

    @field_validator("host_header")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value is not None and not HOST_HEADER.match(value):
            raise ValueError("must be a host name such as app.example.com (letters, digits, '-', '*', '?')")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ContainerSettings:
        if self.cpu not in FARGATE_SIZES:
            raise invalid("cpu", f"{self.cpu} is not a Fargate size (allowed: {', '.join(map(str, FARGATE_SIZES))})")
        if not fargate_memory_ok(self.cpu, self.memory):
            raise invalid(
                "memory", f"{self.memory} is not valid with cpu {self.cpu} (allowed: {allowed_memory(self.cpu)})"
            )
        if not self.min_capacity <= self.desired_count <= self.max_capacity:
            raise invalid(
                "desiredCount",
                f"must be between minCapacity and maxCapacity (got {self.min_capacity} <= "
                f"{self.desired_count} <= {self.max_capacity} false)",
            )
        if not self.path_patterns and self.host_header is None:
            raise invalid("pathPatterns", "must not be empty unless hostHeader is set (the listener rule needs a condition)")
        if len(self.path_patterns) + (self.host_header is not None) > 5:
            raise invalid("pathPatterns", "plus hostHeader may hold at most 5 values (ALB rule condition limit)")
        return self
