"""Edits of `Pulumi.<stack>.yaml`: validated first, written atomically, comments kept.

release/cutover/retire change a few keys of `cloud-platform:web` between deployments. The
file in git is the truth, so every write must leave it either as it was or as intended:
the new text goes to a temporary file in the same directory, is flushed to disk and then
renamed over the old one (`os.replace` is atomic on POSIX), so a full disk, a crash or
Ctrl-C can never leave half a file. ruamel's round trip keeps comments and key order.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from components.settings import SettingsError, parse_settings
from components.settings.web import COLOURS, WebSettings

WEB_KEY = "cloud-platform:web"


class ConfigWriteError(Exception):
    """The stack file could not be read or written (one line; the file is unchanged)."""


def _yaml() -> YAML:
    yaml = YAML()  # round-trip mode
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


@functools.lru_cache(maxsize=16)
def _parsed(text: str) -> Any:
    """The round-trip document of one file text, parsed once per process: a command reads its
    stack file ~10 times (ruamel's pure-Python parser takes ~45 ms for prod's). Shared and
    never changed: an edit works on a deep copy (`_edited`)."""
    return _yaml().load(text)


@functools.lru_cache(maxsize=64)
def _edited(stack: str, name: str, text: str, changes: str) -> str:
    """The text of stack file `name` after setting the JSON `changes` (dotted keys below
    `cloud-platform:web`) in `text`, validated. A pure function of its arguments, so it is
    remembered: a cutover retried after a rollback makes the same edits to the same text again,
    and the blue/green tests do so many times (~20 ms of ruamel dump each for prod)."""
    document = copy.deepcopy(_parsed(text))
    web = document["config"].get(WEB_KEY)
    if not isinstance(web, dict):
        raise ConfigWriteError(f"{name} has no {WEB_KEY} section")
    for dotted, value in json.loads(changes).items():
        _set(web, dotted.split("."), value)
    _validate(stack, name, document)
    buffer = io.StringIO()
    _yaml().dump(document, buffer)
    return buffer.getvalue()


def _plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts/lists (what pydantic and JSON expect)."""
    return json.loads(json.dumps(node, default=str))


class StackConfigFile:
    """The `cloud-platform:web` section of one stack file."""

    def __init__(self, stack: str, path: Path):
        self.stack = stack
        self.path = path

    def _read(self) -> tuple[str, Any]:
        """The file's text and its (shared, read-only) document."""
        try:
            text = self.path.read_text()
            document = _parsed(text)
        except (OSError, YAMLError) as exc:
            raise ConfigWriteError(f"cannot read {self.path.name}: {_reason(exc)}") from None
        if not isinstance(document, dict) or not isinstance(document.get("config"), dict):
            raise ConfigWriteError(f"{self.path.name} has no config mapping")
        return text, document

    def _load(self) -> Any:
        return self._read()[1]

    def web(self) -> WebSettings:
        """The validated web settings as written now."""
        return _validate(self.stack, self.path.name, self._load()).web

    def web_raw(self) -> dict[str, Any]:
        """The `cloud-platform:web` mapping as written (for snapshots and rollbacks)."""
        return _plain(self._load()["config"].get(WEB_KEY) or {})

    def weights(self) -> dict[str, int]:
        return self.web().traffic.as_dict()

    def update(self, changes: dict[str, Any]) -> None:
        """Set dotted keys below `cloud-platform:web` (`traffic.blue`, `green.amiId`); None deletes.

        Refuses (writing nothing) when the result would not pass the stack's settings.
        """
        text, _ = self._read()
        atomic_write(self.path, _edited(self.stack, self.path.name, text, json.dumps(changes)))

    def replace_web(self, snapshot: dict[str, Any]) -> None:
        """Put back a `web_raw()` snapshot, key by key, so comments on untouched keys survive."""
        current = self.web_raw()
        changes = {k: v for k, v in _flatten(snapshot).items() if _flatten(current).get(k, _MISSING) != v}
        changes.update({k: None for k in _flatten(current) if k not in _flatten(snapshot)})
        if changes:
            self.update(changes)


def _flat(document: Any) -> dict[str, str]:
    """The config as the Pulumi engine hands it to the program (structured values as JSON)."""
    return {k: v if isinstance(v, str) else json.dumps(_plain(v)) for k, v in document["config"].items()}


def _validate(stack: str, name: str, document: Any):
    try:
        return parse_settings(_flat(document), stack=stack)
    except SettingsError as exc:
        raise ConfigWriteError(f"refusing to write {name}: {exc}") from None


def atomic_write(path: Path, text: str) -> None:
    """Temp file in the same directory, fsync, rename: the path holds the old or the new text."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, path.stat().st_mode & 0o777)
        os.replace(temp, path)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise ConfigWriteError(f"cannot write {path.name}: {_reason(exc)}; it still holds the previous config") from None
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


_MISSING = object()


def _flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(value, dict) and value and key in (*COLOURS, "traffic"):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _set(mapping: Any, path: list[str], value: Any) -> None:
    for part in path[:-1]:
        if not isinstance(mapping.get(part), dict):
            mapping[part] = {}
        mapping = mapping[part]
    if value is None:
        mapping.pop(path[-1], None)
    else:
        mapping[path[-1]] = value


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
