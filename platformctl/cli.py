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

from .check import CheckFormat
from .common import CommandError, StackOption
from .cutover import cutover
from .stacks import StackError
from .status import status

app = typer.Typer(
    name="platformctl",
    help="Operate cloud-platform stacks: offline plan, blue/green cutover, status, checks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



class PlanFormat(StrEnum):
    tree = "tree"
    json = "json"
    mermaid = "mermaid"
    drawio = "drawio"


class CostFormat(StrEnum):
    table = "table"
    json = "json"


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
    check: bool = typer.Option(False, "--check", help="Exit 1 if the committed diagrams or generated doc blocks are stale."),
) -> None:
    """Regenerate docs/diagrams/*.mmd|.drawio and the generated blocks in docs/diagrams.md and docs/cost.md (`make docs`)."""
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


# Commands that live in their own modules.
app.command(name="cutover")(cutover)
app.command(name="status")(status)
@app.command()
def sandbox(
    port: int = typer.Option(8000, "--port", "-p", min=0, max=65535, help="Port of the website (0: any free port)."),
    api_port: int | None = typer.Option(
        None, "--api-port", min=0, max=65535, help="Port of the API (default: --port + 1; 0: any free port)."
    ),
) -> None:
    """Serve site/, the real API handler and the messaging worker on 127.0.0.1, AWS emulated by moto (no account)."""
    from .sandbox import SandboxError, run

    try:
        run(port, api_port)
    except SandboxError as exc:
        raise CommandError(str(exc)) from None
class LatencyPath(StrEnum):
    direct_invoke = "direct-invoke"
    api_gateway = "api-gateway"
    sns_sqs_worker = "sns-sqs-worker"
    step_functions = "step-functions"


@app.command()
def latency(
    stack: str = StackOption,
    runs: int = typer.Option(10, "--runs", "-n", min=1, max=1000, help="Runs per path."),
    outputs: Path | None = typer.Option(
        None, "--outputs", help="JSON of `pulumi stack output --json` (default: ask the pulumi CLI)."
    ),
    path: list[LatencyPath] | None = typer.Option(None, "--path", "-p", help="Only these paths (repeatable)."),
    timeout: float = typer.Option(60.0, "--timeout", min=1, help="Seconds one run may take."),
) -> None:
    """Time direct Lambda invoke vs API Gateway vs SNS->SQS->worker vs Step Functions on a deployed stack."""
    from . import latency as lab
    from .stacks import stack_file

    stack_file(stack)  # an unknown stack is a usage error before any AWS call
    try:
        values = lab.file_outputs(outputs) if outputs else lab.pulumi_outputs(stack)
        only = [p.value for p in path] if path else list(lab.PATHS)
        results = lab.run_lab(values, runs, clients=lab.boto3_clients, timeout=timeout, only=only)
    except lab.LatencyError as exc:
        raise CommandError(str(exc)) from None
    typer.echo(lab.render(stack, runs, results))
    measured = [r for r in results if not r.skipped]
    if measured and not any(r.samples for r in measured):
        raise CommandError("no run succeeded on any path (see the errors above)")
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
