"""What pricing rules need from other resources of the plan (prices/rules.yaml `facts.*`).

An ASG's instance type and volumes live on its launch template, a Fargate service's size on
its task definition and its Spot share in its capacity provider strategy: the rules read the
answers here, the plan index finds the related resource.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"


def num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def spot_tasks(strategies: list[dict[str, Any]], count: float) -> float:
    """Tasks on FARGATE_SPOT: `base` tasks go first to their provider, the rest split by weight."""
    if not strategies:
        return 0.0
    remaining = count
    spot = 0.0
    for s in strategies:
        base = min(num(s.get("base")), remaining)
        remaining -= base
        if s.get("capacityProvider") == "FARGATE_SPOT":
            spot += base
    weights = {s.get("capacityProvider"): num(s.get("weight")) for s in strategies}
    total = sum(weights.values())
    if total and remaining:
        spot += remaining * weights.get("FARGATE_SPOT", 0.0) / total
    return spot


class Facts:
    """`facts.<name>` of one resource's rule, computed on first use."""

    def __init__(self, resource, index, usage: dict[str, dict[str, float]]):
        self.r, self.index, self.usage = resource, index, usage

    def _template(self):
        spec = self.r.inputs.get("launchTemplate") or {}
        return (self.index.resolve(spec.get("id")) or self.index.resolve(spec.get("name"))
                or self.index.first(self.r, "mixedInstancesPolicy", type_=LAUNCH_TEMPLATE))

    @property
    def asg_instance_type(self) -> str | None:
        mixed = (self.r.inputs.get("mixedInstancesPolicy") or {}).get("launchTemplate") or {}
        overrides = [o.get("instanceType") for o in mixed.get("overrides") or [] if o.get("instanceType")]
        template = self._template()
        return overrides[0] if overrides else (template.inputs.get("instanceType") if template else None)

    @property
    def asg_volumes(self) -> list[SimpleNamespace]:
        """EBS volumes the launch template maps (none: the AMI's root volume is used)."""
        template = self._template()
        mappings = [m for m in (template.inputs.get("blockDeviceMappings") or []) if m.get("ebs")] if template else []
        default = float((self.usage.get("ec2") or {}).get("defaultRootVolumeGb", 0))
        return [SimpleNamespace(size=num(m["ebs"].get("volumeSize")) or default, type=m["ebs"].get("volumeType") or "gp3",
                                device=m.get("deviceName", "")) for m in mappings]

    def asg_spot(self, count: float) -> float:
        """Instances of `count` an ASG runs on Spot: a mixed instances policy fills
        onDemandBaseCapacity (default 0) On-Demand, then onDemandPercentageAboveBaseCapacity
        (default 100) % of the rest; a launch template asking for the spot market makes all Spot."""
        mixed = self.r.inputs.get("mixedInstancesPolicy")
        if mixed:
            dist = mixed.get("instancesDistribution") or {}
            base = min(num(dist.get("onDemandBaseCapacity")), count)
            share = num(dist.get("onDemandPercentageAboveBaseCapacity"), 100.0) / 100
            return (count - base) * (1 - share)
        template = self._template()
        market = ((template.inputs.get("instanceMarketOptions") or {}) if template else {}).get("marketType")
        return count if market == "spot" else 0.0

    @property
    def asg_public_ipv4(self) -> bool:
        """The launch template gives each instance's primary interface a public IPv4 address."""
        template = self._template()
        interfaces = (template.inputs.get("networkInterfaces") or []) if template else []
        return any(str(i.get("associatePublicIpAddress")).lower() == "true" and num(i.get("deviceIndex")) == 0
                   for i in interfaces)

    @property
    def queue_polled(self) -> bool:
        """A Lambda event source mapping reads the queue: its pollers' receives, empty ones included,
        are most of a queue's requests. Nothing polls a dead-letter queue or a failure destination."""
        return any(self.index.resolve(m.inputs.get("eventSourceArn")) is self.r
                   for m in self.index.custom if m.type == EVENT_SOURCE_MAPPING)

    @property
    def task_size(self) -> SimpleNamespace | None:
        task = self.index.first(self.r, "taskDefinition", type_=TASK_DEFINITION)
        if task is None:
            return None
        vcpu, gb = num(task.inputs.get("cpu")) / 1024, num(task.inputs.get("memory")) / 1024
        if not vcpu or not gb:
            return None
        arch = str((task.inputs.get("runtimePlatform") or {}).get("cpuArchitecture") or "X86_64").upper()
        family = "arm64" if arch == "ARM64" else "x86"
        return SimpleNamespace(vcpu=vcpu, gb=gb, family=family, size=f"{vcpu:g} vCPU / {gb:g} GB {family}")

    @property
    def fargate_shares(self) -> list[SimpleNamespace]:
        """On-Demand and Spot tasks of the service (Spot from the capacity provider strategy)."""
        count = num(self.r.inputs.get("desiredCount"), 1.0)
        spot = spot_tasks(self.r.inputs.get("capacityProviderStrategies") or [], count)
        shares = (("On-Demand", count - spot, False), ("Spot", spot, True))
        return [SimpleNamespace(label=label, tasks=tasks, spot=is_spot, count=count)
                for label, tasks, is_spot in shares if tasks]
