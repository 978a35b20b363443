"""The break-glass role bootstrap/ creates: the one the prod vault policies exempt, MFA-only, out of CI's reach."""

from __future__ import annotations

import json

import pytest

from offline.plan import run_offline
from tests.conftest import ROOT

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/cloud-platform-break-glass"


@pytest.fixture(scope="module")
def bootstrap():
    return run_offline("bootstrap", root=ROOT / "bootstrap")


def _inline(plan, role) -> dict[str, dict]:
    return {p.name: json.loads(p.inputs["policy"]) for p in plan.mocks.of_type("aws:iam/rolePolicy:RolePolicy")
            if plan.mocks.by_id(p.inputs["role"]) is role}


def _role(plan):
    (role,) = [r for r in plan.mocks.of_type("aws:iam/role:Role") if r.name == "break-glass"]
    return role


def test_the_role_the_prod_vault_policies_exempt_is_the_one_bootstrap_creates(bootstrap, prod_plan):
    assert bootstrap.outputs["breakGlassRoleArn"] == ROLE_ARN
    exempt = {json.loads(p.inputs["policy"])["Statement"][0]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
              for p in prod_plan.mocks.of_type("aws:backup/vaultPolicy:VaultPolicy")}
    assert exempt == {bootstrap.outputs["breakGlassRoleArn"]}


def test_people_of_the_account_assume_it_with_recent_mfa_for_an_hour(bootstrap):
    role = _role(bootstrap)
    # Path /: aws:PrincipalArn of its sessions is role/<name>, what the vault policies compare.
    assert (role.inputs["name"], role.inputs["path"], role.inputs["maxSessionDuration"]) == (
        "cloud-platform-break-glass", "/", 3600)
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                                      "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}
    assert "permissionsBoundary" not in role.inputs


def test_it_may_only_delete_and_re_lifecycle_recovery_points(bootstrap):
    role = _role(bootstrap)
    (policy,) = _inline(bootstrap, role).values()
    actions = {a for st in policy["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    assert {"backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"} <= actions
    assert all(a.split(":")[0] in ("backup", "ec2", "dynamodb") and "*" not in a for a in actions)
    for st in policy["Statement"]:
        assert st["Effect"] == "Allow"
        if st["Resource"] == "*":
            assert st["Action"] == "backup:ListBackupVaults"  # no resource-level permission exists for it


def test_deploy_roles_may_neither_change_nor_assume_it(bootstrap):
    for key in ("dev", "prod"):
        role = bootstrap.mocks.named(f"github-deploy-{key}")
        statements = {st["Sid"]: st for st in _inline(bootstrap, role)[f"github-deploy-{key}-iam"]["Statement"]}
        deny = statements["NeverTheBreakGlassRole"]
        assert deny["Effect"] == "Deny" and set(deny["Action"]) == {"iam:*", "sts:AssumeRole"}
        assert deny["Resource"] == [ROLE_ARN]
