"""`platformctl cutover`: shift the web tier's traffic to the other colour, step by step.

Each step writes the weights into `Pulumi.<stack>.yaml` (atomically) and runs an `up`
targeted at the listener only, so nothing else main holds ships during a shift and config
stays the one source of truth. Before any change the target colour needs its minimum of
healthy targets and every alarm named in `web.rollout.alarmNames` must exist. After each
step the colour is watched (health, target 5xx, alarms) for the bake time, which is at least
the stickiness duration when stickiness is on. Any failure rolls back (`rollout.Transaction`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import typer
from rich.console import Console

from components.settings.web import COLOURS, WebSettings
from offline.stacks import stack_config, stack_file

from .common import CommandError
from .config_file import ConfigWriteError, StackConfigFile
from .rollout import Transaction, Watch, WebStack, check_colour, describe, other, show
from .web_aws import AwsError, Boto3WebAws, WebAws
from .web_stack import StackBackend, StackBackendError, open_backend

__all__ = ["WebStack", "cutover", "open_aws", "open_backend"]

# Looked up when the command runs, so tests (and checkers) can make waiting instantaneous.
SLEEP: Callable[[float], None] = time.sleep
CLOCK: Callable[[], float] = time.monotonic
DEFAULT_BAKE = 60.0


def parse_steps(text: str) -> tuple[int, ...]:
    """`10,50,100` -> (10, 50, 100): whole percentages, strictly increasing, ending at 100."""
    try:
        steps = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise typer.BadParameter(f"must be whole percentages separated by commas, e.g. 10,50,100 (got {text!r})") from None
    if any(not 1 <= s <= 100 for s in steps):
        raise typer.BadParameter(f"each step must be between 1 and 100 (got {text!r})")
    if any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
        raise typer.BadParameter(f"steps must be strictly increasing (got {text!r})")
    if steps[-1] != 100:
        raise typer.BadParameter(f"the last step must be 100 (got {text!r})")
    return steps


def split(target: str, percent: int) -> dict[str, int]:
    return {target: percent, other(target): 100 - percent}


def bake_for(web: WebSettings, requested: float | None) -> float:
    """Stickiness stays on during a shift; each step then bakes at least its duration, so
    every sticky client has picked a colour again at the new weights before the next step."""
    floor = float(web.stickiness.duration_seconds) if web.stickiness.enabled else 0.0
    if requested is None:
        return max(DEFAULT_BAKE, floor)
    if requested < floor:
        raise CommandError(
            f"--bake-seconds {requested:g} is shorter than web.stickiness.durationSeconds ({floor:g}): sticky "
            "clients would not see the new weights before the next step; bake longer or turn stickiness off. "
            "Nothing changed.")
    return requested


@dataclass
class Cutover:
    stack: str
    backend: StackBackend
    aws: WebAws
    config: StackConfigFile
    console: Console
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    poll_seconds: float = 10.0
    max_5xx: int = 0

    def required_healthy(self, web: WebStack, colour: str) -> int:
        size = self.aws.group_size(web.asg_names[colour])
        if size is None:
            raise CommandError(f"auto scaling group {web.asg_names[colour]!r} of {colour} not found. Nothing changed.")
        return max(1, size.min_size)

    def preflight(self, watch: Watch, web: WebStack, target: str) -> int:
        """Refuse (changing nothing) unless the target colour can take traffic now."""
        needed = self.required_healthy(web, target)
        health = self.aws.target_health(web.target_group_arns[target])
        if health.healthy < needed:
            raise CommandError(
                f"refusing to cut over to {target}: {health.describe()} in its target group, needs at "
                f"least {needed} (its minSize); scale {target} up and wait for health checks. Nothing changed."
            )
        missing = watch.missing_alarms(target)
        if missing:
            raise CommandError(f"refusing to cut over: alarm {', '.join(missing)} (web.rollout.alarmNames) does not "
                               "exist, so it could not stop a bad shift. Nothing changed.")
        return needed

    def run(self, target: str, steps: tuple[int, ...], bake: float | None, confirm: Callable[[str], None]) -> None:
        web = WebStack.from_outputs(self.stack, self.backend.outputs())
        settings = self.config.web()
        start = settings.traffic.as_dict()
        live = web.live_weights(self.aws)
        if live is not None and live != start:
            raise CommandError(
                f"the listener carries {show(live)} but {self.config.path.name} says {show(start)}: settle that "
                f"first (`platformctl status --stack {self.stack}`). Nothing changed.")
        if start[target] == 100:
            self.console.print(f"{target} already takes all traffic ({show(start)}); nothing to do.")
            return
        bake_seconds = bake_for(settings, bake)
        fleet = settings.colour(target)
        if settings.require_pinned_images and fleet.ami_id is None:
            raise CommandError(f"refusing to cut over to {target}: it has no pinned amiId (requirePinnedImages); "
                               f"stage it with `platformctl release --colour {target}` first. Nothing changed.")
        watch = Watch(self.aws, web, list(settings.rollout.alarm_names), self.max_5xx)
        todo = [s for s in steps if s > start[target]]
        needed = self.preflight(watch, web, target)
        self.console.print(
            f"stack {self.stack}: {show(start)} -> {target} in steps {', '.join(map(str, todo))}% "
            f"(bake {bake_seconds:g}s each, {target} needs {needed} healthy)"
        )
        confirm(f"Shift traffic of stack {self.stack} to {target}?")
        tx = Transaction(self.stack, "cutover", self.backend, self.aws, self.config, web, self.console)
        listener = tx.listener_urns()

        def steps_() -> str:
            for percent in todo:
                weights = split(target, percent)
                tx.apply({f"traffic.{c}": weights[c] for c in COLOURS}, listener)
                self.console.print(f"step {percent}%: deployed {show(weights)}; baking {bake_seconds:g}s")
                failure = watch.hold(target, needed, bake_seconds, self.sleep, self.clock, self.poll_seconds)
                if failure:
                    raise CommandError(f"step {percent}% failed: {failure}")
                self.console.print(f"step {percent}%: {target} healthy")
            return f"cutover complete: {show(split(target, 100))}"

        self.console.print(tx.run(steps_))


def confirmer(yes: bool, what: str) -> Callable[[str], None]:
    def confirm(question: str) -> None:
        if yes:
            return
        if not sys.stdin.isatty():
            raise CommandError(f"refusing to {what} without --yes in a non-interactive run. Nothing changed.")
        if not typer.confirm(question, default=False):
            raise CommandError(f"{what.split()[0]} cancelled. Nothing changed.")

    return confirm


def open_aws(stack: str) -> WebAws:
    return Boto3WebAws(region=stack_config(stack).get("aws:region"))


def guarded(what: str, body: Callable[[], None]) -> None:
    """Every failure of a command ends as one line (CommandError), never a traceback."""
    try:
        body()
    except (CommandError, typer.Exit, typer.Abort, SystemExit):
        raise
    except (StackBackendError, AwsError, ConfigWriteError) as exc:
        raise CommandError(str(exc)) from None
    except KeyboardInterrupt:
        raise CommandError(f"{what} interrupted before changing anything. Nothing changed.") from None
    except Exception as exc:  # noqa: BLE001 - a bug must still end in one line
        raise CommandError(f"{what} failed: {describe(exc)}") from None


def cutover(stack: str, to: str, steps: str, bake_seconds: float | None, poll_seconds: float, max_5xx: int,
            yes: bool) -> None:
    """Shift web traffic to the other colour in steps (listener-only ups), rolling back on any failure."""
    check_colour(to, "--to")
    try:
        plan = parse_steps(steps)
    except typer.BadParameter as exc:
        exc.param_hint = "'--steps'"
        raise
    stack_file(stack)
    console = Console(highlight=False, soft_wrap=True)

    def body() -> None:
        backend = open_backend(stack)
        job = Cutover(
            stack=stack, backend=backend, aws=open_aws(stack), config=StackConfigFile(stack, backend.config_path()),
            console=console, poll_seconds=poll_seconds, max_5xx=max_5xx, sleep=SLEEP, clock=CLOCK,
        )
        job.run(to, plan, bake_seconds, confirmer(yes, "change traffic"))

    guarded("cutover", body)
