"""Test-process set-up and the light helpers; the fixtures are in `tests/harness.py`.

Loaded by every pytest process, the xdist controller included, so it imports only the standard
library and pytest: the harness (Pulumi, moto, the recording mock) is registered as a plugin in
the processes that run tests (`pytest_configure`).
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
from pathlib import Path

import pytest

# No cyclic GC while the test process imports and collects: what it builds (modules, classes,
# the collected tests) lives all session, so the ~1,800 collections (11 full ones) Python's
# thresholds ran over it freed nothing and took ~1.9 s per xdist worker, before any test started.
# Turned on again once collection is done (pytest_collection_finish), or at once in the xdist
# controller, which collects nothing (pytest_sessionstart).
gc.disable()

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scheduling import spread_long_tests  # noqa: E402

# boto3 must never reach a real account from a test, even if credentials are around.
for _key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_key, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="eu-west-1",
)


@pytest.hookimpl(trylast=True)  # after xdist's own, which registers the controller's "dsession"
def pytest_configure(config):
    # The xdist controller only hands out tests and reports: the harness's imports (~1.5 s) delayed
    # its start of the workers. Every other process (a worker, a run without xdist, --collect-only)
    # gets the fixtures. Registered rather than import_plugin'ed: a sub-folder's conftest named on
    # the command line (tests/cli's) may have imported it already, and it has no asserts to rewrite.
    if not config.pluginmanager.has_plugin("dsession"):
        config.pluginmanager.register(importlib.import_module("tests.harness"), "tests.harness")


def pytest_collection_modifyitems(items):
    spread_long_tests(items)  # tests marked `long` start first, one per xdist worker


def keep_out_of_collections() -> None:
    """Move everything alive now (modules, collected tests, the session's plans) out of reach of
    Python's cyclic GC: they live until the process ends anyway. Collect first, so the garbage
    of what ran before is freed, not kept."""
    gc.collect()
    gc.freeze()


def pytest_sessionstart(session):
    if session.config.pluginmanager.has_plugin("dsession"):  # the xdist controller: only reports
        gc.enable()


def pytest_collection_finish(session):
    # The default thresholds (700, 10, 10) ran ~5,000 young and ~16 full collections per xdist
    # worker, 27 s of the two workers' CPU; with what lives all session frozen and fewer, larger
    # young collections, 16 s. A test process can afford the memory.
    keep_out_of_collections()
    gc.set_threshold(50_000, 20, 10)
    gc.enable()


# The smallest valid stack config: settings tests add only the section they exercise.
MINIMAL_CONFIG = {
    "aws:region": "eu-west-1",
    "cloud-platform:environment": "dev",
    "cloud-platform:owner": "platform-team",
    "cloud-platform:costCenter": "cc-1",
}


def settings_with(stack: str = "dev", **sections):
    """Settings parsed from MINIMAL_CONFIG plus `cloud-platform:<section>` values (dicts as JSON text)."""
    from components.settings import parse_settings

    config = dict(MINIMAL_CONFIG)
    for key, value in sections.items():
        config[f"cloud-platform:{key}"] = json.dumps(value) if isinstance(value, dict | list) else value
    return parse_settings(config, stack=stack)


def one_line_error(call, *args, **kwargs) -> str:
    """The SettingsError message `call` raises, asserted to be the promised single line."""
    from components.settings import SettingsError

    with pytest.raises(SettingsError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def error_of(**sections) -> str:
    return one_line_error(settings_with, **sections)
