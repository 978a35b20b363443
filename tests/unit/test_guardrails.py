"""Backups and Alarms under the recording mock, and how build_guardrails finds its targets."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pulumi
import pulumi_aws as aws
import pytest

from components.alarms import Alarms, AlarmsArgs, AlarmTargets
from components.backup import Backups, BackupsArgs
from components.platform import Platform, args_from
from components.program import alarm_targets
from components.settings.alarms import AlarmSettings
from components.settings.backup import BackupSettings
from tests.conftest import error_of

VAULT = "aws:backup/vault:Vault"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"


def _backups(build, peer=True, **settings):
    def program():
        home = aws.Provider("home", region="eu-west-1")
        other = aws.Provider("peer", region="eu-central-1") if peer else None
        Backups("bk", args_from(BackupSettings(enabled=True, **settings), BackupsArgs, peer_provider=other),
                opts=pulumi.ResourceOptions(providers={"aws": home}))
    return build(program)


def test_backup_plan_rules_retention_and_copy_to_peer_vault(build):
    mocks = _backups(build, daily_retention_days=7, weekly_retention_days=30,
                     weekly_schedule="cron(0 5 ? * SAT *)")
    vaults = {v.name: v for v in mocks.of_type(VAULT)}
    home, peer = vaults["bk-vault"], vaults["bk-peer-vault"]
    assert home.region == "eu-west-1" and peer.region == "eu-central-1"
    keys = {k.name: k for k in mocks.of_type("aws:kms/key:Key")}
    assert home.inputs["kmsKeyArn"] == keys["bk-key"].outputs["arn"]
    assert peer.inputs["kmsKeyArn"] == keys["bk-peer-key"].outputs["arn"] and keys["bk-peer-key"].region == "eu-central-1"
    assert all(k.inputs["enableKeyRotation"] is True for k in keys.values())
    (plan,) = mocks.of_type("aws:backup/plan:Plan")
    rules = {r["ruleName"]: r for r in plan.inputs["rules"]}
    assert set(rules) == {"daily", "weekly"}
    assert rules["daily"]["schedule"] == "cron(0 3 * * ? *)" and rules["weekly"]["schedule"] == "cron(0 5 ? * SAT *)"
    assert rules["daily"]["lifecycle"]["deleteAfter"] == 7 and rules["weekly"]["lifecycle"]["deleteAfter"] == 30
    for rule in rules.values():
        assert rule["targetVaultName"] == home.outputs["name"]
        (copy,) = rule["copyActions"]
        assert copy["destinationVaultArn"] == peer.outputs["arn"]
        assert ":eu-central-1:" in copy["destinationVaultArn"]
        assert copy["lifecycle"]["deleteAfter"] == rule["lifecycle"]["deleteAfter"]
        assert rule["completionWindow"] >= rule["startWindow"] + 60


def test_backup_selection_by_tag_with_service_role(build):
    mocks = _backups(build, peer=False)
    (selection,) = mocks.of_type("aws:backup/selection:Selection")
    (plan,) = mocks.of_type("aws:backup/plan:Plan")
    (role,) = mocks.of_type("aws:iam/role:Role")
    assert selection.inputs["selectionTags"] == [{"type": "STRINGEQUALS", "key": "Backup", "value": "true"}]
    assert selection.inputs["planId"] == plan.id and selection.inputs["iamRoleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "backup.amazonaws.com"}
    attached = sorted(a.inputs["policyArn"] for a in mocks.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"))
    assert attached == ["arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
                        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"]
    assert [v.name for v in mocks.of_type(VAULT)] == ["bk-vault"]
    assert all("copyActions" not in r for r in plan.inputs["rules"])
    assert not any(v.protect for v in mocks.of_type(VAULT))


def test_prod_stack_backs_up_to_the_peer_region_and_protects_vaults(prod_plan, dev_plan):
    vaults = prod_plan.mocks.of_type(VAULT)
    assert sorted(v.region for v in vaults) == ["eu-central-1", "eu-west-1"]
    assert all(v.protect and v.retain_on_delete for v in vaults)
    (plan,) = prod_plan.mocks.of_type("aws:backup/plan:Plan")
    assert {r["ruleName"]: r["lifecycle"]["deleteAfter"] for r in plan.inputs["rules"]} == {"daily": 35, "weekly": 365}
    assert prod_plan.outputs["backupVaultName"] == "cloud-platform-prod-backup-vault"
    assert dev_plan.mocks.of_type(VAULT) == [] and "backupVaultName" not in dev_plan.outputs


def test_prod_vaults_home_and_peer_are_locked_and_only_break_glass_may_delete(prod_plan, dev_plan):
    vaults = {v.outputs["name"]: v for v in prod_plan.mocks.of_type(VAULT)}
    locks = {lock.inputs["backupVaultName"]: lock for lock in prod_plan.mocks.of_type(LOCK)}
    policies = {p.inputs["backupVaultName"]: p for p in prod_plan.mocks.of_type(VAULT_POLICY)}
    # The copy in the other region is as undeletable as the original.
    assert set(locks) == set(policies) == set(vaults) == {
        prod_plan.outputs["backupVaultName"], "cloud-platform-prod-backup-peer-vault"}
    for name, vault in vaults.items():
        lock, policy = locks[name], policies[name]
        assert lock.region == policy.region == vault.region
        # Compliance mode (changeable_for_days set), bounds around the plan's retention.
        assert lock.inputs["changeableForDays"] == 3 and lock.protect and policy.protect
        assert lock.inputs["minRetentionDays"] <= 35 and 365 <= lock.inputs["maxRetentionDays"]
        (deny,) = json.loads(policy.inputs["policy"])["Statement"]
        assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
        assert set(deny["Action"]) == {"backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"}
        assert deny["Condition"] == {"ArnNotEquals": {
            "aws:PrincipalArn": "arn:aws:iam::123456789012:role/cloud-platform-break-glass"}}
    assert dev_plan.mocks.of_type(LOCK) == [] and dev_plan.mocks.of_type(VAULT_POLICY) == []


def test_vault_lock_must_admit_the_plans_retention():
    message = error_of(backup={"enabled": True, "vaultLock": True, "lockMinRetentionDays": 40, "dailyRetentionDays": 35})
    assert "lockMinRetentionDays" in message and "35" in message
    assert "lockChangeableForDays" in error_of(backup={"enabled": True, "vaultLock": True, "lockChangeableForDays": 2})


TARGETS = AlarmTargets(
    load_balancers=[("app/web/abc", {"blue": "targetgroup/blue/1", "green": "targetgroup/green/2"})],
    functions=[("api", "cp-api")], dead_letter_queues=[("messaging", "cp-dlq")], apis=[("subscribers", "cp-api", "v1")],
)


def test_alarms_metrics_dimensions_thresholds_and_actions(build):
    settings = AlarmSettings(period_seconds=300, evaluation_periods=3, datapoints_to_alarm=2,
                             alb_5xx_threshold=7, api_5xx_threshold=9, lambda_errors_threshold=2)
    mocks = build(lambda: Alarms("al", args_from(settings, AlarmsArgs, targets=TARGETS)))
    (topic,) = mocks.of_type("aws:sns/topic:Topic")
    alarms = {a.name: a.inputs for a in mocks.of_type(ALARM)}
    expected = {
        "al-alb-blue-target-5xx": ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", 7, "GreaterThanThreshold",
                                   {"LoadBalancer": "app/web/abc", "TargetGroup": "targetgroup/blue/1"}),
        "al-alb-green-unhealthy-hosts": ("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", 1,
                                         "GreaterThanOrEqualToThreshold",
                                         {"LoadBalancer": "app/web/abc", "TargetGroup": "targetgroup/green/2"}),
        "al-lambda-api-errors": ("AWS/Lambda", "Errors", "Sum", 2, "GreaterThanOrEqualToThreshold",
                                    {"FunctionName": "cp-api"}),
        "al-lambda-api-throttles": ("AWS/Lambda", "Throttles", "Sum", 1, "GreaterThanOrEqualToThreshold",
                                       {"FunctionName": "cp-api"}),
        "al-dlq-messaging-depth": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 0, "GreaterThanThreshold",
                                {"QueueName": "cp-dlq"}),
        "al-api-subscribers-5xx": ("AWS/ApiGateway", "5XXError", "Sum", 9, "GreaterThanThreshold",
                                 {"ApiName": "cp-api", "Stage": "v1"}),
    }
    assert len(alarms) == 8  # 2 per target group, 2 per function, 1 per DLQ, 1 per API stage
    for name, (namespace, metric, stat, threshold, comparison, dims) in expected.items():
        a = alarms[name]
        assert (a["namespace"], a["metricName"], a["statistic"], a["threshold"], a["comparisonOperator"]) == \
            (namespace, metric, stat, threshold, comparison), name
        assert a["dimensions"] == dims
    for a in alarms.values():
        assert a["alarmActions"] == [topic.outputs["arn"]] and a["okActions"] == [topic.outputs["arn"]]
        assert (a["period"], a["evaluationPeriods"], a["datapointsToAlarm"]) == (300, 3, 2)
        assert a["treatMissingData"] == "notBreaching"


def test_aggregate_scopes_watch_all_functions_and_target_groups_with_one_alarm_each(build):
    settings = AlarmSettings(lambda_scope="region", lambda_throttles=False, alb_5xx_scope="loadBalancer")
    mocks = build(lambda: Alarms("al", args_from(settings, AlarmsArgs, targets=TARGETS)))
    alarms = {a.name: a.inputs for a in mocks.of_type(ALARM)}
    assert sorted(alarms) == ["al-alb-blue-unhealthy-hosts", "al-alb-green-unhealthy-hosts", "al-alb-target-5xx",
                              "al-api-subscribers-5xx", "al-dlq-messaging-depth", "al-lambda-all-errors"]
    # No dimensions: AWS/Lambda's sum over every function of the region; the load balancer alone:
    # HTTPCode_Target_5XX_Count over all its target groups. UnHealthyHostCount exists per group only.
    assert "dimensions" not in alarms["al-lambda-all-errors"]
    assert (alarms["al-lambda-all-errors"]["namespace"], alarms["al-lambda-all-errors"]["metricName"]) == ("AWS/Lambda", "Errors")
    assert alarms["al-alb-target-5xx"]["dimensions"] == {"LoadBalancer": "app/web/abc"}
    assert alarms["al-alb-target-5xx"]["metricName"] == "HTTPCode_Target_5XX_Count"


def test_alarm_scopes_are_checked():
    assert error_of(alarms={"lambdaScope": "account"}) == \
        "cloud-platform:alarms.lambdaScope must be one of 'function' or 'region' (got 'account')"
    assert "alb5xxScope must be one of 'targetGroup' or 'loadBalancer'" in error_of(alarms={"alb5xxScope": "group"})


def alarm_metrics(plan) -> int:
    """Alarm metrics as CloudWatch bills them: one per metric an alarm reads."""
    return sum(sum(1 for q in a.inputs.get("metricQueries") or [] if q.get("metric")) or 1
               for a in plan.mocks.of_type(ALARM))


def test_dev_stays_within_the_free_alarm_metrics_prod_watches_each_function(dev_plan, prod_plan):
    assert alarm_metrics(dev_plan) <= 10  # free per account, each further one costs $0.10/month
    prod = {a.name.removeprefix("cloud-platform-prod-alarms-") for a in prod_plan.mocks.of_type(ALARM)}
    functions = {"api", "notifier", "worker", "ocr-worker"}
    assert {f"lambda-{f}-{m}" for f in functions for m in ("errors", "throttles")} <= prod
    groups = {tg.outputs["arnSuffix"] for tg in prod_plan.mocks.of_type("aws:lb/targetGroup:TargetGroup")}
    per_group = [a for a in prod_plan.mocks.of_type(ALARM) if a.inputs["metricName"] == "HTTPCode_Target_5XX_Count"]
    assert {a.inputs["dimensions"]["TargetGroup"] for a in per_group} == groups
    assert alarm_metrics(prod_plan) == len(prod)


def test_failure_queue_alarm_in_prod_gated_off_in_dev(dev_plan, prod_plan, plan_with):
    """The notifier's on-failure destination is watched where the free alarm metrics allow it."""
    def failure_alarms(plan):
        return [a for a in plan.mocks.of_type(ALARM) if a.name.endswith("-failed-notifier-depth")]

    queue = [q for q in prod_plan.mocks.of_type("aws:sqs/queue:Queue") if q.name.endswith("-notifier-failures")][0]
    (alarm,) = failure_alarms(prod_plan)
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"], alarm.inputs["statistic"]) == \
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum")
    assert alarm.inputs["dimensions"] == {"QueueName": queue.outputs["name"]}
    assert (alarm.inputs["threshold"], alarm.inputs["comparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm.inputs["alarmActions"] == [ops_topics(prod_plan)[0].outputs["arn"]]
    # dev: 9 of the 10 free metrics; the setting, not the environment, leaves it out.
    assert failure_alarms(dev_plan) == [] and alarm_metrics(dev_plan) == 9
    assert len(failure_alarms(plan_with("dev", {"cloud-platform:alarms": {"failureQueues": True}}))) == 1


def test_ops_topic_is_encrypted_with_a_key_cloudwatch_may_use(build):
    settings = AlarmSettings(email="ops@example.com")
    mocks = build(lambda: Alarms("al", args_from(settings, AlarmsArgs)))
    (topic,) = mocks.of_type("aws:sns/topic:Topic")
    (key,) = mocks.of_type("aws:kms/key:Key")
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    assert "cloudwatch.amazonaws.com" in statements["AlarmPublishers"]["Principal"]["Service"]
    assert statements["AlarmPublishers"]["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    (sub,) = mocks.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert (sub.inputs["protocol"], sub.inputs["endpoint"], sub.inputs["topic"]) == \
        ("email", "ops@example.com", topic.outputs["arn"])
    assert mocks.of_type(ALARM) == []


def test_no_email_no_subscription(build):
    mocks = build(lambda: Alarms("al", AlarmsArgs()))
    assert mocks.of_type("aws:sns/topicSubscription:TopicSubscription") == []


def _platform(**areas):
    return Platform(settings=None, home=None, **areas)


def _names(targets):
    return SimpleNamespace(alarm_targets=lambda: targets)


def test_alarm_targets_come_from_each_components_typed_method():
    assert not alarm_targets(_platform())
    alb = "app/web/1"
    web = _names(AlarmTargets(load_balancers=[(alb, {"blue": "tg/b", "green": "tg/g"})]))
    container = _names(AlarmTargets(load_balancers=[(alb, {"app": "tg/a"})]))  # on the web tier's shared ALB
    serverless = _names(AlarmTargets(functions=[("api", "api-fn")], apis=[("subscribers", "api", "v1")]))
    messaging = _names(AlarmTargets(functions=[("notifier", "notify"), ("worker", "work")],
                                    dead_letter_queues=[("messaging", "dlq")], failure_queues=[("notifier", "failed")]))
    network = _names(AlarmTargets(instances=[("nat", "i-1")]))
    targets = alarm_targets(_platform(network=network, web=web, serverless=serverless, messaging=messaging,
                                      container=container))
    assert targets.load_balancers == [(alb, {"blue": "tg/b", "green": "tg/g", "app": "tg/a"})]
    assert sorted(targets.functions) == [("api", "api-fn"), ("notifier", "notify"), ("worker", "work")]
    assert targets.dead_letter_queues == [("messaging", "dlq")] and targets.apis == [("subscribers", "api", "v1")]
    assert targets.instances == [("nat", "i-1")] and targets.failure_queues == [("notifier", "failed")]
    assert AlarmTargets(failure_queues=[("notifier", "failed")])  # something to watch


def test_a_container_on_its_own_load_balancer_gets_its_own_entry():
    targets = AlarmTargets(load_balancers=[("app/web/1", {"blue": "tg/b"})])
    targets.add(AlarmTargets(load_balancers=[("app/container/2", {"app": "tg/a"})]))
    assert targets.load_balancers == [("app/web/1", {"blue": "tg/b"}), ("app/container/2", {"app": "tg/a"})]


def ops_topics(plan):
    """The Alarms component's topics (Messaging has its own events topic)."""
    return [t for t in plan.mocks.of_type("aws:sns/topic:Topic")
            if plan.mocks.component_of(t).type == "cloud-platform:guardrails:Alarms"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stacks_export_the_ops_topic(stack, dev_plan, prod_plan):
    plan = {"dev": dev_plan, "prod": prod_plan}[stack]
    (topic,) = ops_topics(plan)
    assert plan.outputs["opsTopicArn"] == topic.outputs["arn"]
    assert plan.mocks.component_of(topic).type == "cloud-platform:guardrails:Alarms"


def test_topic_policy_lets_only_this_accounts_services_publish(build):
    mocks = build(lambda: Alarms("al", AlarmsArgs()))
    (topic,) = mocks.of_type("aws:sns/topic:Topic")
    (policy,) = mocks.of_type("aws:sns/topicPolicy:TopicPolicy")
    assert policy.inputs["arn"] == topic.outputs["arn"]
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    publish = statements["ServicesPublish"]
    assert set(publish["Principal"]["Service"]) == {"cloudwatch.amazonaws.com", "events.amazonaws.com"}
    assert publish["Resource"] == topic.outputs["arn"]
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_failed_backup_jobs_reach_the_ops_topic(prod_plan):
    (target,) = [t for t in prod_plan.mocks.of_type("aws:cloudwatch/eventTarget:EventTarget") if t.name.endswith("-backup-failed")]
    (topic,) = ops_topics(prod_plan)
    assert target.inputs["arn"] == topic.outputs["arn"]


def test_dev_alarms_watch_every_target_group_on_the_shared_alb(dev_plan):
    groups = {tg.outputs["arnSuffix"] for tg in dev_plan.mocks.of_type("aws:lb/targetGroup:TargetGroup")}
    watched = {a.inputs["dimensions"]["TargetGroup"] for a in dev_plan.mocks.of_type(ALARM)
               if a.inputs["metricName"] == "UnHealthyHostCount"}
    assert len(groups) == 3 and watched == groups  # blue, green and the container's


def test_stack_alarm_names_say_what_they_watch(dev_plan):
    names = {a.name.removeprefix("cloud-platform-dev-alarms-") for a in dev_plan.mocks.of_type(ALARM)}
    assert names == {
        "alb-target-5xx", *(f"alb-{g}-unhealthy-hosts" for g in ("blue", "green", "app")), "lambda-all-errors",
        "dlq-messaging-depth", "dlq-ocr-depth", "api-subscribers-5xx", "asg-nat-in-service",
    }
