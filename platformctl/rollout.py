"""What release, cutover and retire share: the stack's web outputs, watching a colour, and a
transaction that rolls back on any failure and leaves config and AWS agreeing.

A `Transaction` snapshots `cloud-platform:web` of the stack file, then applies steps (write
the file atomically, targeted `up`). Whatever ends the steps early — a failed check, a failed
`up`, a failed write, an exception of any type, Ctrl-C — puts the snapshot back and deploys
the same targets again. Ctrl-C during the rollback is deferred: the rollback finishes, then the
command exits. At the end, what the listener (and any touched group) carries is compared
with what the file says; when they differ the one-line error says both and what to run.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from components.settings.web import COLOURS, WebSettings

from .common import CommandError
from .config_file import StackConfigFile
from .web_aws import WebAws
from .web_stack import StackBackend, colour_targets, listener_targets, urn_name

REQUIRED_OUTPUTS = ("targetGroupArns", "asgNames")
ROLLBACK_ATTEMPTS = 3


def show(weights: dict[str, int]) -> str:
    return " / ".join(f"{c} {weights[c]}" for c in COLOURS)


def check_colour(value: str, option: str) -> None:
    """A usage error (exit 2) naming the option, before anything is opened."""
    if value not in COLOURS:
        import typer

        raise typer.BadParameter(f"must be one of {', '.join(COLOURS)} (got {value!r})", param_hint=f"'{option}'")


def other(colour: str) -> str:
    return next(c for c in COLOURS if c != colour)


def describe(exc: BaseException) -> str:
    """One line for any exception: ours carry their message, others their type too."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted by the operator"
    text = (str(exc).strip().splitlines() or [""])[0]
    if isinstance(exc, CommandError) or type(exc).__module__.startswith("platformctl"):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def web_base_url(outputs: dict[str, Any]) -> str | None:
    """Where the web tier answers: `webUrl` (https://web.<domain>, whose certificate the ALB
    serves) when the stack has a domain, else http://<albDnsName>; None without a web tier."""
    if outputs.get("webUrl"):
        return str(outputs["webUrl"]).rstrip("/")
    return f"http://{outputs['albDnsName']}" if outputs.get("albDnsName") else None


@dataclass
class WebStack:
    """What the commands need from the stack outputs."""

    target_group_arns: dict[str, str]
    asg_names: dict[str, str]
    target_group_arn_suffixes: dict[str, str] = field(default_factory=dict)
    alb_arn_suffix: str | None = None
    base_url: str | None = None
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
            base_url=web_base_url(outputs),
            listener_arn=outputs.get("listenerArn"),
            releases=outputs.get("webReleases") or {},
        )

    def live_weights(self, aws: WebAws) -> dict[str, int] | None:
        """Weights the listener carries now, by colour (None without a listener output)."""
        if not self.listener_arn:
            return None
        by_arn = aws.listener_weights(self.listener_arn)
        return {c: by_arn.get(self.target_group_arns[c], 0) for c in COLOURS}


@dataclass
class Watch:
    """Health, 5xx and alarms of one colour; the first problem found is returned as a line."""

    aws: WebAws
    web: WebStack
    alarm_names: list[str]
    max_5xx: int = 0

    def names_for(self, colour: str) -> list[str]:
        return [n.replace("{colour}", colour) for n in self.alarm_names]

    def missing_alarms(self, colour: str) -> list[str]:
        names = self.names_for(colour)
        found = self.aws.alarm_states(names)
        return [n for n in names if n not in found]

    def problem(self, colour: str, needed: int, since: datetime) -> str | None:
        health = self.aws.target_health(self.web.target_group_arns[colour])
        if health.healthy < needed:
            return f"{colour} has {health.describe()}, needs {needed}"
        suffix = self.web.target_group_arn_suffixes.get(colour)
        if self.web.alb_arn_suffix and suffix:
            errors = self.aws.target_5xx(self.web.alb_arn_suffix, suffix, since)
            if errors is not None and errors > self.max_5xx:
                return f"{colour} answered {errors} 5xx (allowed {self.max_5xx})"
        firing = sorted(n for n, state in self.aws.alarm_states(self.names_for(colour)).items() if state == "ALARM")
        if firing:
            return f"alarm {', '.join(firing)} in ALARM"
        return None

    def hold(self, colour: str, needed: int, seconds: float, sleep: Callable[[float], None],
             clock: Callable[[], float], poll: float) -> str | None:
        """Watch for `seconds`; the first problem seen ends the watch."""
        since = datetime.now(UTC)
        start = clock()
        while True:
            found = self.problem(colour, needed, since)
            if found:
                return found
            left = seconds - (clock() - start)
            if left <= 0:
                return None
            sleep(min(poll, left))


@contextlib.contextmanager
def deferred_sigint(console: Console) -> Iterator[list[int]]:
    """Ctrl-C while this block runs is noted (in the yielded list), not raised: a rollback must
    not stop half-way. Outside the main thread signals cannot be caught; the block just runs."""
    held: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield held
        return

    def note(signum, frame):  # noqa: ARG001 - signal handler signature
        held.append(signum)
        console.print("interrupted again: finishing the rollback first, then exiting")

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass
class Transaction:
    """Steps against one stack that either all stay or are all undone."""

    stack: str
    what: str
    backend: StackBackend
    aws: WebAws
    config: StackConfigFile
    web: WebStack
    console: Console
    snapshot: dict[str, Any] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)
    changed: bool = False

    def __post_init__(self) -> None:
        self.snapshot = self.config.web_raw()
        self._resources = self.backend.resources()

    def listener_urns(self) -> list[str]:
        return listener_targets(self._resources, self.web.listener_arn or "")

    def colour_urns(self, colour: str, group_only: bool = False) -> list[str]:
        return colour_targets(self._resources, colour, group_only)

    def apply(self, changes: dict[str, Any], targets: list[str]) -> None:
        """Write `changes` into the stack file, then deploy only `targets`."""
        self.targets += [t for t in targets if t not in self.targets]
        self.config.update(changes)
        self.changed = True
        self.backend.up(targets)

    def run(self, body: Callable[[], str]) -> str:
        """Run the steps; any failure rolls back and raises CommandError (one line)."""
        try:
            done = body()
        except BaseException as exc:  # anything at all: a half-shifted listener must not stay behind
            if isinstance(exc, SystemExit):
                raise
            reason = describe(exc)
            if not self.changed:
                if isinstance(exc, CommandError):
                    raise
                raise CommandError(f"{self.what} failed before changing anything ({reason}). Nothing changed.") from None
            self.rollback(reason)
        mismatch = self.mismatch()
        if mismatch:
            raise CommandError(f"{self.what} finished but {mismatch}")
        return done

    def rollback(self, reason: str) -> None:
        written = self.config.web_raw()
        self.console.print(f"{self.what} failed: {reason}; rolling back")
        error, interrupted = None, False
        with deferred_sigint(self.console) as held:
            for _ in range(ROLLBACK_ATTEMPTS):
                try:
                    self.config.replace_web(self.snapshot)
                    self.backend.up(self.targets)
                    self._restore_desired()
                    error = None
                    break
                except KeyboardInterrupt:
                    interrupted, error = True, "interrupted"
                    self.console.print("interrupted again: finishing the rollback first, then exiting")
                except Exception as exc:  # noqa: BLE001 - any failure: try again, then report exactly
                    error = describe(exc)
            mismatch = self.mismatch()
        interrupted = interrupted or bool(held)
        if error is None and not mismatch:
            extra = " (Ctrl-C during the rollback was held until it finished)" if interrupted else ""
            raise CommandError(f"{self.what} failed ({reason}); rolled back: {self.written_state()}{extra}")
        state = mismatch or f"deployed and written agree ({self.written_state()})"
        if written != self.config.web_raw() and not mismatch:
            state += f", not the state before the {self.what}"
        raise CommandError(f"{self.what} failed ({reason}) and the rollback failed ({error}): {state}; "
                           f"to deploy what the file says run: {self.fix_command()}")

    def _touched_groups(self) -> list[str]:
        return [c for c in COLOURS if any(urn_name(t).endswith(f"-{c}-asg") for t in self.targets)]

    def _restore_desired(self) -> None:
        """desiredCapacity is left to scaling (ignore_changes), so `up` alone would keep the
        instances a failed release started: put the group's desired back as the file says."""
        web = self.config.web()
        for colour in self._touched_groups():
            size = self.aws.group_size(self.web.asg_names[colour])
            if size is not None and size.desired != web.colour(colour).desired_capacity:
                self.aws.set_desired(self.web.asg_names[colour], web.colour(colour).desired_capacity)

    def written_state(self) -> str:
        try:
            return f"{self.config.path.name} and the listener say {show(self.config.weights())}"
        except Exception as exc:  # noqa: BLE001
            return f"{self.config.path.name} unreadable ({describe(exc)})"

    def fix_command(self) -> str:
        targets = " ".join(f"--target '{t}'" for t in self.targets)
        return f"pulumi up --stack {self.stack} {targets}"

    def mismatch(self) -> str | None:
        """None when the listener (and every touched group) carries what the stack file says."""
        try:
            web: WebSettings = self.config.web()
            differences = []
            live = self.web.live_weights(self.aws)
            written = web.traffic.as_dict()
            if live is not None and live != written:
                differences.append(f"the listener carries {show(live)} while {self.config.path.name} says {show(written)}")
            for colour in self._touched_groups():
                size = self.aws.group_size(self.web.asg_names[colour])
                fleet = web.colour(colour)
                if size is not None and (size.min_size, size.max_size) != (fleet.min_size, fleet.max_size):
                    differences.append(
                        f"{colour}'s group runs min {size.min_size} max {size.max_size} while "
                        f"{self.config.path.name} says min {fleet.min_size} max {fleet.max_size}")
        except BaseException as exc:  # noqa: BLE001 - cannot tell: say so rather than claim agreement
            if isinstance(exc, SystemExit):
                raise
            return f"what is deployed cannot be read ({describe(exc)})"
        return "; ".join(differences) or None
