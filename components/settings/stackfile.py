"""The stack file as text: UTF-8, YAML, a mapping with a `config` mapping, no key twice.

YAML lets a repeated key silently replace the first one (a second `cloud-platform:environment:
prod` in the dev file would name everything prod); here it is an error, as is any other
shape the engine would misread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .base import SettingsError


def _type_name(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), type(value).__name__)


class _DuplicateKeyError(Exception):
    def __init__(self, key: Any, first: int, again: int):
        super().__init__(f"key {key!r} appears twice (lines {first} and {again}); YAML would keep only the last")


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader that refuses a mapping with the same key twice, at any depth (libyaml's
    parser where PyYAML has it: a plan reads the stack file up to three times)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            if key in seen:
                raise _DuplicateKeyError(key, seen[key], line)
            seen[key] = line
        except TypeError:  # an unhashable key: the base constructor reports it
            break
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def read_stack_config(path: Path) -> dict[str, str]:
    """`Pulumi.<stack>.yaml` flattened as the engine passes it: structured values as JSON text.

    Raises SettingsError (one line naming the file) when the file is unusable.
    """
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{name} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})") from None
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except _DuplicateKeyError as exc:
        raise SettingsError(f"{name}: {exc}") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"{name} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise SettingsError(f"{name} must be a mapping with a 'config' mapping (got {_type_name(document)})")
    config = document.get("config")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise SettingsError(f"{name}: 'config' must be a mapping of namespace:key settings (got {_type_name(config)})")
    bad = [k for k in config if not isinstance(k, str)]
    if bad:
        raise SettingsError(f"{name}: config key {bad[0]!r} must be a namespace:key string")
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
