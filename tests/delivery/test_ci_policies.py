"""The CI identities' IAM documents, judged by AWS's action catalogue (access levels, resource
types, condition keys), with every wildcard expanded over the real action list."""

from __future__ import annotations

import pytest

from components.ci_policies import (
    BOUNDED_ROLE_ACTIONS,
    DATA_PLANE_READS,
    PREVIEW_READ_ACTIONS,
    iam_management_policy,
    permissions_boundary,
    preview_read_policy,
)
from components.settings import parse_settings
from tests.delivery import iam_catalogue as catalogue

BOUNDARY = "arn:aws:iam::123456789012:policy/github-deploy/cloud-platform-boundary"


def allowed_actions(policy: dict) -> dict[str, list[str]]:
    """Allow statement Sid -> every catalogued action it grants (wildcards expanded)."""
    granted = {}
    for statement in policy["Statement"]:
        if statement["Effect"] == "Allow":
            patterns = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            granted[statement["Sid"]] = sorted({a for p in patterns for a in catalogue.expand(p)})
    return granted


def test_every_preview_pattern_names_real_actions():
    unknown = [p for p in PREVIEW_READ_ACTIONS if not catalogue.expand(p)]
    assert unknown == []


def test_preview_grants_only_list_and_read_access_levels():
    """No Write, Permissions management or Tagging action: so no IAM write, and no write at all."""
    for sid, actions in allowed_actions(preview_read_policy()).items():
        wrong = {a: sorted(catalogue.access_levels(a)) for a in actions if not catalogue.access_levels(a) <= catalogue.READ_LEVELS}
        assert wrong == {}, sid
    assert sum(len(a) for a in allowed_actions(preview_read_policy()).values()) > 300  # the wildcards did expand


def test_preview_reads_no_data():
    """Nothing that returns what a resource holds: S3 object reads (by resource type), item
    reads, log events, secrets, parameters, messages, images."""
    data = catalogue.object_reads() | {a for p in DATA_PLANE_READS for a in catalogue.expand(p)}
    assert {"s3:GetObject", "dynamodb:Query", "logs:GetLogEvents", "secretsmanager:GetSecretValue"} <= data
    granted = allowed_actions(preview_read_policy())
    assert set(granted["ReadPlatformConfiguration"]) & data == set()
    # The one exception: AWS's public parameters (the current Amazon Linux image id).
    public = next(s for s in preview_read_policy()["Statement"] if s["Sid"] == "AwsPublicParameters")
    assert granted["AwsPublicParameters"] == ["ssm:GetParameter"]
    assert public["Resource"] == "arn:aws:ssm:*::parameter/aws/service/*"
    deny = next(s for s in preview_read_policy()["Statement"] if s["Effect"] == "Deny")
    assert deny["Action"] == DATA_PLANE_READS and deny["NotResource"] == public["Resource"]


@pytest.mark.parametrize("pattern", ["dynamodb:Get*", "s3:Get*", "logs:Get*", "ssm:Get*", "iam:*Role*"])
def test_a_broad_pattern_would_be_caught(pattern):
    """The check is not a list of names: one wildcard that reaches data or writes fails it."""
    policy = preview_read_policy()
    policy["Statement"][0]["Action"] = [*PREVIEW_READ_ACTIONS, pattern]
    actions = allowed_actions(policy)["ReadPlatformConfiguration"]
    data = catalogue.object_reads() | {a for p in DATA_PLANE_READS for a in catalogue.expand(p)}
    assert any(a in data or not catalogue.access_levels(a) <= catalogue.READ_LEVELS for a in actions)


def test_boundary_denies_every_iam_write_but_passing_platform_roles():
    policy = permissions_boundary("aws", "123456789012", "cloud-platform-")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    denied = {a for p in statements["NoIamWrites"]["Action"] for a in catalogue.expand(p)}
    assert catalogue.writes("iam") - denied == {"iam:PassRole"}
    passing = statements["PassOnlyPlatformRoles"]
    assert passing["Effect"] == "Deny" and passing["NotResource"] == "arn:aws:iam::123456789012:role/cloud-platform-*"
    org = statements["NoOrganizationsOrAccount"]
    assert org["Effect"] == "Deny" and org["Action"] == ["organizations:*", "account:*"] and org["Resource"] == "*"


def test_deploy_roles_change_roles_only_with_the_boundary():
    """Every role action AWS evaluates iam:PermissionsBoundary for is granted only under that
    condition (GetRole aside: reading is harmless), and removing a boundary is denied."""
    policy = iam_management_policy("aws", "123456789012", "cloud-platform-", "arn:aws:iam::123456789012:oidc-provider/x", BOUNDARY)
    statements = {s["Sid"]: s for s in policy["Statement"]}
    role_scope = {a for a in catalogue.boundary_condition_actions() if "User" not in a} - {"iam:GetRole"}
    assert role_scope - {"iam:DeleteRolePermissionsBoundary"} == set(BOUNDED_ROLE_ACTIONS)
    unconditioned = {a for sid, s in statements.items() if s["Effect"] == "Allow" and "Condition" not in s for a in s["Action"]}
    assert unconditioned & role_scope == set()
    assert statements["BoundaryStays"]["Action"] == "iam:DeleteRolePermissionsBoundary"
    granted = {a for s in statements.values() if s["Effect"] == "Allow" for a in s["Action"]}
    assert not granted & {"iam:CreateUser", "iam:CreateAccessKey", "iam:CreateOpenIDConnectProvider"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_role_of_the_shipped_stacks_carries_the_boundary(stack, request):
    plan = request.getfixturevalue(f"{stack}_plan")
    roles = plan.mocks.of_type("aws:iam/role:Role")
    assert len(roles) >= 5
    assert {r.name: r.inputs.get("permissionsBoundary") for r in roles} == {r.name: BOUNDARY for r in roles}


def test_without_the_setting_roles_have_no_boundary(plan_with):
    plan = plan_with("dev", {"cloud-platform:permissionsBoundary": ""})
    assert all("permissionsBoundary" not in r.inputs for r in plan.mocks.of_type("aws:iam/role:Role"))


def test_boundary_setting_is_a_policy_path_and_name():
    config = {"aws:region": "eu-west-1", "cloud-platform:environment": "dev", "cloud-platform:owner": "o",
              "cloud-platform:costCenter": "c", "cloud-platform:permissionsBoundary": "arn:aws:iam::1:policy/x y"}
    with pytest.raises(Exception, match=r"cloud-platform:permissionsBoundary must match"):
        parse_settings(config, "dev")
