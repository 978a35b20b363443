"""What the site's CloudFront distribution adds at the edge: security headers and access logs."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .edge import CLOUDFRONT_REGION

HSTS_SECONDS = 63072000  # two years: what the HSTS preload list asks for


def security_headers_policy(name: str, parent: pulumi.Resource) -> aws.cloudfront.ResponseHeadersPolicy:
    """HSTS, nosniff, no framing, a strict referrer policy: on every response, whatever S3 sends."""
    return aws.cloudfront.ResponseHeadersPolicy(
        f"{name}-security-headers",
        name=f"{name}-security-headers",
        comment=f"{name}: HSTS, nosniff, DENY framing, strict-origin-when-cross-origin",
        security_headers_config={
            "strict_transport_security": {"access_control_max_age_sec": HSTS_SECONDS, "include_subdomains": True,
                                          "preload": False, "override": True},
            "content_type_options": {"override": True},
            "frame_options": {"frame_option": "DENY", "override": True},
            "referrer_policy": {"referrer_policy": "strict-origin-when-cross-origin", "override": True},
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )


def access_logs(name: str, distribution: aws.cloudfront.Distribution, retention_days: int,
                parent: pulumi.Resource) -> aws.cloudwatch.LogGroup:
    """CloudFront standard logging (v2) into a log group with retention: no ACL-enabled bucket.

    CloudFront is global and delivers its logs from us-east-1: source, destination and
    group live there.
    """
    child = pulumi.ResourceOptions(parent=parent)
    group = aws.cloudwatch.LogGroup(
        f"{name}-cdn-logs", name=f"/aws/cloudfront/{name}", retention_in_days=retention_days,
        region=CLOUDFRONT_REGION, opts=child,
    )
    source = aws.cloudwatch.LogDeliverySource(
        f"{name}-cdn-logs", name=f"{name}-cdn", log_type="ACCESS_LOGS", resource_arn=distribution.arn,
        region=CLOUDFRONT_REGION, opts=child,
    )
    destination = aws.cloudwatch.LogDeliveryDestination(
        f"{name}-cdn-logs", name=f"{name}-cdn", delivery_destination_configuration={"destination_resource_arn": group.arn},
        region=CLOUDFRONT_REGION, opts=child,
    )
    aws.cloudwatch.LogDelivery(
        f"{name}-cdn-logs", delivery_source_name=source.name, delivery_destination_arn=destination.arn,
        region=CLOUDFRONT_REGION, opts=child,
    )
    return group
