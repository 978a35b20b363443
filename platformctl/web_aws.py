"""The AWS side of blue/green: target health, group sizes, 5xx counts, live listener weights.

Behind the `WebAws` protocol so `cutover`/`status` run against moto in tests; the boto3
implementation honours the usual environment (region, credentials, AWS_ENDPOINT_URL).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from components.settings.web import AMI_PATTERN


class AwsError(Exception):
    """An AWS call failed (one line for the operator)."""


@dataclass(frozen=True)
class TargetHealth:
    healthy: int
    total: int
    states: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        others = ", ".join(f"{n} {s}" for s, n in sorted(self.states.items()) if s != "healthy")
        return f"{self.healthy}/{self.total} healthy" + (f" ({others})" if others else "")


@dataclass(frozen=True)
class GroupSize:
    min_size: int
    max_size: int
    desired: int


class WebAws(Protocol):
    def target_health(self, target_group_arn: str) -> TargetHealth: ...

    def group_size(self, asg_name: str) -> GroupSize | None: ...

    def target_5xx(self, alb_arn_suffix: str, target_group_arn_suffix: str, since: datetime) -> int | None:
        """Target 5xx responses since `since`; None when CloudWatch cannot tell."""

    def listener_weights(self, listener_arn: str) -> dict[str, int]:
        """Target group ARN -> weight of the listener's forward action, as deployed."""

    def alarm_states(self, names: list[str]) -> dict[str, str]:
        """Alarm name -> state (OK, ALARM, INSUFFICIENT_DATA); alarms that do not exist are absent."""

    def set_desired(self, asg_name: str, desired: int) -> None: ...

    def latest_image(self, parameter: str) -> str:
        """The image id an SSM parameter holds (AWS's public "latest" ones or a pipeline's output)."""

    def image_exists(self, ami_id: str) -> bool: ...


class Boto3WebAws:
    def __init__(self, session: boto3.session.Session | None = None, region: str | None = None):
        self._session = session or boto3.session.Session(region_name=region)
        self._clients: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        """Built on first use: a command needs two or three of the five, and building one (ec2's
        has ~700 operations) costs more than many calls through it."""
        if service not in self._clients:
            self._clients[service] = self._session.client(service)
        return self._clients[service]

    def target_health(self, target_group_arn: str) -> TargetHealth:
        try:
            found = self._client("elbv2").describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
        except (ClientError, BotoCoreError) as exc:
            raise AwsError(f"describe_target_health {target_group_arn}: {_message(exc)}") from None
        states = Counter(d["TargetHealth"]["State"] for d in found)
        return TargetHealth(healthy=states.get("healthy", 0), total=len(found), states=dict(states))

    def group_size(self, asg_name: str) -> GroupSize | None:
        try:
            groups = self._client("autoscaling").describe_auto_scaling_groups(
                AutoScalingGroupNames=[asg_name])["AutoScalingGroups"]
        except (ClientError, BotoCoreError) as exc:
            raise AwsError(f"describe_auto_scaling_groups {asg_name}: {_message(exc)}") from None
        if not groups:
            return None
        g = groups[0]
        return GroupSize(min_size=g["MinSize"], max_size=g["MaxSize"], desired=g["DesiredCapacity"])

    def target_5xx(self, alb_arn_suffix: str, target_group_arn_suffix: str, since: datetime) -> int | None:
        now = datetime.now(since.tzinfo)
        try:
            points = self._client("cloudwatch").get_metric_statistics(
                Namespace="AWS/ApplicationELB",
                MetricName="HTTPCode_Target_5XX_Count",
                Dimensions=[
                    {"Name": "LoadBalancer", "Value": alb_arn_suffix},
                    {"Name": "TargetGroup", "Value": target_group_arn_suffix},
                ],
                StartTime=since - timedelta(seconds=60),  # ALB metrics land in whole minutes
                EndTime=now + timedelta(seconds=60),
                Period=60,
                Statistics=["Sum"],
            )["Datapoints"]
        except (ClientError, BotoCoreError):
            return None  # e.g. no cloudwatch:GetMetricStatistics permission: health alone decides
        return int(sum(p.get("Sum", 0) for p in points))

    def listener_weights(self, listener_arn: str) -> dict[str, int]:
        try:
            listener = self._client("elbv2").describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]
        except (ClientError, BotoCoreError, IndexError) as exc:
            raise AwsError(f"describe_listeners {listener_arn}: {_message(exc)}") from None
        for action in listener.get("DefaultActions", []):
            if action.get("Type") == "forward":
                groups = (action.get("ForwardConfig") or {}).get("TargetGroups")
                if groups:
                    return {g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups}
                return {action["TargetGroupArn"]: 1}
        return {}


    def alarm_states(self, names: list[str]) -> dict[str, str]:
        if not names:
            return {}
        try:
            found = self._client("cloudwatch").describe_alarms(AlarmNames=list(names))["MetricAlarms"]
        except (ClientError, BotoCoreError) as exc:
            raise AwsError(f"describe_alarms: {_message(exc)}") from None
        return {a["AlarmName"]: a["StateValue"] for a in found}

    def set_desired(self, asg_name: str, desired: int) -> None:
        try:
            self._client("autoscaling").set_desired_capacity(AutoScalingGroupName=asg_name, DesiredCapacity=desired)
        except (ClientError, BotoCoreError) as exc:
            raise AwsError(f"set_desired_capacity {asg_name}: {_message(exc)}") from None

    def latest_image(self, parameter: str) -> str:
        try:
            value = self._client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"]
        except (ClientError, BotoCoreError) as exc:
            raise AwsError(f"get_parameter {parameter}: {_message(exc)}") from None
        if not re.match(AMI_PATTERN, value):
            raise AwsError(f"SSM parameter {parameter} holds {value!r}, not an image id")
        return value

    def image_exists(self, ami_id: str) -> bool:
        try:
            return bool(self._client("ec2").describe_images(ImageIds=[ami_id])["Images"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code", "").startswith("InvalidAMIID"):
                return False
            raise AwsError(f"describe_images {ami_id}: {_message(exc)}") from None
        except BotoCoreError as exc:
            raise AwsError(f"describe_images {ami_id}: {_message(exc)}") from None


def _message(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Message") or str(exc)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
