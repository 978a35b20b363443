"""`python -m platformctl ...`: plan (and the commands later components add).

Every failure the operator can cause (unknown stack, invalid config, bad arguments) ends
with one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from typer._click.exceptions import ClickException, NoArgsIsHelpError

from components.settings import SettingsError

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
    mermaid = "mermaid"
    drawio = "drawio"


class CostFormat(StrEnum):
    table = "table"
    json = "json"


class CommandError(Exception):
    """Raised by commands for an operator-facing failure: printed as one line, exit 1."""


@app.command()
def plan(
    stack: str = StackOption,
    format: PlanFormat = typer.Option(PlanFormat.tree, "--format", "-f", help="tree, json, mermaid or drawio."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout.",
                                       dir_okay=False),
) -> None:
    """Run the real program under the recording mock and show what the stack would create."""
    from .offline import run_offline

    if format is PlanFormat.tree and output is not None:
        raise typer.BadParameter("--output needs --format json, mermaid or drawio", param_hint="'--output'")
    result = run_offline(stack)
    if format is PlanFormat.tree:
        from .render import tree

        tree(result, Console(highlight=False, soft_wrap=True))
        return
    if format is PlanFormat.json:
        text = json.dumps(result.to_json(), indent=2, sort_keys=False) + "\n"
    else:
        from .diagram import build_graph

        graph = build_graph(result)
        if format is PlanFormat.mermaid:
            from .diagram_mermaid import render
        else:
            from .diagram_drawio import render
        text = render(graph)
    _emit(text, output)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text)
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc.strerror}") from None


@app.command()
def cost(
    stack: str = StackOption,
    format: CostFormat = typer.Option(CostFormat.table, "--format", "-f", help="table or json."),
    compare_to: Path | None = typer.Option(None, "--compare-to", help="Base `cost --format json` file: print a "
                                           "Markdown plan summary and cost difference for a pull-request comment."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout.",
                                       dir_okay=False),
) -> None:
    """Monthly cost estimate of the offline plan (prices in platformctl/prices/)."""
    from . import cost as costs
    from .costdiff import CompareError, load_base, markdown
    from .offline import run_offline

    if output is not None and format is CostFormat.table and compare_to is None:
        raise typer.BadParameter("--output needs --format json or --compare-to", param_hint="'--output'")
    base = None
    if compare_to is not None:
        try:
            base = load_base(compare_to)
        except CompareError as exc:
            raise CommandError(str(exc)) from None
    try:
        estimate = costs.estimate(run_offline(stack))
    except costs.PriceError as exc:
        raise CommandError(str(exc)) from None
    if base is not None:
        _emit(markdown(estimate.to_json(), base), output)
    elif format is CostFormat.json:
        _emit(costs.to_json_text(estimate), output)
    else:
        # Piped output (CI logs, files) gets a wide fixed width instead of rich's 80 columns.
        costs.render_table(estimate, Console(highlight=False, width=None if sys.stdout.isatty() else 160))


@app.command()
def docs(
    check: bool = typer.Option(False, "--check", help="Exit 1 if the committed diagrams/README are stale."),
) -> None:
    """Regenerate docs/diagrams/*.mmd|.drawio and the generated README blocks (`make docs`)."""
    from .docs import DocsError, stale, write

    try:
        if check:
            outdated = stale()
            if outdated:
                raise CommandError(f"stale generated docs: {', '.join(outdated)}; run make docs")
            return
        for path in write():
            print(f"wrote {path}")
    except DocsError as exc:
        raise CommandError(str(exc)) from None


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
