"""`platformctl cutover`: shift the web tier's traffic to the other colour, step by step.

Each step writes the weights into stack config and runs `up`, so config stays the single
source of truth. Before any change the target colour must have at least its minimum of
healthy targets; after each step its health (and 5xx count) is watched for the bake time.
Any failure rolls back to the weights the cutover started from and exits non-zero.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console

from components.settings.web import COLOURS
from offline.stacks import stack_config, stack_file

from .common import CommandError
from .web_aws import AwsError, Boto3WebAws, WebAws
from .web_stack import StackBackend, StackBackendError, open_backend

DEFAULT_STEPS = (10, 50, 100)
# Looked up when the command runs, so tests (and checkers) can make baking instantaneous.
SLEEP: Callable[[float], None] = time.sleep
CLOCK: Callable[[], float] = time.monotonic
REQUIRED_OUTPUTS = ("targetGroupArns", "asgNames")


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
    other = next(c for c in COLOURS if c != target)
    return {target: percent, other: 100 - percent}


def show(weights: dict[str, int]) -> str:
    return " / ".join(f"{c} {weights[c]}" for c in COLOURS)


@dataclass
class WebStack:
    """What cutover and status need from the stack outputs."""

    target_group_arns: dict[str, str]
    asg_names: dict[str, str]
    target_group_arn_suffixes: dict[str, str] = field(default_factory=dict)
    alb_arn_suffix: str | None = None
    listener_arn: str | None = None
    releases: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_outputs(cls, stack: str, outputs: dict[str, Any]) -> WebStack:
        missing = [k for k in REQUIRED_OUTPUTS if not isinstance(outputs.get(k), dict)]
        if missing:
            raise CommandError(
                f"stack {stack!r} has no web tier outputs ({', '.join(missing)}): "
                "is cloud-platform:web.enabled true and has the stack been deployed?"
            )
        return cls(
            target_group_arns=outputs["targetGroupArns"],
            asg_names=outputs["asgNames"],
            target_group_arn_suffixes=outputs.get("targetGroupArnSuffixes") or {},
            alb_arn_suffix=outputs.get("albArnSuffix"),
            listener_arn=outputs.get("listenerArn"),
            releases=outputs.get("webReleases") or {},
        )


class CutoverRolledBackError(CommandError):
    """The cutover changed something and then had to roll back (or could not)."""


@dataclass
class Cutover:
    backend: StackBackend
    aws: WebAws
    console: Console
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    poll_seconds: float = 10.0
    max_5xx: int = 0

    def load(self) -> WebStack:
        return WebStack.from_outputs(self.backend.name, self.backend.outputs())

    def required_healthy(self, web: WebStack, colour: str) -> int:
        size = self.aws.group_size(web.asg_names[colour])
        if size is None:
            raise CommandError(f"auto scaling group {web.asg_names[colour]!r} of {colour} not found")
        return max(1, size.min_size)

    def preflight(self, web: WebStack, target: str) -> int:
        """Refuse (changing nothing) unless the target colour can take traffic now."""
        needed = self.required_healthy(web, target)
        health = self.aws.target_health(web.target_group_arns[target])
        if health.healthy < needed:
            raise CommandError(
                f"refusing to cut over to {target}: {health.describe()} in its target group, needs at "
                f"least {needed} (its minSize); scale {target} up and wait for health checks. Nothing changed."
            )
        return needed

    def problem(self, web: WebStack, target: str, needed: int, since: datetime) -> str | None:
        health = self.aws.target_health(web.target_group_arns[target])
        if health.healthy < needed:
            return f"{target} has {health.describe()}, needs {needed}"
        suffix = web.target_group_arn_suffixes.get(target)
        if web.alb_arn_suffix and suffix:
            errors = self.aws.target_5xx(web.alb_arn_suffix, suffix, since)
            if errors is not None and errors > self.max_5xx:
                return f"{target} answered {errors} 5xx (allowed {self.max_5xx})"
        return None

    def bake(self, web: WebStack, target: str, needed: int, seconds: float) -> str | None:
        """Watch the target colour for `seconds`; the first problem seen ends the bake."""
        since = datetime.now(UTC)
        start = self.clock()
        while True:
            found = self.problem(web, target, needed, since)
            if found:
                return found
            left = seconds - (self.clock() - start)
            if left <= 0:
                return None
            self.sleep(min(self.poll_seconds, left))

    def apply(self, weights: dict[str, int]) -> None:
        self.backend.set_weights(weights)
        self.backend.up()

    def run(self, target: str, steps: tuple[int, ...], bake_seconds: float, confirm: Callable[[str], None]) -> None:
        web = self.load()
        start = self.backend.get_weights()
        if start[target] == 100:
            self.console.print(f"{target} already takes all traffic ({show(start)}); nothing to do.")
            return
        todo = [s for s in steps if s > start[target]]
        needed = self.preflight(web, target)
        self.console.print(
            f"stack {self.backend.name}: {show(start)} -> {target} in steps {', '.join(map(str, todo))}% "
            f"(bake {bake_seconds:g}s each, {target} needs {needed} healthy)"
        )
        confirm(f"Shift traffic of stack {self.backend.name} to {target}?")
        for percent in todo:
            weights = split(target, percent)
            try:
                self.apply(weights)
                self.console.print(f"step {percent}%: deployed {show(weights)}; baking {bake_seconds:g}s")
                failure = self.bake(web, target, needed, bake_seconds)
            except (StackBackendError, AwsError) as exc:
                failure = str(exc)
            except KeyboardInterrupt:
                failure = "interrupted by the operator"
            if failure:
                self.rollback(start, f"step {percent}% failed: {failure}")
            self.console.print(f"step {percent}%: {target} healthy")
        self.console.print(f"cutover complete: {show(split(target, 100))}")

    def rollback(self, start: dict[str, int], reason: str) -> None:
        self.console.print(f"{reason}; rolling back to {show(start)}")
        try:
            self.apply(start)
        except StackBackendError as exc:
            raise CutoverRolledBackError(
                f"cutover failed ({reason}) and the rollback to {show(start)} failed too: {exc}; "
                "fix the stack and run `pulumi up` with the config as it stands"
            ) from None
        raise CutoverRolledBackError(f"cutover failed ({reason}); rolled back to {show(start)}")


def _confirmer(yes: bool) -> Callable[[str], None]:
    def confirm(question: str) -> None:
        if yes:
            return
        if not sys.stdin.isatty():
            raise CommandError("refusing to change traffic without --yes in a non-interactive run. Nothing changed.")
        if not typer.confirm(question, default=False):
            raise CommandError("cutover cancelled. Nothing changed.")

    return confirm


def open_aws(stack: str) -> WebAws:
    return Boto3WebAws(region=stack_config(stack).get("aws:region"))


def cutover(stack: str, to: str, steps: str, bake_seconds: float, poll_seconds: float, max_5xx: int,
            yes: bool) -> None:
    """Shift web traffic to the other colour in steps, rolling back on failure."""
    if to not in COLOURS:
        raise typer.BadParameter(f"must be one of {', '.join(COLOURS)} (got {to!r})", param_hint="'--to'")
    try:
        plan = parse_steps(steps)
    except typer.BadParameter as exc:
        exc.param_hint = "'--steps'"
        raise
    stack_file(stack)
    console = Console(highlight=False, soft_wrap=True)
    try:
        job = Cutover(
            backend=open_backend(stack), aws=open_aws(stack), console=console,
            poll_seconds=poll_seconds, max_5xx=max_5xx, sleep=SLEEP, clock=CLOCK,
        )
        job.run(to, plan, bake_seconds, _confirmer(yes))
    except (StackBackendError, AwsError) as exc:
        raise CommandError(str(exc)) from None
