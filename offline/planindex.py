"""Relations between resources of an offline plan, read from their inputs.

Resources refer to each other by id, ARN, URL or domain name (a subnet's `vpcId`, an ASG's
`launchTemplate.id`, a listener's target group ARN inside `defaultActions`, a queue ARN inside
a JSON redrive policy). The index maps every such handle back to the resource that owns it,
so the diagram and the cost estimate relate resources the way the engine would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .plan import Plan
from .recording_mock import Recorded

# Output properties that other resources use to name a resource (besides `id`).
HANDLE_OUTPUTS = (
    "arn",
    "invokeArn",
    "qualifiedArn",
    "url",
    "bucketRegionalDomainName",
    "bucketDomainName",
    "repositoryUrl",
    "dnsName",
    "domainName",
    "websiteEndpoint",
    "executionArn",
    "keyId",
    "primaryNetworkInterfaceId",
)


class PlanIndex:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.mocks = plan.mocks
        self.custom = [r for r in plan.resources if r.custom and not r.type.startswith("pulumi:providers:")]
        # awsx components are opaque under the mock (children invisible): callers treat them as resources.
        self.awsx = [r for r in plan.resources if not r.custom and r.type.startswith("awsx:")]
        self._handles: dict[str, Recorded] = {}
        self._prefixes: list[tuple[str, Recorded]] = []
        for r in self.custom:
            for handle in [r.id, *(r.outputs.get(k) for k in HANDLE_OUTPUTS)]:
                # Short ids (a table named "t") would match unrelated strings; real handles are long.
                if isinstance(handle, str) and len(handle) >= 6:
                    self._handles.setdefault(handle, r)
            repo = r.outputs.get("repositoryUrl")
            if isinstance(repo, str):
                self._prefixes.append((repo, r))  # images are "<repositoryUrl>:<tag>" or "@sha256:..."
        self._component: dict[str, Recorded | None] = {}

    def resolve(self, value: Any) -> Recorded | None:
        if not isinstance(value, str):
            return None
        found = self._handles.get(value)
        if found is None and value.endswith(":*"):
            found = self._handles.get(value[:-2])
        if found is None:
            for prefix, r in self._prefixes:
                if value.startswith(prefix + ":") or value.startswith(prefix + "@"):
                    return r
        return found

    def references(self, r: Recorded, key: str | None = None) -> Iterator[tuple[str, Recorded]]:
        """(input path, referenced resource) for every handle found in `r`'s inputs (or one input)."""
        inputs = r.inputs if key is None else {key: r.inputs.get(key)}
        seen: set[tuple[str, str]] = set()
        for path, value in _walk(inputs, ""):
            target = self.resolve(value)
            if target is not None and target is not r and (path, target.urn) not in seen:
                seen.add((path, target.urn))
                yield path, target

    def first(self, r: Recorded, *keys: str, type_: str | None = None) -> Recorded | None:
        for key in keys:
            for _, target in self.references(r, key):
                if type_ is None or target.type == type_:
                    return target
        return None

    def component(self, r: Recorded) -> Recorded | None:
        if r.urn not in self._component:
            self._component[r.urn] = self.mocks.component_of(r)
        return self._component[r.urn]

    def component_name(self, r: Recorded) -> str:
        c = self.component(r)
        return c.name if c else "(stack)"

    def region(self, r: Recorded) -> str:
        return r.region or self.mocks.default_region


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value
        text = value.strip()
        # Policies, redrive policies, container definitions and ASL arrive as JSON text.
        if text[:1] in "{[" and len(text) > 2:
            try:
                parsed = json.loads(text)
            except ValueError:
                return
            yield from _walk(parsed, path + "$")
