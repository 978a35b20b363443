"""What AWS and the provider reject in launch templates and Auto Scaling groups (one resource at a time).

Sources:
- EC2 RunInstances / Auto Scaling CreateAutoScalingGroup: a launch template with network interfaces
  carries its security groups on them ["Network interfaces and an instance-level security groups may
  not be specified on the same request", InvalidParameterCombination; Auto Scaling: "Invalid launch
  template: When a network interface is provided, the security groups must be a part of it."]; a public
  IPv4 address is assigned only to a new primary interface (DeviceIndex 0) of a single-interface launch.
- terraform-provider-aws aws_autoscaling_group: launch_template conflicts with mixed_instances_policy;
  instances_distribution on_demand_base_capacity >= 0, on_demand_percentage_above_base_capacity 0-100.
- Auto Scaling API InstancesDistribution: SpotAllocationStrategy is one of lowest-price,
  capacity-optimized, capacity-optimized-prioritized, price-capacity-optimized.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

SPOT_ALLOCATION = ("lowest-price", "capacity-optimized", "capacity-optimized-prioritized", "price-capacity-optimized")


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def launch_template_interfaces(inputs: dict[str, Any]) -> Iterator[str]:
    interfaces = [i for i in inputs.get("networkInterfaces") or [] if isinstance(i, dict)]
    if not interfaces:
        return
    if inputs.get("vpcSecurityGroupIds") or inputs.get("securityGroupNames"):
        yield ("has networkInterfaces and instance-level security groups; with a network interface the security "
               "groups must be set on it (networkInterfaces[].securityGroups)")
    public = [i for i in interfaces if _true(i.get("associatePublicIpAddress"))]
    if public and (len(interfaces) > 1 or str(public[0].get("deviceIndex", 0)) != "0"):
        yield "associatePublicIpAddress applies only to a single network interface at deviceIndex 0"


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def group_launch_source(inputs: dict[str, Any]) -> Iterator[str]:
    mixed = inputs.get("mixedInstancesPolicy")
    if inputs.get("launchTemplate") and mixed:
        yield "sets both launchTemplate and mixedInstancesPolicy; an Auto Scaling group takes one of them"
    dist = (mixed.get("instancesDistribution") or {}) if isinstance(mixed, dict) else {}
    base = _number(dist.get("onDemandBaseCapacity"))
    if base is not None and base < 0:
        yield f"onDemandBaseCapacity {base:g} is negative"
    share = _number(dist.get("onDemandPercentageAboveBaseCapacity"))
    if share is not None and not 0 <= share <= 100:
        yield f"onDemandPercentageAboveBaseCapacity {share:g} is outside 0-100"
    strategy = dist.get("spotAllocationStrategy")
    if isinstance(strategy, str) and strategy not in SPOT_ALLOCATION:
        yield f"spotAllocationStrategy '{strategy}' is not one of {', '.join(SPOT_ALLOCATION)}"
