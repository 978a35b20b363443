"""The blue/green rehearsal world shared by the release/cutover/retire/status tests.

moto plays AWS (ELBv2 listener + target groups, Auto Scaling groups launching EC2 instances
from launch templates, CloudWatch alarms); the stack is the file-backed one
(`platformctl.web_rehearsal.FileStackBackend`) over a copy of the real `Pulumi.prod.yaml`,
with resource URNs taken from the offline plan of that same file, so the targets the commands
pick are the URNs Pulumi would see. `Faults` injects failures into any method by call number.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from platformctl import cutover
from platformctl.config_file import StackConfigFile
from platformctl.web_rehearsal import FileStackBackend
from tests.conftest import ROOT
from tests.harness import shipped_plan

COLOURS = ("blue", "green")
AMIS = {"blue": "ami-12c6146b", "green": "ami-1e749f67"}  # images moto knows
ALARMS = ("cloud-platform-prod-alarms-alb-{colour}-target-5xx", "cloud-platform-prod-alarms-alb-{colour}-unhealthy-hosts")


class FakeTime:
    """Injected clock and sleep: waiting takes no wall time, and we see how long it 'waited'."""

    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []
        self.on_sleep = None  # hook(seconds), e.g. to press Ctrl-C mid-bake

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep(seconds)


class Faults:
    """Wraps an object: `fail("up", 2, exc)` makes its second `up` raise exc instead of running."""

    def __init__(self, inner: Any):
        self._inner = inner
        self._plan: dict[tuple[str, int], BaseException] = {}
        self._from: dict[str, tuple[int, BaseException]] = {}
        self.calls: dict[str, int] = {}

    def fail(self, method: str, call: int, exc: BaseException) -> Faults:
        self._plan[(method, call)] = exc
        return self

    def fail_from(self, method: str, call: int, exc: BaseException) -> Faults:
        """Every call of `method` from the `call`-th on raises exc (unless `fail` planned another)."""
        self._from[method] = (call, exc)
        return self

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if not callable(target):
            return target

        def call(*args, **kwargs):
            n = self.calls[name] = self.calls.get(name, 0) + 1
            start, always = self._from.get(name, (0, None))
            exc = self._plan.get((name, n)) or (always if start and n >= start else None)
            if exc is not None:
                # A fresh copy: the planned instance (often a parametrize value, alive all session)
                # would otherwise keep this raise's traceback, and through its frames the whole world.
                raise copy.copy(exc)
            return target(*args, **kwargs)

        return call


@dataclass
class World:
    root: Path
    state_path: Path
    config_path: Path
    asg_names: dict[str, str]
    tg_arns: dict[str, str]
    listener_arn: str

    def client(self, service: str) -> Any:
        return _client(service)

    @property
    def backend(self) -> FileStackBackend:
        return FileStackBackend("prod", self.state_path)

    @property
    def config(self) -> StackConfigFile:
        return StackConfigFile("prod", self.config_path)

    def state(self) -> dict[str, Any]:
        return json.loads(self.state_path.read_text())

    def ups(self) -> list[list[str]]:
        """Per up, the names of the resources it deployed."""
        return [u["targets"] for u in self.state().get("ups", [])]

    def instances(self, colour: str) -> list[str]:
        group = self.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[self.asg_names[colour]])["AutoScalingGroups"][0]
        return [i["InstanceId"] for i in group["Instances"]]

    def group(self, colour: str) -> tuple[int, int, int]:
        g = self.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[self.asg_names[colour]])["AutoScalingGroups"][0]
        return g["MinSize"], g["MaxSize"], g["DesiredCapacity"]

    def break_colour(self, colour: str) -> None:
        """Stop the colour's instances: moto then reports its targets as unused (not healthy)."""
        self.client("ec2").stop_instances(InstanceIds=self.instances(colour))

    def live_weights(self) -> dict[str, int]:
        listener = self.client("elbv2").describe_listeners(ListenerArns=[self.listener_arn])
        groups = listener["Listeners"][0]["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
        by_arn = {g["TargetGroupArn"]: g["Weight"] for g in groups}
        return {c: by_arn[self.tg_arns[c]] for c in COLOURS}

    def written_weights(self) -> dict[str, int]:
        return self.config.weights()

    def set_alarm(self, colour: str, state: str = "ALARM") -> None:
        self.client("cloudwatch").set_alarm_state(AlarmName=ALARMS[0].format(colour=colour), StateValue=state,
                                                   StateReason="test")

    def agree(self) -> bool:
        return self.live_weights() == self.written_weights()


_CLIENTS: dict[tuple[str | None, ...], Any] = {}


def _client(service: str) -> Any:
    """A boto3 client shared by the worlds of this process: ~6 ms to build, four per world, and
    moto's mock answers any client made after moto was imported. One per endpoint, region and
    key, as boto3 reads them from the environment when it builds a client."""
    key = (service, *(os.environ.get(v) for v in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID")))
    if key not in _CLIENTS:
        _CLIENTS[key] = boto3.client(service)
    return _CLIENTS[key]


def _configured(config_path: Path, changes: dict[str, Any]) -> Any:
    """Apply `changes` to a copy of Pulumi.prod.yaml; the web settings as written. Most tests
    start from one of three setups: `StackConfigFile.update` remembers the edit itself."""
    shutil.copy(ROOT / "Pulumi.prod.yaml", config_path)
    file = StackConfigFile("prod", config_path)
    file.update(changes)
    return file.web()


@functools.cache
def _plan_resources() -> dict[str, dict[str, Any]]:
    """URN and type of the web tier's resources in the offline plan of the shipped prod stack."""
    plan = shipped_plan("prod").to_json()
    return {r["name"]: r for r in plan["resources"] if "cloud-platform:web:ScalingWebTier$" in r["urn"]}


def make_world(tmp_path: Path, *, weights=None, green=(0, 6, 0), config: dict | None = None) -> World:
    """prod's web tier in moto as if the shipped Pulumi.prod.yaml (with `config` changes) were deployed."""
    weights = weights or {"blue": 100, "green": 0}
    config_path = tmp_path / "Pulumi.prod.yaml"
    web = _configured(config_path, {
        "traffic.blue": weights["blue"], "traffic.green": weights["green"],
        "green.minSize": green[0], "green.maxSize": green[1], "green.desiredCapacity": green[2],
        **({"green.amiId": AMIS["green"]} if weights["green"] or green[0] else {}),
        "blue.amiId": AMIS["blue"], **(config or {})})

    ec2, elb, asg, cw = (_client(s) for s in ("ec2", "elbv2", "autoscaling", "cloudwatch"))
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")
               ["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
    alb = elb.create_load_balancer(Name="web-abc123", Subnets=subnets)["LoadBalancers"][0]
    tgs = {c: elb.create_target_group(Name=f"{c}-abc123", Protocol="HTTP", Port=80, VpcId=vpc,
                                      HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"] for c in COLOURS}
    listener = elb.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": tgs[c], "Weight": weights[c]} for c in COLOURS]}}],
    )["Listeners"][0]["ListenerArn"]
    for colour in COLOURS:
        for name in ALARMS:
            cw.put_metric_alarm(AlarmName=name.format(colour=colour), MetricName="HTTPCode_Target_5XX_Count",
                                Namespace="AWS/ApplicationELB", Statistic="Sum", Period=60, EvaluationPeriods=1,
                                Threshold=10, ComparisonOperator="GreaterThanThreshold")
            cw.set_alarm_state(AlarmName=name.format(colour=colour), StateValue="OK", StateReason="test")

    plan = _plan_resources()
    prefix = "cloud-platform-prod-web"
    resources = [{"urn": plan[f"{prefix}-http"]["urn"], "type": plan[f"{prefix}-http"]["type"],
                  "outputs": {"arn": listener}}]
    names, templates = {}, {}
    for colour in COLOURS:
        fleet = web.colour(colour)
        templates[colour] = ec2.create_launch_template(
            LaunchTemplateName=f"{prefix}-{colour}-lt", VersionDescription=fleet.version,
            LaunchTemplateData={"ImageId": fleet.ami_id or AMIS["blue"], "InstanceType": "t3.small"},
        )["LaunchTemplate"]["LaunchTemplateId"]
        names[colour] = f"{prefix}-{colour}-asg-0001"
        asg.create_auto_scaling_group(
            AutoScalingGroupName=names[colour], MinSize=fleet.min_size, MaxSize=fleet.max_size,
            DesiredCapacity=fleet.desired_capacity, LaunchTemplate={"LaunchTemplateId": templates[colour],
                                                                    "Version": "$Latest"},
            VPCZoneIdentifier=",".join(subnets), TargetGroupARNs=[tgs[colour]], HealthCheckType="ELB",
            HealthCheckGracePeriod=60,
        )
        for suffix, outputs in (("lt", {"id": templates[colour]}), ("asg", {"name": names[colour]})):
            r = plan[f"{prefix}-{colour}-{suffix}"]
            resources.append({"urn": r["urn"], "type": r["type"], "outputs": outputs})
    outputs = {
        "albArn": alb["LoadBalancerArn"],
        "albArnSuffix": alb["LoadBalancerArn"].split(":loadbalancer/")[1],
        "albDnsName": alb["DNSName"],
        "listenerArn": listener,
        "targetGroupArns": tgs,
        "targetGroupArnSuffixes": {c: a.split(":")[-1] for c, a in tgs.items()},
        "asgNames": names,
        "trafficWeights": dict(weights),
        "webReleases": {c: {"version": web.colour(c).version, "amiId": web.colour(c).ami_id or AMIS["blue"]}
                        for c in COLOURS},
    }
    state_path = tmp_path / "prod-stack.json"
    state_path.write_text(json.dumps({"outputs": outputs, "resources": resources, "configFile": config_path.name}))
    return World(tmp_path, state_path, config_path, names, tgs, listener)


def install(monkeypatch, world: World, backend: Any = None, aws: Any = None) -> None:
    """Make `platformctl` commands use this world (optionally wrapped in Faults)."""
    monkeypatch.setattr(cutover, "open_backend", lambda stack: backend or world.backend)
    if aws is not None:
        monkeypatch.setattr(cutover, "open_aws", lambda stack: aws)
