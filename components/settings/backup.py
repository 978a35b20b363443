"""Settings of the Backups component (`cloud-platform:backup`)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from .base import ComponentSection, invalid

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
        if self.completion_window_minutes < self.start_window_minutes + 60:
            raise invalid(
                "completionWindowMinutes",
                "must be at least 60 minutes longer than startWindowMinutes "
                f"(got {self.completion_window_minutes} vs {self.start_window_minutes})",
            )
        return self
