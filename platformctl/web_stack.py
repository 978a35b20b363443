"""The stack side of blue/green: outputs, the traffic weights in config, and `up`.

`cutover` and `status` talk to a `StackBackend`, never to Pulumi directly, so tests drive
them with a fake and the real one stays a thin wrapper over the Automation API. Weights
live in stack config (`cloud-platform:web.traffic.<colour>`): writing them there and running
`up` keeps config the single source of truth, so a later `up` never undoes a cutover.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Protocol

from components.settings.web import COLOURS
from offline.stacks import ROOT

from .prerequisites import pulumi_cli_missing, qualified_stack_name

WEIGHT_KEY = "cloud-platform:web.traffic.{colour}"
# Every cutover step is a real `up`: the compliance pack guards it as it guards the deploy workflow.
POLICY_PACK = ROOT / "policy"
# Escape hatch for dry runs and checkers: a JSON file standing in for the Pulumi stack.
BACKEND_ENV = "PLATFORMCTL_STACK_BACKEND"


class StackBackendError(Exception):
    """The stack could not be read or updated (one line for the operator)."""


class StackBackend(Protocol):
    name: str

    def outputs(self) -> dict[str, Any]:
        """Outputs of the last `up` (plain values)."""

    def get_weights(self) -> dict[str, int]:
        """`{"blue": N, "green": M}` from stack config."""

    def set_weights(self, weights: dict[str, int]) -> None:
        """Write the weights into stack config (nothing is deployed yet)."""

    def up(self) -> None:
        """Deploy the stack as configured; raise StackBackendError when it fails."""


class AutomationStackBackend:
    """The real stack, through `pulumi.automation` (needs the Pulumi CLI on PATH)."""

    def __init__(self, name: str, stack: Any = None, work_dir: Path = ROOT):
        self.name = name
        if stack is None:
            from pulumi import automation as auto

            missing = pulumi_cli_missing("the command reads and changes the deployed stack through it")
            if missing:
                raise StackBackendError(missing)
            try:
                stack = auto.select_stack(stack_name=name, work_dir=str(work_dir))
            except Exception as exc:  # CLI missing, not logged in, stack not initialised
                raise StackBackendError(f"cannot open stack {name!r} with the Pulumi Automation API: {_first(exc)}") from None
        self._stack = stack

    def outputs(self) -> dict[str, Any]:
        try:
            return {key: out.value for key, out in self._stack.outputs().items()}
        except Exception as exc:
            raise StackBackendError(f"cannot read outputs of stack {self.name!r}: {_first(exc)}") from None

    def get_weights(self) -> dict[str, int]:
        try:
            return {c: int(self._stack.get_config(WEIGHT_KEY.format(colour=c), path=True).value) for c in COLOURS}
        except Exception as exc:
            raise StackBackendError(f"cannot read web.traffic of stack {self.name!r}: {_first(exc)}") from None

    def set_weights(self, weights: dict[str, int]) -> None:
        from pulumi.automation import ConfigValue

        try:
            for colour in COLOURS:
                self._stack.set_config(WEIGHT_KEY.format(colour=colour), ConfigValue(str(weights[colour])), path=True)
        except Exception as exc:
            raise StackBackendError(f"cannot write web.traffic of stack {self.name!r}: {_first(exc)}") from None

    def up(self) -> None:
        try:
            result = self._stack.up(
                on_output=lambda line: print(line, file=sys.stderr, end=""), policy_packs=[str(POLICY_PACK)]
            )
        except Exception as exc:
            raise StackBackendError(f"pulumi up of stack {self.name!r} failed: {_first(exc)}") from None
        if getattr(result.summary, "result", "succeeded") != "succeeded":
            raise StackBackendError(f"pulumi up of stack {self.name!r} ended {result.summary.result}")


class FileStackBackend:
    """A stack held in a JSON file `{"outputs": {...}, "weights": {...}, "ups": 0}`.

    For rehearsing a cutover against moto or recorded outputs without Pulumi: `up` records
    the deployed weights in `outputs.trafficWeights` and counts itself in `ups`.
    """

    def __init__(self, name: str, path: Path):
        self.name = name
        self.path = path
        if not path.is_file():
            raise StackBackendError(f"{BACKEND_ENV}: no such file {str(path)!r}")

    def _load(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise StackBackendError(f"{self.path}: {_first(exc)}") from None

    def _save(self, state: dict[str, Any]) -> None:
        self.path.write_text(json.dumps(state, indent=2) + "\n")

    def outputs(self) -> dict[str, Any]:
        return dict(self._load().get("outputs") or {})

    def get_weights(self) -> dict[str, int]:
        state = self._load()
        weights = state.get("weights") or (state.get("outputs") or {}).get("trafficWeights") or {}
        return {c: int(weights.get(c, 0)) for c in COLOURS}

    def set_weights(self, weights: dict[str, int]) -> None:
        state = self._load()
        state["weights"] = {c: int(weights[c]) for c in COLOURS}
        self._save(state)

    def up(self) -> None:
        state = self._load()
        state.setdefault("outputs", {})["trafficWeights"] = self.get_weights()
        state["ups"] = int(state.get("ups", 0)) + 1
        self._save(state)


def open_backend(stack: str) -> StackBackend:
    """The backend for `stack`: the JSON file named by $PLATFORMCTL_STACK_BACKEND, else Pulumi."""
    spec = os.environ.get(BACKEND_ENV, "")
    if spec:
        kind, _, where = spec.partition(":")
        if kind != "file" or not where:
            raise StackBackendError(f"{BACKEND_ENV} must be file:<path to a JSON stack> (got {spec!r})")
        return FileStackBackend(stack, Path(where))
    return AutomationStackBackend(qualified_stack_name(stack))


def _first(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
