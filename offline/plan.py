"""Run the real `__main__.py` under the recording mock: the offline plan.

No cloud, no Pulumi CLI: the program registers its resources with the mock monitor and we
keep what it registered. Tests and `platformctl plan` both go through `run_offline`.
"""

from __future__ import annotations

import gc
import runpy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from . import sdk
from .recording_mock import RecordingMocks, RecordingMonitor, jsonable, plain
from .stacks import ROOT, merge_overrides, stack_config

PROJECT = "cloud-platform"


@dataclass
class Plan:
    stack: str
    mocks: RecordingMocks
    outputs: dict[str, Any]

    @property
    def resources(self):
        return self.mocks.resources

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "physicalName": r.physical_name,
                    "id": r.id if r.custom else None,
                    "parent": r.parent,
                    "provider": (
                        {"name": r.provider.name, "urn": r.provider.urn, "region": r.region}
                        if r.provider
                        else None
                    ),
                    "protect": r.protect,
                    "aliases": r.aliases,
                    "inputs": jsonable(r.inputs),
                }
                for r in self.mocks.resources
            ],
            "outputs": self.outputs,
        }


def install_mocks(mocks: RecordingMocks, stack: str, config: dict[str, str] | None = None) -> None:
    """Point the (process-global) Pulumi runtime at `mocks`, forgetting any previous run."""
    sdk.install_mock_runtime(mocks, RecordingMonitor(mocks), project=PROJECT, stack=stack, config=config or {})


run_program = sdk.run_program


def run_offline(
    stack: str,
    overrides: dict[str, Any] | None = None,
    root: Path = ROOT,
    mocks: RecordingMocks | None = None,
) -> Plan:
    """Run the program for `stack` (optionally with config overrides) and return what it registered.

    Raises `StackError` for an unknown stack and `SettingsError` for invalid config; in the
    latter case nothing has been registered (the settings load before any resource).
    Raises `PlanRejectedError` when a resource breaks a provider or AWS rule (as `pulumi preview` would).
    """
    config = merge_overrides(stack_config(stack, root), overrides)
    if mocks is None:
        mocks = RecordingMocks(default_region=config.get("aws:region", "eu-west-1"))
    install_mocks(mocks, stack, config)
    main = str(root / "__main__.py")
    collecting = gc.isenabled()
    # No cyclic GC while the program builds its objects (a third of a plan's CPU, nothing
    # freed; `__main__.py` does the same in its own process); afterwards as it was, because
    # this process (tests, docs) lives on.
    gc.disable()
    try:
        run_program(lambda: runpy.run_path(main, run_name="__main__"))
        stack_resource = pulumi.runtime.get_root_resource()
        outputs = sdk.resolve(dict(stack_resource.outputs)) if stack_resource else {}
    finally:
        if collecting:
            gc.enable()
    mocks.raise_if_rejected()
    return Plan(stack=stack, mocks=mocks, outputs=plain(outputs or {}))
