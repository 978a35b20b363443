"""The shipped stacks pass every name and provider rule AWS would apply, and every named type has a rule."""

from __future__ import annotations

import json

import pytest

from offline.names import NAMES, has_name_input, physical_name
from offline.provider_rules import RULES, problems
from offline.stacks import known_stacks
from tests.harness import shipped_plan

STACKS = known_stacks()


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_plan_passes_every_rule(stack):
    """shipped_plan raises PlanRejectedError on any rejection; recheck each resource here so the test
    names the rule and would catch a mock that stopped checking."""
    plan = shipped_plan(stack)
    assert plan.mocks.rejections == []
    custom = [r for r in plan.resources if r.custom]
    for r in custom:
        assert problems(r.type, r.inputs) == [], r.urn
        assert physical_name(r.type, r.name, r.inputs).problem is None, r.urn
    assert {"dev", "prod", "local"} <= set(STACKS) and custom and RULES


@pytest.mark.parametrize("stack", STACKS)
def test_every_named_type_has_its_own_name_rule(stack):
    """A type with a `name` input that NAMES does not list falls back to pulumi-aws's 255: add its
    AWS limit to offline/names.py (one line) when a component starts creating it."""
    missing = sorted({r.type for r in shipped_plan(stack).resources
                      if r.custom and r.type not in NAMES and has_name_input(r.type)})
    assert missing == []


@pytest.mark.parametrize("stack", STACKS)
def test_physical_names_are_output_where_aws_has_them(stack):
    plan = shipped_plan(stack)
    for r in plan.resources:
        rule = NAMES.get(r.type)
        if r.custom and rule and (rule.autoname or rule.prop in r.inputs):
            name = r.outputs[rule.prop]
            assert rule.minimum <= len(name) <= rule.maximum, (r.urn, name)


def test_plan_refused_by_aws_exits_1_with_one_line(cli, plan_with, monkeypatch):
    """As `pulumi preview` would: a default tag AWS rejects (from the stack's owner) fails the plan."""
    import offline.plan as engine

    monkeypatch.setattr(engine, "run_offline", lambda stack: plan_with(stack, {"cloud-platform:owner": "platform (team)"}))
    code, out, err = cli("plan", "--stack", "dev", "--format", "json")
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith("error: urn:pulumi:dev::cloud-platform::pulumi:providers:aws::")
    assert "tag 'Owner' value 'platform (team)' has characters AWS rejects" in lines[0]


def test_plan_json_carries_the_physical_names(dev_plan):
    """What a checker recomputes: each resource's physical name next to its logical one."""
    doc = json.loads(json.dumps(dev_plan.to_json()))
    by_type = {}
    for r in doc["resources"]:
        by_type.setdefault(r["type"], []).append(r)
    tgs = by_type["aws:lb/targetGroup:TargetGroup"]
    assert tgs and all(r["physicalName"].startswith(("blue-", "green-", "app-")) and len(r["physicalName"]) <= 32
                       for r in tgs)
    assert all(r["physicalName"] is None for r in by_type["aws:ec2/route:Route"])
    role = next(r for r in by_type["aws:iam/role:Role"] if not r["inputs"].get("name"))
    assert role["physicalName"].startswith(role["name"] + "-") and len(role["physicalName"]) == len(role["name"]) + 8
