"""Plans of a shipped stack with one setting turned, shared by the unit tests of both sides of it
(the harness itself lives in tests/harness.py)."""

from __future__ import annotations

import pytest

from offline.plan import Plan, run_offline


@pytest.fixture(scope="session")
def on_demand_nat_plan() -> Plan:
    """dev with its NAT instance on-demand (networking.natInstanceMarket), dev's own is Spot."""
    return run_offline("dev", {"cloud-platform:networking": {"natInstanceMarket": "on-demand"}})
