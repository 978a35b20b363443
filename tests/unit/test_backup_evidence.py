"""Backups that prove restores: restore testing plan + selection, the Audit Manager framework,
report plans and their bucket (resource properties and relations under the recording mock)."""

from __future__ import annotations

import json
import re

from tests.conftest import error_of

PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
FRAMEWORK = "aws:backup/framework:Framework"
REPORT = "aws:backup/reportPlan:ReportPlan"
TABLE = "aws:dynamodb/table:Table"


def _bucket(plan):
    (bucket,) = [b for b in plan.mocks.of_type("aws:s3/bucket:Bucket") if b.name == "cloud-platform-prod-backup-reports"]
    return bucket


def _home_vault(plan):
    return plan.mocks.named("cloud-platform-prod-backup-vault")


def test_restore_testing_plan_restores_the_home_vaults_latest_snapshots(prod_plan):
    (restore,) = prod_plan.mocks.of_type(PLAN)
    i = restore.inputs
    assert re.fullmatch(r"[0-9A-Za-z_]{1,50}", i["name"]) and i["name"] == "cloud_platform_prod_backup_restore_testing"
    assert i["scheduleExpression"] == "cron(0 6 ? * MON *)" and i["startWindowHours"] == 24
    assert i["recoveryPointSelection"] == {"algorithm": "LATEST_WITHIN_WINDOW",
                                           "includeVaults": [_home_vault(prod_plan).outputs["arn"]],
                                           "recoveryPointTypes": ["SNAPSHOT"], "selectionWindowDays": 7}


def test_restore_selection_picks_every_tagged_table_with_the_backup_role(prod_plan):
    (restore,) = prod_plan.mocks.of_type(PLAN)
    (selection,) = prod_plan.mocks.of_type(SELECTION)
    i = selection.inputs
    assert i["restoreTestingPlanName"] == restore.outputs["name"] and i["protectedResourceType"] == "DynamoDB"
    assert re.fullmatch(r"[0-9A-Za-z_]{1,50}", i["name"])
    assert "protectedResourceArns" not in i  # ARNs or conditions, never both
    assert i["protectedResourceConditions"] == {"stringEquals": [{"key": "aws:ResourceTag/Backup", "value": "true"}]}
    role = prod_plan.mocks.named("cloud-platform-prod-backup-role")
    assert i["iamRoleArn"] == role.outputs["arn"]
    # The condition finds the tables that hold state: the subscribers and the worker's idempotency table.
    tagged = sorted(t.name for t in prod_plan.mocks.of_type(TABLE) if (t.inputs.get("tags") or {}).get("Backup") == "true")
    assert len(tagged) == 2 and any("subscribers" in n for n in tagged) and any("idempotency" in n for n in tagged)


def test_audit_framework_controls_match_the_plan(prod_plan):
    (framework,) = prod_plan.mocks.of_type(FRAMEWORK)
    assert re.fullmatch(r"[A-Za-z][0-9A-Za-z_]{0,255}", framework.inputs["name"])
    controls = {c["name"]: c for c in framework.inputs["controls"]}
    assert set(controls) == {
        "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN", "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK",
        "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK", "BACKUP_RECOVERY_POINT_ENCRYPTED",
        "BACKUP_LAST_RECOVERY_POINT_CREATED", "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION",
        "RESTORE_TIME_FOR_RESOURCES_MEET_TARGET"}

    def params(name):
        return {p["name"]: p["value"] for p in controls[name].get("inputParameters") or []}

    assert params("BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK") == {
        "requiredFrequencyUnit": "days", "requiredFrequencyValue": "1", "requiredRetentionDays": "35"}
    assert params("BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION") == {"crossRegionList": "eu-central-1"}
    assert params("RESTORE_TIME_FOR_RESOURCES_MEET_TARGET") == {"maxRestoreTime": "720"}
    assert controls["BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN"]["scope"] == {"tags": {"Backup": "true"}}


def test_report_plans_deliver_compliance_backup_and_restore_jobs_to_the_reports_bucket(prod_plan):
    (framework,) = prod_plan.mocks.of_type(FRAMEWORK)
    bucket = _bucket(prod_plan)
    reports = {r.inputs["reportSetting"]["reportTemplate"]: r.inputs for r in prod_plan.mocks.of_type(REPORT)}
    assert set(reports) == {"CONTROL_COMPLIANCE_REPORT", "BACKUP_JOB_REPORT", "RESTORE_JOB_REPORT"}
    for report in reports.values():
        assert re.fullmatch(r"[A-Za-z][0-9A-Za-z_]{0,255}", report["name"])
        channel = report["reportDeliveryChannel"]
        assert channel["s3BucketName"] == bucket.outputs["bucket"] and sorted(channel["formats"]) == ["CSV", "JSON"]
    assert reports["CONTROL_COMPLIANCE_REPORT"]["reportSetting"]["frameworkArns"] == [framework.outputs["arn"]]
    assert "frameworkArns" not in reports["RESTORE_JOB_REPORT"]["reportSetting"]
    assert prod_plan.outputs["backupVerify"]["reportsBucket"] == bucket.outputs["bucket"]


def test_reports_bucket_lets_only_backup_reports_write_and_keeps_the_evidence(prod_plan):
    bucket = _bucket(prod_plan)
    assert bucket.protect  # prod: audit evidence is protected like the vaults
    (role,) = prod_plan.mocks.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role.inputs["awsServiceName"] == "reports.backup.amazonaws.com"
    (policy,) = [p for p in prod_plan.mocks.of_type("aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == bucket.id]
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    writer = statements["BackupAuditManagerWritesReports"]
    assert writer["Principal"] == {"AWS": role.outputs["arn"]} and writer["Action"] == "s3:PutObject"
    assert writer["Resource"] == f"{bucket.outputs['arn']}/*"
    assert writer["Condition"] == {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
    (lifecycle,) = [r for r in prod_plan.mocks.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
                    if r.inputs["bucket"] == bucket.id]
    assert lifecycle.inputs["rules"][0]["expiration"]["days"] == 400


def test_existing_service_linked_role_is_named_not_created(plan_with):
    plan = plan_with("prod", {"cloud-platform:backup": {"audit": {"createServiceLinkedRole": False}}})
    assert plan.mocks.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole") == []
    bucket = _bucket(plan)
    (policy,) = [p for p in plan.mocks.of_type("aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == bucket.id]
    (writer,) = [s for s in json.loads(policy.inputs["policy"])["Statement"] if s["Sid"] == "BackupAuditManagerWritesReports"]
    assert writer["Principal"]["AWS"] == ("arn:aws:iam::123456789012:role/aws-service-role/reports.backup.amazonaws.com/"
                                          "AWSServiceRoleForBackupReports")


def test_restore_testing_and_audit_can_be_switched_off(plan_with, dev_plan):
    plan = plan_with("prod", {"cloud-platform:backup": {"restoreTesting": {"enabled": False}, "audit": {"enabled": False}}})
    assert not plan.mocks.of_type(PLAN) and not plan.mocks.of_type(SELECTION)
    assert not plan.mocks.of_type(FRAMEWORK) and not plan.mocks.of_type(REPORT)
    assert not dev_plan.mocks.of_type(PLAN) and not dev_plan.mocks.of_type(FRAMEWORK)  # dev: backups off


def test_restore_testing_settings_are_validated():
    assert error_of(backup={"restoreTesting": {"startWindowHours": 0}}) == (
        "cloud-platform:backup.restoreTesting.startWindowHours must be >= 1 (got 0)")
    assert error_of(backup={"restoreTesting": {"schedule": "rate(7 days)"}}).startswith(
        "cloud-platform:backup.restoreTesting.schedule must be an AWS cron expression")
