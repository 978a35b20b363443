"""GitHubDeployRole: keyless AWS access for this repository's GitHub Actions jobs.

One OIDC identity provider for `token.actions.githubusercontent.com` (created, or an
existing one by ARN: an account holds one per URL) and one IAM role per key in config whose
trust policy pins the audience to STS and the subject to exact forms of this repository:
`ref:refs/heads/<branch>`, `pull_request`, or `environment:<name>`. `StringEquals` only —
no `StringLike` wildcards, so no other repository, branch or environment matches.

Two kinds of role (components/ci_policies.py has the documents):
* preview roles trust `pull_request` only and hold the custom read-only preview policy:
  configuration reads, no data-plane reads, no writes. A pull request runs its own
  program, so it must never hold deploy power.
* deploy roles (pushes to a branch, or a GitHub environment) hold AWS managed policies
  (default PowerUserAccess: every service the platform uses, but no IAM) plus, with
  `manageIam`, IAM writes limited to `<iamPrefix>*` names, and roles only with the
  permissions boundary this component creates (`/github-deploy/<iamPrefix>boundary`), which
  denies every IAM write, Organizations and account changes to the roles a stack creates.
  The deploy identities live under `/github-deploy/`, outside the prefix, and an explicit
  deny keeps a deploy role off them. Keep dev and prod in separate AWS accounts (docs/security.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from .ci_policies import DEPLOY_PATH, iam_management_policy, permissions_boundary, preview_read_policy

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
ROLE_PATH = DEPLOY_PATH
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"


@dataclass
class DeployRoleArgs:
    """One role GitHub Actions jobs may assume. The bootstrap settings refuse unsafe combinations
    (an environment plus branches, a deploy role trusting pull requests, ...) before this is built."""

    access: Literal["deploy", "preview"] = "deploy"
    branches: list[str] = field(default_factory=list)
    """Trusted pushes: `ref:refs/heads/<branch>`."""
    pull_requests: bool = False
    github_environment: str | None = None
    """Trust this GitHub environment only (its protection rules apply)."""
    managed_policy_arns: list[str] | None = None
    """None: PowerUserAccess for deploy roles, nothing for preview roles."""
    manage_iam: bool | None = None
    """IAM writes under the platform's prefix; None: deploy roles only."""
    max_session_seconds: int = 3600

    @property
    def policies(self) -> list[str]:
        if self.managed_policy_arns is not None:
            return self.managed_policy_arns
        return [POWER_USER] if self.access == "deploy" else []

    @property
    def iam(self) -> bool:
        return self.access == "deploy" if self.manage_iam is None else self.manage_iam


@dataclass
class GitHubDeployRoleArgs:
    repository: str
    """`owner/name` of the GitHub repository whose workflows may assume the roles."""
    roles: Mapping[str, DeployRoleArgs]
    """Role key (dev, prod, ...) -> trusted subjects and permissions."""
    oidc_provider_arn: pulumi.Input[str] | None = None
    """An existing GitHub OIDC provider in the account; None creates one."""
    iam_prefix: str = "cloud-platform-"
    """Name prefix of the IAM roles/policies the stacks create (what `manageIam` may touch)."""
    untouchable_roles: tuple[str, ...] = ()
    """Role names (path /) the deploy roles may neither change nor assume, even inside the prefix (break glass)."""


def trusted_subjects(repository: str, role: DeployRoleArgs) -> list[str]:
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


def _account_parts(provider_arn: str) -> tuple[str, str]:
    parts = provider_arn.split(":")
    return parts[1], parts[4]


class GitHubDeployRole(pulumi.ComponentResource):
    provider_arn: pulumi.Output[str]
    role_arns: pulumi.Output[dict[str, str]]
    boundary_arn: pulumi.Output[str]

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

        # The platform stacks name this policy in `cloud-platform:permissionsBoundary`.
        boundary = aws.iam.Policy(
            f"{name}-boundary",
            name=f"{args.iam_prefix}boundary",
            path=ROLE_PATH,
            description="Ceiling of every role the platform creates: no IAM writes, no Organizations/account",
            policy=self.provider_arn.apply(
                lambda arn: json.dumps(permissions_boundary(*_account_parts(arn), args.iam_prefix))),
            opts=child,
        )
        # Spelled out (AWS's form, path included) so the deploy policies need not wait for it.
        self.boundary_arn = pulumi.Output.all(self.provider_arn, boundary.id).apply(
            lambda a: "arn:{}:iam::{}:policy{}{}boundary".format(*_account_parts(a[0]), ROLE_PATH, args.iam_prefix))
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
            for index, policy_arn in enumerate(settings.policies):
                aws.iam.RolePolicyAttachment(
                    f"{name}-{key}-managed-{index}", role=role.name, policy_arn=policy_arn, opts=child
                )
            if settings.access == "preview":
                aws.iam.RolePolicy(
                    f"{name}-{key}-read",
                    role=role.id,
                    policy=self.provider_arn.apply(
                        lambda arn: json.dumps(preview_read_policy(_account_parts(arn)[0]))),
                    opts=child,
                )
            if settings.iam:
                aws.iam.RolePolicy(
                    f"{name}-{key}-iam",
                    role=role.id,
                    policy=pulumi.Output.all(self.provider_arn, self.boundary_arn).apply(
                        lambda a: json.dumps(
                            iam_management_policy(*_account_parts(a[0]), args.iam_prefix, a[0], a[1],
                                                  args.untouchable_roles))),
                    opts=child,
                )
            arns[key] = role.arn

        self.role_arns = pulumi.Output.all(**arns)
        self.register_outputs({"providerArn": self.provider_arn, "roleArns": self.role_arns,
                               "boundaryArn": self.boundary_arn})


def github_variables(role_arns: Mapping[str, str]) -> dict[str, str]:
    """Repository variables the workflows read: dev -> AWS_ROLE_ARN_DEV, prod-preview -> AWS_ROLE_ARN_PROD_PREVIEW."""
    return {f"AWS_ROLE_ARN_{key.upper().replace('-', '_')}": arn for key, arn in role_arns.items()}
