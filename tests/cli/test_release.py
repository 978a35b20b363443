"""release -> cutover -> retire rehearsed against moto with the file-backed stack, plus
fault injection into release and retire, and `status` (table, JSON, drift).

The load balancer's test rule is played by a local HTTP server: it answers as the colour
named in the `X-Colour` header would (the bootstrap page with that colour's version).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from platformctl.config_file import StackConfigFile
from platformctl.web_aws import Boto3WebAws
from platformctl.web_stack import StackBackendError
from tests.cli.bluegreen import AMIS, Faults, World, install, make_world
from tests.conftest import ROOT

LATEST_X86 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
RELEASE = ("release", "--stack", "prod", "--colour", "green", "--version", "1.1.0", "--yes")


class FakeAlb:
    """Answers `GET /` like the colour in the test header would; `broken` colours answer 503."""

    def __init__(self, world: World):
        self.world = world
        self.broken: set[str] = set()
        self.seen: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                colour = self.headers.get("X-Colour", "")
                fake.seen.append(colour)
                if colour in fake.broken:
                    self.send_response(503)
                    self.end_headers()
                    return
                version = StackConfigFile("prod", fake.world.config_path).web().colour(colour).version
                body = f'<p>colour: <b id="colour">{colour}</b></p><p>version: <b id="version">{version}</b></p>'
                self.send_response(200)
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        state = world.state()
        state["outputs"]["albDnsName"] = f"127.0.0.1:{self.server.server_address[1]}"
        world.state_path.write_text(json.dumps(state))


@pytest.fixture
def world(aws, tmp_path, monkeypatch):
    w = make_world(tmp_path)
    install(monkeypatch, w)
    return w


@pytest.fixture
def alb(world):
    fake = FakeAlb(world)
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def one_line(err: str) -> bool:
    return err.startswith("error: ") and err.count("\n") == 1


def test_rehearsal_release_cutover_retire(world, alb, fake_time, cli):
    latest = boto3.client("ssm").get_parameter(Name=LATEST_X86)["Parameter"]["Value"]
    code, out, err = cli(*RELEASE, "--ami", "latest")
    assert (code, err) == (0, ""), err
    web = world.config.web()
    assert (web.green.ami_id, web.green.version) == (latest, "1.1.0")  # pinned in the file
    assert (web.green.min_size, web.green.max_size, web.green.desired_capacity) == (2, 6, 2)  # like blue
    assert world.ups() == [["cloud-platform-prod-web-green-lt", "cloud-platform-prod-web-green-asg"]]
    assert world.group("green") == (2, 6, 2) and world.live_weights() == {"blue": 100, "green": 0}
    template = boto3.client("ec2").describe_launch_template_versions(
        LaunchTemplateName="cloud-platform-prod-web-green-lt", Versions=["$Latest"])["LaunchTemplateVersions"][0]
    assert template["LaunchTemplateData"]["ImageId"] == latest
    assert alb.seen == ["green"] and "release 1.1.0 ready on green" in out

    code, _, err = cli("cutover", "--stack", "prod", "--to", "green", "--yes")
    assert (code, err) == (0, ""), err
    assert world.ups()[1:] == [["cloud-platform-prod-web-http"]] * 3
    assert world.written_weights() == {"blue": 0, "green": 100} == world.live_weights()

    code, out, err = cli("retire", "--stack", "prod", "--colour", "blue", "--after", "45", "--yes")
    assert (code, err) == (0, ""), err
    assert world.ups()[4:] == [["cloud-platform-prod-web-blue-asg"]]  # only the group
    blue = world.config.web().blue
    assert (blue.min_size, blue.max_size, blue.desired_capacity) == (0, 0, 0) and world.group("blue") == (0, 0, 0)
    assert fake_time.sleeps[-1] == 45 and "retired blue" in out

    code, out, err = cli("status", "--stack", "prod", "--format", "json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    green = next(c for c in report["colours"] if c["colour"] == "green")
    assert (green["weight"], green["live_weight"], green["ami_id"], green["version"]) == (100, 100, latest, "1.1.0")
    assert report["drift"] is None


def test_release_with_an_explicit_image_and_one_that_does_not_exist(world, alb, fake_time, cli):
    before = world.config_path.read_text()
    code, _, err = cli(*RELEASE, "--ami", "ami-0123456789abcdef0")
    assert code == 1 and err == ("error: image ami-0123456789abcdef0 does not exist in this account and region. "
                                 "Nothing changed.\n")
    assert world.config_path.read_text() == before and world.ups() == []
    code, _, err = cli(*RELEASE, "--ami", AMIS["green"])
    assert (code, err) == (0, "") and world.config.web().green.ami_id == AMIS["green"]


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (("--ami", "ubuntu"), "error: Invalid value for '--ami': must be latest, baked or an image id", 2),
        (("--ami", "baked"), "error: --ami baked needs the image pipeline", 1),
        (("--colour", "red"), "error: Invalid value for '--colour': must be one of blue, green (got 'red')", 2),
        (("--version", "1 0"), "error: Invalid value for '--version': must match", 2),
    ],
)
def test_release_refuses_bad_input_in_one_line(world, fake_time, cli, args, message, code):
    argv = list(RELEASE)
    for flag, value in zip(args[::2], args[1::2], strict=True):
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    got, _, err = cli(*argv)
    assert got == code and one_line(err) and err.startswith(message), err
    assert world.ups() == []


def test_release_refuses_a_colour_with_traffic(aws, tmp_path, monkeypatch, fake_time, cli):
    w = make_world(tmp_path, weights={"blue": 50, "green": 50}, green=(2, 6, 2))
    install(monkeypatch, w)
    code, _, err = cli(*RELEASE)
    assert code == 1 and err.startswith("error: refusing to release green: it takes traffic (blue 50 / green 50)")
    assert w.ups() == []


def never_healthy(world, alb):
    """green's targets report unhealthy whatever moto thinks (its instances fail the health check)."""
    original = Boto3WebAws.target_health

    def unhealthy(self, arn):
        health = original(self, arn)
        return type(health)(0, health.total, {"unhealthy": health.total}) if arn == world.tg_arns["green"] else health

    return unhealthy


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("smoke", "smoke test http://127.0.0.1:{port}/ (X-Colour: green) answered 503"),
        ("health", "green did not become healthy within 900s: 0/2 healthy (2 unhealthy), needs 2"),
        ("up", "pulumi up of stack 'prod' failed: boom"),
        ("exception", "RuntimeError: kaput"),
        ("ctrl-c", "interrupted by the operator"),
    ],
)
def test_release_failures_put_the_file_and_the_colour_back(world, alb, fake_time, cli, monkeypatch, fault, reason):
    before = world.config_path.read_text()
    backend = Faults(world.backend)
    if fault == "smoke":
        alb.broken.add("green")
    elif fault == "health":
        monkeypatch.setattr(Boto3WebAws, "target_health", never_healthy(world, alb))
    elif fault == "up":
        backend.fail("up", 1, StackBackendError("pulumi up of stack 'prod' failed: boom"))
    elif fault == "exception":
        install(monkeypatch, world, aws=Faults(Boto3WebAws()).fail("target_health", 1, RuntimeError("kaput")))
    else:
        fake_time.on_sleep = lambda s: (_ for _ in ()).throw(KeyboardInterrupt())
        monkeypatch.setattr(Boto3WebAws, "target_health", never_healthy(world, alb))
    install(monkeypatch, world, backend)
    code, out, err = cli(*RELEASE, "--ami", AMIS["green"])
    port = alb.server.server_address[1]
    assert code == 1 and one_line(err), err
    assert err.startswith(f"error: release failed ({reason.format(port=port)}); rolled back"), err
    assert world.config_path.read_text() == before  # byte for byte, comments included
    assert world.group("green") == (0, 6, 0)
    assert world.live_weights() == {"blue": 100, "green": 0} == world.written_weights()


def test_retire_refuses_the_live_colour_and_rolls_back_a_failed_up(world, fake_time, cli, monkeypatch):
    code, _, err = cli("retire", "--stack", "prod", "--colour", "blue", "--yes")
    assert code == 1 and err.startswith("error: refusing to retire blue: it takes traffic (blue 100 / green 0)")
    before = world.config_path.read_text()
    world.config.update({"green.minSize": 1, "green.desiredCapacity": 1})  # an idle green still running
    staged = world.config_path.read_text()
    install(monkeypatch, world, Faults(world.backend).fail("up", 1, MemoryError()))
    code, _, err = cli("retire", "--stack", "prod", "--colour", "green", "--yes")
    assert code == 1 and one_line(err) and err.startswith("error: retire failed (MemoryError); rolled back")
    assert world.config_path.read_text() == staged != before
    assert fake_time.sleeps == [60]  # prod's deregistrationDelay before any change


def test_retire_interrupted_while_draining_changes_nothing(world, fake_time, cli):
    fake_time.on_sleep = lambda s: (_ for _ in ()).throw(KeyboardInterrupt())
    world.config.update({"green.minSize": 1, "green.desiredCapacity": 1})
    before = world.config_path.read_text()
    code, _, err = cli("retire", "--stack", "prod", "--colour", "green", "--yes")
    assert (code, err) == (1, "error: retire interrupted before changing anything. Nothing changed.\n")
    assert world.config_path.read_text() == before and world.ups() == []


def test_status_table_shows_config_and_deployed_and_drift(world, cli):
    world.break_colour("blue")
    world.config.update({"traffic.blue": 90, "traffic.green": 10, "green.minSize": 1, "green.desiredCapacity": 1,
                         "green.amiId": AMIS["green"], "green.version": "1.2.0"})
    code, out, err = cli("status", "--stack", "prod")
    assert (code, err) == (0, "")
    rows = {line.split()[1]: [c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines()
            if line.startswith(("│ blue", "│ green"))}
    assert rows["blue"] == ["blue", "90", "100", "2", "2", "0/2", "1.0.0", AMIS["blue"]]
    assert rows["green"] == ["green", "10", "0", "0", "0", "0/0", "1.2.0 (deployed 1.0.0)",
                             f"{AMIS['green']} (deployed {AMIS['blue']})"]
    assert ("drift: the listener does not carry the configured weights (blue config 90 live 100, green config 10 "
            "live 0); finish or roll back with `platformctl cutover`, never a plain deploy") in out


def platformctl(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "platformctl", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, **kw)


def test_help_of_every_blue_green_command(cli):
    for command, options in (("release", ("--colour", "--version", "--ami", "--smoke-path")),
                             ("cutover", ("--to", "--steps", "--bake-seconds")),
                             ("retire", ("--colour", "--after")), ("status", ("--format",))):
        code, out, _ = cli(command, "--help")
        assert code == 0 and all(o in out for o in ("--stack", *options)), command


def test_file_backend_and_moto_server_in_a_subprocess(tmp_path, monkeypatch):
    """As an operator (or checker) would rehearse it: subprocesses (the process boundary and the
    environment variables are what is tested), a JSON stack, moto as a server."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")  # boto3 here and in the subprocess
        world = make_world(tmp_path, green=(2, 6, 2), config={"stickiness.enabled": False})
        monkeypatch.setenv("PLATFORMCTL_STACK_BACKEND", f"file:{world.state_path}")
        result = platformctl("cutover", "--stack", "prod", "--to", "green", "--bake-seconds", "0", "--yes")
        assert result.returncode == 0, result.stderr
        assert world.ups() == [["cloud-platform-prod-web-http"]] * 3
        assert world.written_weights() == {"blue": 0, "green": 100} == world.live_weights()
        status = platformctl("status", "--stack", "prod", "--format", "json")
        assert status.returncode == 0, status.stderr
        assert {c["colour"]: c["live_weight"] for c in json.loads(status.stdout)["colours"]} == {"blue": 0, "green": 100}
    finally:
        server.stop()


def test_status_expect_no_drift_is_the_deploy_guard(world, cli, monkeypatch):
    code, out, err = cli("status", "--stack", "prod", "--expect-no-drift")
    assert (code, err) == (0, "") and out == "stack prod: the listener carries the configured weights\n"
    world.config.update({"traffic.blue": 90, "traffic.green": 10, "green.minSize": 1, "green.desiredCapacity": 1,
                         "green.amiId": AMIS["green"]})
    code, _, err = cli("status", "--stack", "prod", "--expect-no-drift")
    assert code == 1 and err == (
        "error: refusing to deploy stack prod: the listener does not carry the configured weights (blue config 90 "
        "live 100, green config 10 live 0); finish or roll back with `platformctl cutover`, never a plain deploy "
        "(see `platformctl status --stack prod`)\n")


def test_status_expect_no_drift_passes_before_the_first_deploy(cli, monkeypatch):
    from platformctl import cutover
    from platformctl.web_stack import StackNotDeployedError

    def missing(stack):
        raise StackNotDeployedError(f"stack {stack!r} does not exist yet")

    monkeypatch.setattr(cutover, "open_backend", missing)
    code, out, _ = cli("status", "--stack", "prod", "--expect-no-drift")
    assert (code, out) == (0, "stack prod: no web tier deployed yet, nothing can differ\n")
    code, _, err = cli("status", "--stack", "prod")
    assert (code, err) == (1, "error: stack 'prod' does not exist yet\n")


def test_release_baked_pins_the_image_the_pipeline_published(world, alb, fake_time, cli):
    code, _, err = cli(*RELEASE, "--ami", "baked")
    assert code == 1 and err.startswith("error: --ami baked needs the image pipeline (web.imagePipeline.enabled)")
    state = world.state()
    state["outputs"]["bakedImageParameter"] = "/cloud-platform-prod/web/baked-ami-id"
    world.state_path.write_text(json.dumps(state))
    boto3.client("ssm").put_parameter(Name="/cloud-platform-prod/web/baked-ami-id", Value=AMIS["green"],
                                      Type="String", DataType="aws:ec2:image")
    code, _, err = cli(*RELEASE, "--ami", "baked")
    assert (code, err) == (0, ""), err
    assert world.config.web().green.ami_id == AMIS["green"]


@pytest.mark.parametrize("outputs, url", [
    ({"albDnsName": "alb-1.elb.amazonaws.com"}, "http://alb-1.elb.amazonaws.com/health"),
    ({"albDnsName": "alb-1.elb.amazonaws.com", "webUrl": "https://web.example.org/"}, "https://web.example.org/health"),
])
def test_release_smoke_goes_to_the_name_the_certificate_covers(outputs, url, monkeypatch):
    # Under HTTPS, http://<albDnsName> only redirects and https://<albDnsName> fails the certificate check.
    from platformctl import release as release_module
    from platformctl.rollout import WebStack

    seen = []
    monkeypatch.setattr(release_module, "SMOKE", lambda u, header, colour: seen.append((u, header, colour)) or (200, ""))
    web = WebStack.from_outputs("prod", {"targetGroupArns": {}, "asgNames": {}, **outputs})
    settings = StackConfigFile("prod", ROOT / "Pulumi.prod.yaml").web()
    release_module._smoke(web, settings, "green", "9.9.9", "/health")
    assert seen == [(url, settings.rollout.test_header, "green")]
