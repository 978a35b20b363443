"""Settings of the deploy-role bootstrap program (`bootstrap/`, namespace `cloud-platform-bootstrap`).

Each role names the GitHub OIDC subjects it trusts. A role bound to a GitHub environment
trusts that environment ONLY: a job in an environment presents `environment:<name>` as its
subject whatever the branch, so adding a branch or pull_request subject next to it would
let a job skip the environment's required reviewers.

A role is either a deploy role (pushes or environments, never pull requests: a pull
request runs its own program) or a preview role (pull requests only, the custom read-only
policy, no managed policies, no IAM).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from .base import Section, SettingsError, describe, invalid

BOOTSTRAP_NAMESPACE = "cloud-platform-bootstrap"
# GitHub: owner 1-39 chars of letters, digits, hyphens (not leading); repo letters, digits, . _ -
REPOSITORY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$"
ROLE_KEY = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


class DeployRoleSettings(Section):
    """One IAM role that GitHub Actions jobs of the repository may assume."""

    access: Literal["deploy", "preview"] = "deploy"
    branches: list[str] = Field(default_factory=list, description="trusted pushes: ref:refs/heads/<branch>")
    pull_requests: bool = Field(False, description="trust pull_request jobs (previews; forks get no token)")
    github_environment: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]{1,255}$")
    managed_policy_arns: list[str] | None = None
    """Default: PowerUserAccess for deploy roles, nothing for preview roles."""
    manage_iam: bool | None = Field(None, description="IAM under the platform's prefix (default: deploy roles)")
    max_session_seconds: int = Field(3600, ge=3600, le=43200)

    @model_validator(mode="after")
    def _subjects(self) -> DeployRoleSettings:
        for branch in self.branches:
            if not re.fullmatch(r"[A-Za-z0-9._/-]{1,255}", branch) or "//" in branch:
                raise invalid("branches", f"must be exact branch names without wildcards (got {branch!r})")
        for arn in self.managed_policy_arns or []:
            if not re.fullmatch(r"arn:aws[a-z-]*:iam::(aws|\d{12}):policy/[A-Za-z0-9_+=,.@/-]{1,512}", arn):
                raise invalid("managedPolicyArns", f"must hold IAM policy ARNs (got {arn!r})")
        if self.github_environment and (self.branches or self.pull_requests):
            raise invalid(
                "githubEnvironment",
                "must not be combined with branches or pullRequests: those subjects would bypass "
                "the environment's protection rules",
            )
        if not (self.github_environment or self.branches or self.pull_requests):
            raise invalid("branches", "or pullRequests or githubEnvironment must be set: the role trusts no job")
        if self.access == "deploy" and self.pull_requests:
            raise invalid("pullRequests", "must be false for a deploy role: a pull request runs its own program "
                          "(give pull requests a role with access: preview)")
        if self.access == "preview":
            if self.branches or self.github_environment:
                raise invalid("access", "preview trusts pull requests only (got branches or githubEnvironment too)")
            if not self.pull_requests:
                raise invalid("pullRequests", "must be true for a preview role (it serves pull-request previews)")
            if self.managed_policy_arns or self.manage_iam:
                raise invalid("access", "preview gets the read-only preview policy only (no managedPolicyArns, no manageIam)")
        return self


class BreakGlassSettings(Section):
    """The break-glass role: the only principal the backup vault policies let delete or re-lifecycle recovery points."""

    role_name: str = Field("cloud-platform-break-glass", pattern=r"^[A-Za-z0-9_+=,.@-]{1,64}$")  # IAM: ASCII only
    """Role name (path /); the platform stacks' backup.breakGlassRoleName must be the same."""
    max_session_seconds: int = Field(3600, ge=3600, le=43200)
    """Longest session (IAM's shortest possible maximum is one hour)."""
    mfa_max_age_seconds: int = Field(3600, ge=60, le=3600)
    """The MFA sign-in must be at most this old when the role is assumed."""


class BootstrapSettings(Section):
    """The whole bootstrap stack: which repository, which provider, which roles."""

    repository: str = Field(pattern=REPOSITORY_PATTERN)
    oidc_provider_arn: str | None = Field(
        None, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
    )
    iam_prefix: str = Field("cloud-platform-", pattern=r"^[a-z][a-z0-9-]{2,30}-$")
    roles: dict[str, DeployRoleSettings] = Field(min_length=1)
    break_glass: BreakGlassSettings = Field(default_factory=BreakGlassSettings)
    """The MFA-only role that alone may delete recovery points (docs/security.md)."""

    @model_validator(mode="after")
    def _role_keys(self) -> BootstrapSettings:
        for key in self.roles:
            if not ROLE_KEY.match(key):
                raise invalid("roles", f"keys must match {ROLE_KEY.pattern} (got {key!r})")
        return self


def parse_bootstrap_settings(config: dict[str, Any]) -> BootstrapSettings:
    """Validate a flat `{"namespace:key": value}` config map of the bootstrap stack."""
    raw: dict[str, Any] = {}
    for key, value in config.items():
        namespace, _, name = key.partition(":")
        if namespace != BOOTSTRAP_NAMESPACE:
            continue
        if isinstance(value, str) and value[:1] in "{[":
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                pass
        raw[name] = value
    try:
        return BootstrapSettings.model_validate(raw)
    except ValidationError as exc:
        raise SettingsError(describe(exc, BootstrapSettings, BOOTSTRAP_NAMESPACE)) from None


def load_bootstrap_settings() -> BootstrapSettings:
    from pulumi.runtime import config as runtime_config

    return parse_bootstrap_settings({**runtime_config.get_config_env(), **runtime_config.CONFIG.get()})
