"""Adapters between the Pulumi policy SDK and the plain policies of `policy.registry`.

`build_policies(state)` wraps every registered policy as a pulumi_policy
`ResourceValidationPolicy`/`StackValidationPolicy`; `policy/__main__.py` hands them to
`PolicyPack` (which starts the analyzer server and blocks, so nothing else constructs it).

Per-stack settings: the engine tells the analyzer which stack it analyses, with the
stack's config, in `ConfigureStack`. pulumi_policy 1.21 keeps only the tags of that
request, so `install_stack_hooks` also reads `cloud-platform:compliance` from it and lets
that section's `enforcement` decide each policy's level (an explicit
`--policy-pack-config` entry still wins). Where pulumi-policy has its own mechanism it is used:
every policy declares the compliance settings as its `config_schema`, so
`--policy-pack-config '{"dynamodb-pitr": {"requirePitr": true}}'` overrides a setting for one
policy and one run, and levels come from the pack config's `enforcementLevel`. Only reading the
stack's own config needs the analyzer hook (`offline.sdk.patch_policy_analyzer`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pulumi_policy as pp
from pulumi_policy.proxy import UnknownValueError

from components.settings import SettingsError, describe
from components.settings.compliance import ComplianceSettings
from offline.sdk import patch_policy_analyzer

from .model import UNKNOWN, Resource
from .registry import Context, Policy, all_policies, check_enforcement

CONFIG_KEY = "cloud-platform:compliance"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def plain(value: Any) -> Any:
    """Copy SDK props into plain dicts/lists; values unknown during preview become UNKNOWN."""
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, Mapping):
        out = {}
        for key in list(value):
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence):
        items = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def resource_from_args(args: pp.ResourceValidationArgs) -> Resource:
    return Resource(
        type=args.resource_type, name=args.name, urn=args.urn, props=plain(args.props),
        protect=bool(getattr(args.opts, "protect", False)),
        provider_props=plain(args.provider.props) if args.provider is not None else {},
    )


def resource_from_policy_resource(r: pp.PolicyResource) -> Resource:
    refs = {key: frozenset(d.urn for d in deps) for key, deps in (r.property_dependencies or {}).items() if deps}
    return Resource(
        type=r.resource_type, name=r.name, urn=r.urn, props=plain(r.props),
        protect=bool(getattr(r.opts, "protect", False)),
        provider_props=plain(r.provider.props) if r.provider is not None else {}, refs=refs,
    )


def compliance_from_config(config: Mapping[str, str]) -> ComplianceSettings:
    """The compliance section of a flat stack config map; one-line error when invalid."""
    from pydantic import ValidationError

    raw = config.get(CONFIG_KEY) or config.get("cloud-platform:config:compliance")
    if raw is None:
        return ComplianceSettings()
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        raise SettingsError(f"{CONFIG_KEY} must be a mapping of keys to values (got {raw!r})") from None
    try:
        settings = ComplianceSettings.model_validate(value)
    except ValidationError as exc:
        raise SettingsError(describe(exc, ComplianceSettings).replace("cloud-platform:", f"{CONFIG_KEY}.", 1)) from None
    check_enforcement(settings)
    return settings


@dataclass
class PackState:
    """The context the pack's policies run with; replaced when the engine names the stack."""

    context: Context = field(default_factory=lambda: Context(ComplianceSettings()))

    def configure(self, stack: str, config: Mapping[str, str]) -> None:
        self.context = Context(compliance_from_config(config), stack)

    @classmethod
    def from_environment(cls, root: Path = PROJECT_ROOT) -> PackState:
        """Before ConfigureStack: PULUMI_CONFIG, or the stack file named by PULUMI_STACK."""
        from pulumi.runtime import get_config_env

        state = cls()
        config = dict(get_config_env())
        stack = os.environ.get("PULUMI_STACK", "")
        if CONFIG_KEY not in config and stack and (root / f"Pulumi.{stack}.yaml").is_file():
            from offline.stacks import stack_config

            config = stack_config(stack, root)
        state.configure(stack, config)
        return state


@cache
def config_schema() -> pp.PolicyConfigSchema:
    """Each policy's `--policy-pack-config` schema: the compliance settings (camelCase, as in
    `cloud-platform:compliance`) it may override for one run. No defaults in the schema: the
    engine would fill them in and silently override the stack's own values. Levels use the pack
    config's native `enforcementLevel`, so `enforcement` is not offered here."""
    properties = ComplianceSettings.model_json_schema(by_alias=True)["properties"]
    return pp.PolicyConfigSchema(properties={
        key: {k: v for k, v in prop.items() if k not in ("title", "default")}
        for key, prop in properties.items() if key != "enforcement"
    })


def _context(state: PackState, args) -> Context:
    """The stack's context, with what `--policy-pack-config` gives this policy laid over it."""
    overrides = dict(args.get_config() or {})
    if not overrides:
        return state.context
    merged = {**state.context.settings.model_dump(by_alias=True), **overrides}
    return Context(compliance_from_config({CONFIG_KEY: json.dumps(merged)}), state.context.stack)


def _report(report, message: str, fix: str, urn: str | None = None) -> None:
    report(f"{message} (fix: {fix})", urn)


def _resource_policy(policy: Policy, state: PackState) -> pp.ResourceValidationPolicy:
    types = set(policy.types)

    def validate(args: pp.ResourceValidationArgs, report) -> None:
        if args.resource_type not in types or state.context.level(policy) == "disabled":
            return
        for message in policy.check(resource_from_args(args), _context(state, args)):
            _report(report, message, policy.fix)

    return pp.ResourceValidationPolicy(
        name=policy.name, description=policy.description, validate=validate,
        enforcement_level=pp.EnforcementLevel(policy.enforcement), remediation_steps=policy.fix,
        tags=[policy.scope], config_schema=config_schema(),
    )


def _stack_policy(policy: Policy, state: PackState) -> pp.StackValidationPolicy:
    def validate(args: pp.StackValidationArgs, report) -> None:
        if state.context.level(policy) == "disabled":
            return
        resources = [resource_from_policy_resource(r) for r in args.resources]
        for finding in policy.check(resources, _context(state, args)):
            _report(report, finding.message, policy.fix, finding.resource.urn if finding.resource else None)

    return pp.StackValidationPolicy(
        name=policy.name, description=policy.description, validate=validate,
        enforcement_level=pp.EnforcementLevel(policy.enforcement), remediation_steps=policy.fix,
        tags=[policy.scope], config_schema=config_schema(),
    )


def build_policies(state: PackState) -> list[pp.Policy]:
    return [(_resource_policy if p.types else _stack_policy)(p, state) for p in all_policies()]


def install_stack_hooks(state: PackState) -> None:
    """Let the analyzer pass the analysed stack's config to `state` and honour its enforcement."""

    def enforcement_level(policy: pp.Policy, explicit: Mapping[str, pp.EnforcementLevel]) -> pp.EnforcementLevel:
        if policy.name in explicit:
            return explicit[policy.name]
        levels = state.context.settings.enforcement
        if policy.name in levels:
            return pp.EnforcementLevel(levels[policy.name])
        return policy.enforcement_level or pp.EnforcementLevel.ADVISORY

    patch_policy_analyzer(state.configure, enforcement_level)
