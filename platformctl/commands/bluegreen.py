"""Blue/green releases of the web tier: release, cutover, retire, status (docs/blue-green.md)."""

from typing import Annotated

import typer

from ..common import Stack, TableFormat

app = typer.Typer()



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
    from ..cutover import cutover as run

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
    from ..release import release as run

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
    from ..release import retire as run

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
    from ..status import status as run

    run(stack, format.value, expect_no_drift)

