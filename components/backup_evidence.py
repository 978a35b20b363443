"""Backups that prove themselves: restore testing and Backup Audit Manager reports.

Called by `Backups` (children of that component). Restore testing restores the latest
recovery points on a schedule (and deletes the restored copies), so a broken backup shows up
as a failed restore job, not on the day it is needed. The audit framework evaluates the
backup controls every day (it needs AWS Config recording the resource types, as Audit Manager
documents) and report plans deliver the compliance status and the backup and restore jobs
into a bucket as evidence (C5 OPS-06 to OPS-09).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .blocks import HardenedBucket, HardenedBucketArgs

# AWS Backup names of restore testing plans, selections, frameworks and report plans: letters,
# digits and underscores only (the first a letter), restore testing ones up to 50 characters.
RESTORE_TESTING_NAME = re.compile(r"^[0-9A-Za-z_]{1,50}$")
AUDIT_NAME = re.compile(r"^[A-Za-z][0-9A-Za-z_]{0,255}$")
REPORTS_ROLE = "arn:aws:iam::{account}:role/aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports"
REPORT_TEMPLATES = {"compliance": "CONTROL_COMPLIANCE_REPORT", "backup_jobs": "BACKUP_JOB_REPORT",
                    "restore_jobs": "RESTORE_JOB_REPORT"}


@dataclass
class RestoreTestingArgs:
    enabled: bool = True
    schedule: str = "cron(0 6 ? * MON *)"
    """AWS cron expression (UTC) of the restore tests."""
    start_window_hours: int = 24
    selection_window_days: int = 7
    """Restore the latest recovery point created within this many days."""
    max_restore_minutes: int = 720
    """Target restore time the audit framework checks restore jobs against."""


@dataclass
class AuditArgs:
    enabled: bool = True
    report_retention_days: int = 400
    create_service_linked_role: bool = True
    """Create AWSServiceRoleForBackupReports (the reports bucket policy names it)."""


def backup_name(component: str, suffix: str, pattern: re.Pattern[str] = AUDIT_NAME) -> str:
    """`cloud-platform-prod-backup` + `restore_testing` -> `cloud_platform_prod_backup_restore_testing`."""
    name = f"{component}_{suffix}".replace("-", "_")
    if not pattern.match(name):
        raise pulumi.RunError(f"{name!r} is not a valid AWS Backup name ({pattern.pattern})")
    return name


def restore_testing(component: str, t: RestoreTestingArgs, vault_arn: pulumi.Input[str], role_arn: pulumi.Input[str],
                    tag: tuple[str, str], opts: pulumi.ResourceOptions) -> None:
    """A plan restoring the home vault's latest snapshots of every DynamoDB table carrying the backup tag."""
    plan = aws.backup.RestoreTestingPlan(
        f"{component}-restore-testing",
        name=backup_name(component, "restore_testing", RESTORE_TESTING_NAME),
        schedule_expression=t.schedule,
        start_window_hours=t.start_window_hours,
        recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
            algorithm="LATEST_WITHIN_WINDOW",
            include_vaults=[vault_arn],
            recovery_point_types=["SNAPSHOT"],  # the plan's rules take snapshots (no continuous backup)
            selection_window_days=t.selection_window_days,
        ),
        opts=opts,
    )
    key, value = tag
    # The tagged state is DynamoDB: the subscribers table and the worker's idempotency table
    # (web-tier volumes are rebuilt from images, not restored). A selection names resources by
    # ARN or by conditions, never both (provider rule); by tag it follows tables as they come.
    aws.backup.RestoreTestingSelection(
        f"{component}-restore-dynamodb",
        name=backup_name(component, "restore_dynamodb", RESTORE_TESTING_NAME),
        restore_testing_plan_name=plan.name,
        protected_resource_type="DynamoDB",
        iam_role_arn=role_arn,
        protected_resource_conditions=aws.backup.RestoreTestingSelectionProtectedResourceConditionsArgs(
            string_equals=[aws.backup.RestoreTestingSelectionProtectedResourceConditionsStringEqualArgs(
                key=f"aws:ResourceTag/{key}", value=value)]),
        opts=opts,
    )


def _controls(t: RestoreTestingArgs, retention_days: int, peer_region: str | None,
              tag: tuple[str, str]) -> list[aws.backup.FrameworkControlArgs]:
    def control(name: str, scope: aws.backup.FrameworkControlScopeArgs | None = None, **parameters: object):
        return aws.backup.FrameworkControlArgs(
            name=name, scope=scope,
            input_parameters=[aws.backup.FrameworkControlInputParameterArgs(name=k, value=str(v))
                              for k, v in parameters.items()] or None)

    key, value = tag
    tagged = aws.backup.FrameworkControlScopeArgs(tags={key: value})
    controls = [
        control("BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN", tagged),
        control("BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK", requiredFrequencyUnit="days",
                requiredFrequencyValue=1, requiredRetentionDays=retention_days),
        control("BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK", requiredRetentionDays=retention_days),
        control("BACKUP_RECOVERY_POINT_ENCRYPTED"),
        control("BACKUP_LAST_RECOVERY_POINT_CREATED", tagged),
    ]
    if peer_region is not None:
        controls.append(control("BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION", tagged, crossRegionList=peer_region))
    if t.enabled:
        controls.append(control("RESTORE_TIME_FOR_RESOURCES_MEET_TARGET",
                                aws.backup.FrameworkControlScopeArgs(compliance_resource_types=["DynamoDB"]),
                                maxRestoreTime=t.max_restore_minutes))
    return controls


def audit_reports(component: str, a: AuditArgs, t: RestoreTestingArgs, retention_days: int, peer_region: str | None,
                  tag: tuple[str, str], protect: bool, parent: pulumi.Resource) -> pulumi.Output[str]:
    """Framework + report plans delivering into a hardened bucket; returns the bucket name."""
    child = pulumi.ResourceOptions(parent=parent)
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=parent)).account_id
    writer: pulumi.Input[str] = account.apply(lambda a: REPORTS_ROLE.format(account=a))
    depends = []
    if a.create_service_linked_role:
        # The bucket policy names this role: IAM rejects a policy naming a role that does not exist yet.
        role = aws.iam.ServiceLinkedRole(f"{component}-reports-role", aws_service_name="reports.backup.amazonaws.com",
                                         opts=child)
        writer, depends = role.arn, [role]
    bucket = HardenedBucket(
        f"{component}-reports",
        HardenedBucketArgs(
            tags={"Name": f"{component}-reports"},
            protect=protect,
            expire_days=a.report_retention_days,
            statements=lambda arn, principal: [{
                "Sid": "BackupAuditManagerWritesReports", "Effect": "Allow", "Principal": {"AWS": principal},
                "Action": "s3:PutObject", "Resource": f"{arn}/*",
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
            }],
            statement_inputs=[writer],
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends),
    )
    framework = aws.backup.Framework(
        f"{component}-controls",
        name=backup_name(component, "controls"),
        description="Backup controls evaluated daily: coverage, frequency, retention, encryption, copies, restores",
        controls=_controls(t, retention_days, peer_region, tag),
        opts=child,
    )
    for label, template in REPORT_TEMPLATES.items():
        if template == "RESTORE_JOB_REPORT" and not t.enabled:
            continue
        aws.backup.ReportPlan(
            f"{component}-report-{label.replace('_', '-')}",
            name=backup_name(component, f"{label}_report"),
            description=f"Daily {template.replace('_', ' ').lower()} (audit evidence)",
            report_delivery_channel=aws.backup.ReportPlanReportDeliveryChannelArgs(
                s3_bucket_name=bucket.bucket.bucket, s3_key_prefix=f"backup-audit/{label}", formats=["CSV", "JSON"]),
            report_setting=aws.backup.ReportPlanReportSettingArgs(
                report_template=template,
                framework_arns=[framework.arn] if template == "CONTROL_COMPLIANCE_REPORT" else None,
                number_of_frameworks=1 if template == "CONTROL_COMPLIANCE_REPORT" else None,
            ),
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[bucket]),
        )
    return bucket.bucket.bucket
