"""`python -m platformctl ...`: plan (and the commands later components add).

Every failure the operator can cause (unknown stack, invalid config, bad arguments) ends
with one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum

import typer
from rich.console import Console
from typer._click.exceptions import ClickException, NoArgsIsHelpError

from components.settings import SettingsError

from .check import CheckFormat
from .stacks import StackError

app = typer.Typer(
    name="platformctl",
    help="Operate cloud-platform stacks: offline plan, blue/green cutover, status, checks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

StackOption = typer.Option(..., "--stack", "-s", help="Stack name: a Pulumi.<stack>.yaml must exist.")


class PlanFormat(StrEnum):
    tree = "tree"
    json = "json"


class CommandError(Exception):
    """Raised by commands for an operator-facing failure: printed as one line, exit 1."""


@app.command()
def plan(
    stack: str = StackOption,
    format: PlanFormat = typer.Option(PlanFormat.tree, "--format", "-f", help="tree or json."),
) -> None:
    """Run the real program under the recording mock and show what the stack would create."""
    from .offline import run_offline
    from .render import tree

    result = run_offline(stack)
    if format is PlanFormat.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, sort_keys=False) + "\n")
    else:
        tree(result, Console(highlight=False, soft_wrap=True))


@app.command()
def check(
    stack: str = StackOption,
    format: CheckFormat = typer.Option(CheckFormat.table, "--format", "-f", help="table or json."),
) -> None:
    """Run every compliance policy over the offline plan; exit 1 on a mandatory violation."""
    from .check import command

    code = command(stack, format)
    if code:
        raise typer.Exit(code)


@app.callback()
def _root() -> None:
    """Operate cloud-platform stacks: offline plan, blue/green cutover, status, checks."""


def main(argv: list[str] | None = None) -> None:
    try:
        code = app(args=argv, standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        sys.exit(130)
    except NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else "see --help", file=sys.stderr)
        sys.exit(2)
    except ClickException as exc:
        # Usage errors: one line naming what is wrong, instead of click's usage block.
        print(f"error: {exc.format_message()}", file=sys.stderr)
        sys.exit(2)
    except (StackError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
