"""Fixtures of the blue/green command tests (the world itself: tests/cli/bluegreen.py)."""

from __future__ import annotations

import pytest

from platformctl import cutover
from tests.cli.bluegreen import FakeTime


@pytest.fixture
def fake_time(monkeypatch) -> FakeTime:
    """Waiting (bakes, health waits) takes no wall time; the commands look SLEEP/CLOCK up at run time."""
    t = FakeTime()
    monkeypatch.setattr(cutover, "SLEEP", t.sleep)
    monkeypatch.setattr(cutover, "CLOCK", t.clock)
    return t
