"""Settings of the Backups component (`cloud-platform:backup`)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from .base import ComponentSection, Section, invalid

_FIELD = re.compile(r"^[0-9A-Za-z*?,/#\-]+$")


def check_cron(value: str) -> str:
    """An AWS schedule expression `cron(min hour day-of-month month day-of-week year)`."""
    match = re.fullmatch(r"cron\((.+)\)", value.strip())
    if not match:
        raise ValueError("must be an AWS cron expression such as cron(0 3 * * ? *)")
    fields = match.group(1).split()
    if len(fields) != 6 or not all(_FIELD.match(f) for f in fields):
        raise ValueError("must have 6 fields: cron(minutes hours day-of-month month day-of-week year)")
    if (fields[2] == "?") == (fields[4] == "?"):
        raise ValueError("needs '?' in exactly one of day-of-month and day-of-week")
    for text, low, high, label in ((fields[0], 0, 59, "minutes"), (fields[1], 0, 23, "hours")):
        numbers = [int(n) for n in re.findall(r"\d+", text)]
        if any(not low <= n <= high for n in numbers if "/" not in text):
            raise ValueError(f"{label} must be {low}-{high}")
    return value.strip()


class RestoreTestingSettings(Section):
    """AWS Backup restore testing: restores the latest recovery points on a schedule, then deletes them."""

    enabled: bool = True
    """Test restores of the home vault's recovery points on `schedule`."""
    schedule: str = "cron(0 6 ? * MON *)"
    """When restores are tested (default: Monday 06:00 UTC, after Sunday's weekly backup)."""
    start_window_hours: int = Field(24, ge=1, le=168)
    """Hours after the scheduled time within which a restore test must start."""
    selection_window_days: int = Field(7, ge=1, le=365)
    """Restore the latest recovery point created within this many days."""
    max_restore_minutes: int = Field(720, ge=1, le=43200)
    """Target restore time the audit framework checks restore jobs against (C5 OPS-08)."""

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        return check_cron(value)


class AuditSettings(Section):
    """AWS Backup Audit Manager: a framework of controls and daily reports into an S3 bucket (C5 evidence)."""

    enabled: bool = True
    """Create the framework, the report plans and their bucket."""
    report_retention_days: int = Field(400, ge=1, le=36500)
    """How long delivered reports are kept (an audit period plus slack)."""
    create_service_linked_role: bool = True
    """Create AWSServiceRoleForBackupReports (the reports bucket policy names it); false when the account has it."""


class BackupSettings(ComponentSection):
    """Backups: AWS Backup vault and plan over everything tagged Backup=true (docs/guardrails.md)."""

    daily_retention_days: int = Field(35, ge=1, le=36500)
    """Days a daily recovery point is kept."""
    weekly_retention_days: int = Field(90, ge=1, le=36500)
    """Days a weekly recovery point is kept (>= daily)."""
    daily_schedule: str = "cron(0 3 * * ? *)"
    """AWS cron expression of the daily backup (UTC)."""
    weekly_schedule: str = "cron(0 4 ? * SUN *)"
    """AWS cron expression of the weekly backup (UTC)."""
    start_window_minutes: int = Field(60, ge=60, le=1440)
    """Minutes a backup job may wait to start."""
    completion_window_minutes: int = Field(480, ge=120, le=43200)
    """Minutes a backup job may take to finish."""
    copy_to_peer: bool = True
    """Copy every recovery point to a vault in networking.peer.region (if there is a peer)."""
    protect_vault: bool = False
    """protect + retain_on_delete on the vault (prod)."""
    vault_lock: bool = False
    """Compliance-mode Vault Lock on every vault (home and peer copy): after the grace days nobody can delete or shorten
    recovery points."""
    lock_changeable_for_days: int = Field(3, ge=3, le=36500)
    """Grace days in which the lock can still be removed; after them it is immutable (AWS requires >= 3)."""
    lock_min_retention_days: int = Field(7, ge=1, le=36500)
    """Shortest retention the locked vault accepts (<= dailyRetentionDays, or backup jobs fail)."""
    lock_max_retention_days: int = Field(36500, ge=1, le=36500)
    """Longest retention the locked vault accepts (>= weeklyRetentionDays, or backup jobs fail)."""
    break_glass_role_name: str | None = Field(None, pattern=r"^[A-Za-z0-9_+=,.@-]{1,64}$")  # IAM: ASCII only
    """IAM role (name, in this account) that alone may delete recovery points or change their lifecycle; None: no vault policy."""
    restore_testing: RestoreTestingSettings = Field(default_factory=RestoreTestingSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)

    @field_validator("daily_schedule", "weekly_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        return check_cron(value)

    @model_validator(mode="after")
    def _windows(self) -> BackupSettings:
        if self.weekly_retention_days < self.daily_retention_days:
            raise invalid(
                "weeklyRetentionDays",
                f"must be >= dailyRetentionDays (got {self.weekly_retention_days} < {self.daily_retention_days})",
            )
        if self.vault_lock and not (
                self.lock_min_retention_days <= self.daily_retention_days
                and self.weekly_retention_days <= self.lock_max_retention_days):
            raise invalid(
                "lockMinRetentionDays",
                f"the lock's {self.lock_min_retention_days}-{self.lock_max_retention_days} days must include the daily "
                f"({self.daily_retention_days}) and weekly ({self.weekly_retention_days}) retention",
            )
        if self.completion_window_minutes < self.start_window_minutes + 60:
            raise invalid(
                "completionWindowMinutes",
                "must be at least 60 minutes longer than startWindowMinutes "
                f"(got {self.completion_window_minutes} vs {self.start_window_minutes})",
            )
        return self
