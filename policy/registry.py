"""Policies as plain functions plus the metadata a policy pack and a report need.

A resource policy checks one resource of the listed types; a stack policy sees every
resource of the plan at once (relations: flow log -> VPC, bucket -> public access block).
Both return what they found; they never raise for a compliant or undecidable resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from components.settings import SettingsError

from .model import Finding, Resource

if TYPE_CHECKING:
    from components.settings.compliance import ComplianceSettings

Level = Literal["mandatory", "advisory", "disabled"]


@dataclass(frozen=True)
class Context:
    """What a policy may depend on besides the resources: the stack's compliance settings."""

    settings: ComplianceSettings
    stack: str = ""

    def __post_init__(self) -> None:
        check_enforcement(self.settings)

    def level(self, policy: Policy) -> Level:
        return self.settings.enforcement.get(policy.name, policy.enforcement)


ResourceCheck = Callable[[Resource, Context], Iterable[str]]
StackCheck = Callable[[list[Resource], Context], Iterable[Finding]]


@dataclass(frozen=True)
class Policy:
    name: str
    summary: str
    """What it checks, in one sentence."""
    fix: str
    """How to make a violation go away."""
    c5: tuple[str, ...]
    iso: tuple[str, ...]
    fsbp: tuple[str, ...]
    enforcement: Literal["mandatory", "advisory"]
    check: Callable
    types: tuple[str, ...] = ()
    """Resource types a resource policy applies to; empty for a stack policy."""

    @property
    def scope(self) -> str:
        return "resource" if self.types else "stack"

    @property
    def controls(self) -> str:
        parts = []
        if self.c5:
            parts.append("C5 " + ", ".join(self.c5))
        if self.iso:
            parts.append("ISO 27001 " + ", ".join(f"A.{c}" for c in self.iso))
        if self.fsbp:
            parts.append("FSBP " + ", ".join(self.fsbp))
        return "; ".join(parts)

    @property
    def description(self) -> str:
        """Description for the policy pack: what, and which controls it implements."""
        return f"{self.summary} [{self.controls}]"

    def findings(self, resources: list[Resource], ctx: Context) -> list[Finding]:
        if not self.types:
            return list(self.check(resources, ctx))
        found = []
        for r in resources:
            if r.type in self.types:
                found.extend(Finding(message, r) for message in self.check(r, ctx))
        return found


POLICIES: list[Policy] = []


def _register(policy: Policy) -> Policy:
    if any(p.name == policy.name for p in POLICIES):
        raise ValueError(f"duplicate policy name {policy.name}")
    POLICIES.append(policy)
    return policy


def resource_policy(name: str, *, types: Iterable[str], summary: str, fix: str, c5=(), iso=(), fsbp=(),
                    enforcement: Literal["mandatory", "advisory"] = "mandatory"):
    def wrap(check: ResourceCheck) -> ResourceCheck:
        _register(Policy(name, summary, fix, tuple(c5), tuple(iso), tuple(fsbp), enforcement, check, tuple(types)))
        return check

    return wrap


def stack_policy(name: str, *, summary: str, fix: str, c5=(), iso=(), fsbp=(),
                 enforcement: Literal["mandatory", "advisory"] = "mandatory"):
    def wrap(check: StackCheck) -> StackCheck:
        _register(Policy(name, summary, fix, tuple(c5), tuple(iso), tuple(fsbp), enforcement, check))
        return check

    return wrap


def all_policies() -> list[Policy]:
    from . import controls  # noqa: F401  (registers every policy on import)

    return list(POLICIES)


def policy_names() -> list[str]:
    return [p.name for p in all_policies()]


def check_enforcement(settings: ComplianceSettings) -> None:
    """One-line error when `enforcement` names a policy that does not exist (a typo would
    otherwise silently leave the intended policy at its default level)."""
    known = policy_names()
    unknown = sorted(set(settings.enforcement) - set(known))
    if unknown:
        raise SettingsError(
            f"cloud-platform:compliance.enforcement names unknown policies {', '.join(unknown)} "
            f"(known: {', '.join(sorted(known))}) (got {settings.enforcement!r})"
        )


def get(name: str) -> Policy:
    for p in all_policies():
        if p.name == name:
            return p
    raise KeyError(name)
