"""`platformctl status`: per colour what the stack file says and what AWS runs, and drift."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import typer
from rich.console import Console
from rich.table import Table

from components.settings.web import COLOURS
from offline.stacks import stack_file

from . import cutover as cutover_module
from .common import CommandError
from .config_file import StackConfigFile
from .rollout import WebStack
from .web_aws import WebAws
from .web_stack import StackBackend, StackNotDeployedError


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
    """Version in the stack file (what the next deploy runs)."""
    ami_id: str
    """Image pinned in the stack file, or `latest` for an idle colour following AWS's newest."""
    deployed_version: str
    deployed_ami_id: str
    """What the last `up` deployed (stack outputs)."""


def collect(stack: str, backend: StackBackend, aws: WebAws, config: StackConfigFile) -> list[ColourStatus]:
    web = WebStack.from_outputs(stack, backend.outputs())
    settings = config.web()
    live = web.live_weights(aws)
    rows = []
    for colour in COLOURS:
        size = aws.group_size(web.asg_names[colour])
        health = aws.target_health(web.target_group_arns[colour])
        release = web.releases.get(colour) or {}
        fleet = settings.colour(colour)
        rows.append(
            ColourStatus(
                colour=colour,
                weight=getattr(settings.traffic, colour),
                live_weight=None if live is None else live[colour],
                desired=size.desired if size else None,
                min_size=size.min_size if size else None,
                healthy=health.healthy,
                targets=health.total,
                version=fleet.version,
                ami_id=fleet.ami_id or "latest",
                deployed_version=str(release.get("version", "?")),
                deployed_ami_id=str(release.get("amiId", "?")),
            )
        )
    return rows


def drift(rows: list[ColourStatus]) -> str | None:
    parts = [f"{r.colour} config {r.weight} live {r.live_weight}" for r in rows
             if r.live_weight is not None and r.live_weight != r.weight]
    if not parts:
        return None
    return ("drift: the listener does not carry the configured weights (" + ", ".join(parts)
            + "); finish or roll back with `platformctl cutover`, never a plain deploy")


def render(stack: str, rows: list[ColourStatus], console: Console) -> None:
    table = Table(title=f"web tier of stack {stack}", title_justify="left")
    numeric = ("weight", "live", "desired", "min")
    for column in ("colour", "weight", "live", "desired", "min", "healthy", "version", "ami"):
        table.add_column(column, justify="right" if column in numeric else "left")
    dash = "-"
    for r in rows:
        version = r.version if r.version == r.deployed_version else f"{r.version} (deployed {r.deployed_version})"
        ami = r.ami_id if r.ami_id == r.deployed_ami_id else f"{r.ami_id} (deployed {r.deployed_ami_id})"
        table.add_row(
            r.colour, str(r.weight), dash if r.live_weight is None else str(r.live_weight),
            dash if r.desired is None else str(r.desired), dash if r.min_size is None else str(r.min_size),
            f"{r.healthy}/{r.targets}", version, ami,
        )
    console.print(table)
    line = drift(rows)
    if line:
        console.print(line)


def status(stack: str, format: str = "table", expect_no_drift: bool = False) -> None:
    """Per colour: weight in config and on the listener, capacity, health, version and image; drift."""
    stack_file(stack)
    result: dict = {}

    def body() -> None:
        try:
            backend = cutover_module.open_backend(stack)
        except StackNotDeployedError:
            if not expect_no_drift:
                raise
            result["rows"] = []  # a first deploy: nothing runs that could differ
            return
        config = StackConfigFile(stack, backend.config_path())
        if expect_no_drift and not isinstance(backend.outputs().get("targetGroupArns"), dict):
            result["rows"] = []  # nothing of the web tier deployed yet: nothing can have drifted
            return
        result["rows"] = collect(stack, backend, cutover_module.open_aws(stack), config)

    cutover_module.guarded("status", body)
    rows = result["rows"]
    if expect_no_drift:
        line = drift(rows)
        if line:
            raise CommandError(f"refusing to deploy stack {stack}: {line.removeprefix('drift: ')} "
                               f"(see `platformctl status --stack {stack}`)")
        typer.echo(f"stack {stack}: " + ("the listener carries the configured weights" if rows
                                          else "no web tier deployed yet, nothing can differ"))
        return
    if format == "json":
        typer.echo(json.dumps({"stack": stack, "colours": [asdict(r) for r in rows], "drift": drift(rows)}, indent=2))
        return
    render(stack, rows, Console(highlight=False, soft_wrap=True, width=200))
