"""Compute and logging: IMDSv2, Lambda and log retention, container image scanning."""

from __future__ import annotations

from typing import Any

from ..model import UNKNOWN, Finding, Resource, is_unknown, truthy
from ..registry import Context, resource_policy, stack_policy
from .types import ECR_REPOSITORY, INSTANCE, LAMBDA, LAUNCH_TEMPLATE, LOG_GROUP


@resource_policy(
    "ec2-imdsv2",
    types=(LAUNCH_TEMPLATE, INSTANCE),
    summary="EC2 instances and launch templates require IMDSv2 session tokens (metadataOptions.httpTokens=required).",
    fix="set metadata_options={'http_tokens': 'required', 'http_endpoint': 'enabled'}",
    c5=("COS-01", "IDM-09"), iso=("8.5", "8.9"), fsbp=("EC2.8", "EC2.170"),
)
def imdsv2(r: Resource, ctx: Context):
    tokens = r.get("metadataOptions", "httpTokens")
    if not is_unknown(tokens) and tokens != "required":
        yield f"metadataOptions.httpTokens is {tokens or 'unset'} (IMDSv1 allowed); 'required' needed"


@resource_policy(
    "log-group-retention",
    types=(LOG_GROUP,),
    summary="Every CloudWatch log group has a retention period (logs neither vanish early nor pile up forever).",
    fix="set retention_in_days from the component's settings",
    c5=("OPS-12", "OPS-14"), iso=("8.15",), fsbp=("CloudWatch.16",),
)
def log_group_retention(r: Resource, ctx: Context):
    days = r.props.get("retentionInDays")
    if not is_unknown(days) and not days:
        yield f"log group {r.physical_name} never expires (retentionInDays unset)"


def _expected_log_group(fn: Resource) -> Any:
    """The group name the function logs to; UNKNOWN when it is only known after deploy."""
    configured = fn.get("loggingConfig", "logGroup")
    if is_unknown(configured) or (isinstance(configured, str) and configured):
        return configured
    name = fn.props.get("name")
    if is_unknown(name):
        return UNKNOWN
    return f"/aws/lambda/{name}" if isinstance(name, str) and name else None


def function_log_group(fn: Resource, groups: list[Resource]) -> Resource | None:
    """The managed log group `fn` writes to, by name or through the engine's property dependencies."""
    expected = _expected_log_group(fn)
    by_name = next((g for g in groups if isinstance(expected, str) and g.props.get("name") == expected), None)
    # In a preview, names derived from fn.name are unknown; the engine's property
    # dependencies still tie the group to the function (or the function to the group).
    return by_name or next((g for g in groups if g.refers_to("name", fn) or fn.refers_to("loggingConfig", g)), None)


@stack_policy(
    "lambda-log-retention",
    summary="Every Lambda function writes to a log group the stack manages with a retention period "
            "(/aws/lambda/<name> or loggingConfig.logGroup).",
    fix="create aws.cloudwatch.LogGroup(name=f'/aws/lambda/{function_name}', retention_in_days=...) or set "
        "logging_config.log_group to a managed group",
    c5=("OPS-10", "OPS-12"), iso=("8.15",), fsbp=("CloudWatch.16",),
)
def lambda_log_retention(resources: list[Resource], ctx: Context):
    groups = [r for r in resources if r.type == LOG_GROUP]
    undecided = any(is_unknown(g.props.get("name")) for g in groups)
    for fn in (r for r in resources if r.type == LAMBDA):
        expected = _expected_log_group(fn)
        group = function_log_group(fn, groups)
        if group is None:
            if expected is None or is_unknown(expected) or undecided:
                continue  # nothing to match yet; decided on the next preview
            yield Finding(f"function {fn.physical_name} logs to {expected}, which the stack does not manage "
                          "(Lambda would create it without retention)", fn)
        elif not group.props.get("retentionInDays") and not is_unknown(group.props.get("retentionInDays")):
            yield Finding(f"log group {group.physical_name} of function {fn.physical_name} has no retention", fn)


@resource_policy(
    "ecr-scan-on-push",
    types=(ECR_REPOSITORY,),
    summary="ECR repositories scan images for vulnerabilities on push.",
    fix="set image_scanning_configuration={'scan_on_push': True}",
    c5=("OPS-22", "PSS-02"), iso=("8.8",), fsbp=("ECR.1",),
)
def ecr_scan_on_push(r: Resource, ctx: Context):
    if not truthy(r.get("imageScanningConfiguration", "scanOnPush")):
        yield "imageScanningConfiguration.scanOnPush is off"
