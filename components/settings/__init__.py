"""Typed, validated stack settings, read once from `pulumi.Config("cloud-platform")`.

A wrong value fails before any resource is registered, with one line naming the key, the
value and what is allowed. Each component area owns one section module here.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from .alarms import AlarmSettings
from .backup import BackupSettings
from .base import NAMESPACE, Section, SettingsError, decode_json, describe, invalid
from .compliance import ComplianceSettings
from .container import ContainerSettings
from .edge import DomainSettings, WafSettings
from .localstack import LocalStackSettings
from .messaging import MessagingSettings
from .networking import REGION_PATTERN, NetworkingSettings
from .ocr import OcrSettings
from .serverless import ServerlessSettings
from .stackfile import read_stack_config
from .web import WebSettings

__all__ = ["NAMESPACE", "Settings", "SettingsError", "load_settings", "parse_settings"]

PROJECT = "cloud-platform"


class Settings(Section):
    """The whole stack's configuration.

    `stack` and `region` do not come from the `cloud-platform:` namespace: the stack is
    Pulumi's, the home region is the standard `aws:region` key.
    """

    stack: str
    region: str
    environment: str = Field(pattern=r"^[a-z][a-z0-9]{1,9}$")
    """Environment name (dev, prod, ...): resource names start with cloud-platform-<environment>; the Environment tag."""
    owner: str = Field(min_length=1, max_length=128)
    """Team or person responsible: the Owner tag of every resource."""
    cost_center: str = Field(min_length=1, max_length=64)
    """Cost centre for billing: the CostCenter tag of every resource."""
    networking: NetworkingSettings = Field(default_factory=NetworkingSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    serverless: ServerlessSettings = Field(default_factory=ServerlessSettings)
    messaging: MessagingSettings = Field(default_factory=MessagingSettings)
    container: ContainerSettings = Field(default_factory=ContainerSettings)
    localstack: LocalStackSettings | None = None
    compliance: ComplianceSettings = Field(default_factory=ComplianceSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    alarms: AlarmSettings = Field(default_factory=AlarmSettings)
    ocr: OcrSettings = Field(default_factory=OcrSettings)
    domain: DomainSettings | None = None
    """HTTPS names: ACM certificates (DNS-validated), Route 53 aliases for the site and the ALB."""
    waf: WafSettings = Field(default_factory=WafSettings)
    # IAM names are ASCII ("\w" in the IAM API reference means [A-Za-z0-9_]); a Unicode \w here
    # would accept what IAM refuses and costs pydantic-core's regex a large automaton (~60 ms).
    permissions_boundary: str = Field("", pattern=r"^(([A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]{1,128})?$")
    """IAM policy `path/name` set as permissions boundary on every role the stack creates
    (the bootstrap's `github-deploy/cloud-platform-boundary`; the deploy roles require it). Empty: none."""

    @model_validator(mode="after")
    def _regions(self) -> Settings:
        peer = self.networking.peer
        if peer is not None and peer.region == self.region:
            raise invalid(
                "networking.peer.region",
                f"must differ from the home region aws:region (both are {self.region!r})",
            )
        if self.ocr.enabled and not self.serverless.enabled:
            raise invalid("ocr.enabled", "requires cloud-platform:serverless.enabled: true (its routes live on that API)")
        needs_vpc = [n for n in ("web", "container") if getattr(self, n).enabled]
        if needs_vpc and not self.networking.enabled:
            raise invalid(
                f"{needs_vpc[0]}.enabled",
                "requires cloud-platform:networking.enabled: true (it runs inside the VPC)",
            )
        return self

    @model_validator(mode="after")
    def _domain(self) -> Settings:
        if self.domain is None:
            return self
        if self.web.enabled and self.web.certificate_arn:
            raise invalid("web.certificateArn", "must be empty when domain is set (the domain's certificate is issued "
                          "by the stack)")
        if self.serverless.enabled and self.serverless.hosting != "cloudfront":
            raise invalid("serverless.hosting", "must be cloudfront when domain is set (the S3 website endpoint "
                          f"serves no HTTPS; got {self.serverless.hosting})")
        return self

    @model_validator(mode="after")
    def _container_egress(self) -> Settings:
        # Fargate pulls the image and ships logs over HTTPS from the private subnets: without a
        # NAT gateway only interface endpoints get it there (tasks would never start otherwise).
        c = self.container
        if c.enabled and self.networking.nat_strategy == "none" and not c.interface_endpoints:
            raise invalid(
                "container.interfaceEndpoints",
                "must be true when networking.natStrategy is none (tasks in private subnets reach ECR and "
                "CloudWatch Logs only through a NAT gateway or interface endpoints)",
            )
        return self

    @model_validator(mode="after")
    def _load_balancer_zones(self) -> Settings:
        # CreateLoadBalancer refuses an application load balancer with subnets in fewer than two
        # zones: refuse here, before a real `up` has created the network around it.
        if (self.web.enabled or self.container.enabled) and self.networking.az_count < 2:
            raise invalid(
                "networking.azCount",
                f"must be >= 2 when web or container is enabled (got {self.networking.az_count}): "
                "an application load balancer needs subnets in two availability zones",
            )
        return self

    @model_validator(mode="after")
    def _listener_priorities(self) -> Settings:
        # Both areas add rules to the web tier's app listener; AWS refuses two rules at one priority.
        if self.web.enabled and self.container.enabled:
            test = self.web.rollout.test_rule_priority
            if self.container.listener_rule_priority in (test, test + 1):
                raise invalid(
                    "container.listenerRulePriority",
                    f"must differ from web.rollout.testRulePriority and the next one ({test}, {test + 1}) "
                    f"(got {self.container.listener_rule_priority}): both are rules of the same listener",
                )
        return self

    @property
    def prefix(self) -> str:
        """`<project>-<env>`: every resource name starts with it."""
        return f"{PROJECT}-{self.environment}"

    @property
    def tags(self) -> dict[str, str]:
        """Tags every taggable resource gets through the provider's default_tags."""
        return {
            "Project": PROJECT,
            "Environment": self.environment,
            "Owner": self.owner,
            "ManagedBy": "pulumi",
            "CostCenter": self.cost_center,
        }


_CONFIG_KEYS = {
    (f.alias or name) for name, f in Settings.model_fields.items() if name not in ("stack", "region")
}


# Config of the providers and packages the program uses; a key in any other namespace (a typo
# such as `cloudplatform:web`) would be ignored by everything, so it is refused.
OTHER_NAMESPACES = ("aws", "pulumi", "awsx", "docker", "docker-build")
# pulumi-aws 7 provider settings (pulumi_aws/config/vars.py; tests keep the list current):
# `aws:regoin` would otherwise be ignored and the provider fall back to its default region.
AWS_PROVIDER_KEYS = frozenset({
    "accessKey", "allowedAccountIds", "assumeRole", "assumeRoles", "assumeRoleWithWebIdentity", "customCaBundle",
    "defaultTags", "ec2MetadataServiceEndpoint", "ec2MetadataServiceEndpointMode", "endpoints",
    "forbiddenAccountIds", "httpProxy", "httpsProxy", "ignoreTags", "insecure", "maxRetries", "noProxy",
    "profile", "region", "retryMode", "s3UsEast1RegionalEndpoint", "s3UsePathStyle", "secretKey",
    "sharedConfigFiles", "sharedCredentialsFiles", "skipCredentialsValidation", "skipMetadataApiCheck",
    "skipRegionValidation", "skipRequestingAccountId", "stsRegion", "tagPolicyCompliance", "token",
    "tokenBucketRateLimiterCapacity", "useDualstackEndpoint", "useFipsEndpoint", "userAgents",
})


def _did_you_mean(word: str, choices: Any, render: Any = str) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {render(close[0])}?)" if close else ""


def _check_namespaces(config: dict[str, Any]) -> None:
    for key in config:
        namespace, sep, name = key.partition(":")
        if not sep or not namespace or not name:
            raise SettingsError(f"config key {key!r} must have the form namespace:key (e.g. {NAMESPACE}:web)")
        if namespace == NAMESPACE or namespace in OTHER_NAMESPACES and namespace != "aws":
            continue
        if namespace == "aws":
            if name not in AWS_PROVIDER_KEYS:
                raise SettingsError(f"{key} is not a setting of the aws provider"
                                    + _did_you_mean(name, AWS_PROVIDER_KEYS, lambda n: f"aws:{n}"))
            continue
        known = (NAMESPACE, *OTHER_NAMESPACES)
        raise SettingsError(
            f"{key} is in no known namespace {namespace!r}"
            + _did_you_mean(namespace, known, lambda n, name=name: f"{n}:{name}")
            + f"; known: {', '.join(known)}"
        )


def parse_settings(config: dict[str, Any], stack: str) -> Settings:
    """Validate a flat `{"namespace:key": value}` config map (as Pulumi hands it over)."""
    _check_namespaces(config)
    region = config.get("aws:region")
    if not isinstance(region, str) or not re.match(REGION_PATTERN, region):
        raise SettingsError(f"aws:region must be an AWS region such as eu-west-1 (got {region!r})")
    raw: dict[str, Any] = {}
    for key, value in config.items():
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE:
            continue
        if name.startswith("config:"):  # legacy "project:config:key" form
            name = name[len("config:") :]
        if name not in _CONFIG_KEYS:
            allowed = ", ".join(sorted(_CONFIG_KEYS))
            raise SettingsError(f"{NAMESPACE}:{name} is not a known setting (allowed: {allowed})")
        raw[name] = decode_json(value)
    try:
        return Settings.model_validate({**raw, "stack": stack, "region": region})
    except ValidationError as exc:
        raise SettingsError(describe(exc, Settings)) from None


def load_settings() -> Settings:
    """Read the running stack's config (from the engine, or PULUMI_CONFIG under mocks)."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    stack = pulumi.get_stack()
    # Under `pulumi up` the engine has already parsed the stack file: check the file itself for
    # what parsing hides (a key given twice: the last one silently wins).
    stack_file = Path(__file__).resolve().parents[2] / f"Pulumi.{stack}.yaml"
    if stack_file.is_file():
        read_stack_config(stack_file)
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return parse_settings(merged, stack=stack)
