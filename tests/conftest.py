"""The one shared test harness: the recording mock, offline plans, moto fixtures.

`set_mocks` is process-global, so it is installed in one autouse fixture before every
test; plans of the shipped stacks are computed once per session and shared read-only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from platformctl.offline import Plan, install_mocks, run_offline, run_program  # noqa: E402
from platformctl.recording_mock import RecordingMocks  # noqa: E402

# boto3 must never reach a real account from a test, even if credentials are around.
for _key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_key, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="eu-west-1",
)


@pytest.fixture(autouse=True)
def pulumi_mocks() -> RecordingMocks:
    """A fresh recording mock for tests that build components directly."""
    mocks = RecordingMocks()
    install_mocks(mocks, stack="test")
    return mocks


@pytest.fixture
def build(pulumi_mocks):
    """Construct resources directly (no stack file) and wait until all are registered.

    `mocks = build(lambda: MyComponent("t", MyArgs(...)))`, then query `mocks`.
    """

    def run(program) -> RecordingMocks:
        run_program(program)
        return pulumi_mocks

    return run


_PLANS: dict[str, Plan] = {}


def shipped_plan(stack: str) -> Plan:
    """The offline plan of a shipped stack file, computed once per session."""
    if stack not in _PLANS:
        _PLANS[stack] = run_offline(stack)
    return _PLANS[stack]


@pytest.fixture(scope="session")
def dev_plan() -> Plan:
    return shipped_plan("dev")


@pytest.fixture(scope="session")
def prod_plan() -> Plan:
    return shipped_plan("prod")


@pytest.fixture
def plan_with():
    """Run the program for a stack with config overrides: plan_with("dev", {"cloud-platform:web": {...}})."""

    def run(stack: str, overrides: dict | None = None, mocks: RecordingMocks | None = None) -> Plan:
        return run_offline(stack, overrides, mocks=mocks)

    return run


@pytest.fixture
def aws(monkeypatch):
    """moto's in-process AWS for handler and CLI tests (eu-west-1, fake credentials)."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def messaging(aws):
    """Topic, queue, DLQ (maxReceiveCount 3), subscription and idempotency table in moto,
    with the real worker handler pointed at that table. Yields a LocalMessaging."""
    from functions.worker import app
    from platformctl.local_messaging import create_local_messaging

    local = create_local_messaging(max_receive_count=3)
    app.configure(local.worker_store())
    yield local
    app.configure(None)
