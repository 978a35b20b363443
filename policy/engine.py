"""Run every policy over a list of resources, outside the Pulumi engine.

`platformctl check` and the tests use this over the recording mock's offline plan; the
pack (`policy.pack`) runs the same `Policy.check` functions inside `pulumi preview`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from components.settings.compliance import ComplianceSettings

from .model import Resource, as_json
from .registry import Context, Policy, all_policies


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement: str
    controls: str
    message: str
    fix: str
    resource_name: str | None = None
    resource_type: str | None = None
    urn: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def evaluate(resources: list[Resource], ctx: Context, policies: Iterable[Policy] | None = None) -> list[Violation]:
    violations = []
    for policy in policies if policies is not None else all_policies():
        level = ctx.level(policy)
        if level == "disabled":
            continue
        for finding in policy.findings(resources, ctx):
            r = finding.resource
            violations.append(Violation(
                policy=policy.name, enforcement=level, controls=policy.controls, message=finding.message,
                fix=policy.fix, resource_name=r.name if r else None, resource_type=r.type if r else None,
                urn=r.urn if r else None,
            ))
    order = {"mandatory": 0, "advisory": 1}
    return sorted(violations, key=lambda v: (order.get(v.enforcement, 2), v.policy, v.resource_name or ""))


# --- the offline plan as policy resources ------------------------------------------------

_NAME_OUTPUTS = ("name", "bucket")
_NOT_REFERENCES = ("tags", "tagsAll", "description")


def _leaves(value: Any) -> Iterable[str]:
    value = as_json(value)
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)


def from_recorded(records) -> list[Resource]:
    """Adapt the recording mock's `Recorded` resources.

    Auto-names come from the mock's outputs (as the provider's Check fills them in before
    policies run) and references are rebuilt by matching ids and ARNs, which is what the
    engine's property dependencies give the real pack.
    """
    custom = [r for r in records if r.custom and not r.type.startswith("pulumi:providers:")]
    index: dict[str, str] = {}
    for r in custom:
        for key in (r.id, r.outputs.get("arn"), r.outputs.get("url")):
            if isinstance(key, str) and key:
                index.setdefault(key, r.urn)
    resources = []
    for r in custom:
        props = dict(r.inputs)
        for key in _NAME_OUTPUTS:
            if key not in props and isinstance(r.outputs.get(key), str) and r.type.startswith("aws:"):
                if key == "bucket" and not r.type.startswith("aws:s3/bucket:") and not r.type.startswith("aws:s3/bucketV2"):
                    continue
                props[key] = r.outputs[key]
        refs = {}
        for key, value in r.inputs.items():
            if key in _NOT_REFERENCES:
                continue
            urns = frozenset(index[leaf] for leaf in _leaves(value) if leaf in index and index[leaf] != r.urn)
            if urns:
                refs[key] = urns
        resources.append(Resource(
            type=r.type, name=r.name, urn=r.urn, props=props, protect=r.protect,
            provider_props=dict(r.provider.inputs) if r.provider else {}, refs=refs, id=r.id,
            arn=r.outputs.get("arn"),
        ))
    return resources


def context_for(settings, stack: str) -> Context:
    """Context from the program's validated `Settings` (its `compliance` section)."""
    compliance = getattr(settings, "compliance", None) or ComplianceSettings()
    return Context(settings=compliance, stack=stack)
