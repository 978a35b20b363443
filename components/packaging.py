"""Content hashes of what runs, the same on every machine: local caches never count.

The container image tag is derived from source files only, so a `__pycache__` or an
editor backup does not change it (and a commit that leaves the folder alone keeps it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# Written by tools on the developer's machine, never part of what runs.
_LOCAL_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv", "node_modules"}
_LOCAL_SUFFIXES = {".pyc", ".pyo", ".swp", ".bak"}


def source_files(root: Path, pattern: str = "*") -> list[Path]:
    """Files under `root` matching `pattern` (at any depth), without local caches, sorted."""
    return sorted(
        p for p in root.rglob(pattern)
        if p.is_file()
        and not _LOCAL_DIRS.intersection(p.relative_to(root).parts[:-1])
        and p.suffix not in _LOCAL_SUFFIXES
        and not p.name.endswith("~")
    )


def content_hash(root: Path, pattern: str = "*", length: int = 12) -> str:
    """Hex digest over the relative paths and bytes of `source_files(root, pattern)`."""
    digest = hashlib.sha256()
    for path in source_files(root, pattern):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:length]
