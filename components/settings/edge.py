"""Settings of the edge: the `domain` (certificates, DNS names) and the WAF web ACLs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .base import Section
from .networking import check_retention

# A DNS name of at least two labels, lower-case, each label 1-63 letters/digits/hyphens.
DOMAIN_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"


class DomainSettings(Section):
    """A domain in a Route 53 hosted zone you own: HTTPS names for the site and the web tier."""

    name: str = Field(pattern=DOMAIN_PATTERN, max_length=200)
    """The site's name (CloudFront); the web tier's ALB answers at `<webPrefix>.<name>`."""
    hosted_zone_id: str = Field(pattern=r"^Z[A-Z0-9]{1,31}$")
    """Route 53 public hosted zone of `name` (validation records and aliases go there)."""
    web_prefix: str = Field("web", pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
    """First label of the web tier's name: the ALB answers at `<webPrefix>.<name>`."""

    @property
    def web_name(self) -> str:
        return f"{self.web_prefix}.{self.name}"


class WafSettings(Section):
    """AWS WAF web ACLs on the ALB and the API stage (managed rule groups + a per-IP rate rule)."""

    enabled: bool = False
    """One regional web ACL associated with the ALB and the API stage (prod: on, dev: off)."""
    rate_limit: int = Field(1000, ge=10, le=2_000_000_000)
    """Requests one IP may send in the evaluation window before it is blocked (AWS allows 10 and up)."""
    evaluation_window_seconds: Literal[60, 120, 300, 600] = 300
    """The rate rule's window (AWS's choices)."""
    log_retention_days: int = 365
    """Days CloudWatch keeps the web ACL's request logs (log group aws-waf-logs-<prefix>-edge)."""

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return check_retention(value)
