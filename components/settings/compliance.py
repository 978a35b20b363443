"""Settings of the compliance policy pack (`cloud-platform:compliance`).

Read by the program at start-up, by the policy pack inside `pulumi preview --policy-pack
policy`, and by `platformctl check`. Whether `enforcement` names existing policies is checked
by the policy pack (`policy.registry.Context`): settings sit below the pack and do not import it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .base import Section

Enforcement = Literal["mandatory", "advisory", "disabled"]

DEFAULT_REQUIRED_TAGS = ("Project", "Environment", "Owner", "ManagedBy", "CostCenter")

# Actions AWS grants on `"Resource": "*"` only (no resource-level permissions), so a
# wildcard resource is the only way to allow them.
DEFAULT_WILDCARD_RESOURCE_ACTIONS = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "cloudwatch:PutMetricData",
    "ecr:GetAuthorizationToken",
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "ec2:Describe*",
    "ssm:DescribeParameters",
    "sts:GetCallerIdentity",
    "textract:DetectDocumentText",  # Textract defines no resource types: "*" is the only Resource
    "logs:DescribeLogGroups",
)


class ComplianceSettings(Section):
    """The compliance policy pack: enforcement per policy and what it requires (docs/guardrails.md)."""

    enforcement: dict[str, Enforcement] = {}
    """Per-policy override of the default enforcement level."""
    required_tags: list[str] = Field(default_factory=lambda: list(DEFAULT_REQUIRED_TAGS), min_length=1)
    """Tags every taggable resource must carry (policy required-tags)."""
    require_versioning: bool = False
    """S3 buckets must have versioning enabled (prod)."""
    require_pitr: bool = False
    """DynamoDB tables need point-in-time recovery, RDS automated backups (prod)."""
    require_deletion_protection: bool = False
    """Load balancers and databases need deletion protection (prod)."""
    require_protect: bool = False
    """Stateful resources (tables, buckets, databases, backup vaults) need `protect` (prod)."""
    require_https: bool = False
    """Load balancers listen on HTTPS and only redirect on HTTP; CloudFront uses its own certificate (prod)."""
    require_waf: bool = False
    """Load balancers and API stages are associated with a WAF web ACL (prod)."""
    require_personal_data_key: bool = False
    """Tables tagged DataClass=personal use a customer managed KMS key; log groups of such functions are KMS-encrypted
    (prod)."""
    require_vault_lock: bool = False
    """Every AWS Backup vault has a compliance-mode Vault Lock and a vault policy reserving recovery-point deletion to
    a break-glass role (prod)."""
    require_backups: bool = False
    """Every resource tagged Backup=true must be selected by an AWS Backup plan (prod)."""
    allowed_public_buckets: list[str] = []
    """fnmatch patterns of bucket names allowed to be public (a website bucket)."""
    allow_website_tag: bool = True
    """A bucket tagged Website=true may be public too."""
    wildcard_resource_actions: list[str] = Field(default_factory=lambda: list(DEFAULT_WILDCARD_RESOURCE_ACTIONS))
    """IAM actions allowed on Resource "*" (those AWS offers no resource-level permission for)."""
    public_ports: list[int] = [80, 443]
    """Ports a load balancer's security group may open to the internet."""

    @field_validator("public_ports")
    @classmethod
    def _ports(cls, value: list[int]) -> list[int]:
        bad = [p for p in value if not 0 < p < 65536]
        if bad:
            raise ValueError(f"must be TCP ports 1-65535 (got {bad})")
        return value
