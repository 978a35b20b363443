"""`platformctl cutover` against moto and the file-backed stack (tests/cli/bluegreen.py).

Every exit is checked the same way: one `error:` line (or none) and the listener carrying
exactly what Pulumi.prod.yaml says.
"""

from __future__ import annotations

import errno
import json
import sys

import boto3
import pytest

from platformctl import config_file, cutover
from platformctl.web_aws import Boto3WebAws
from platformctl.web_stack import AutomationStackBackend, StackBackendError
from tests.cli.bluegreen import ALARMS, AMIS, Faults, install, make_world
from tests.conftest import ROOT

GO = ("cutover", "--stack", "prod", "--to", "green", "--yes")
LISTENER = ["cloud-platform-prod-web-http"]
# Checks at the start and the end of each 600 s bake only: for tests of failures around the ups,
# where the default 10 s cadence would add 60 health/5xx/alarm checks per step and change nothing.
ONE_POLL_PER_BAKE = ("--poll-seconds", "600")


@pytest.fixture
def world(aws, tmp_path, monkeypatch):
    w = make_world(tmp_path, green=(2, 6, 2))
    install(monkeypatch, w)
    return w


def one_line(err: str) -> bool:
    return err.startswith("error: ") and err.count("\n") == 1


def test_each_step_deploys_only_the_listener_and_bakes_the_stickiness_duration(world, fake_time, cli):
    code, out, err = cli(*GO, "--poll-seconds", "100")
    assert (code, err) == (0, ""), err
    assert world.ups() == [LISTENER] * 3
    deployed = [u["deployed"][0]["weights"] for u in world.state()["ups"]]
    assert deployed == [{"blue": 90, "green": 10}, {"blue": 50, "green": 50}, {"blue": 0, "green": 100}]
    assert world.written_weights() == {"blue": 0, "green": 100} == world.live_weights()
    assert fake_time.now == 3 * 600  # prod: stickiness on for 600 s, so every step bakes 600 s
    assert "step 10%: deployed blue 90 / green 10; baking 600s" in out and "cutover complete: blue 0 / green 100" in out
    text = world.config_path.read_text()
    assert "# Each cutover step bakes at least this long" in text  # comments survive the writes


def test_a_bake_shorter_than_stickiness_is_refused(world, fake_time, cli):
    code, _, err = cli(*GO, "--bake-seconds", "60")
    assert code == 1 and one_line(err)
    assert err.startswith("error: --bake-seconds 60 is shorter than web.stickiness.durationSeconds (600)")
    assert world.ups() == [] and world.agree()


def test_without_stickiness_the_default_bake_is_60s(aws, tmp_path, monkeypatch, fake_time, cli):
    w = make_world(tmp_path, green=(2, 6, 2), config={"stickiness.enabled": False})
    install(monkeypatch, w)
    code, _, err = cli(*GO, "--steps", "25,100")
    assert (code, err) == (0, "") and fake_time.now == 120


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda w: w.break_colour("green"),
         "error: refusing to cut over to green: 0/2 healthy (2 unused) in its target group, needs at least 2"),
        (lambda w: boto3.client("cloudwatch").delete_alarms(AlarmNames=[ALARMS[1].format(colour="green")]),
         "error: refusing to cut over: alarm cloud-platform-prod-alarms-alb-green-unhealthy-hosts "
         "(web.rollout.alarmNames) does not exist"),
        (lambda w: w.config.update({"traffic.blue": 90, "traffic.green": 10}),
         "error: the listener carries blue 100 / green 0 but Pulumi.prod.yaml says blue 90 / green 10"),
    ],
)
def test_refusals_change_nothing(world, fake_time, cli, prepare, message):
    prepare(world)
    before = world.config_path.read_text()
    code, _, err = cli(*GO)
    assert code == 1 and one_line(err) and err.startswith(message), err
    assert world.ups() == [] and world.config_path.read_text() == before


def test_refused_when_target_colour_is_unpinned_or_scaled_to_zero(aws, tmp_path, monkeypatch, fake_time, cli):
    w = make_world(tmp_path)
    install(monkeypatch, w)
    code, _, err = cli(*GO)
    assert code == 1 and one_line(err) and err.startswith(
        "error: refusing to cut over to green: it has no pinned amiId (requirePinnedImages); stage it with "
        "`platformctl release --colour green` first. Nothing changed.")
    w.config.update({"green.amiId": AMIS["green"]})
    code, _, err = cli(*GO)
    assert code == 1 and "0/0 healthy in its target group, needs at least 1" in err and w.ups() == []


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("unhealthy", "step 50% failed: green has 0/2 healthy (2 unused), needs 2"),
        ("5xx", "step 50% failed: green answered 7 5xx (allowed 0)"),
        ("alarm", "step 50% failed: alarm cloud-platform-prod-alarms-alb-green-target-5xx in ALARM"),
    ],
)
def test_trouble_during_the_bake_rolls_back_to_the_start(world, fake_time, cli, fault, reason):
    def trouble(seconds):
        if world.live_weights()["green"] != 50:
            return
        if fault == "unhealthy":
            world.break_colour("green")
        elif fault == "alarm":
            world.set_alarm("green")
        else:
            out = world.state()["outputs"]
            boto3.client("cloudwatch").put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[{
                "MetricName": "HTTPCode_Target_5XX_Count", "Value": 7, "Unit": "Count",
                "Dimensions": [{"Name": "LoadBalancer", "Value": out["albArnSuffix"]},
                               {"Name": "TargetGroup", "Value": out["targetGroupArnSuffixes"]["green"]}]}])

    fake_time.on_sleep = trouble
    code, out, err = cli(*GO)  # the default cadence: a check every 10 s of each bake
    assert code == 1 and one_line(err)
    assert fake_time.now == 600 + 10  # the 10% step's bake, then seen at the first check after it began
    assert err == (f"error: cutover failed ({reason}); rolled back: Pulumi.prod.yaml and the listener say "
                   "blue 100 / green 0\n")
    assert world.ups() == [LISTENER] * 3  # 10%, 50%, rollback
    assert world.written_weights() == {"blue": 100, "green": 0} == world.live_weights()


class Boom(Exception):
    pass


UP_FAULTS = [StackBackendError("pulumi up of stack 'prod' failed: boom"), RuntimeError("kaput"), Boom(),
             KeyError("listenerArn"), KeyboardInterrupt(), MemoryError()]


@pytest.mark.parametrize("call", [1, 2, 3])
@pytest.mark.parametrize("exc", UP_FAULTS, ids=lambda e: type(e).__name__)
def test_any_exception_in_any_up_rolls_back_and_leaves_config_equal_to_listener(world, fake_time, cli,
                                                                                 monkeypatch, call, exc):
    backend = Faults(world.backend).fail("up", call, exc)
    install(monkeypatch, world, backend)
    code, _, err = cli(*GO, *ONE_POLL_PER_BAKE)
    assert code == 1 and one_line(err), err
    assert "rolled back: Pulumi.prod.yaml and the listener say blue 100 / green 0" in err
    assert world.written_weights() == {"blue": 100, "green": 0} == world.live_weights()


@pytest.mark.parametrize("exc", [RuntimeError("aws flaked"), KeyboardInterrupt(), TypeError("bug")],
                         ids=lambda e: type(e).__name__)
def test_exceptions_of_the_watch_roll_back_too(world, fake_time, cli, monkeypatch, exc):
    aws = Faults(Boto3WebAws()).fail("target_health", 3, exc)  # 1: preflight, 2: step 10%, 3: step 50%
    install(monkeypatch, world, aws=aws)
    code, _, err = cli(*GO, *ONE_POLL_PER_BAKE)
    assert code == 1 and one_line(err) and "rolled back" in err
    assert world.written_weights() == {"blue": 100, "green": 0} == world.live_weights()


def test_ctrl_c_twice_finishes_the_rollback_then_exits(world, fake_time, cli, monkeypatch):
    backend = Faults(world.backend).fail("up", 3, KeyboardInterrupt())  # the rollback's first up
    install(monkeypatch, world, backend)
    fake_time.on_sleep = lambda s: (_ for _ in ()).throw(KeyboardInterrupt()) if world.live_weights()["green"] == 50 else None
    code, out, err = cli(*GO, *ONE_POLL_PER_BAKE)
    assert code == 1 and one_line(err)
    assert err.startswith("error: cutover failed (interrupted by the operator); rolled back: Pulumi.prod.yaml and "
                          "the listener say blue 100 / green 0 (Ctrl-C during the rollback was held until it finished)")
    assert "interrupted again: finishing the rollback first" in out
    assert world.written_weights() == {"blue": 100, "green": 0} == world.live_weights()


def disk_full_from(monkeypatch, call: int) -> None:
    """Every config write from the `call`-th on fails after the bytes are written (ENOSPC at fsync)."""
    real, seen = config_file.os.fsync, {"n": 0}

    def fsync(fd):
        seen["n"] += 1
        if seen["n"] >= call and config_file.os.fstat(fd).st_size:  # a file's fsync, not the directory's
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(config_file.os, "fsync", fsync)


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(world, fake_time, cli, monkeypatch):
    disk_full_from(monkeypatch, 1)
    before = world.config_path.read_text()
    code, _, err = cli(*GO)
    assert code == 1 and one_line(err)
    assert err == ("error: cutover failed before changing anything (cannot write Pulumi.prod.yaml: No space left on "
                   "device; it still holds the previous config). Nothing changed.\n")
    assert world.config_path.read_text() == before and world.ups() == []
    assert [p.name for p in world.root.iterdir() if p.name.endswith(".tmp")] == []


def test_disk_full_mid_cutover_stops_where_config_and_listener_still_agree(world, fake_time, cli, monkeypatch):
    # step 10% writes and deploys; the 50% write fails, and so does every rollback write
    real_update = config_file.StackConfigFile.update
    calls = {"n": 0}

    def update(self, changes):
        calls["n"] += 1
        if calls["n"] >= 2:
            disk_full_from(monkeypatch, 1)
        return real_update(self, changes)

    monkeypatch.setattr(config_file.StackConfigFile, "update", update)
    code, _, err = cli(*GO, *ONE_POLL_PER_BAKE)
    assert code == 1 and one_line(err)
    assert world.written_weights() == {"blue": 90, "green": 10} == world.live_weights()
    assert ("and the rollback failed (cannot write Pulumi.prod.yaml: No space left on device; it still holds the "
            "previous config): deployed and written agree (Pulumi.prod.yaml and the listener say blue 90 / green 10)"
            ) in err
    assert "run: pulumi up --stack prod --target 'urn:pulumi:prod::cloud-platform::" in err


def test_a_rollback_that_cannot_deploy_says_what_runs_and_what_is_written(world, fake_time, cli, monkeypatch):
    backend = Faults(world.backend).fail("up", 2, StackBackendError("pulumi up of stack 'prod' failed: boom"))
    backend.fail_from("up", 3, StackBackendError("pulumi up of stack 'prod' failed: still down"))
    install(monkeypatch, world, backend)
    code, _, err = cli(*GO, *ONE_POLL_PER_BAKE)
    assert code == 1 and one_line(err)
    assert world.live_weights() == {"blue": 90, "green": 10} and world.written_weights() == {"blue": 100, "green": 0}
    listener_urn = world.state()["resources"][0]["urn"]
    assert err.endswith(
        "the rollback failed (pulumi up of stack 'prod' failed: still down): the listener carries blue 90 / "
        "green 10 while Pulumi.prod.yaml says blue 100 / green 0; to deploy what the file says run: "
        f"pulumi up --stack prod --target '{listener_urn}'\n")
    assert listener_urn.endswith("cloud-platform:web:ScalingWebTier$aws:lb/listener:Listener::cloud-platform-prod-web-http")


def test_an_unexpected_exception_before_any_change_is_one_line(world, fake_time, cli, monkeypatch):
    aws = Faults(Boto3WebAws()).fail("group_size", 1, ZeroDivisionError("division by zero"))
    install(monkeypatch, world, aws=aws)
    code, _, err = cli(*GO)
    assert (code, err) == (1, "error: cutover failed: ZeroDivisionError: division by zero\n")
    assert world.ups() == []


def test_cutover_back_to_blue_starts_from_current_weights(aws, tmp_path, monkeypatch, fake_time, cli):
    w = make_world(tmp_path, weights={"blue": 50, "green": 50}, green=(2, 6, 2))
    install(monkeypatch, w)
    code, _, err = cli("cutover", "--stack", "prod", "--to", "blue", "--yes", *ONE_POLL_PER_BAKE)
    assert (code, err) == (0, "")
    assert w.ups() == [LISTENER] and w.live_weights() == {"blue": 100, "green": 0} == w.written_weights()


def test_nothing_to_do_when_target_already_serves_everything(world, fake_time, cli):
    code, out, _ = cli("cutover", "--stack", "prod", "--to", "blue", "--yes")
    assert code == 0 and "blue already takes all traffic" in out and world.ups() == []


def test_without_yes_in_a_non_interactive_run_refuses(world, fake_time, cli, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    code, _, err = cli("cutover", "--stack", "prod", "--to", "green")
    assert code == 1
    assert err == "error: refusing to change traffic without --yes in a non-interactive run. Nothing changed.\n"
    assert world.ups() == []


def test_interactive_confirmation_declined_changes_nothing(world, fake_time, cli, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(cutover.typer, "confirm", lambda *a, **k: False)
    code, _, err = cli("cutover", "--stack", "prod", "--to", "green")
    assert code == 1 and err == "error: change cancelled. Nothing changed.\n" and world.ups() == []


def test_missing_web_outputs_is_one_line(world, monkeypatch, cli):
    state = world.state()
    state["outputs"] = {"vpcId": "vpc-1"}
    world.state_path.write_text(json.dumps(state))
    code, _, err = cli(*GO)
    assert code == 1 and err.startswith("error: stack 'prod' has no web tier outputs (targetGroupArns, asgNames)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "red"], "error: Invalid value for '--to': must be one of blue, green (got 'red')"),
        (["--to", "green", "--steps", "50,10,100"],
         "error: Invalid value for '--steps': steps must be strictly increasing (got '50,10,100')"),
        (["--to", "green", "--steps", "10,50"], "error: Invalid value for '--steps': the last step must be 100 (got '10,50')"),
        (["--to", "green", "--steps", "0,100"], "error: Invalid value for '--steps': each step must be between 1 and 100"),
        (["--to", "green", "--steps", "ten"], "error: Invalid value for '--steps': must be whole percentages"),
        (["--to", "green", "--bake-seconds", "-5"], "error: Invalid value for '--bake-seconds'"),
        (["--stack", "staging", "--to", "green"], "error: unknown stack 'staging' (known: dev, local, prod)"),
        ([], "error: Missing option '--to'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message, monkeypatch, cli):
    def no_backend(stack):
        raise AssertionError("bad arguments must be rejected before the stack is opened")

    monkeypatch.setattr(cutover, "open_backend", no_backend)
    argv = ["cutover", *([] if "--stack" in args else ["--stack", "prod"]), *args, "--yes"]
    code, out, err = cli(*argv)
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1, err


def test_automation_backend_targets_its_up_and_reads_resources():
    class Summary:
        result = "failed"

    class Deployment:
        deployment = {"resources": [{"urn": "urn:a", "type": "aws:lb/listener:Listener", "outputs": {"arn": "x"}}]}

    class AutoStack:
        def __init__(self):
            self.calls = []

        def outputs(self):
            return {}

        def export_stack(self):
            return Deployment()

        def up(self, **kwargs):
            self.calls.append(kwargs)
            return type("UpResult", (), {"summary": Summary()})()

    fake = AutoStack()
    backend = AutomationStackBackend("prod", stack=fake)
    assert backend.resources() == [{"urn": "urn:a", "type": "aws:lb/listener:Listener", "outputs": {"arn": "x"}}]
    assert backend.config_path() == ROOT / "Pulumi.prod.yaml"
    with pytest.raises(StackBackendError, match="pulumi up of stack 'prod' ended failed"):
        backend.up(["urn:a"])
    assert fake.calls[-1]["target"] == ["urn:a"] and fake.calls[-1]["policy_packs"] == [str(ROOT / "policy")]
    with pytest.raises(StackBackendError, match="refusing an untargeted up"):
        backend.up([])


def test_file_backend_rejects_a_bad_spec(monkeypatch):
    from platformctl.web_rehearsal import FileStackBackend

    monkeypatch.setenv("PLATFORMCTL_STACK_BACKEND", "s3:bucket")
    with pytest.raises(StackBackendError, match="must be file:<path to a JSON stack>"):
        cutover.open_backend("prod")
    with pytest.raises(StackBackendError, match="no such file"):
        FileStackBackend("prod", ROOT / "missing.json")


def test_a_real_sigint_during_the_rollback_is_held_until_it_finished(world, fake_time, cli, monkeypatch):
    import os
    import signal

    real_up, calls = world.backend.up, {"n": 0}

    class Backend(type(world.backend)):
        def up(self, targets):
            calls["n"] += 1
            if calls["n"] == 2:
                raise StackBackendError("pulumi up of stack 'prod' failed: boom")
            if calls["n"] == 3:  # the rollback: the operator presses Ctrl-C while it deploys
                os.kill(os.getpid(), signal.SIGINT)
            return real_up(targets)

    install(monkeypatch, world, Backend("prod", world.state_path))
    before = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN if pytest started without job control
    code, out, err = cli(*GO, *ONE_POLL_PER_BAKE)
    assert code == 1 and one_line(err) and err.endswith(
        "rolled back: Pulumi.prod.yaml and the listener say blue 100 / green 0 (Ctrl-C during the rollback was held "
        "until it finished)\n")
    assert "interrupted again: finishing the rollback first, then exiting" in out
    assert world.written_weights() == {"blue": 100, "green": 0} == world.live_weights()
    assert signal.getsignal(signal.SIGINT) is before  # put back afterwards
