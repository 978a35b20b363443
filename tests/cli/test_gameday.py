"""`platformctl gameday --stack local`: scripted faults against the sandbox (issue 18.5), in quick mode."""

from __future__ import annotations

import pytest

from platformctl.gameday import QUICK_OVERRIDES, GameDay
from platformctl.sandbox import Sandbox


def rows(out: str) -> dict[str, list[str]]:
    """The result table: scenario -> [good, lost, dup, delayed, recovery, "s", note words...]."""
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["scenario", "good", "lost", "dup"]
    table = {}
    for line in lines[1:]:
        name, rest = line[:26].strip(), line[26:].split()
        table[name] = rest
    return table


@pytest.mark.long
def test_quick_game_day_loses_and_duplicates_nothing(cli):
    code, out, err = cli("gameday", "--stack", "local", "--quick", "--events", "40")
    assert code == 0, err[-2000:]
    table = rows(out)
    assert list(table) == ["worker crash mid-batch", "poison burst", "API throttling burst", "DynamoDB throttling"]
    for name, (good, lost, dup, *_rest) in table.items():
        assert int(good) > 0 and (lost, dup) == ("0", "0"), name
    assert "came back after the queue's visibility timeout" in out  # the crash really happened
    throttled = int(table["API throttling burst"][6])  # "<n> requests answered 429 and retried"
    assert throttled > 0 and int(table["API throttling burst"][3]) > 0  # throttled requests were delayed, not lost
    assert int(table["DynamoDB throttling"][6]) > 0  # "<n> worker calls throttled"


@pytest.mark.filterwarnings("ignore:Disabling idempotency is intended for development")  # the point of the test
def test_game_day_reports_duplicates_when_idempotency_is_off(plan_with, monkeypatch):
    """The game day can fail: with Powertools idempotency switched off, duplicate deliveries run twice."""
    monkeypatch.setenv("POWERTOOLS_IDEMPOTENCY_DISABLED", "true")
    sandbox = Sandbox(port=0, api_port=0, plan=plan_with("local", QUICK_OVERRIDES))
    sandbox.start()
    day = GameDay(sandbox, timeout=60)
    try:
        result = day.poison_burst(40)
    finally:
        day.close()
        sandbox.stop()
    assert result.duplicated > 0 and not result.ok


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_only_the_local_stack(cli, stack):
    code, out, err = cli("gameday", "--stack", stack)
    assert code == 1 and out == ""
    assert err.splitlines() == [f"error: gameday runs against the local sandbox: use --stack local (got '{stack}')"]
