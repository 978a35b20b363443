"""Outputs of a deployed stack, for the commands that talk to it (latency, peering-check, backup verify)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class OutputsError(RuntimeError):
    """The outputs could not be read (one line for the operator)."""


def pulumi_outputs(stack: str) -> dict[str, Any]:
    """`pulumi stack output --json` of a deployed stack (needs the Pulumi CLI and a login)."""
    from .prerequisites import PrerequisiteError, pulumi_stack_outputs

    try:
        return pulumi_stack_outputs(stack)
    except PrerequisiteError as exc:
        raise OutputsError(str(exc)) from None


def file_outputs(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise OutputsError(f"cannot read stack outputs from {path}: {exc}") from None
    if not isinstance(data, dict):
        raise OutputsError(f"{path} must hold a JSON object of stack outputs")
    return data


def stack_outputs(stack: str, path: Path | None) -> dict[str, Any]:
    """From `path` (saved `pulumi stack output --json`) when given, else from the Pulumi CLI."""
    return file_outputs(path) if path is not None else pulumi_outputs(stack)
