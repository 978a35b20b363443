"""Commands over the offline plan of a stack: plan, cost, check, and the generated docs.

Like every module of `platformctl.commands`: typer and the standard library at the top, the
work imported inside each command (`--help` must not load Pulumi or the settings)."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..common import CommandError, Output, Stack, TableFormat, emit, wide_console

app = typer.Typer()



class PlanFormat(StrEnum):
    tree = "tree"
    json = "json"
    mermaid = "mermaid"
    drawio = "drawio"



@app.command()
def plan(
    stack: Stack,
    format: Annotated[PlanFormat, typer.Option("--format", "-f", help="tree, json, mermaid or drawio.")] = PlanFormat.tree,
    output: Output = None,
) -> None:
    """Run the real program under the recording mock and show what the stack would create."""
    if format is PlanFormat.tree and output is not None:
        raise typer.BadParameter("--output needs --format json, mermaid or drawio", param_hint="'--output'")
    from offline.plan import run_offline

    result = run_offline(stack)
    if format is PlanFormat.tree:
        from rich.console import Console

        from ..render import tree

        tree(result, Console(highlight=False, soft_wrap=True))
        return
    if format is PlanFormat.json:
        import json

        text = json.dumps(result.to_json(), indent=2, sort_keys=False) + "\n"
    else:
        from ..diagrams.build import build_graph
        from ..diagrams.views import full

        graph = full(build_graph(result))
        if format is PlanFormat.mermaid:
            from ..diagrams.mermaid import render
        else:
            from ..diagrams.drawio import render
        text = render(graph)
    emit(text, output)


@app.command()
def cost(
    stack: Stack,
    format: Annotated[TableFormat, typer.Option("--format", "-f", help="table or json.")] = TableFormat.table,
    compare_to: Annotated[Path | None, typer.Option(
        "--compare-to", help="Base `cost --format json` file: print a Markdown plan summary and cost difference "
        "for a pull-request comment.")] = None,
    output: Output = None,
    free_tier: Annotated[bool, typer.Option(
        "--free-tier/--no-free-tier", help="Apply the permanent AWS free tiers (once per account; default: list prices)."
    )] = False,
) -> None:
    """Monthly cost estimate of the offline plan (prices and pricing rules in platformctl/prices/)."""
    if output is not None and format is TableFormat.table and compare_to is None:
        raise typer.BadParameter("--output needs --format json or --compare-to", param_hint="'--output'")
    from offline.plan import run_offline

    from .. import cost as costs
    from ..costdiff import CompareError, load_base, markdown

    base = None
    if compare_to is not None:
        try:
            base = load_base(compare_to)
        except CompareError as exc:
            raise CommandError(str(exc)) from None
    try:
        estimate = costs.estimate(run_offline(stack), free_tier=free_tier)
    except costs.PriceError as exc:
        raise CommandError(str(exc)) from None
    if base is not None:
        emit(markdown(estimate.to_json(), base), output)
    elif format is TableFormat.json:
        emit(costs.to_json_text(estimate), output)
    else:
        costs.render_table(estimate, wide_console(160))


@app.command()
def check(
    stack: Stack,
    format: Annotated[TableFormat, typer.Option("--format", "-f", help="table or json.")] = TableFormat.table,
) -> None:
    """Run every compliance policy over the offline plan; exit 1 on a mandatory violation."""
    from ..check import command

    code = command(stack, format.value)
    if code:
        raise typer.Exit(code)


@app.command()
def docs(
    check: Annotated[bool, typer.Option(
        "--check", help="Exit 1 if the committed diagrams or generated doc blocks are stale.")] = False,
) -> None:
    """Regenerate docs/diagrams/*.mmd|.drawio and the generated blocks in docs/diagrams.md and docs/cost.md (`make docs`)."""
    from ..docs import DocsError, stale, write

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

