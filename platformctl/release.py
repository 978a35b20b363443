"""`platformctl release` and `retire`: stage the idle colour, and scale the old one down.

release pins image and version of the idle colour in `Pulumi.<stack>.yaml`, sizes it like the
live colour, deploys only that colour's launch template and group, waits for healthy targets
and smoke-tests it through the load balancer with the header-matched test rule
(`<web.rollout.testHeader>: <colour>`) before any user traffic goes there. retire, after the
draining time, sets the old colour to 0 instances and deploys only its group. Both run inside
a `rollout.Transaction`: any failure puts the file and the colour back as they were.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import typer
from rich.console import Console

from components.settings.web import AMI_PATTERN, VERSION_PATTERN, WebSettings
from offline.stacks import stack_file

from . import cutover as cutover_module
from .common import CommandError
from .config_file import StackConfigFile
from .rollout import Transaction, WebStack, check_colour, other, show
from .web_aws import WebAws
from .web_stack import StackBackend

AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
SMOKE_TIMEOUT = 10.0


def smoke_request(url: str, header: str, colour: str) -> tuple[int, str]:
    """GET `url` with the test header; (status, body). Redirects (80 -> 443) are followed with the header."""
    request = urllib.request.Request(url, headers={header: colour, "User-Agent": "platformctl-release"})  # noqa: S310 - the URL is the stack's webUrl or http://<albDnsName>...
    try:
        with urllib.request.urlopen(request, timeout=SMOKE_TIMEOUT) as response:  # noqa: S310 - http(s) only
            return response.status, response.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, OSError) as exc:
        raise CommandError(f"smoke test could not reach {url}: {getattr(exc, 'reason', exc)}") from None


# Looked up at run time so tests can answer for the load balancer.
SMOKE: Callable[[str, str, str], tuple[int, str]] = smoke_request


def resolve_image(aws: WebAws, web: WebSettings, ami: str, outputs: dict) -> str:
    if ami == "latest":
        from components.ec2_instances import architecture

        return aws.latest_image(AL2023_PARAMETER.format(arch=architecture(web.instance_type)))
    if ami == "baked":
        parameter = outputs.get("bakedImageParameter")
        if not parameter:
            raise CommandError("--ami baked needs the image pipeline (web.imagePipeline.enabled), which this stack "
                               "has not deployed; use --ami latest or an ami- id. Nothing changed.")
        return aws.latest_image(parameter)
    if not aws.image_exists(ami):
        raise CommandError(f"image {ami} does not exist in this account and region. Nothing changed.")
    return ami


@dataclass
class Stage:
    """Shared by release and retire: the stack, its config file, AWS and the waiting hooks."""

    stack: str
    backend: StackBackend
    aws: WebAws
    config: StackConfigFile
    console: Console
    sleep: Callable[[float], None]
    clock: Callable[[], float]

    def idle_colour(self, colour: str, verb: str) -> tuple[WebStack, WebSettings]:
        web = WebStack.from_outputs(self.stack, self.backend.outputs())
        settings = self.config.web()
        written = settings.traffic.as_dict()
        live = web.live_weights(self.aws)
        if live is not None and live != written:
            raise CommandError(f"the listener carries {show(live)} but {self.config.path.name} says {show(written)}: "
                               f"settle that first (`platformctl status --stack {self.stack}`). Nothing changed.")
        if written[colour]:
            raise CommandError(f"refusing to {verb} {colour}: it takes traffic ({show(written)}); "
                               f"only a colour at weight 0 can be {verb}d. Nothing changed.")
        return web, settings

    def transaction(self, what: str, web: WebStack) -> Transaction:
        return Transaction(self.stack, what, self.backend, self.aws, self.config, web, self.console)

    def wait_healthy(self, web: WebStack, colour: str, needed: int, seconds: float, poll: float) -> None:
        start = self.clock()
        while True:
            health = self.aws.target_health(web.target_group_arns[colour])
            if health.healthy >= needed:
                self.console.print(f"{colour}: {health.describe()}")
                return
            if self.clock() - start >= seconds:
                raise CommandError(f"{colour} did not become healthy within {seconds:g}s: {health.describe()}, "
                                   f"needs {needed}")
            self.sleep(poll)


def release(stack: str, colour: str, version: str, ami: str, smoke_path: str, wait_seconds: float,
            poll_seconds: float, yes: bool) -> None:
    check_colour(colour, "--colour")
    if not re.match(VERSION_PATTERN, version):
        raise typer.BadParameter(f"must match {VERSION_PATTERN} (got {version!r})", param_hint="'--version'")
    if ami not in ("latest", "baked") and not re.match(AMI_PATTERN, ami):
        raise typer.BadParameter(f"must be latest, baked or an image id such as ami-0123456789abcdef0 (got {ami!r})",
                                 param_hint="'--ami'")
    if not smoke_path.startswith("/"):
        raise typer.BadParameter(f"must start with / (got {smoke_path!r})", param_hint="'--smoke-path'")
    stack_file(stack)
    console = Console(highlight=False, soft_wrap=True)

    def body() -> None:
        stage = _stage(stack, console)
        web, settings = stage.idle_colour(colour, "release")
        live = other(colour)
        image = resolve_image(stage.aws, settings, ami, stage.backend.outputs())
        serving = settings.colour(live)
        changes = {f"{colour}.amiId": image, f"{colour}.version": version, f"{colour}.minSize": serving.min_size,
                   f"{colour}.maxSize": serving.max_size, f"{colour}.desiredCapacity": serving.desired_capacity}
        needed = max(1, serving.min_size)
        console.print(f"stack {stack}: release {version} on {colour} (image {image}), sized like {live} "
                      f"(min {serving.min_size}, max {serving.max_size}); smoke test {smoke_path} with "
                      f"{settings.rollout.test_header}: {colour}")
        cutover_module.confirmer(yes, "release")(f"Stage {version} on {colour} of stack {stack}?")
        tx = stage.transaction("release", web)
        targets = tx.colour_urns(colour)

        def steps() -> str:
            tx.apply(changes, targets)
            console.print(f"deployed {colour}'s launch template and group")
            running = stage.aws.group_size(web.asg_names[live])
            if running is not None and running.desired > serving.min_size:
                # The live colour scaled out beyond its minimum: start the new one at the same size.
                stage.aws.set_desired(web.asg_names[colour], min(running.desired, serving.max_size))
            stage.wait_healthy(web, colour, needed, wait_seconds, poll_seconds)
            _smoke(web, settings, colour, version, smoke_path)
            console.print(f"smoke test passed through the load balancer ({settings.rollout.test_header}: {colour})")
            return (f"release {version} ready on {colour} (image {image}); next: platformctl cutover --stack "
                    f"{stack} --to {colour}")

        console.print(tx.run(steps))

    cutover_module.guarded("release", body)


def _smoke(web: WebStack, settings: WebSettings, colour: str, version: str, path: str) -> None:
    if not web.base_url:
        raise CommandError("stack has no webUrl or albDnsName output to smoke-test through")
    url = f"{web.base_url}{path}"
    status, body = SMOKE(url, settings.rollout.test_header, colour)
    if not 200 <= status < 400:
        raise CommandError(f"smoke test {url} ({settings.rollout.test_header}: {colour}) answered {status}")
    fleet = settings.colour(colour)
    if path == "/" and fleet.bootstrap and fleet.user_data is None and f">{version}<" not in body:
        raise CommandError(f"smoke test {url} ({settings.rollout.test_header}: {colour}) did not show version {version}")


def retire(stack: str, colour: str, after: float | None, yes: bool) -> None:
    check_colour(colour, "--colour")
    stack_file(stack)
    console = Console(highlight=False, soft_wrap=True)

    def body() -> None:
        stage = _stage(stack, console)
        web, settings = stage.idle_colour(colour, "retire")
        if settings.colour(colour).max_size == 0:
            console.print(f"{colour} is retired already (maxSize 0); nothing to do.")
            return
        drain = float(settings.deregistration_delay if after is None else after)
        console.print(f"stack {stack}: retire {colour} after {drain:g}s of draining (minSize, maxSize, "
                      "desiredCapacity -> 0)")
        cutover_module.confirmer(yes, "retire")(f"Scale {colour} of stack {stack} to 0?")
        stage.sleep(drain)  # connections still open on the old colour finish first
        tx = stage.transaction("retire", web)
        targets = tx.colour_urns(colour, group_only=True)

        def steps() -> str:
            # maxSize 0 too: desiredCapacity is left to scaling, and AWS clamps it only into [min, max].
            tx.apply({f"{colour}.minSize": 0, f"{colour}.maxSize": 0, f"{colour}.desiredCapacity": 0}, targets)
            return f"retired {colour}: its group is scaled to 0"

        console.print(tx.run(steps))

    cutover_module.guarded("retire", body)


def _stage(stack: str, console: Console) -> Stage:
    backend = cutover_module.open_backend(stack)
    return Stage(stack, backend, cutover_module.open_aws(stack), StackConfigFile(stack, backend.config_path()),
                 console, cutover_module.SLEEP, cutover_module.CLOCK)

