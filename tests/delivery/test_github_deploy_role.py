"""GitHubDeployRole and the bootstrap program under the recording mock."""

from __future__ import annotations

import json

import pytest

from components.github_deploy_role import DeployRoleArgs, GitHubDeployRole, GitHubDeployRoleArgs, github_variables
from components.settings import SettingsError
from components.settings.delivery import parse_bootstrap_settings
from offline.plan import run_offline
from tests.conftest import ROOT

REPO = "acme/cloud-platform"
ROLE = "aws:iam/role:Role"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
HOST = "token.actions.githubusercontent.com"
ROLES = {
    "dev": DeployRoleArgs(branches=["main"]),
    "dev-preview": DeployRoleArgs(access="preview", pull_requests=True),
    "prod": DeployRoleArgs(github_environment="prod"),
    "prod-preview": DeployRoleArgs(access="preview", pull_requests=True),
}
BOUNDARY = "arn:aws:iam::123456789012:policy/github-deploy/cloud-platform-boundary"


def deploy(build, **kw):
    return build(lambda: GitHubDeployRole("gh", GitHubDeployRoleArgs(repository=REPO, roles=ROLES, **kw)))


def trust(role) -> dict:
    doc = json.loads(role.inputs["assumeRolePolicy"])
    [statement] = doc["Statement"]
    return statement


def test_provider_is_github_with_sts_audience(build):
    mocks = deploy(build)
    [provider] = mocks.of_type(OIDC)
    assert provider.inputs["url"] == f"https://{HOST}"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert mocks.component_of(provider).type == "cloud-platform:delivery:GitHubDeployRole"


@pytest.mark.parametrize(
    ("key", "subjects"),
    [
        ("dev", [f"repo:{REPO}:ref:refs/heads/main"]),
        ("dev-preview", [f"repo:{REPO}:pull_request"]),
        ("prod", [f"repo:{REPO}:environment:prod"]),
        ("prod-preview", [f"repo:{REPO}:pull_request"]),
    ],
)
def test_trust_policy_pins_audience_and_exact_subjects(build, key, subjects):
    mocks = deploy(build)
    [provider] = mocks.of_type(OIDC)
    statement = trust(mocks.named(f"gh-{key}"))
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": provider.outputs["arn"]}
    assert statement["Condition"] == {"StringEquals": {f"{HOST}:aud": "sts.amazonaws.com", f"{HOST}:sub": subjects}}
    assert "*" not in json.dumps(statement) and "?" not in json.dumps(statement["Condition"])


def test_roles_live_outside_the_prefix_they_may_manage(build):
    mocks = deploy(build)
    for role in mocks.of_type(ROLE):
        assert role.inputs["path"] == "/github-deploy/"
        assert not role.inputs["name"].startswith("cloud-platform-")
        assert role.inputs["maxSessionDuration"] == 3600


def test_deploy_roles_get_managed_policies_and_bounded_iam_previews_only_the_read_policy(build):
    mocks = deploy(build)
    attached = {(a.inputs["role"], a.inputs["policyArn"]) for a in mocks.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    names = {k: mocks.named(f"gh-{k}").inputs["name"] for k in ROLES}
    assert attached == {
        (names["dev"], "arn:aws:iam::aws:policy/PowerUserAccess"),
        (names["prod"], "arn:aws:iam::aws:policy/PowerUserAccess"),
    }
    inline: dict[str, dict[str, dict]] = {}
    for p in mocks.of_type("aws:iam/rolePolicy:RolePolicy"):
        inline.setdefault(mocks.by_id(p.inputs["role"]).name, {})[p.name.rsplit("-", 1)[1]] = json.loads(p.inputs["policy"])
    assert {k: set(v) for k, v in inline.items()} == {
        "gh-dev": {"iam"}, "gh-prod": {"iam"}, "gh-dev-preview": {"read"}, "gh-prod-preview": {"read"},
    }
    statements = {s["Sid"]: s for s in inline["gh-prod"]["iam"]["Statement"]}
    bounded = statements["PlatformRolesWithBoundary"]
    assert bounded["Resource"] == "arn:aws:iam::123456789012:role/cloud-platform-*"
    assert bounded["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}
    assert "iam:CreateRole" in bounded["Action"] and "iam:CreateRole" not in statements["PlatformRoles"]["Action"]
    assert statements["PlatformPolicies"]["Resource"] == "arn:aws:iam::123456789012:policy/cloud-platform-*"
    assert statements["PlatformInstanceProfiles"]["Resource"] == "arn:aws:iam::123456789012:instance-profile/cloud-platform-*"
    deny = statements["NeverTheDeployIdentities"]
    assert deny["Effect"] == "Deny" and "arn:aws:iam::123456789012:policy/github-deploy/*" in deny["Resource"]
    assert statements["BoundaryStays"] == {"Sid": "BoundaryStays", "Effect": "Deny",
                                           "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"}


def test_boundary_policy_lives_with_the_deploy_identities(build):
    mocks = deploy(build)
    [boundary] = mocks.of_type("aws:iam/policy:Policy")
    assert (boundary.inputs["path"], boundary.inputs["name"]) == ("/github-deploy/", "cloud-platform-boundary")
    sids = [s["Sid"] for s in json.loads(boundary.inputs["policy"])["Statement"]]
    assert sids == ["Ceiling", "NoIamWrites", "PassOnlyPlatformRoles", "NoOrganizationsOrAccount"]


def test_existing_provider_is_reused_not_created(build):
    arn = f"arn:aws:iam::210987654321:oidc-provider/{HOST}"
    mocks = deploy(build, oidc_provider_arn=arn)
    assert mocks.of_type(OIDC) == []
    assert {trust(r)["Principal"]["Federated"] for r in mocks.of_type(ROLE)} == {arn}


def test_bootstrap_program_runs_with_its_shipped_stack_file():
    plan = run_offline("bootstrap", root=ROOT / "bootstrap")
    variables = plan.outputs["githubVariables"]
    assert set(variables) == {"AWS_ROLE_ARN_DEV", "AWS_ROLE_ARN_DEV_ENV", "AWS_ROLE_ARN_DEV_PREVIEW",
                              "AWS_ROLE_ARN_PROD", "AWS_ROLE_ARN_PROD_PREVIEW"}
    assert plan.outputs["permissionsBoundaryArn"] == BOUNDARY
    subs = {r.name: trust(r)["Condition"]["StringEquals"][f"{HOST}:sub"] for r in plan.mocks.of_type(ROLE)
            if r.inputs["path"] == "/github-deploy/"}
    repo = "repo:platform-team/cloud-platform"
    assert subs["github-deploy-prod"] == [f"{repo}:environment:prod"]
    assert subs["github-deploy-dev"] == [f"{repo}:ref:refs/heads/main"]  # pushes to main, nothing else
    assert subs["github-deploy-dev-env"] == [f"{repo}:environment:dev"]
    assert subs["github-deploy-dev-preview"] == subs["github-deploy-prod-preview"] == [f"{repo}:pull_request"]
    # Only the preview roles answer a pull request.
    assert {n for n, sub in subs.items() if f"{repo}:pull_request" in sub} == {
        "github-deploy-dev-preview", "github-deploy-prod-preview"}


def test_github_variables_names():
    assert github_variables({"dev": "a", "prod-preview": "b"}) == {"AWS_ROLE_ARN_DEV": "a", "AWS_ROLE_ARN_PROD_PREVIEW": "b"}


NS = "cloud-platform-bootstrap"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"repository": "acme"}, f"{NS}:repository must match"),
        ({"repository": "acme/x/y"}, f"{NS}:repository must match"),
        ({"roles": {"prod": {"githubEnvironment": "prod", "branches": ["main"]}}},
         f"{NS}:roles.prod.githubEnvironment must not be combined with branches or pullRequests"),
        ({"roles": {"prod": {"githubEnvironment": "prod", "pullRequests": True}}},
         f"{NS}:roles.prod.githubEnvironment must not be combined"),
        ({"roles": {"dev": {"branches": ["main"], "pullRequests": True}}},
         f"{NS}:roles.dev.pullRequests must be false for a deploy role"),
        ({"roles": {"pr": {"access": "preview", "pullRequests": True, "branches": ["main"]}}},
         f"{NS}:roles.pr.access preview trusts pull requests only"),
        ({"roles": {"pr": {"access": "preview"}}}, f"{NS}:roles.pr.branches or pullRequests or githubEnvironment must be set"),
        ({"roles": {"pr": {"access": "preview", "pullRequests": True, "manageIam": True}}},
         f"{NS}:roles.pr.access preview gets the read-only preview policy only"),
        ({"roles": {"pr": {"access": "admin", "pullRequests": True}}}, f"{NS}:roles.pr.access must be one of"),
        ({"roles": {"dev": {}}}, f"{NS}:roles.dev.branches or pullRequests or githubEnvironment must be set"),
        ({"roles": {"dev": {"branches": ["release/*"]}}}, f"{NS}:roles.dev.branches must be exact branch names without wildcards"),
        ({"roles": {"dev": {"branches": ["main"], "managedPolicyArns": ["PowerUserAccess"]}}},
         f"{NS}:roles.dev.managedPolicyArns must hold IAM policy ARNs (got 'PowerUserAccess')"),
        ({"roles": {"dev": {"branches": ["main"], "maxSessionSeconds": 60}}}, f"{NS}:roles.dev.maxSessionSeconds must be >= 3600 (got 60)"),
        ({"roles": {"Dev": {"branches": ["main"]}}}, f"{NS}:roles keys must match"),
        ({"roles": {}}, f"{NS}:roles must have at least 1 item(s)"),
        ({"oidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/example.com"}, f"{NS}:oidcProviderArn must match"),
        ({"typo": 1}, f"{NS}:typo is not a known setting (allowed: repository, oidcProviderArn, iamPrefix, roles, "
                      "breakGlass)"),
        ({"breakGlass": {"maxSessionSeconds": 900}}, f"{NS}:breakGlass.maxSessionSeconds must be >= 3600 (got 900)"),
        ({"breakGlass": {"mfaMaxAgeSeconds": 86400}}, f"{NS}:breakGlass.mfaMaxAgeSeconds must be <= 3600"),
        ({"breakGlass": {"roleName": "break glass"}}, f"{NS}:breakGlass.roleName must match"),
    ],
)
def test_bootstrap_settings_errors_are_one_line(config, expected):
    base = {"repository": REPO, "roles": {"dev": {"branches": ["main"]}}}
    flat = {f"{NS}:{k}": json.dumps(v) if isinstance(v, dict | list) else v for k, v in {**base, **config}.items()}
    with pytest.raises(SettingsError) as info:
        parse_bootstrap_settings(flat)
    assert str(info.value).startswith(expected), str(info.value)
    assert "\n" not in str(info.value)
