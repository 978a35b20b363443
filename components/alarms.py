"""Alarms: an encrypted ops SNS topic and CloudWatch alarms on what the stack runs.

Covers the course's "Beyond the MVP - production as a challenge": failing targets,
unhealthy hosts, Lambda errors/throttles, messages stuck in a dead-letter queue or in an
asynchronously invoked function's failure queue and API 5xx responses page the ops topic (and, from config, an e-mail address).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass
class AlarmTargets:
    """What to watch, as plain lists (each entry may be an Output)."""

    load_balancers: list[tuple[pulumi.Input[str], dict[str, pulumi.Input[str]]]] = field(default_factory=list)
    """(ALB arn_suffix, {colour: target group arn_suffix})."""
    functions: list[tuple[str, pulumi.Input[str]]] = field(default_factory=list)
    """(label, Lambda function name): the label names the alarm, since names are often Outputs."""
    dead_letter_queues: list[tuple[str, pulumi.Input[str]]] = field(default_factory=list)
    """(label, SQS dead-letter queue name)."""
    failure_queues: list[tuple[str, pulumi.Input[str]]] = field(default_factory=list)
    """(label of the function, SQS queue name) of asynchronous invocations' on-failure destinations."""
    apis: list[tuple[str, pulumi.Input[str], pulumi.Input[str]]] = field(default_factory=list)
    """(label, REST API name, stage name)."""
    instances: list[tuple[str, pulumi.Input[str]]] = field(default_factory=list)
    """(label, EC2 instance id) of single instances nothing else replaces (the NAT instance)."""
    groups: list[tuple[str, pulumi.Input[str]]] = field(default_factory=list)
    """(label, Auto Scaling group name) of groups of one that replace their instance (the Spot NAT)."""

    def __bool__(self) -> bool:
        return bool(self.load_balancers or self.functions or self.dead_letter_queues or self.failure_queues
                    or self.apis or self.instances or self.groups)

    def add(self, other: AlarmTargets) -> AlarmTargets:
        """Take `other`'s targets in; target groups behind a load balancer already listed (the
        container on the web tier's shared ALB) join that entry, so its alarms stay one set."""
        for alb, groups in other.load_balancers:
            if not groups:
                continue
            shared = next((entry for entry in self.load_balancers if entry[0] is alb), None)
            if shared is None:
                self.load_balancers.append((alb, dict(groups)))
            else:
                shared[1].update(groups)
        self.functions += other.functions
        self.dead_letter_queues += other.dead_letter_queues
        self.failure_queues += other.failure_queues
        self.apis += other.apis
        self.instances += other.instances
        self.groups += other.groups
        return self


@dataclass
class AlarmsArgs:
    """Inputs of Alarms: what to watch, who to tell, and when a metric is bad."""

    targets: AlarmTargets = field(default_factory=AlarmTargets)
    email: pulumi.Input[str] | None = None
    """E-mail subscription of the ops topic; None: subscribe someone yourself."""
    period_seconds: int = 60
    """One evaluation period (10, 30 or a multiple of 60)."""
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    """Breaching periods among evaluation_periods that raise an alarm; None: all of them."""
    alb_5xx_threshold: int = 5
    unhealthy_hosts_threshold: int = 1
    lambda_errors_threshold: int = 1
    lambda_throttles_threshold: int = 1
    api_5xx_threshold: int = 5
    lambda_scope: str = "function"
    """function: alarms per function; region: one per metric over all functions (no dimensions)."""
    lambda_throttles: bool = True
    alb_5xx_scope: str = "targetGroup"
    """targetGroup: a target 5xx alarm per target group; loadBalancer: one per load balancer."""
    failure_queues: bool = True
    """Alarm on events waiting in failure queues; off: only the Lambda errors alarms see those failures."""


def _key(value, index: int) -> str:
    """A stable logical-name part: the value when it is plain text, else its position."""
    if isinstance(value, str):
        return re.sub(r"[^A-Za-z0-9-]+", "-", value).strip("-")[-40:] or str(index)
    return str(index)


class Alarms(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    alarm_names: list[str]
    """Logical names of the alarms (for tests and the report)."""

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:guardrails:Alarms", name, None, opts)
        self._name = name
        self._s = args
        self._child = pulumi.ResourceOptions(parent=self)
        self.alarm_names = []

        topic = self._topic()
        self.topic_arn = topic.arn
        t = args.targets
        for lb_index, (lb, groups) in enumerate(t.load_balancers):
            prefix = _key(lb, lb_index) if len(t.load_balancers) > 1 else "alb"
            if args.alb_5xx_scope == "loadBalancer" and groups:
                self._target_5xx(prefix, {"LoadBalancer": lb}, f"targets behind the {prefix} load balancer")
            for colour, tg in groups.items():
                dims = {"LoadBalancer": lb, "TargetGroup": tg}
                if args.alb_5xx_scope == "targetGroup":
                    self._target_5xx(f"{prefix}-{colour}", dims, f"targets of the {colour} target group")
                # UnHealthyHostCount exists per target group only.
                self._alarm(f"{prefix}-{colour}-unhealthy-hosts", "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum",
                            dims, self._s.unhealthy_hosts_threshold, "GreaterThanOrEqualToThreshold",
                            f"unhealthy hosts in the {colour} target group")
        if args.lambda_scope == "region" and t.functions:
            self._lambda_alarms("all", {}, "Lambda functions of this region (any of them)")
        else:
            for i, (label, fn) in enumerate(t.functions):
                self._lambda_alarms(_key(label, i), {"FunctionName": fn}, f"{label} Lambda")
        for i, (label, queue) in enumerate(t.dead_letter_queues):
            self._alarm(f"dlq-{_key(label, i)}-depth", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
                        {"QueueName": queue}, 0, "GreaterThanThreshold",
                        f"messages are waiting in the {label} dead-letter queue (processing failed)")
        for i, (label, queue) in enumerate(t.failure_queues if args.failure_queues else []):
            self._alarm(f"failed-{_key(label, i)}-depth", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
                        {"QueueName": queue}, 0, "GreaterThanThreshold",
                        f"events the {label} Lambda gave up on (retries or maximum age) wait in its failure queue")
        for i, (label, api, stage) in enumerate(t.apis):
            self._alarm(f"api-{_key(label, i)}-5xx", "AWS/ApiGateway", "5XXError", "Sum",
                        {"ApiName": api, "Stage": stage}, self._s.api_5xx_threshold, "GreaterThanThreshold",
                        f"the {label} API answers 5xx")
        for i, (label, instance) in enumerate(t.instances):
            self._instance_alarms(_key(label, i), label, instance)
        for i, (label, group) in enumerate(t.groups):
            # The group replaces a lost instance by itself; page when that does not happen in time.
            self._alarm(f"asg-{_key(label, i)}-in-service", "AWS/AutoScaling", "GroupInServiceInstances", "Minimum",
                        {"AutoScalingGroupName": group}, 1, "LessThanThreshold",
                        f"the {label} group has no instance in service (interrupted or failed, not yet replaced)")
        self.register_outputs({"topicArn": self.topic_arn})

    def _topic(self) -> aws.sns.Topic:
        name = self._name
        identity = aws.get_caller_identity(opts=pulumi.InvokeOptions(parent=self))
        account = identity.account_id
        # The key policy must let CloudWatch (alarms) and EventBridge (failed backup jobs) use the
        # key, or their publishes to the encrypted topic are dropped silently.
        # "Resource": "*" in a key policy means "this key".
        key_policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "AccountAdmin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                 "Action": "kms:*", "Resource": "*"},
                {"Sid": "AlarmPublishers", "Effect": "Allow",
                 "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                 "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
                 "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
            ],
        }
        key = aws.kms.Key(
            f"{name}-topic-key",
            description=f"{name}: ops notifications topic",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(key_policy),
            opts=self._child,
        )
        topic = aws.sns.Topic(f"{name}-ops", kms_master_key_id=key.arn, opts=self._child)
        # Replaces the default topic policy: the account manages the topic, CloudWatch alarms
        # and EventBridge rules (failed backup jobs) of this account (and nobody else) may publish.
        aws.sns.TopicPolicy(
            f"{name}-ops",
            arn=topic.arn,
            policy=topic.arn.apply(lambda arn: json.dumps({
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "AccountManages", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                     "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:Subscribe",
                                "SNS:ListSubscriptionsByTopic", "SNS:Publish", "SNS:DeleteTopic"],
                     "Resource": arn},
                    {"Sid": "ServicesPublish", "Effect": "Allow",
                     "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                     "Action": "SNS:Publish", "Resource": arn,
                     "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
                ],
            })),
            opts=self._child,
        )
        if self._s.email:
            aws.sns.TopicSubscription(f"{name}-ops-email", topic=topic.arn, protocol="email",
                                      endpoint=self._s.email, opts=self._child)
        return topic

    def _target_5xx(self, key: str, dims: dict, what: str) -> None:
        self._alarm(f"{key}-target-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", dims,
                    self._s.alb_5xx_threshold, "GreaterThanThreshold", f"{what} answer 5xx")

    def _lambda_alarms(self, key: str, dims: dict, what: str) -> None:
        """Errors (and throttles): per function, or with no dimensions AWS/Lambda's region-wide sums."""
        self._alarm(f"lambda-{key}-errors", "AWS/Lambda", "Errors", "Sum", dims,
                    self._s.lambda_errors_threshold, "GreaterThanOrEqualToThreshold", f"{what} invocations failed")
        if self._s.lambda_throttles:
            self._alarm(f"lambda-{key}-throttles", "AWS/Lambda", "Throttles", "Sum", dims,
                        self._s.lambda_throttles_threshold, "GreaterThanOrEqualToThreshold",
                        f"{what} invocations were throttled")

    def _instance_alarms(self, key: str, label: str, instance: pulumi.Input[str]) -> None:
        """Impaired single instance: page, and let EC2 act on it.

        A failed system check (the host) is answered by the recover action, which moves the
        instance to other hardware keeping its id, ENI and IPs, so routes to it stay valid; a
        failed instance check (kernel, network stack, full disk) by a reboot, which recover
        does not do. Status-check metrics come every minute for free: act within 2-3 minutes,
        independent of the stack's alarm period. OK notifies only (an EC2 action there would
        reboot a healthy instance).
        """
        region = aws.get_region_output(opts=pulumi.InvokeOptions(parent=self)).region
        for check, action, periods in (("System", "recover", 2), ("Instance", "reboot", 3)):
            self._alarm(f"ec2-{key}-{check.lower()}-check", "AWS/EC2", f"StatusCheckFailed_{check}", "Maximum",
                        {"InstanceId": instance}, 1, "GreaterThanOrEqualToThreshold",
                        f"the {label} instance failed its {check.lower()} status check; EC2 will {action} it",
                        period=60, evaluation_periods=periods, datapoints=periods,
                        action=pulumi.Output.concat("arn:aws:automate:", region, f":ec2:{action}"))

    def _alarm(self, suffix: str, namespace: str, metric: str, statistic: str, dimensions: dict,
               threshold: float, comparison: str, what: str, period: int | None = None,
               evaluation_periods: int | None = None, datapoints: int | None = None,
               action: pulumi.Input[str] | None = None) -> aws.cloudwatch.MetricAlarm:
        s = self._s
        logical = f"{self._name}-{suffix}"
        self.alarm_names.append(logical)
        return aws.cloudwatch.MetricAlarm(
            logical,
            name=logical,
            alarm_description=f"{what} ({namespace} {metric} {statistic})",
            namespace=namespace,
            metric_name=metric,
            statistic=statistic,
            dimensions=dimensions or None,  # none: the namespace's aggregate (AWS/Lambda)
            period=period or s.period_seconds,
            evaluation_periods=evaluation_periods or s.evaluation_periods,
            datapoints_to_alarm=datapoints if period else s.datapoints_to_alarm,
            threshold=threshold,
            comparison_operator=comparison,
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic_arn] if action is None else [action, self.topic_arn],
            ok_actions=[self.topic_arn],
            opts=self._child,
        )
