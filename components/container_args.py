"""Plain typed inputs of ContainerService (the program maps `cloud-platform:container` onto them).

Defaults are the secure ones and equal the settings' defaults: immutable, scanned, AES256
image tags; no ECS Exec; the service only behind a load balancer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi

APP_DIR = Path(__file__).resolve().parent.parent / "app"


@dataclass
class SharedLoadBalancer:
    """An existing ALB (the web tier's) the service attaches to through a listener rule."""

    listener_arn: pulumi.Input[str]
    """The listener carrying application traffic; the service adds one rule to it."""
    security_group_id: pulumi.Input[str]
    """The ALB's security group: the only source the service's group admits."""
    arn_suffix: pulumi.Input[str]
    """`app/<name>/<id>`, for CloudWatch metrics of the ALB."""
    dns_name: pulumi.Input[str]


@dataclass
class RepositoryArgs:
    """The ECR repository."""

    image_tag_mutability: str = "IMMUTABLE"
    keep_images: int = 10
    """The lifecycle policy expires all but the newest this many images."""
    scan_on_push: bool = True
    encryption: str = "AES256"
    """AES256, or KMS with a customer key of the repository's own."""
    force_delete: bool = False
    protect: bool = False


@dataclass
class ContainerServiceArgs:
    """Inputs of ContainerService."""

    environment: str
    """Shown on the app's page and in its /health answer."""
    region: str
    """Region of this component's provider (awslogs, interface endpoint service names)."""
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    """Where the tasks (and interface endpoints) run."""
    public_subnet_ids: Sequence[pulumi.Input[str]]
    """Where an own ALB goes when there is no shared one."""
    image_tag: str
    """Tag of the pushed image (`image_tag()`: configured version + content hash of app/)."""
    shared_load_balancer: SharedLoadBalancer | None = None
    """The web tier's ALB; None creates an ALB for this service."""
    app_path: str = str(APP_DIR)
    """Docker build context (holds the Dockerfile)."""
    cpu: int = 256
    memory: int = 512
    """A Fargate pair with cpu."""
    architecture: str = "x86_64"
    container_port: int = 8080
    desired_count: int = 1
    min_capacity: int = 1
    max_capacity: int = 2
    cpu_target_percent: int = 60
    spot_share: int = 0
    """Percent of the tasks on Fargate Spot."""
    health_check_grace_seconds: int = 60
    container_insights: str = "enabled"
    enable_execute_command: bool = False
    log_retention_days: int = 30
    path_patterns: list[str] = field(default_factory=lambda: ["/app", "/app/*"])
    host_header: str | None = None
    listener_rule_priority: int = 100
    interface_endpoints: bool = False
    """ECR and Logs interface endpoints, for private subnets without NAT."""
    ecr: RepositoryArgs = field(default_factory=RepositoryArgs)

    @property
    def base_path(self) -> str:
        """Literal prefix of the first path pattern (`/app/*` -> `/app`): where the app serves its page."""
        if not self.path_patterns:
            return ""
        return re.split(r"[*?]", self.path_patterns[0], maxsplit=1)[0].rstrip("/")

    @property
    def platform(self) -> str:
        """Docker platform of the image for the task's CPU architecture."""
        return {"x86_64": "linux/amd64", "arm64": "linux/arm64"}[self.architecture]

    @property
    def cpu_architecture(self) -> str:
        """ECS runtimePlatform.cpuArchitecture."""
        return {"x86_64": "X86_64", "arm64": "ARM64"}[self.architecture]
