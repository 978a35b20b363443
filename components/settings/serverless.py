"""Settings of ServerlessApi: the subscriptions API, its table and the website."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, StrictInt, field_validator

from .base import ComponentSection, Section
from .networking import check_retention

Hosting = Literal["s3-website", "cloudfront"]

# `*`, `site` (the website's own origin, known only at deploy time) or one explicit HTTPS
# origin: a page served over plain HTTP can be rewritten on the way, so it is no origin to trust.
ORIGIN_PATTERN = r"^(\*|site|https://[A-Za-z0-9.-]+(:\d{1,5})?)$"


class ThrottlingSettings(Section):
    """Stage-wide method throttling (API Gateway token bucket)."""

    rate_limit: float = Field(50.0, le=10000)
    """Steady-state requests per second."""
    burst_limit: StrictInt = Field(100, ge=1, le=5000)
    """Bucket size: requests accepted at once above the rate."""

    @field_validator("rate_limit")
    @classmethod
    def _positive(cls, value: float) -> float:
        if not value > 0:
            raise ValueError("must be > 0")
        return value


class ServerlessSettings(ComponentSection):
    """ServerlessApi: the subscriptions API, its table and the website (docs/serverless.md)."""

    hosting: Hosting = "s3-website"
    """s3-website: public-read objects on the S3 website endpoint (HTTP, as in the course);
    cloudfront: private bucket behind CloudFront with Origin Access Control (HTTPS)."""
    memory_size: StrictInt = Field(256, ge=128, le=10240)
    """Memory of the API function in MB (CPU grows with it)."""
    timeout: StrictInt = Field(10, ge=1, le=900)
    """Seconds the API function may run (API Gateway itself waits at most 29)."""
    throttling: ThrottlingSettings = Field(default_factory=ThrottlingSettings)
    log_retention_days: StrictInt = 30
    """Days CloudWatch keeps the function's and the stage's logs."""
    pitr: bool = False
    """DynamoDB point-in-time recovery."""
    protect: bool = False
    """`protect` + `retain_on_delete` on the table: prod data survives a `pulumi destroy`."""
    tracing: bool = False
    """X-Ray active tracing on the function and the stage."""
    encryption: Literal["customer-key", "aws-managed"] = "aws-managed"
    """customer-key: a KMS key of this component encrypts the subscriber table (personal data) and the API function's
    log group, usable only by the API role through DynamoDB and by CloudWatch Logs for that group (prod);
    aws-managed: the AWS managed table key aws/dynamodb and CloudWatch Logs' own encryption (no key fee)."""
    powertools_layer_version: StrictInt = Field(27, ge=1)
    """Version of AWS's public Powertools for AWS Lambda (Python) v3 layer."""
    manage_api_gateway_account: bool = False
    """Set the region's account-wide API Gateway CloudWatch logging role. One value per account
    and region: turn it on in exactly one stack of each account (off in dev by default), or two
    stacks fight over it and the last `up` wins; a stack with it off relies on the role being set."""
    allowed_origin: str = "*"
    """CORS origin: `*`, `site` (the deployed website's origin) or e.g. https://www.example.org."""

    @field_validator("allowed_origin")
    @classmethod
    def _origin(cls, value: str) -> str:
        if not re.match(ORIGIN_PATTERN, value):
            raise ValueError("must be *, site or one https:// origin such as https://www.example.org")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return check_retention(value)
