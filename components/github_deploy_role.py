"""GitHubDeployRole: keyless AWS access for this repository's GitHub Actions jobs.

One OIDC identity provider for `token.actions.githubusercontent.com` (created, or an
existing one by ARN: an account holds one per URL) and one IAM role per environment whose
trust policy pins the audience to STS and the subject to exact forms of this repository:
`ref:refs/heads/<branch>`, `pull_request`, or `environment:<name>`. `StringEquals` only —
no `StringLike` wildcards, so no other repository, branch or environment matches.

Permissions are a trade-off, chosen per role in config: AWS managed policies (default
PowerUserAccess: every service the platform uses, but no IAM) plus, with `manageIam`, an
IAM policy limited to roles, policies and instance profiles named `<iamPrefix>*` (what
`pulumi up` creates). The deploy roles live under the `/github-deploy/` path, outside that
scope, and an explicit deny stops a deploy role from editing any deploy role or the
provider. Names are not privileges: a role under the prefix can still be given broad
policies, so keep dev and prod in separate AWS accounts (docs/delivery.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .settings.delivery import DeployRoleSettings

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
ROLE_PATH = "/github-deploy/"

_ROLE_ACTIONS = [
    "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
    "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
    "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole", "iam:PassRole",
]
_POLICY_ACTIONS = [
    "iam:CreatePolicy", "iam:DeletePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
    "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy", "iam:ListPolicyTags",
]
_PROFILE_ACTIONS = [
    "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:GetInstanceProfile",
    "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
    "iam:TagInstanceProfile", "iam:UntagInstanceProfile", "iam:ListInstanceProfileTags",
]


@dataclass
class GitHubDeployRoleArgs:
    repository: str
    """`owner/name` of the GitHub repository whose workflows may assume the roles."""
    roles: Mapping[str, DeployRoleSettings]
    """Role key (dev, prod, ...) -> trusted subjects and permissions."""
    oidc_provider_arn: pulumi.Input[str] | None = None
    """An existing GitHub OIDC provider in the account; None creates one."""
    iam_prefix: str = "cloud-platform-"
    """Name prefix of the IAM roles/policies the stacks create (what `manageIam` may touch)."""


def trusted_subjects(repository: str, role: DeployRoleSettings) -> list[str]:
    """The exact `sub` claims a role accepts, in a stable order."""
    base = f"repo:{repository}"
    if role.github_environment:
        return [f"{base}:environment:{role.github_environment}"]
    subjects = [f"{base}:ref:refs/heads/{branch}" for branch in role.branches]
    if role.pull_requests:
        subjects.append(f"{base}:pull_request")
    return subjects


def trust_policy(provider_arn: str, subjects: list[str]) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "GitHubActionsOidc",
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                f"{GITHUB_OIDC_HOST}:aud": AUDIENCE,
                f"{GITHUB_OIDC_HOST}:sub": subjects,
            }},
        }],
    })


def iam_management_policy(provider_arn: str, prefix: str) -> str:
    """IAM writes limited to the platform's own names; the deploy roles and provider are off-limits."""
    arn_parts = provider_arn.split(":")
    partition, account = arn_parts[1], arn_parts[4]
    iam = f"arn:{partition}:iam::{account}"
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "PlatformRoles", "Effect": "Allow", "Action": _ROLE_ACTIONS,
             "Resource": f"{iam}:role/{prefix}*"},
            {"Sid": "PlatformPolicies", "Effect": "Allow", "Action": _POLICY_ACTIONS,
             "Resource": f"{iam}:policy/{prefix}*"},
            {"Sid": "PlatformInstanceProfiles", "Effect": "Allow", "Action": _PROFILE_ACTIONS,
             "Resource": f"{iam}:instance-profile/{prefix}*"},
            {"Sid": "NeverTheDeployIdentities", "Effect": "Deny", "Action": "iam:*",
             "Resource": [f"{iam}:role{ROLE_PATH}*", provider_arn]},
        ],
    })


class GitHubDeployRole(pulumi.ComponentResource):
    provider_arn: pulumi.Output[str]
    role_arns: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: GitHubDeployRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:delivery:GitHubDeployRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        repo_name = args.repository.split("/", 1)[1].lower()

        if args.oidc_provider_arn is None:
            # AWS validates GitHub's certificate against its trusted CAs: no thumbprint to pin.
            provider = aws.iam.OpenIdConnectProvider(
                f"{name}-github-oidc",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_id_lists=[AUDIENCE],
                opts=child,
            )
            self.provider_arn = provider.arn
        else:
            self.provider_arn = pulumi.Output.from_input(args.oidc_provider_arn)

        arns: dict[str, pulumi.Output[str]] = {}
        for key, settings in args.roles.items():
            subjects = trusted_subjects(args.repository, settings)
            role = aws.iam.Role(
                f"{name}-{key}",
                # Outside `<iamPrefix>*` on purpose (and unique per account whatever the path).
                name=f"gha-{repo_name}"[: 63 - len(key)] + f"-{key}",
                path=ROLE_PATH,
                description=f"GitHub Actions of {args.repository}: {', '.join(subjects)}",
                assume_role_policy=self.provider_arn.apply(lambda arn, s=subjects: trust_policy(arn, s)),
                max_session_duration=settings.max_session_seconds,
                opts=child,
            )
            for index, policy_arn in enumerate(settings.managed_policy_arns):
                aws.iam.RolePolicyAttachment(
                    f"{name}-{key}-managed-{index}", role=role.name, policy_arn=policy_arn, opts=child
                )
            if settings.manage_iam:
                aws.iam.RolePolicy(
                    f"{name}-{key}-iam",
                    role=role.id,
                    policy=self.provider_arn.apply(lambda arn: iam_management_policy(arn, args.iam_prefix)),
                    opts=child,
                )
            arns[key] = role.arn

        self.role_arns = pulumi.Output.all(**arns)
        self.register_outputs({"providerArn": self.provider_arn, "roleArns": self.role_arns})


def github_variables(role_arns: Mapping[str, str]) -> dict[str, str]:
    """Repository variables the workflows read: dev -> AWS_ROLE_ARN_DEV, prod-preview -> AWS_ROLE_ARN_PROD_PREVIEW."""
    return {f"AWS_ROLE_ARN_{key.upper().replace('-', '_')}": arn for key, arn in role_arns.items()}
