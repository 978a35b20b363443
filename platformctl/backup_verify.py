"""`platformctl backup verify`: does every resource that must be backed up have a fresh recovery point?

"Must" comes from the stack's compliance settings (`compliance.requireBackups`: every resource
tagged Backup=true); "fresh" from the backup plan: the newest completed recovery point is
younger than the plan's shortest interval (from its cron schedules) plus a margin (default:
the start and completion windows a job may take). With cross-region copy on, the copy vault in
the peer region is checked the same way. One line per missing or stale point; exit 1 if any.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Clients = Callable[[str, str], Any]

_DAYS = {name: i + 1 for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
_MONTHS = {name: i + 1 for i, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"))}


class VerifyError(RuntimeError):
    """Verification could not run (settings, outputs, API): one line for the operator."""


# --- schedules ---------------------------------------------------------------------------------
def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """Values an AWS cron field allows (`*`, `?`, lists, ranges, steps, names; not L/W/#)."""
    if re.search(r"[LW#]", text.upper().replace("SUN", "").replace("WED", "")):
        raise VerifyError(f"cron field {text!r}: L, W and # are not supported by backup verify")
    values: set[int] = set()
    for part in text.upper().split(","):
        for name, number in (names or {}).items():
            part = part.replace(name, str(number))
        spec, _, step = part.partition("/")
        if spec in ("*", "?"):
            first, last = low, high
        elif "-" in spec:
            first, last = (int(x) for x in spec.split("-", 1))
        else:
            first = int(spec)
            last = high if step else first
        values.update(range(first, last + 1, int(step) if step else 1))
    return {v for v in values if low <= v <= high}


def fire_times(schedule: str, start: datetime, days: int) -> Iterator[datetime]:
    """The times `cron(min hour dom month dow year)` fires from `start` on, for `days` days."""
    match = re.fullmatch(r"cron\((.+)\)", schedule.strip())
    if not match or len(match.group(1).split()) != 6:
        raise VerifyError(f"{schedule!r} is not an AWS cron expression")
    minute, hour, dom, month, dow, _year = match.group(1).split()
    minutes, hours = sorted(_field(minute, 0, 59)), sorted(_field(hour, 0, 23))
    doms, months, dows = _field(dom, 1, 31), _field(month, 1, 12, _MONTHS), _field(dow, 1, 7, _DAYS)
    for offset in range(days):
        day = (start + timedelta(days=offset)).replace(hour=0, minute=0, second=0, microsecond=0)
        aws_dow = (day.isoweekday() % 7) + 1  # AWS: 1 = Sunday
        day_ok = (dow == "?" or aws_dow in dows) and (dom == "?" or day.day in doms) and day.month in months
        if day_ok:
            for h in hours:
                for m in minutes:
                    yield day.replace(hour=h, minute=m)


def schedule_interval(schedule: str) -> timedelta:
    """The longest gap between two runs of a schedule, over a year and a month (monthly plans included)."""
    start = datetime(2026, 1, 5, tzinfo=UTC)  # a fixed date: the same gaps on every run
    times = list(fire_times(schedule, start, 396))
    if len(times) < 2:
        raise VerifyError(f"{schedule!r} runs less than twice a year: backup verify cannot size its interval")
    return max(b - a for a, b in zip(times, times[1:], strict=False))


# --- what must be there ----------------------------------------------------------------------
@dataclass(frozen=True)
class Vault:
    region: str
    name: str


@dataclass
class Finding:
    resource: str
    vault: Vault
    state: str  # ok, missing, stale, new
    newest: datetime | None = None
    age: timedelta | None = None

    def line(self, allowed: timedelta) -> str:
        where = f"in {self.vault.name} ({self.vault.region})"
        if self.state == "missing":
            return f"MISSING {self.resource} {where}: no completed recovery point"
        if self.state == "stale":
            return (f"STALE {self.resource} {where}: newest recovery point {self.newest:%Y-%m-%dT%H:%MZ} is "
                    f"{_hours(self.age)} old (allowed {_hours(allowed)})")
        if self.state == "new":
            return f"new {self.resource} {where}: created less than {_hours(allowed)} ago, no point due yet"
        return f"ok {self.resource} {where}: newest recovery point {_hours(self.age)} old"


@dataclass
class Verdict:
    allowed: timedelta
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.state in ("missing", "stale")]


def _hours(delta: timedelta | None) -> str:
    return f"{(delta or timedelta()).total_seconds() / 3600:.1f} h"


def tagged_resources(tagging: Any, environment: str, tag: tuple[str, str] = ("Backup", "true")) -> list[str]:
    """ARNs of this stack's resources tagged for backup (Project + Environment tags narrow it to the stack)."""
    key, value = tag
    filters = [{"Key": key, "Values": [value]}, {"Key": "Project", "Values": ["cloud-platform"]},
               {"Key": "Environment", "Values": [environment]}]
    arns, token = [], None
    while True:
        page = tagging.get_resources(TagFilters=filters, **({"PaginationToken": token} if token else {}))
        arns += [m["ResourceARN"] for m in page.get("ResourceTagMappingList", [])]
        token = page.get("PaginationToken")
        if not token:
            return sorted(arns)


def newest_point(backup: Any, vault: str, resource: str) -> datetime | None:
    """Creation time of the newest COMPLETED recovery point of `resource` in `vault`."""
    newest, token = None, None
    while True:
        page = backup.list_recovery_points_by_backup_vault(
            BackupVaultName=vault, ByResourceArn=resource, **({"NextToken": token} if token else {}))
        for point in page.get("RecoveryPoints", []):
            if point.get("Status") == "COMPLETED" and point.get("ResourceArn", resource) == resource:
                created = point["CreationDate"]
                newest = created if newest is None or created > newest else newest
        token = page.get("NextToken")
        if not token:
            return newest


def verify(resources: list[str], vaults: list[Vault], allowed: timedelta, clients: Clients, now: datetime,
           created_at: Callable[[str], datetime | None] = lambda arn: None) -> Verdict:
    verdict = Verdict(allowed)
    for vault in vaults:
        backup = clients("backup", vault.region)
        for resource in resources:
            newest = newest_point(backup, vault.name, resource)
            if newest is None:
                born = created_at(resource)
                state = "new" if born is not None and now - born < allowed else "missing"
                verdict.findings.append(Finding(resource, vault, state))
                continue
            age = now - newest
            verdict.findings.append(Finding(resource, vault, "stale" if age > allowed else "ok", newest, age))
    return verdict


def creation_time(clients: Clients, region: str) -> Callable[[str], datetime | None]:
    """When a DynamoDB table or EBS volume was created (a resource younger than the interval is not due yet)."""
    def lookup(arn: str) -> datetime | None:
        if ":dynamodb:" in arn and ":table/" in arn:
            table = clients("dynamodb", region).describe_table(TableName=arn.split(":table/")[1])["Table"]
            return table.get("CreationDateTime")
        if ":ec2:" in arn and ":volume/" in arn:
            volumes = clients("ec2", region).describe_volumes(VolumeIds=[arn.split(":volume/")[1]])["Volumes"]
            return volumes[0].get("CreateTime") if volumes else None
        return None
    return lookup


# --- the command ---------------------------------------------------------------------------------
def run(settings: Any, outputs: dict[str, Any], clients: Clients, now: datetime,
        margin: timedelta | None = None) -> tuple[list[str], bool]:
    """(lines to print, whether every required point is there) for a stack's settings and outputs."""
    compliance, b = settings.compliance, settings.backup
    if not compliance.require_backups:
        return [f"compliance.requireBackups is off for stack {settings.stack}: no resource must be backed up"], True
    if not b.enabled:
        raise VerifyError("compliance.requireBackups is on but backup.enabled is false: nothing backs the resources up")
    spec = outputs.get("backupVerify")
    if not spec or not spec.get("vaults"):
        raise VerifyError(f"stack {settings.stack} has no backupVerify output: deploy it with backups enabled")
    vaults = [Vault(v["region"], v["name"]) for v in spec["vaults"]]
    peer = settings.networking.peer
    if b.copy_to_peer and peer is not None and peer.enabled and not any(v.region == peer.region for v in vaults):
        raise VerifyError(f"backup.copyToPeer is on but the outputs name no vault in {peer.region}: redeploy the stack")
    interval = min(schedule_interval(b.daily_schedule), schedule_interval(b.weekly_schedule))
    margin = margin if margin is not None else timedelta(minutes=b.start_window_minutes + b.completion_window_minutes)
    allowed = interval + margin
    resources = tagged_resources(clients("resourcegroupstaggingapi", settings.region), settings.environment)
    if not resources:
        raise VerifyError(f"no resource of stack {settings.stack} is tagged Backup=true (is it deployed?)")
    verdict = verify(resources, vaults, allowed, clients, now, creation_time(clients, settings.region))
    counts = {state: sum(f.state == state for f in verdict.findings) for state in ("ok", "new", "missing", "stale")}
    lines = [f.line(allowed) for f in verdict.failed]
    lines.append(
        f"backup verify {settings.stack}: {len(resources)} resource(s) x {len(vaults)} vault(s), allowed age "
        f"{_hours(allowed)} ({_hours(interval)} schedule interval + {_hours(margin)} margin): "
        + ", ".join(f"{n} {state}" for state, n in counts.items()))
    return lines, not verdict.failed
