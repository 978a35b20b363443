"""Whole-program invariants over every shipped stack file."""

from __future__ import annotations

import json

import pytest

from offline.stacks import known_stacks
from tests.harness import shipped_plan

STACKS = known_stacks()


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_uses_a_tagged_provider(stack):
    plan = shipped_plan(stack)
    providers = plan.mocks.of_type("pulumi:providers:aws")
    assert providers
    env = json.loads(providers[0].inputs["defaultTags"])["tags"]["Environment"]
    for provider in providers:
        tags = json.loads(provider.inputs["defaultTags"])["tags"]
        assert set(tags) == {"Project", "Environment", "Owner", "ManagedBy", "CostCenter"}
        assert tags["Project"] == "cloud-platform" and tags["ManagedBy"] == "pulumi" and tags["Environment"] == env
    for r in plan.resources:
        if r.custom and r.type.startswith("aws:"):
            assert r.provider in providers, f"{r.type} {r.name} uses the untagged default provider"


@pytest.mark.parametrize("stack", STACKS)
def test_names_derive_from_project_env_and_component(stack):
    plan = shipped_plan(stack)
    env = plan.mocks.of_type("pulumi:providers:aws")[0].name.split("-")[2]
    prefix = f"cloud-platform-{env}-"
    for r in plan.resources:
        assert r.name.startswith(prefix), r.name
        parent = plan.mocks.by_urn(r.parent) if r.parent else None
        if parent is not None and parent.type.startswith("cloud-platform:"):
            # two instances of a component never collide: children carry the component's name
            assert r.name.startswith(parent.name), f"{r.name} under {parent.name}"


@pytest.mark.parametrize("stack", STACKS)
def test_components_have_type_tokens_of_the_project(stack):
    plan = shipped_plan(stack)
    components = [r for r in plan.resources if not r.custom and not r.type.startswith("awsx:")]
    assert components
    for c in components:
        area, _, name = c.type.partition(":")[2].partition(":")
        assert c.type.startswith("cloud-platform:") and area and name[:1].isupper(), c.type


@pytest.mark.parametrize("stack", STACKS)
def test_resource_names_are_unique_per_type(stack):
    plan = shipped_plan(stack)
    seen = [(r.type, r.name) for r in plan.resources]
    assert len(seen) == len(set(seen))
