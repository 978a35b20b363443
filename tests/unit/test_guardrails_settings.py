"""cloud-platform:compliance, :backup and :alarms: one line per bad value."""

from __future__ import annotations

import pytest

from tests.conftest import error_of, settings_with


def test_defaults():
    s = settings_with()
    assert s.backup.enabled is False and s.backup.daily_retention_days == 35
    assert s.alarms.enabled is True and s.alarms.email is None
    assert s.compliance.required_tags == ["Project", "Environment", "Owner", "ManagedBy", "CostCenter"]
    assert s.compliance.require_protect is False and s.compliance.public_ports == [80, 443]


@pytest.mark.parametrize("section,value,message", [
    ("backup", {"dailySchedule": "0 3 * * *"},
     "cloud-platform:backup.dailySchedule must be an AWS cron expression such as cron(0 3 * * ? *) (got '0 3 * * *')"),
    ("backup", {"weeklySchedule": "cron(0 4 * * SUN *)"},
     "cloud-platform:backup.weeklySchedule needs '?' in exactly one of day-of-month and day-of-week"),
    ("backup", {"dailySchedule": "cron(0 3 * * ?)"}, "cloud-platform:backup.dailySchedule must have 6 fields"),
    ("backup", {"dailySchedule": "cron(0 25 * * ? *)"}, "cloud-platform:backup.dailySchedule hours must be 0-23"),
    ("backup", {"dailyRetentionDays": 30, "weeklyRetentionDays": 7},
     "cloud-platform:backup.weeklyRetentionDays must be >= dailyRetentionDays (got 7 < 30)"),
    ("backup", {"dailyRetentionDays": 0}, "cloud-platform:backup.dailyRetentionDays must be >= 1 (got 0)"),
    ("backup", {"startWindowMinutes": 120, "completionWindowMinutes": 150},
     "cloud-platform:backup.completionWindowMinutes must be at least 60 minutes longer than startWindowMinutes"),
    ("backup", {"copyToPeers": True}, "cloud-platform:backup.copyToPeers is not a known setting (allowed: enabled,"),
    ("alarms", {"periodSeconds": 90}, "cloud-platform:alarms.periodSeconds must be 10, 30 or a multiple of 60"),
    ("alarms", {"evaluationPeriods": 2, "datapointsToAlarm": 3},
     "cloud-platform:alarms.datapointsToAlarm must be <= evaluationPeriods (got 3 > 2)"),
    ("alarms", {"email": "ops-at-example"}, "cloud-platform:alarms.email must match"),
    ("alarms", {"alb5xxThreshold": -1}, "cloud-platform:alarms.alb5xxThreshold must be >= 0 (got -1)"),
    ("compliance", {"enforcement": {"vpc-flow-logs": "warn"}},
     "cloud-platform:compliance.enforcement.vpc-flow-logs must be one of 'mandatory', 'advisory' or 'disabled'"),
    ("compliance", {"publicPorts": [443, 70000]}, "cloud-platform:compliance.publicPorts must be TCP ports 1-65535"),
    ("compliance", {"requiredTags": []}, "cloud-platform:compliance.requiredTags must have at least 1 item(s)"),
])
def test_bad_values_name_key_and_allowed(section, value, message):
    assert error_of(**{section: value}).startswith(message)
