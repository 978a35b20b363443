"""No unwatched single point of failure: the NAT instance recovers by itself (on-demand: EC2
recovery; Spot: its group of one replaces it) and pages when impaired; every prod alarm reaches
a subscriber."""

from __future__ import annotations

from tests.conftest import error_of

INSTANCE = "aws:ec2/instance:Instance"
GROUP = "aws:autoscaling/group:Group"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def _instance_alarms(plan, instance):
    return {a.inputs["metricName"]: a.inputs for a in plan.mocks.of_type(ALARM)
            if a.inputs.get("dimensions") == {"InstanceId": instance.id}}


def test_on_demand_nat_instance_recovers_and_pages_when_impaired(on_demand_nat_plan):
    dev_plan = on_demand_nat_plan
    (nat,) = [i for i in dev_plan.mocks.of_type(INSTANCE) if i.inputs["tags"].get("Role") == "nat"]
    assert nat.inputs["maintenanceOptions"] == {"autoRecovery": "default"}
    (topic,) = [t for t in dev_plan.mocks.of_type(TOPIC) if t.outputs["arn"] == dev_plan.outputs["opsTopicArn"]]
    alarms = _instance_alarms(dev_plan, nat)
    assert set(alarms) == {"StatusCheckFailed_System", "StatusCheckFailed_Instance"}
    system, instance = alarms["StatusCheckFailed_System"], alarms["StatusCheckFailed_Instance"]
    assert system["alarmActions"] == ["arn:aws:automate:eu-west-1:ec2:recover", topic.outputs["arn"]]
    assert instance["alarmActions"] == ["arn:aws:automate:eu-west-1:ec2:reboot", topic.outputs["arn"]]
    for alarm in alarms.values():
        # OK only notifies: an EC2 action on OK would reboot or move a healthy instance.
        assert alarm["okActions"] == [topic.outputs["arn"]]
        assert (alarm["namespace"], alarm["statistic"], alarm["threshold"], alarm["comparisonOperator"]) == (
            "AWS/EC2", "Maximum", 1, "GreaterThanOrEqualToThreshold")
        # Status checks are 1-minute metrics: act within minutes, not after dev's 300 s alarm period.
        assert alarm["period"] == 60 and alarm["evaluationPeriods"] == alarm["datapointsToAlarm"]
    assert system["evaluationPeriods"] == 2 and instance["evaluationPeriods"] == 3


def test_recovery_without_alarms_still_on_the_instance(plan_with):
    plan = plan_with("dev", {"cloud-platform:alarms": {"enabled": False},
                             "cloud-platform:networking": {"natInstanceMarket": "on-demand"}})
    (nat,) = [i for i in plan.mocks.of_type(INSTANCE) if i.inputs["tags"].get("Role") == "nat"]
    assert nat.inputs["maintenanceOptions"] == {"autoRecovery": "default"}
    assert _instance_alarms(plan, nat) == {}


def test_dev_spot_nat_group_pages_when_it_has_no_instance_in_service(dev_plan):
    (group,) = [g for g in dev_plan.mocks.of_type(GROUP) if {"key": "Role", "value": "nat", "propagateAtLaunch": True}
                in g.inputs["tags"]]
    assert group.inputs["healthCheckType"] == "EC2"  # a failed status check replaces the instance
    assert "GroupInServiceInstances" in group.inputs["enabledMetrics"]
    (topic,) = [t for t in dev_plan.mocks.of_type(TOPIC) if t.outputs["arn"] == dev_plan.outputs["opsTopicArn"]]
    (alarm,) = [a.inputs for a in dev_plan.mocks.of_type(ALARM)
                if a.inputs.get("dimensions") == {"AutoScalingGroupName": group.outputs["name"]}]
    assert (alarm["namespace"], alarm["metricName"], alarm["statistic"], alarm["threshold"],
            alarm["comparisonOperator"]) == ("AWS/AutoScaling", "GroupInServiceInstances", "Minimum", 1, "LessThanThreshold")
    assert alarm["alarmActions"] == [topic.outputs["arn"]]  # the group acts itself: no EC2 action here
    # No instance alarms: the Spot instance is replaced, not recovered (EC2 recovery excludes Spot).
    assert dev_plan.mocks.of_type(INSTANCE) == []
    assert not [a for a in dev_plan.mocks.of_type(ALARM) if a.inputs["namespace"] == "AWS/EC2"]


def test_stacks_without_nat_instance_get_no_instance_alarms(prod_plan):
    assert prod_plan.mocks.of_type(INSTANCE) == []
    assert not [a for a in prod_plan.mocks.of_type(ALARM) if a.inputs["namespace"] == "AWS/EC2"]


def test_every_prod_alarm_and_backup_event_reaches_a_subscriber(prod_plan):
    subscribed = {s.inputs["topic"] for s in prod_plan.mocks.of_type(SUBSCRIPTION)
                  if s.inputs["protocol"] == "email" and s.inputs["endpoint"]}
    alarms = prod_plan.mocks.of_type(ALARM)
    assert alarms and subscribed
    for alarm in alarms:
        assert set(alarm.inputs["alarmActions"]) & subscribed, alarm.name
    (failed_backups,) = [t for t in prod_plan.mocks.of_type("aws:cloudwatch/eventTarget:EventTarget")
                         if t.name.endswith("-backup-failed")]
    assert failed_backups.inputs["arn"] in subscribed


def test_require_subscriber_refuses_alarms_without_email():
    assert error_of(alarms={"requireSubscriber": True}) == (
        "cloud-platform:alarms.email is required when requireSubscriber is true (every alarm must reach someone)")
    assert error_of(alarms={"requireSubscriber": True, "email": "nobody"}).startswith(
        "cloud-platform:alarms.email must match")
