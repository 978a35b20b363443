"""CloudWatch log groups: always with retention, optionally encrypted with a customer key."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def log_group(
    resource_name: str,
    log_name: pulumi.Input[str],
    retention_days: int,
    opts: pulumi.ResourceOptions,
    kms_key_arn: pulumi.Input[str] | None = None,
) -> aws.cloudwatch.LogGroup:
    """A log group created by us (not by the service on first write), so it has retention from the start."""
    return aws.cloudwatch.LogGroup(
        resource_name, name=log_name, retention_in_days=retention_days, kms_key_id=kms_key_arn, opts=opts,
    )
