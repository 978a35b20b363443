"""`platformctl cutover` and `status` against a fake stack and moto's ELBv2/Auto Scaling/EC2.

The fake stack stands in for the Pulumi Automation API: its `up` does what deploying the
program would do to the listener (weights from config), so moto's listener follows config.
Targets are real: moto ASGs launch EC2 instances and register them in the target groups.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from platformctl import cli, cutover
from platformctl.web_stack import AutomationStackBackend, FileStackBackend, StackBackendError
from tests.conftest import ROOT

COLOURS = ("blue", "green")


@dataclass
class FakeStack:
    """A StackBackend whose `up` deploys the configured weights to moto's listener."""

    name: str
    outputs_: dict[str, Any]
    weights: dict[str, int]
    ups: list[dict[str, int]] = field(default_factory=list)
    writes: int = 0
    on_up: Any = None  # hook(step_number, weights)
    fail_up_at: int | None = None

    def outputs(self) -> dict[str, Any]:
        return self.outputs_

    def get_weights(self) -> dict[str, int]:
        return dict(self.weights)

    def set_weights(self, weights: dict[str, int]) -> None:
        self.writes += 1
        self.weights = dict(weights)

    def up(self) -> None:
        self.ups.append(dict(self.weights))
        if self.fail_up_at == len(self.ups):
            raise StackBackendError(f"pulumi up of stack {self.name!r} failed: boom")
        tgs = self.outputs_["targetGroupArns"]
        boto3.client("elbv2").modify_listener(
            ListenerArn=self.outputs_["listenerArn"],
            DefaultActions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                {"TargetGroupArn": tgs[c], "Weight": self.weights[c]} for c in COLOURS]}}],
        )
        if self.on_up:
            self.on_up(len(self.ups), self.weights)


@dataclass
class World:
    stack: FakeStack
    asg_names: dict[str, str]
    tg_arns: dict[str, str]

    def instances(self, colour: str) -> list[str]:
        group = boto3.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[self.asg_names[colour]])["AutoScalingGroups"][0]
        return [i["InstanceId"] for i in group["Instances"]]

    def break_colour(self, colour: str) -> None:
        """Stop the colour's instances: moto then reports its targets as unused (not healthy)."""
        boto3.client("ec2").stop_instances(InstanceIds=self.instances(colour))

    def live_weights(self) -> dict[str, int]:
        listener = boto3.client("elbv2").describe_listeners(ListenerArns=[self.stack.outputs_["listenerArn"]])
        groups = listener["Listeners"][0]["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
        by_arn = {g["TargetGroupArn"]: g["Weight"] for g in groups}
        return {c: by_arn[self.tg_arns[c]] for c in COLOURS}


class FakeTime:
    """Injected clock and sleep: baking takes no wall time, and we can see how long it 'waited'."""

    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_world(green_min: int = 2, green_desired: int = 2, weights=None) -> World:
    ec2, elb, asg = boto3.client("ec2"), boto3.client("elbv2"), boto3.client("autoscaling")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")
               ["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
    alb = elb.create_load_balancer(Name="cloud-platform-prod-web-alb", Subnets=subnets)["LoadBalancers"][0]
    tgs = {c: elb.create_target_group(Name=f"prod-web-{c}", Protocol="HTTP", Port=80, VpcId=vpc,
                                      HealthCheckPath="/health")["TargetGroups"][0] for c in COLOURS}
    weights = weights or {"blue": 100, "green": 0}
    listener = elb.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": tgs[c]["TargetGroupArn"], "Weight": weights[c]} for c in COLOURS]}}],
    )["Listeners"][0]
    template = ec2.create_launch_template(
        LaunchTemplateName="prod-web", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.small"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    sizes = {"blue": (2, 2), "green": (green_min, green_desired)}
    names = {}
    for colour in COLOURS:
        names[colour] = f"cloud-platform-prod-web-{colour}-asg-0001"
        asg.create_auto_scaling_group(
            AutoScalingGroupName=names[colour], MinSize=sizes[colour][0], MaxSize=6, DesiredCapacity=sizes[colour][1],
            LaunchTemplate={"LaunchTemplateId": template, "Version": "1"}, VPCZoneIdentifier=",".join(subnets),
            TargetGroupARNs=[tgs[colour]["TargetGroupArn"]], HealthCheckType="ELB", HealthCheckGracePeriod=60,
        )
    tg_arns = {c: tgs[c]["TargetGroupArn"] for c in COLOURS}
    outputs = {
        "albArn": alb["LoadBalancerArn"],
        "albArnSuffix": alb["LoadBalancerArn"].split(":loadbalancer/")[1],
        "albDnsName": alb["DNSName"],
        "listenerArn": listener["ListenerArn"],
        "targetGroupArns": tg_arns,
        "targetGroupArnSuffixes": {c: a.split(":")[-1] for c, a in tg_arns.items()},
        "asgNames": names,
        "trafficWeights": dict(weights),
        "webReleases": {"blue": {"version": "1.0.0", "amiId": "ami-12c6146b"},
                        "green": {"version": "1.1.0", "amiId": "ami-12c6146b"}},
    }
    return World(stack=FakeStack("prod", outputs, dict(weights)), asg_names=names, tg_arns=tg_arns)


@pytest.fixture
def world(aws, monkeypatch):
    w = make_world()
    monkeypatch.setattr(cutover, "open_backend", lambda stack: w.stack)
    return w


@pytest.fixture
def fake_time(monkeypatch) -> FakeTime:
    t = FakeTime()
    monkeypatch.setattr(cutover, "SLEEP", t.sleep)
    monkeypatch.setattr(cutover, "CLOCK", t.clock)
    return t


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        cli.main(list(args))
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


def test_happy_path_one_up_per_step_ends_at_0_100(world, fake_time, capsys):
    code, out, err = run(capsys, "cutover", "--stack", "prod", "--to", "green", "--bake-seconds", "30",
                         "--poll-seconds", "10", "--yes")
    assert (code, err) == (0, "")
    assert world.stack.ups == [{"blue": 90, "green": 10}, {"blue": 50, "green": 50}, {"blue": 0, "green": 100}]
    assert world.stack.weights == {"blue": 0, "green": 100}
    assert world.live_weights() == {"blue": 0, "green": 100}
    assert fake_time.now == 90 and fake_time.sleeps == [10] * 9  # 30 s watched after each of 3 steps
    assert "step 10%: deployed blue 90 / green 10" in out and "cutover complete: blue 0 / green 100" in out


def test_custom_steps_and_zero_bake(world, fake_time, capsys):
    code, _, err = run(capsys, "cutover", "--stack", "prod", "--to", "green", "--steps", "25,100",
                       "--bake-seconds", "0", "--yes")
    assert (code, err) == (0, "")
    assert [u["green"] for u in world.stack.ups] == [25, 100]
    assert fake_time.sleeps == []


def test_refused_when_target_colour_lacks_healthy_targets(world, fake_time, capsys):
    world.break_colour("green")
    code, _, err = run(capsys, "cutover", "--stack", "prod", "--to", "green", "--yes")
    assert code == 1
    assert err.count("\n") == 1 and err.startswith(
        "error: refusing to cut over to green: 0/2 healthy (2 unused) in its target group, needs at least 2")
    assert world.stack.ups == [] and world.stack.writes == 0
    assert world.stack.weights == {"blue": 100, "green": 0} == world.live_weights()


def test_refused_when_target_colour_is_scaled_to_zero(aws, monkeypatch, fake_time, capsys):
    w = make_world(green_min=0, green_desired=0)
    monkeypatch.setattr(cutover, "open_backend", lambda stack: w.stack)
    code, _, err = run(capsys, "cutover", "--stack", "prod", "--to", "green", "--yes")
    assert code == 1 and "0/0 healthy in its target group, needs at least 1" in err
    assert w.stack.ups == [] and w.stack.writes == 0


def test_health_failing_mid_way_rolls_back_to_start(world, fake_time, capsys):
    # green dies right after the 50% step is deployed
    world.stack.on_up = lambda n, weights: world.break_colour("green") if weights["green"] == 50 else None
    code, out, err = run(capsys, "cutover", "--stack", "prod", "--to", "green", "--bake-seconds", "60", "--yes")
    assert code == 1
    assert [u["green"] for u in world.stack.ups] == [10, 50, 0]  # the last up is the rollback
    assert world.stack.weights == {"blue": 100, "green": 0} == world.live_weights()
    assert err == ("error: cutover failed (step 50% failed: green has 0/2 healthy (2 unused), needs 2); "
                   "rolled back to blue 100 / green 0\n")
    assert "rolling back to blue 100 / green 0" in out


def test_5xx_during_bake_rolls_back(world, fake_time, capsys):
    suffixes = world.stack.outputs_

    def errors(n, weights):
        boto3.client("cloudwatch").put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[{
            "MetricName": "HTTPCode_Target_5XX_Count", "Value": 7, "Unit": "Count",
            "Dimensions": [{"Name": "LoadBalancer", "Value": suffixes["albArnSuffix"]},
                           {"Name": "TargetGroup", "Value": suffixes["targetGroupArnSuffixes"]["green"]}]}])

    world.stack.on_up = errors
    code, _, err = run(capsys, "cutover", "--stack", "prod", "--to", "green", "--max-5xx", "5", "--yes")
    assert code == 1 and "step 10% failed: green answered 7 5xx (allowed 5)" in err
    assert [u["green"] for u in world.stack.ups] == [10, 0]


def test_failed_up_rolls_back(world, fake_time, capsys):
    world.stack.fail_up_at = 2
    code, _, err = run(capsys, "cutover", "--stack", "prod", "--to", "green", "--yes")
    assert code == 1
    assert "step 50% failed: pulumi up of stack 'prod' failed: boom" in err and "rolled back to blue 100 / green 0" in err
    assert [u["green"] for u in world.stack.ups] == [10, 50, 0]
    assert world.live_weights() == {"blue": 100, "green": 0}


def test_cutover_back_to_blue_starts_from_current_weights(aws, monkeypatch, fake_time, capsys):
    w = make_world(weights={"blue": 50, "green": 50})
    monkeypatch.setattr(cutover, "open_backend", lambda stack: w.stack)
    code, _, err = run(capsys, "cutover", "--stack", "prod", "--to", "blue", "--yes")
    assert (code, err) == (0, "")
    assert w.stack.ups == [{"blue": 100, "green": 0}]  # 10% and 50% are behind us already


def test_nothing_to_do_when_target_already_serves_everything(world, fake_time, capsys):
    code, out, _ = run(capsys, "cutover", "--stack", "prod", "--to", "blue", "--yes")
    assert code == 0 and "blue already takes all traffic" in out and world.stack.ups == []


def test_without_yes_in_a_non_interactive_run_refuses(world, fake_time, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    code, _, err = run(capsys, "cutover", "--stack", "prod", "--to", "green")
    assert code == 1
    assert err == "error: refusing to change traffic without --yes in a non-interactive run. Nothing changed.\n"
    assert world.stack.ups == [] and world.stack.writes == 0


def test_interactive_confirmation_declined_changes_nothing(world, fake_time, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(cutover.typer, "confirm", lambda *a, **k: False)
    code, _, err = run(capsys, "cutover", "--stack", "prod", "--to", "green")
    assert code == 1 and err == "error: cutover cancelled. Nothing changed.\n" and world.stack.ups == []


def test_missing_web_outputs_is_one_line(aws, monkeypatch, capsys):
    monkeypatch.setattr(cutover, "open_backend", lambda stack: FakeStack("dev", {"vpcId": "vpc-1"}, {"blue": 100, "green": 0}))
    code, _, err = run(capsys, "cutover", "--stack", "dev", "--to", "green", "--yes")
    assert code == 1 and err.startswith("error: stack 'dev' has no web tier outputs (targetGroupArns, asgNames)")


def platformctl(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "platformctl", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, **kw)


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
def test_bad_arguments_exit_2_with_one_line(args, message, monkeypatch, capsys):
    def no_backend(stack):
        raise AssertionError("bad arguments must be rejected before the stack is opened")

    monkeypatch.setattr(cutover, "open_backend", no_backend)
    argv = ["cutover", *([] if "--stack" in args else ["--stack", "prod"]), *args, "--yes"]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1, err


def test_help_lists_the_options(cli):
    code, out, _ = cli("cutover", "--help")
    assert code == 0
    for option in ("--stack", "--to", "--steps", "--bake-seconds", "--yes"):
        assert option in out
    code, out, _ = cli("status", "--help")
    assert code == 0 and "--stack" in out


def test_status_shows_weight_capacity_health_release(world, capsys):
    world.break_colour("green")
    world.stack.weights = {"blue": 90, "green": 10}  # configured, not yet deployed: drift
    code, out, err = run(capsys, "status", "--stack", "prod")
    assert (code, err) == (0, "")
    rows = {line.split()[1]: line.split() for line in out.splitlines() if line.startswith("│ blue") or line.startswith("│ green")}
    cells = {c: [x for x in rows[c] if x != "│"] for c in COLOURS}
    assert cells["blue"] == ["blue", "90", "100", "2", "2", "2/2", "1.0.0", "ami-12c6146b"]
    assert cells["green"] == ["green", "10", "0", "2", "2", "0/2", "1.1.0", "ami-12c6146b"]
    assert "drift: the listener does not carry the configured weights (blue config 90 live 100, green config 10 live 0)" in out


def test_automation_backend_writes_weights_by_path_and_reports_failed_up():
    from pulumi.automation import ConfigValue

    class Out:
        def __init__(self, value):
            self.value = value

    class Summary:
        result = "failed"

    class AutoStack:
        def __init__(self):
            self.config = {"cloud-platform:web.traffic.blue": "100", "cloud-platform:web.traffic.green": "0"}
            self.calls = []

        def outputs(self):
            return {"asgNames": Out({"blue": "a", "green": "b"})}

        def get_config(self, key, path=False):
            assert path is True
            return ConfigValue(self.config[key])

        def set_config(self, key, value, path=False):
            assert path is True and isinstance(value, ConfigValue) and not value.secret
            self.calls.append((key, value.value))
            self.config[key] = value.value

        def up(self, on_output=None, policy_packs=None):
            self.calls.append(("up", policy_packs))
            return type("UpResult", (), {"summary": Summary()})()

    fake = AutoStack()
    backend = AutomationStackBackend("prod", stack=fake)
    assert backend.outputs() == {"asgNames": {"blue": "a", "green": "b"}}
    assert backend.get_weights() == {"blue": 100, "green": 0}
    backend.set_weights({"blue": 90, "green": 10})
    assert fake.calls == [("cloud-platform:web.traffic.blue", "90"), ("cloud-platform:web.traffic.green", "10")]
    with pytest.raises(StackBackendError, match="pulumi up of stack 'prod' ended failed"):
        backend.up()
    # Each step's `up` runs the compliance pack, as the deploy workflow's does.
    assert fake.calls[-1] == ("up", [str(ROOT / "policy")]) and (ROOT / "policy" / "PulumiPolicy.yaml").is_file()


def test_file_backend_and_moto_server_end_to_end(tmp_path, monkeypatch):
    """As an operator (or checker) would rehearse it: a subprocess, a JSON stack, moto as a server."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")  # boto3 here and in the subprocess
        world = make_world()
        state = tmp_path / "prod.json"
        state.write_text(json.dumps({"outputs": world.stack.outputs_, "weights": {"blue": 100, "green": 0}}))
        monkeypatch.setenv("PLATFORMCTL_STACK_BACKEND", f"file:{state}")
        result = platformctl("cutover", "--stack", "prod", "--to", "green", "--bake-seconds", "0", "--yes")
        assert result.returncode == 0, result.stderr
        saved = json.loads(state.read_text())
        assert saved["weights"] == {"blue": 0, "green": 100} and saved["ups"] == 3
        assert saved["outputs"]["trafficWeights"] == {"blue": 0, "green": 100}
        status = platformctl("status", "--stack", "prod")
        assert status.returncode == 0, status.stderr
        green = next(line for line in status.stdout.splitlines() if line.startswith("│ green"))
        assert green.split("│")[1:-1] and [c.strip() for c in green.split("│")[1:-1]][:2] == ["green", "100"]
        assert "2/2" in green and "1.1.0" in green
    finally:
        server.stop()


def test_file_backend_rejects_a_bad_spec(monkeypatch):
    monkeypatch.setenv("PLATFORMCTL_STACK_BACKEND", "s3:bucket")
    with pytest.raises(StackBackendError, match="must be file:<path to a JSON stack>"):
        cutover.open_backend("prod")
    with pytest.raises(StackBackendError, match="no such file"):
        FileStackBackend("prod", ROOT / "missing.json")
