"""Plain typed inputs of ServerlessApi (the program maps `cloud-platform:serverless` onto them).

Defaults equal the settings' defaults, so the component used on its own (no stack file)
builds what an empty `serverless` section would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_DIR = ROOT / "functions" / "api"
SITE_DIR = ROOT / "site"


@dataclass
class ThrottlingArgs:
    """Stage-wide method throttling (API Gateway token bucket)."""

    rate_limit: float = 50.0
    burst_limit: int = 100


@dataclass
class ServerlessApiArgs:
    """Inputs of ServerlessApi (defaults: the settings' defaults)."""

    stage_name: str
    """API Gateway stage; the program passes the environment name (dev, prod)."""
    region: str
    """Region of the provider, for the public Powertools layer ARN."""
    events_topic_arn: pulumi.Input[str] | None = None
    """SNS topic for `subscriber.created` events (Messaging); None: no events, no sns:Publish."""
    events_key_arn: pulumi.Input[str] | None = None
    """KMS key the events topic is encrypted with (Messaging's key): publishing to an SSE-KMS
    topic needs kms:GenerateDataKey and kms:Decrypt on it. None: an unencrypted topic."""
    manage_api_gateway_account: bool = False
    """Set the region's API Gateway CloudWatch role (`serverless.manageApiGatewayAccount`): one
    setting per account and region, so exactly one stack of an account may manage it; the
    stage's access logging needs it set, by that stack or once by hand."""
    grants: list[Any] = field(default_factory=list)
    """Routes other components add to this API (e.g. TextExtraction's /ocr/jobs): each an
    `ApiGrant` with the environment and IAM statements the function needs for them."""
    site_domain: str | None = None
    """The site's own name (the `domain` setting) on the CloudFront distribution."""
    site_certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate of `site_domain` in us-east-1 (issued by Certificates)."""
    function_dir: Path = FUNCTION_DIR
    """The handler package folder, named `api` (the handler is `api.handler.lambda_handler`)."""
    site_dir: Path = SITE_DIR
    hosting: str = "s3-website"
    """s3-website (public-read objects on the S3 website endpoint, as in the course) or cloudfront
    (private bucket behind CloudFront with Origin Access Control)."""
    memory_size: int = 256
    timeout: int = 10
    throttling: ThrottlingArgs = field(default_factory=ThrottlingArgs)
    log_retention_days: int = 30
    pitr: bool = False
    protect: bool = False
    """Protect and retain the table (prod data)."""
    tracing: bool = False
    encryption: str = "aws-managed"
    """customer-key: the component's KMS key for the subscriber table and the API log group; aws-managed: no key."""
    powertools_layer_version: int = 27
    allowed_origin: str = "*"
    """CORS origin: `*`, `site` (the deployed website's origin) or one https:// origin."""
