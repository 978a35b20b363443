"""The stack side of blue/green: outputs, deployed resources, and targeted `up`.

release/cutover/retire talk to a `StackBackend`, never to Pulumi directly, so tests and
rehearsals drive them with a file-backed stack and the real one stays a thin wrapper over
the Automation API. Config is not the backend's business: it lives in `Pulumi.<stack>.yaml`
(`config_file.StackConfigFile`), which the Automation API's local workspace reads on `up`.
Every `up` here is targeted: only the listener (cutover) or one colour's launch template and
group (release/retire) change, whatever else main holds.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Protocol

from offline.stacks import ROOT

from .prerequisites import pulumi_cli_missing, qualified_stack_name

# Every step is a real `up`: the compliance pack guards it as it guards the deploy workflow.
POLICY_PACK = ROOT / "policy"
# Escape hatch for rehearsals and checkers: a JSON file standing in for the Pulumi stack.
BACKEND_ENV = "PLATFORMCTL_STACK_BACKEND"
WEB_COMPONENT = "cloud-platform:web:ScalingWebTier"
LISTENER_TYPE = "aws:lb/listener:Listener"


class StackBackendError(Exception):
    """The stack could not be read or updated (one line for the operator)."""


class StackNotDeployedError(StackBackendError):
    """The stack does not exist yet (nothing deployed)."""


class StackBackend(Protocol):
    name: str

    def outputs(self) -> dict[str, Any]:
        """Outputs of the last `up` (plain values)."""

    def resources(self) -> list[dict[str, Any]]:
        """Deployed resources: `{"urn", "type", "outputs"}` each."""

    def config_path(self) -> Path:
        """The `Pulumi.<stack>.yaml` that `up` deploys from."""

    def up(self, targets: list[str]) -> None:
        """Deploy only these URNs as the stack file configures them; StackBackendError on failure."""


def urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _web_children(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in resources if f"{WEB_COMPONENT}$" in r.get("urn", "")]


def listener_targets(resources: list[dict[str, Any]], listener_arn: str) -> list[str]:
    """The URN of the listener carrying user traffic (the stack output `listenerArn`).

    Found by ARN, not by name: with HTTPS the port-80 listener only redirects.
    """
    found = [r["urn"] for r in _web_children(resources)
             if r.get("type") == LISTENER_TYPE and (r.get("outputs") or {}).get("arn") == listener_arn]
    if len(found) != 1:
        raise StackBackendError(f"the stack's resources hold no web listener with arn {listener_arn!r}; "
                                "has the stack been deployed by this program?")
    return found


def colour_targets(resources: list[dict[str, Any]], colour: str, group_only: bool = False) -> list[str]:
    """URNs of one colour's launch template and auto scaling group (or the group alone)."""
    wanted = (f"-{colour}-asg",) if group_only else (f"-{colour}-lt", f"-{colour}-asg")
    found = [r["urn"] for r in _web_children(resources) if urn_name(r["urn"]).endswith(wanted)]
    if len(found) != len(wanted):
        raise StackBackendError(f"the stack's resources hold no {' and '.join(wanted)} of the web tier; "
                                "has the stack been deployed by this program?")
    return found


class AutomationStackBackend:
    """The real stack, through `pulumi.automation` (needs the Pulumi CLI on PATH)."""

    def __init__(self, name: str, stack: Any = None, work_dir: Path = ROOT):
        self.name = name.rsplit("/", 1)[-1]  # Pulumi.<stack>.yaml is named by the short name
        if stack is None:
            from pulumi import automation as auto

            missing = pulumi_cli_missing("the command reads and changes the deployed stack through it")
            if missing:
                raise StackBackendError(missing)
            qualified = qualified_stack_name(name)
            try:
                stack = auto.select_stack(stack_name=qualified, work_dir=str(work_dir))
            except auto.StackNotFoundError:
                raise StackNotDeployedError(f"stack {qualified!r} does not exist yet") from None
            except Exception as exc:  # CLI missing, not logged in
                raise StackBackendError(f"cannot open stack {name!r} with the Pulumi Automation API: {_first(exc)}") from None
        self._stack = stack
        self._work_dir = work_dir

    def config_path(self) -> Path:
        return self._work_dir / f"Pulumi.{self.name}.yaml"

    def outputs(self) -> dict[str, Any]:
        try:
            return {key: out.value for key, out in self._stack.outputs().items()}
        except Exception as exc:
            raise StackBackendError(f"cannot read outputs of stack {self.name!r}: {_first(exc)}") from None

    def resources(self) -> list[dict[str, Any]]:
        try:
            deployment = self._stack.export_stack().deployment or {}
        except Exception as exc:
            raise StackBackendError(f"cannot export stack {self.name!r}: {_first(exc)}") from None
        return [{"urn": r.get("urn", ""), "type": r.get("type", ""), "outputs": r.get("outputs") or {}}
                for r in deployment.get("resources") or []]

    def up(self, targets: list[str]) -> None:
        if not targets:
            raise StackBackendError("refusing an untargeted up: release/cutover/retire change named resources only")
        try:
            result = self._stack.up(
                target=list(targets),
                on_output=lambda line: print(line, file=sys.stderr, end=""),
                policy_packs=[str(POLICY_PACK)],
            )
        except Exception as exc:
            raise StackBackendError(f"pulumi up of stack {self.name!r} failed: {_first(exc)}") from None
        if getattr(result.summary, "result", "succeeded") != "succeeded":
            raise StackBackendError(f"pulumi up of stack {self.name!r} ended {result.summary.result}")


def open_backend(stack: str) -> StackBackend:
    """The backend for `stack`: the JSON file named by $PLATFORMCTL_STACK_BACKEND, else Pulumi."""
    spec = os.environ.get(BACKEND_ENV, "")
    if spec:
        from .web_rehearsal import FileStackBackend

        kind, _, where = spec.partition(":")
        if kind != "file" or not where:
            raise StackBackendError(f"{BACKEND_ENV} must be file:<path to a JSON stack> (got {spec!r})")
        return FileStackBackend(stack, Path(where))
    return AutomationStackBackend(stack)


def _first(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
