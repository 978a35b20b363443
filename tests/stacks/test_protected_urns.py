"""No protected resource is replaced by a refactoring: its URN stays, or the new one aliases it.

`protected_urns.json` is the list recorded before the building-block refactoring (issue 14);
a protected table, bucket, key, repository or vault that moves under a new parent must carry
an alias to its old URN, or `pulumi up` would plan a delete of protected data and stop.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness import shipped_plan

RECORDED = json.loads((Path(__file__).with_name("protected_urns.json")).read_text())


@pytest.mark.parametrize("stack", sorted(RECORDED))
def test_every_recorded_protected_urn_is_still_there_or_aliased(stack):
    plan = shipped_plan(stack)
    known: dict[str, object] = {}
    for r in plan.resources:
        known[r.urn] = r
        for alias in getattr(r, "aliases", None) or []:
            known[alias] = r
    missing = [urn for urn in RECORDED[stack] if urn not in known]
    assert missing == [], "protected resources that would be replaced (add an alias):\n" + "\n".join(missing)
    unprotected = [urn for urn in RECORDED[stack] if not known[urn].protect]
    assert unprotected == [], "protected resources that lost protect:\n" + "\n".join(unprotected)
