"""Explicit key policies: the account administers each key, only named principals use it, through its service."""

from __future__ import annotations

import json

import pytest

from tests.unit.test_guardrails import _backups

ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
KEY = "aws:kms/key:Key"


def _statements(key) -> dict[str, dict]:
    return {st["Sid"]: st for st in json.loads(key.inputs["policy"])["Statement"]}


def assert_account_only_administers(statements: dict[str, dict]) -> None:
    """AWS's default gives the root kms:*; ours gives it administration, no use of the data."""
    admin = statements["AccountAdministersKey"]
    assert admin["Principal"] == {"AWS": ROOT}
    assert "kms:PutKeyPolicy" in admin["Action"] and "kms:ScheduleKeyDeletion" in admin["Action"]
    assert not {"kms:*", "kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:Create*"} & set(admin["Action"])


def assert_used_only_through(statement: dict, principals: list[str], service: str) -> None:
    assert statement["Principal"] == {"AWS": principals}
    assert statement["Condition"]["StringEquals"] == {"kms:ViaService": [service], "kms:CallerAccount": ACCOUNT}


def test_vault_keys_are_used_only_by_the_backup_role_through_backup(build):
    mocks = _backups(build)
    (role,) = mocks.of_type("aws:iam/role:Role")
    keys = {k.name: k for k in mocks.of_type(KEY)}
    for key_name, region in (("bk-key", "eu-west-1"), ("bk-peer-key", "eu-central-1")):
        statements = _statements(keys[key_name])
        assert set(statements) == {"AccountAdministersKey", "BackupRoleThroughBackup", "BackupRoleThroughBackupGrants"}
        assert_account_only_administers(statements)
        use, grants = statements["BackupRoleThroughBackup"], statements["BackupRoleThroughBackupGrants"]
        for st in (use, grants):
            assert_used_only_through(st, [role.outputs["arn"]], f"backup.{region}.amazonaws.com")
        assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(use["Action"]) and "kms:CreateGrant" not in use["Action"]
        assert "kms:CreateGrant" in grants["Action"]
        assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_ecr_key_is_used_only_through_ecr(prod_plan):
    (key,) = [k for k in prod_plan.mocks.of_type(KEY) if k.name.endswith("-container-ecr")]
    statements = _statements(key)
    assert set(statements) == {"AccountAdministersKey", "AccountThroughEcr", "AccountThroughEcrGrants"}
    assert_account_only_administers(statements)
    for st in (statements["AccountThroughEcr"], statements["AccountThroughEcrGrants"]):
        assert_used_only_through(st, [ROOT], "ecr.eu-west-1.amazonaws.com")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_key_has_an_explicit_policy_giving_no_one_everything(stack, dev_plan, prod_plan):
    plan = {"dev": dev_plan, "prod": prod_plan}[stack]
    keys = plan.mocks.of_type(KEY)
    assert keys
    for key in keys:
        assert key.inputs.get("policy"), f"{key.name} uses AWS's default key policy (kms:* for the account)"
        for st in json.loads(key.inputs["policy"])["Statement"]:
            actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
            everyone = st["Principal"] in ("*", {"AWS": "*"})
            assert not (everyone and st["Effect"] == "Allow" and ("kms:*" in actions or "Condition" not in st)), (
                key.name, st)
