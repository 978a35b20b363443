"""What the command modules (`platformctl/commands/`) share with each other and `cli.py`: the
common options, the one-line error, output. Only typer and the standard library: this is
loaded for `--help`."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

Stack = Annotated[str, typer.Option("--stack", "-s", help="Stack name: a Pulumi.<stack>.yaml must exist.")]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.", dir_okay=False)
]
StackOutputsFile = Annotated[Path | None, typer.Option(
    "--outputs", help="JSON of `pulumi stack output --json` (default: ask the pulumi CLI).")]


class TableFormat(StrEnum):
    table = "table"
    json = "json"


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
