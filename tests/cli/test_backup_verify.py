"""`platformctl backup verify`: schedule intervals, and missing / stale / present recovery points
from a fake of the Backup API (tagged resources from moto's tagging API)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from components.settings import parse_settings
from offline.stacks import stack_config
from platformctl import backup_verify as bv
from platformctl import cli

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOME, PEER = bv.Vault("eu-west-1", "cloud-platform-prod-backup-vault"), bv.Vault("eu-central-1", "cloud-platform-prod-backup-peer-vault")
OUTPUTS = {"backupVerify": {"vaults": [{"region": HOME.region, "name": HOME.name}, {"region": PEER.region, "name": PEER.name}]}}


class FakeBackup:
    """`list_recovery_points_by_backup_vault` over {(vault, resource arn): [(created, status)]}, one point per page."""

    def __init__(self, points):
        self.points, self.calls = points, []

    def list_recovery_points_by_backup_vault(self, BackupVaultName, ByResourceArn, NextToken=None):  # noqa: N803
        self.calls.append((BackupVaultName, ByResourceArn, NextToken))
        found = [{"ResourceArn": ByResourceArn, "CreationDate": created, "Status": status}
                 for created, status in self.points.get((BackupVaultName, ByResourceArn), [])]
        index = int(NextToken or 0)
        page = {"RecoveryPoints": found[index:index + 1]}
        if index + 1 < len(found):
            page["NextToken"] = str(index + 1)
        return page


def _clients(fakes: dict[str, FakeBackup]):
    def clients(service, region):
        return fakes[region] if service == "backup" else boto3.client(service, region_name=region)
    return clients


@pytest.mark.parametrize("schedule,hours", [
    ("cron(0 3 * * ? *)", 24), ("cron(0 4 ? * SUN *)", 168), ("cron(0 */6 * * ? *)", 6),
    ("cron(30 1,13 ? * MON-FRI *)", 60), ("cron(0 5 1 * ? *)", 31 * 24),
])
def test_schedule_interval_is_the_longest_gap_between_runs(schedule, hours):
    assert bv.schedule_interval(schedule) == timedelta(hours=hours)


def test_unsupported_cron_is_one_clear_error():
    with pytest.raises(bv.VerifyError, match="L, W and # are not supported"):
        bv.schedule_interval("cron(0 3 L * ? *)")


TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/subscribers"
OTHER = "arn:aws:dynamodb:eu-west-1:123456789012:table/idempotency"


def test_missing_stale_and_present_points_in_both_vaults():
    allowed = timedelta(hours=33)
    home = FakeBackup({
        (HOME.name, TABLE): [(NOW - timedelta(hours=50), "COMPLETED"), (NOW - timedelta(hours=2), "COMPLETED")],
        (HOME.name, OTHER): [(NOW - timedelta(hours=40), "COMPLETED"), (NOW - timedelta(hours=1), "FAILED")],
    })
    peer = FakeBackup({(PEER.name, TABLE): [(NOW - timedelta(hours=3), "COMPLETED")],
                       (PEER.name, OTHER): [(NOW - timedelta(hours=1), "EXPIRED")]})
    verdict = bv.verify([TABLE, OTHER], [HOME, PEER], allowed, _clients({HOME.region: home, PEER.region: peer}), NOW)
    states = {(f.resource, f.vault.region): f.state for f in verdict.findings}
    assert states == {(TABLE, HOME.region): "ok", (OTHER, HOME.region): "stale",
                      (TABLE, PEER.region): "ok", (OTHER, PEER.region): "missing"}
    assert [f.line(allowed) for f in verdict.failed] == [
        f"STALE {OTHER} in {HOME.name} (eu-west-1): newest recovery point 2026-11-29T20:00Z is 40.0 h old (allowed 33.0 h)",
        f"MISSING {OTHER} in {PEER.name} (eu-central-1): no completed recovery point",
    ]
    # Every page was read (the newest point of TABLE is on the second page).
    assert (HOME.name, TABLE, "1") in home.calls


def test_a_resource_younger_than_the_interval_is_not_due_yet():
    fakes = {HOME.region: FakeBackup({})}
    verdict = bv.verify([TABLE], [HOME], timedelta(hours=33), _clients(fakes), NOW,
                        created_at=lambda arn: NOW - timedelta(hours=5))
    assert [f.state for f in verdict.findings] == ["new"] and verdict.failed == []


def _tagged_tables(environment: str, names: list[str]) -> list[str]:
    dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
    arns = []
    for name in names:
        arns.append(dynamodb.create_table(
            TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
            Tags=[{"Key": "Backup", "Value": "true"}, {"Key": "Project", "Value": "cloud-platform"},
                  {"Key": "Environment", "Value": environment}])["TableDescription"]["TableArn"])
    return arns


def _prod():
    return parse_settings(stack_config("prod"), stack="prod")


def test_run_on_prod_settings_finds_the_tagged_tables_and_the_missing_copy(aws):
    table, other = _tagged_tables("prod", ["subscribers", "idempotency"])
    _tagged_tables("dev", ["dev-table"])  # another stack's resources are not this stack's duty
    old = datetime.now(UTC) - timedelta(days=3)
    fresh = datetime.now(UTC) - timedelta(hours=6)
    fakes = {HOME.region: FakeBackup({(HOME.name, table): [(fresh, "COMPLETED")], (HOME.name, other): [(fresh, "COMPLETED")]}),
             PEER.region: FakeBackup({(PEER.name, table): [(fresh, "COMPLETED")], (PEER.name, other): [(old, "COMPLETED")]})}
    lines, ok = bv.run(_prod(), OUTPUTS, _clients(fakes), datetime.now(UTC))
    assert not ok
    assert len(lines) == 2 and lines[0].startswith(f"STALE {other} in {PEER.name} (eu-central-1)")
    # prod: daily at 03:00 -> 24 h, plus the 60 min start and 480 min completion windows.
    assert lines[1] == ("backup verify prod: 2 resource(s) x 2 vault(s), allowed age 33.0 h (24.0 h schedule interval "
                        "+ 9.0 h margin): 3 ok, 0 new, 0 missing, 1 stale")


def test_run_refuses_outputs_without_the_peer_vault_when_copy_is_on(aws):
    with pytest.raises(bv.VerifyError, match="copyToPeer is on but the outputs name no vault in eu-central-1"):
        bv.run(_prod(), {"backupVerify": {"vaults": [{"region": HOME.region, "name": HOME.name}]}}, _clients({}), NOW)


def test_dev_requires_no_backups():
    dev = parse_settings(stack_config("dev"), stack="dev")
    assert bv.run(dev, {}, _clients({}), NOW) == (
        ["compliance.requireBackups is off for stack dev: no resource must be backed up"], True)


def _cli(tmp_path, monkeypatch, fakes, capsys):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    monkeypatch.setattr("platformctl.latency.boto3_clients", _clients(fakes))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["backup", "verify", "--stack", "prod", "--outputs", str(outputs)])
    return exit_info.value.code, capsys.readouterr()


def test_cli_exits_1_with_one_line_per_missing_item(aws, tmp_path, monkeypatch, capsys):
    (table,) = _tagged_tables("prod", ["subscribers"])
    fresh = datetime.now(UTC) - timedelta(hours=1)
    fakes = {HOME.region: FakeBackup({(HOME.name, table): [(fresh, "COMPLETED")]}), PEER.region: FakeBackup({})}
    # moto dates the table "now": pretend it is older than the allowed age, so the missing copy is due.
    monkeypatch.setattr(bv, "creation_time", lambda clients, region: lambda arn: datetime.now(UTC) - timedelta(days=30))
    code, out = _cli(tmp_path, monkeypatch, fakes, capsys)
    assert code == 1
    assert out.out.splitlines()[0] == f"MISSING {table} in {PEER.name} (eu-central-1): no completed recovery point"
    assert out.err == "error: 1 recovery point(s) missing or stale\n"


def test_cli_exits_0_when_every_point_is_fresh(aws, tmp_path, monkeypatch, capsys):
    (table,) = _tagged_tables("prod", ["subscribers"])
    fresh = datetime.now(UTC) - timedelta(hours=1)
    fakes = {HOME.region: FakeBackup({(HOME.name, table): [(fresh, "COMPLETED")]}),
             PEER.region: FakeBackup({(PEER.name, table): [(fresh, "COMPLETED")]})}
    code, out = _cli(tmp_path, monkeypatch, fakes, capsys)
    assert code == 0 and out.out.endswith("2 ok, 0 new, 0 missing, 0 stale\n")
