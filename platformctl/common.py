"""What every command shares with `cli.py`, kept apart so command modules can be imported on
their own (no import cycle through `cli.py`). Only typer and the standard library: this is
loaded for `--help`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

Stack = Annotated[str, typer.Option("--stack", "-s", help="Stack name: a Pulumi.<stack>.yaml must exist.")]


class CommandError(Exception):
    """Raised by commands for an operator-facing failure: printed as one line, exit 1."""


def emit(text: str, output: Path | None) -> None:
    """Write a command's result to `output`, or to stdout."""
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text)
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc.strerror}") from None


def wide_console(width: int):
    """A rich console; piped output (CI logs, files) gets `width` columns instead of rich's 80."""
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else width)
