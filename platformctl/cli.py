"""`python -m platformctl ...`: every command's arguments, in one registration style.

Start-up stays cheap: this module imports typer and the standard library only. Each command
imports what it needs (Pulumi, the settings, boto3, moto) inside its body, so `--help` and
the usage errors never pay for them. Add a command as the ones below do (see docs/cli.md).

Every failure the operator can cause (unknown stack, invalid config, bad arguments) ends
with one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .common import CommandError, Stack, emit, wide_console

app = typer.Typer(
    name="platformctl",
    help="Operate cloud-platform stacks: offline plan, blue/green cutover, status, checks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.", dir_okay=False)
]


class PlanFormat(StrEnum):
    tree = "tree"
    json = "json"
    mermaid = "mermaid"
    drawio = "drawio"


class TableFormat(StrEnum):
    table = "table"
    json = "json"


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

        from .render import tree

        tree(result, Console(highlight=False, soft_wrap=True))
        return
    if format is PlanFormat.json:
        import json

        text = json.dumps(result.to_json(), indent=2, sort_keys=False) + "\n"
    else:
        from .diagrams.build import build_graph
        from .diagrams.views import full

        graph = full(build_graph(result))
        if format is PlanFormat.mermaid:
            from .diagrams.mermaid import render
        else:
            from .diagrams.drawio import render
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

    from . import cost as costs
    from .costdiff import CompareError, load_base, markdown

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
    from .check import command

    code = command(stack, format.value)
    if code:
        raise typer.Exit(code)


@app.command()
def docs(
    check: Annotated[bool, typer.Option(
        "--check", help="Exit 1 if the committed diagrams or generated doc blocks are stale.")] = False,
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


Colour = Annotated[str, typer.Option("--colour", help="blue or green.")]


@app.command()
def cutover(
    stack: Stack,
    to: Annotated[str, typer.Option("--to", help="Colour to move traffic to: blue or green.")],
    steps: Annotated[str, typer.Option(
        "--steps", help="Percentages for the target colour, increasing, ending at 100.")] = "10,50,100",
    bake_seconds: Annotated[float | None, typer.Option(
        "--bake-seconds", min=0,
        help="Watch time after each step (default 60, or the stickiness duration when longer; never less).")] = None,
    poll_seconds: Annotated[float, typer.Option(
        "--poll-seconds", min=0.1, help="Interval of checks while baking.")] = 10.0,
    max_5xx: Annotated[int, typer.Option("--max-5xx", min=0, help="Target 5xx responses tolerated per step.")] = 0,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Shift web traffic to the other colour in steps (listener-only ups), rolling back on any failure."""
    from .cutover import cutover as run

    run(stack, to, steps, bake_seconds, poll_seconds, max_5xx, yes)


@app.command()
def release(
    stack: Stack,
    colour: Colour,
    version: Annotated[str, typer.Option("--version", help="Release shown on the page and tagged on instances.")],
    ami: Annotated[str, typer.Option(
        "--ami", help="latest (AWS's current Amazon Linux 2023), baked (the image pipeline's output) or ami-...")]
        = "latest",
    smoke_path: Annotated[str, typer.Option("--smoke-path", help="Path requested through the load balancer.")] = "/",
    wait_seconds: Annotated[float, typer.Option(
        "--wait-seconds", min=0, help="How long the new fleet may take to become healthy.")] = 900.0,
    poll_seconds: Annotated[float, typer.Option("--poll-seconds", min=0.1, help="Interval of health checks.")] = 15.0,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Prepare the idle colour: pin image and version, scale to the live colour, deploy it alone, smoke-test it."""
    from .release import release as run

    run(stack, colour, version, ami, smoke_path, wait_seconds, poll_seconds, yes)


@app.command()
def retire(
    stack: Stack,
    colour: Colour,
    after: Annotated[float | None, typer.Option(
        "--after", min=0, help="Seconds to wait for draining first (default: the deregistration delay).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Scale a colour without traffic to 0 in config and deploy only its group."""
    from .release import retire as run

    run(stack, colour, after, yes)


@app.command()
def status(
    stack: Stack,
    format: Annotated[TableFormat, typer.Option("--format", "-f", help="table or json.")] = TableFormat.table,
    expect_no_drift: Annotated[bool, typer.Option(
        "--expect-no-drift", help="Only check: exit 1 with one line when the listener differs from the stack file "
        "(the deploy workflow's guard).")] = False,
) -> None:
    """Per colour: weight in config and on the listener, capacity, health, version, image; a drift line."""
    from .status import status as run

    run(stack, format.value, expect_no_drift)


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(
        "--port", "-p", min=0, max=65535, help="Port of the website (0: any free port).")] = 8000,
    api_port: Annotated[int | None, typer.Option(
        "--api-port", min=0, max=65535, help="Port of the API (default: --port + 1; 0: any free port).")] = None,
    outputs: Annotated[Path | None, typer.Option(
        "--outputs", help="Write the sandbox's stack outputs (the shape of `pulumi stack output --json`) here.")] = None,
) -> None:
    """Serve site/, the real API handler and the messaging worker on 127.0.0.1, AWS emulated by moto (no account)."""
    import gc

    from .prerequisites import missing_dev_package

    gc.enable()  # a server runs for hours: collect cycles (`__main__` turned the GC off for short commands)
    try:
        from .sandbox import SandboxError, run

        try:
            run(port, api_port, outputs_file=outputs)
        except SandboxError as exc:
            raise CommandError(str(exc)) from None
    except ModuleNotFoundError as exc:  # moto, Powertools: requirements-dev.txt, not requirements.txt
        raise CommandError(missing_dev_package(exc, "platformctl sandbox")) from None


@app.command()
def smoke(
    stack: Stack,
    outputs: Annotated[Path | None, typer.Option(
        "--outputs", help="JSON of `pulumi stack output --json` (default: ask the pulumi CLI).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds a probe may take.")] = 60.0,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Skip the site probe in Chromium.")] = False,
) -> None:
    """Probe a deployed stack: web colours, container, API + CORS, site in Chromium, worker. Exit 1 on any failure."""
    from offline.stacks import stack_file

    from . import smoke as probes
    from .prerequisites import PrerequisiteError, pulumi_stack_outputs

    stack_file(stack)  # an unknown stack is a usage error before any request
    try:
        values = probes.read_outputs(outputs) if outputs else pulumi_stack_outputs(stack)
    except (probes.SmokeError, PrerequisiteError) as exc:
        raise CommandError(str(exc)) from None
    results = probes.run(values, timeout=timeout, browser=not no_browser, emit=typer.echo)
    failed = [r.probe for r in results if r.status == "FAIL"]
    if failed:
        raise CommandError(f"smoke {stack}: {len(failed)} of {len(results)} probes failed ({', '.join(failed)})")
    typer.echo(f"smoke {stack}: {sum(r.status == 'ok' for r in results)} probes ok, "
               f"{sum(r.status == 'skip' for r in results)} skipped")


@app.command()
def gameday(
    stack: Stack,
    quick: Annotated[bool, typer.Option(
        "--quick", help="Short worker timeout (via stack config), so crashed batches are back in seconds.")] = False,
    events: Annotated[int, typer.Option("--events", "-n", min=10, max=5000, help="Events per scenario.")] = 200,
) -> None:
    """Scripted faults against the local sandbox: worker crash, poison burst, API and DynamoDB throttling."""
    from offline import plan as engine

    from .prerequisites import missing_dev_package

    try:
        from .gameday import GameDayError, run
    except ModuleNotFoundError as exc:
        raise CommandError(missing_dev_package(exc, "platformctl gameday")) from None
    try:
        results = run(stack, quick, events, lambda name, overrides: engine.run_offline(name, overrides))
    except GameDayError as exc:
        raise CommandError(str(exc)) from None
    print(f"{'scenario':<26}{'good':>6}{'lost':>6}{'dup':>6}{'delayed':>9}{'recovery':>11}  note")
    for r in results:
        recovery = "never" if r.recovery_seconds == float("inf") else f"{r.recovery_seconds:.1f} s"
        print(f"{r.scenario:<26}{r.good:>6}{r.lost:>6}{r.duplicated:>6}{r.delayed:>9}{recovery:>11}  {r.note}")
    failed = [r.scenario for r in results if not r.ok]
    if failed:
        raise CommandError(f"events lost or duplicated in: {', '.join(failed)}")


class LatencyPath(StrEnum):
    direct_invoke = "direct-invoke"
    api_gateway = "api-gateway"
    sns_sqs_worker = "sns-sqs-worker"
    step_functions = "step-functions"


@app.command()
def latency(
    stack: Stack,
    runs: Annotated[int, typer.Option("--runs", "-n", min=1, max=1000, help="Runs per path.")] = 10,
    outputs: Annotated[Path | None, typer.Option(
        "--outputs", help="JSON of `pulumi stack output --json` (default: ask the pulumi CLI).")] = None,
    path: Annotated[list[LatencyPath] | None, typer.Option(
        "--path", "-p", help="Only these paths (repeatable).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds one run may take.")] = 60.0,
) -> None:
    """Time direct Lambda invoke vs API Gateway vs SNS->SQS->worker vs Step Functions on a deployed stack."""
    from offline.stacks import stack_file

    from . import latency as lab
    from .stack_outputs import OutputsError, stack_outputs

    stack_file(stack)  # an unknown stack is a usage error before any AWS call
    try:
        values = stack_outputs(stack, outputs)
        only = [p.value for p in path] if path else list(lab.PATHS)
        results = lab.run_lab(values, runs, clients=lab.boto3_clients, timeout=timeout, only=only)
    except (lab.LatencyError, OutputsError) as exc:
        raise CommandError(str(exc)) from None
    typer.echo(lab.render(stack, runs, results))
    measured = [r for r in results if not r.skipped]
    if measured and not any(r.samples for r in measured):
        raise CommandError("no run succeeded on any path (see the errors above)")


class OcrFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def ocr(
    image: Annotated[Path, typer.Argument(help="Screenshot of code: PNG, JPEG or WebP.")],
    format: Annotated[OcrFormat, typer.Option(
        "--format", "-f", help="text (the source) or json (text, language, confidence, per-line boxes).")] = OcrFormat.text,
    tab_width: Annotated[int, typer.Option(
        "--tab-width", min=0, max=16, help="Write leading runs of N spaces as tabs (0: keep spaces).")] = 0,
    code_fixes: Annotated[bool, typer.Option(
        "--code-fixes/--no-code-fixes", help="Repair 0/O and 1/l confusions a compiler would reject.")] = True,
) -> None:
    """Recover source code (indentation and blank lines included) from a screenshot, with local Tesseract."""
    from .ocr_cli import recognise

    result = recognise(image, tab_width=tab_width, code_fixes=code_fixes)
    if format is OcrFormat.json:
        import json

        sys.stdout.write(json.dumps(result.as_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(result.text)


StackOutputsFile = Annotated[Path | None, typer.Option(
    "--outputs", help="JSON of `pulumi stack output --json` (default: ask the pulumi CLI).")]


@app.command("peering-check")
def peering_check(
    stack: Stack,
    outputs: StackOutputsFile = None,
    samples: Annotated[int, typer.Option("--samples", "-n", min=1, max=50, help="TCP connects per endpoint.")] = 10,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, max=5, help="Seconds one connect may take.")] = 2.0,
) -> None:
    """Check every hop of the cross-region peering and time TCP connects from the peer VPC's probe to home."""
    from botocore.exceptions import BotoCoreError, ClientError

    from offline.stacks import stack_file

    from . import peering_check as check
    from .latency import boto3_clients
    from .stack_outputs import OutputsError, stack_outputs

    stack_file(stack)
    try:
        report = check.run(stack_outputs(stack, outputs).get("peeringCheck"), boto3_clients, samples, timeout)
    except check.HopFailedError as exc:
        raise CommandError(f"peering-check failed at {exc}") from None
    except (check.PeeringCheckError, OutputsError) as exc:
        raise CommandError(str(exc)) from None
    except (BotoCoreError, ClientError) as exc:
        raise CommandError(f"AWS call failed: {str(exc).splitlines()[0]}") from None
    typer.echo("\n".join(report.lines))


backup_app = typer.Typer(help="AWS Backup of a deployed stack: verify its recovery points.", no_args_is_help=True)
app.add_typer(backup_app, name="backup")


@backup_app.command("verify")
def backup_verify(
    stack: Stack,
    outputs: StackOutputsFile = None,
    margin_hours: Annotated[float | None, typer.Option(
        "--margin-hours", min=0, help="Slack on top of the plan's interval (default: its start + completion windows).")] = None,
) -> None:
    """Every resource compliance says must be backed up has a recovery point younger than the plan's interval + margin."""
    from datetime import UTC, datetime, timedelta

    from botocore.exceptions import BotoCoreError, ClientError

    from components.settings import parse_settings
    from offline.stacks import stack_config

    from . import backup_verify as bv
    from .latency import boto3_clients
    from .stack_outputs import OutputsError, stack_outputs

    settings = parse_settings(stack_config(stack), stack=stack)
    margin = timedelta(hours=margin_hours) if margin_hours is not None else None
    try:
        values = stack_outputs(stack, outputs) if settings.compliance.require_backups else {}
        lines, complete = bv.run(settings, values, boto3_clients, datetime.now(UTC), margin)
    except (bv.VerifyError, OutputsError) as exc:
        raise CommandError(str(exc)) from None
    except (BotoCoreError, ClientError) as exc:
        raise CommandError(f"AWS call failed: {str(exc).splitlines()[0]}") from None
    typer.echo("\n".join(lines))
    if not complete:
        raise CommandError(f"{len(lines) - 1} recovery point(s) missing or stale")


# typer re-exports only BadParameter from its click exceptions; the base class of every usage
# error (what click itself prints as "Usage: ... Error: ...") is found from it, not by a
# private import that would break with typer's next vendoring.
_USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
# Loaded only by the commands that can raise them: looked up in sys.modules, never imported here.
_CONFIG_ERRORS = {"offline.stacks": "StackError", "components.settings.base": "SettingsError"}
# A plan AWS or the provider would refuse (name too long, bad tag, ...): exit 1 like a failed preview.
_PLAN_ERRORS = {"offline.provider_rules": "PlanRejectedError"}


def _config_error(exc: Exception, errors: dict[str, str] = _CONFIG_ERRORS) -> bool:
    types = tuple(getattr(sys.modules[m], n) for m, n in errors.items() if m in sys.modules)
    return isinstance(exc, types)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        # Bare `platformctl`: the help, as a usage error (exit 2).
        app(args=["--help"], standalone_mode=False)
        sys.exit(2)
    try:
        code = app(args=args, standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        sys.exit(130)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        if isinstance(exc, _USAGE_ERROR):
            # Usage errors: one line naming what is wrong, instead of click's usage block.
            print(f"error: {exc.format_message()}", file=sys.stderr)
            sys.exit(2)
        if _config_error(exc):
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        if _config_error(exc, _PLAN_ERRORS):
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(1)
        raise
