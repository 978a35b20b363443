"""Stack files: which stacks exist and their config as the Pulumi engine hands it over."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from components.settings.base import SettingsError
from components.settings.stackfile import read_stack_config

# The project directory (stack files + __main__.py); overridable to plan a copy of the project.
ROOT = Path(os.environ.get("CLOUD_PLATFORM_ROOT") or Path(__file__).resolve().parent.parent)
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class StackError(Exception):
    """A stack name or stack file is unusable (one line for the operator)."""


def known_stacks(root: Path = ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def stack_file(stack: str, root: Path = ROOT) -> Path:
    if not STACK_NAME.match(stack or ""):
        raise StackError(f"invalid stack name {stack!r}: use letters, digits, '-', '_' or '.'")
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise StackError(f"unknown stack {stack!r} (known: {', '.join(known_stacks(root)) or 'none'})")
    return path


def stack_config(stack: str, root: Path = ROOT) -> dict[str, str]:
    """`Pulumi.<stack>.yaml` flattened: structured values as JSON text, as the engine passes them."""
    path = stack_file(stack, root)
    try:
        return read_stack_config(path)
    except SettingsError as exc:
        raise StackError(str(exc)) from None


def merge_overrides(config: dict[str, str], overrides: dict[str, Any] | None) -> dict[str, str]:
    """Deep-merge overrides like {"cloud-platform:web": {"minSize": 3}} into a flat config."""
    merged = dict(config)
    for key, value in (overrides or {}).items():
        current = merged.get(key)
        if isinstance(value, dict) and current and current.startswith("{"):
            base = json.loads(current)
            value = _deep_merge(base, value)
        merged[key] = value if isinstance(value, str) else json.dumps(value)
    return merged


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
