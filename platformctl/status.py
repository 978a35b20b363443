"""`platformctl status`: per colour, the configured and deployed weight, capacity, health, release."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from components.settings.web import COLOURS
from offline.stacks import stack_file

from . import cutover as cutover_module
from .common import CommandError
from .cutover import WebStack
from .web_aws import AwsError, WebAws
from .web_stack import StackBackend, StackBackendError


@dataclass(frozen=True)
class ColourStatus:
    colour: str
    weight: int
    live_weight: int | None
    desired: int | None
    min_size: int | None
    healthy: int
    targets: int
    version: str
    ami_id: str


def collect(backend: StackBackend, aws: WebAws) -> list[ColourStatus]:
    web = WebStack.from_outputs(backend.name, backend.outputs())
    weights = backend.get_weights()
    live = aws.listener_weights(web.listener_arn) if web.listener_arn else {}
    rows = []
    for colour in COLOURS:
        tg = web.target_group_arns[colour]
        size = aws.group_size(web.asg_names[colour])
        health = aws.target_health(tg)
        release = web.releases.get(colour) or {}
        rows.append(
            ColourStatus(
                colour=colour,
                weight=weights[colour],
                live_weight=live.get(tg) if live else None,
                desired=size.desired if size else None,
                min_size=size.min_size if size else None,
                healthy=health.healthy,
                targets=health.total,
                version=str(release.get("version", "?")),
                ami_id=str(release.get("amiId", "?")),
            )
        )
    return rows


def render(stack: str, rows: list[ColourStatus], console: Console) -> None:
    table = Table(title=f"web tier of stack {stack}", title_justify="left")
    for column in ("colour", "weight", "live", "desired", "min", "healthy", "version", "ami"):
        table.add_column(column, justify="right" if column in ("weight", "live", "desired", "min") else "left")
    dash = "-"
    for r in rows:
        table.add_row(
            r.colour, str(r.weight), dash if r.live_weight is None else str(r.live_weight),
            dash if r.desired is None else str(r.desired), dash if r.min_size is None else str(r.min_size),
            f"{r.healthy}/{r.targets}", r.version, r.ami_id,
        )
    console.print(table)
    drift = [r for r in rows if r.live_weight is not None and r.live_weight != r.weight]
    if drift:
        console.print(
            "drift: the listener does not carry the configured weights ("
            + ", ".join(f"{r.colour} config {r.weight} live {r.live_weight}" for r in drift)
            + "); run `pulumi up` or finish the cutover"
        )


def status(stack: str) -> None:
    """Show per colour: weight (config and live), desired/min capacity, healthy targets, version, AMI."""
    stack_file(stack)
    try:
        rows = collect(cutover_module.open_backend(stack), cutover_module.open_aws(stack))
    except (StackBackendError, AwsError) as exc:
        raise CommandError(str(exc)) from None
    render(stack, rows, Console(highlight=False, soft_wrap=True, width=200))
