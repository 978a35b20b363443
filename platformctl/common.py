"""What every command module shares with `cli.py`, kept apart so command modules can be
imported on their own (no import cycle through `cli.py`)."""

from __future__ import annotations

import typer

StackOption = typer.Option(..., "--stack", "-s", help="Stack name: a Pulumi.<stack>.yaml must exist.")


class CommandError(Exception):
    """Raised by commands for an operator-facing failure: printed as one line, exit 1."""
