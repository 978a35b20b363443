"""The neutral view of a resource that every policy reads.

Both the Pulumi policy SDK (`ResourceValidationArgs`, `PolicyResource`) and the offline
plan (`Recorded`) are adapted to `Resource`, so a policy never depends on where it runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.settings.base import decode_json


class _Unknown:
    """A value not known until the update runs (preview of a resource not yet created)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        return False


UNKNOWN = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


# Policy documents and provider objects may arrive as JSON text or already decoded.
as_json = decode_json


def truthy(value: Any) -> bool:
    """Booleans sometimes arrive as strings ("true"); launch template EBS `encrypted` is one."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    """Logical (Pulumi) name."""
    urn: str
    props: Mapping[str, Any]
    """Inputs with camelCase keys, as the engine (and the mock) sees them."""
    protect: bool = False
    provider_props: Mapping[str, Any] = field(default_factory=dict)
    """Inputs of the explicit provider (default tags, region); empty for the default one."""
    refs: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Top-level property -> URNs of the resources it refers to."""
    id: str | None = None
    arn: str | None = None

    def get(self, *path: str | int, default: Any = None) -> Any:
        """Nested lookup that tolerates missing keys, JSON text and lists of one block."""
        value: Any = self.props
        for key in path:
            value = as_json(value)
            if isinstance(key, int):
                if not isinstance(value, (list, tuple)) or len(value) <= key:
                    return default
                value = value[key]
            else:
                if isinstance(value, (list, tuple)) and len(value) == 1:
                    value = value[0]  # Terraform-style single nested block
                if not isinstance(value, Mapping) or key not in value:
                    return default
                value = value[key]
        return default if value is None else value

    @property
    def physical_name(self) -> str:
        for key in ("name", "bucket", "functionName"):
            value = self.props.get(key)
            if isinstance(value, str) and value:
                return value
        return self.name

    @property
    def region(self) -> str | None:
        region = self.provider_props.get("region")
        return region if isinstance(region, str) else None

    @property
    def tags(self) -> dict[str, Any]:
        """Effective tags: `tagsAll` when the provider computed it, else default tags + own tags."""
        tags_all = as_json(self.props.get("tagsAll"))
        if isinstance(tags_all, Mapping) and tags_all:
            return dict(tags_all)
        defaults = as_json(self.provider_props.get("defaultTags")) or {}
        merged = dict(as_json(defaults.get("tags")) or {}) if isinstance(defaults, Mapping) else {}
        own = as_json(self.props.get("tags"))
        if isinstance(own, Mapping):
            merged.update(own)
        return merged

    def refers_to(self, prop: str, other: Resource) -> bool:
        return other.urn in self.refs.get(prop, frozenset())


@dataclass(frozen=True)
class Finding:
    """One violation a policy found: on a resource, or on the stack as a whole (resource None)."""

    message: str
    resource: Resource | None = None
