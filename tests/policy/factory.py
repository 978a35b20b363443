"""Synthetic resources for policy tests, shaped like the offline plan / the policy SDK sees them."""

from __future__ import annotations

import json

from components.settings.compliance import ComplianceSettings
from policy.model import Resource
from policy.registry import Context

TAGGED = {"region": "eu-west-1", "defaultTags": json.dumps({"tags": {
    "Project": "cloud-platform", "Environment": "test", "Owner": "o", "ManagedBy": "pulumi", "CostCenter": "c"}})}


def urn(name: str, type_: str = "x") -> str:
    return f"urn:pulumi:test::cloud-platform::{type_}::{name}"


def res(type_: str, name: str = "r", props: dict | None = None, *, protect: bool = False,
        refs: dict[str, list[Resource]] | None = None, provider: dict | None = None) -> Resource:
    return Resource(
        type=type_, name=name, urn=urn(name, type_), props=props or {}, protect=protect,
        provider_props=TAGGED if provider is None else provider,
        refs={k: frozenset(r.urn for r in v) for k, v in (refs or {}).items()},
    )


def ctx(**settings) -> Context:
    return Context(ComplianceSettings(**settings), stack="test")


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
