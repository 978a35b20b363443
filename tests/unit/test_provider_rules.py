"""The recording mock is as strict as pulumi-aws 7 and AWS: names per type, then one table per rule."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from offline import names, provider_rules
from offline.names import NAMES, physical_name
from offline.provider_rules import PlanRejectedError, problems

LB, TG, ROLE, FN = ("aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup", "aws:iam/role:Role",
                    "aws:lambda/function:Function")
BUCKET, QUEUE, TOPIC = "aws:s3/bucket:Bucket", "aws:sqs/queue:Queue", "aws:sns/topic:Topic"


def name_problem(type_: str, logical: str = "x", **inputs) -> str | None:
    return physical_name(type_, logical, inputs).problem


# --- autonaming -------------------------------------------------------------------------------
def test_autoname_is_logical_name_dash_7_hex_and_deterministic():
    named = physical_name(ROLE, "cloud-platform-dev-api-role", {})
    base, _, suffix = named.name.rpartition("-")
    assert base == "cloud-platform-dev-api-role" and len(suffix) == 7 and int(suffix, 16) >= 0
    assert physical_name(ROLE, "cloud-platform-dev-api-role", {}).name == named.name and named.problem is None


def test_autoname_is_lower_cased_where_aws_requires_it():
    assert physical_name(BUCKET, "Site-Bucket", {}).name.startswith("site-bucket-")
    assert physical_name(ROLE, "Api-Role", {}).name.startswith("Api-Role-")


def test_name_prefix_gets_26_generated_characters():
    named = physical_name(TG, "t", {"namePrefix": "web-"})
    assert named.name.startswith("web-") and len(named.name) == 4 + 26 and named.problem is None


def test_types_without_a_name_get_none():
    assert physical_name("aws:ec2/route:Route", "r", {}).name is None


# Per type: (logical name whose autoname fits, one that is one character too long) and a bad explicit name.
AUTONAME_LIMITS = [
    (LB, 32), (TG, 32), (ROLE, 64), (FN, 64), (QUEUE, 80), (TOPIC, 80), (BUCKET, 63),
    ("aws:sfn/stateMachine:StateMachine", 80), ("aws:backup/vault:Vault", 50), ("aws:backup/plan:Plan", 50),
    ("aws:cloudwatch/eventRule:EventRule", 64), ("aws:iam/instanceProfile:InstanceProfile", 128),
    ("aws:iam/rolePolicy:RolePolicy", 128), ("aws:iam/policy:Policy", 128), ("aws:lambda/permission:Permission", 100),
    ("aws:ec2/launchTemplate:LaunchTemplate", 128), ("aws:cloudfront/originAccessControl:OriginAccessControl", 64),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", 255), ("aws:dynamodb/table:Table", 255),
]


@pytest.mark.parametrize("type_,limit", AUTONAME_LIMITS)
def test_autoname_limit_per_type(type_, limit):
    fits, too_long = "a" * (limit - 8), "a" * (limit - 7)
    assert name_problem(type_, fits) is None
    message = name_problem(type_, too_long)
    assert f"plus 8 generated characters is {limit + 1} characters, longer than the maximum {limit} of {type_}" in message


@pytest.mark.parametrize("type_,prop,good,bad,why", [
    (LB, "name", "web-alb", "-web", "form"), (LB, "name", "a" * 32, "a" * 33, "allows 1-32"),
    (LB, "name", "web", "internal-web", "form"), (TG, "name", "blue-tg", "blue_tg", "form"),
    (ROLE, "name", "deploy+ci@x", "deploy role", "form"), (ROLE, "name", "r" * 64, "r" * 65, "allows 1-64"),
    (FN, "name", "api_fn-1", "api.fn", "form"), (QUEUE, "name", "q" * 80, "q" * 81, "allows 1-80"),
    (QUEUE, "name", "jobs.fifo", "jobs.queue", "form"),
    (TOPIC, "name", "t" * 256, "t" * 257, "allows 1-256"), (BUCKET, "bucket", "my.site-1", "My-Site", "form"),
    (BUCKET, "bucket", "abc", "ab", "allows 3-63"), (BUCKET, "bucket", "site", "site-", "form"),
    ("aws:backup/vault:Vault", "name", "prod_vault-1", "prod.vault", "form"),
    ("aws:backup/plan:Plan", "name", "plan.daily", "plan daily", "form"),
    ("aws:ecr/repository:Repository", "name", "team/app-1", "Team/App", "form"),
    ("aws:cloudwatch/logGroup:LogGroup", "name", "/aws/lambda/fn", "/aws/lambda/fn name", "form"),
    ("aws:kms/alias:Alias", "name", "alias/cp-backup", "cp-backup", "form"),
    ("aws:kms/alias:Alias", "name", "alias/cp", "alias/aws/cp", "form"),
    ("aws:ec2/securityGroup:SecurityGroup", "name", "web alb (public)", "sg-web", "form"),
    ("aws:ecs/taskDefinition:TaskDefinition", "family", "app_task-1", "app task", "form"),
    ("aws:dynamodb/table:Table", "name", "t.1_x-y", "ab", "allows 3-255"),
    ("aws:sfn/stateMachine:StateMachine", "name", "latency-probe", "latency probe", "form"),
])
def test_explicit_names_are_checked(type_, prop, good, bad, why):
    assert physical_name(type_, "x", {prop: good}) == names.Named(good)
    message = physical_name(type_, "x", {prop: bad}).problem
    assert message.startswith(f"{prop} '{bad}'") and why in message and type_ in message


@pytest.mark.parametrize("type_,good,bad", [(LB, "web-", "webapp-"), (TG, "green-", "green-x"), (ROLE, "r" * 38, "r" * 39),
                                            (BUCKET, "site-", "s" * 38)])
def test_name_prefix_leaves_room_for_26_characters(type_, good, bad):
    prop = NAMES[type_].prop
    assert physical_name(type_, "x", {f"{prop}Prefix": good}).problem is None
    message = physical_name(type_, "x", {f"{prop}Prefix": bad}).problem
    assert f"{prop}Prefix '{bad}' is {len(bad)} characters; {type_} allows at most {NAMES[type_].maximum - 26}" in message


# --- provider-side rules ----------------------------------------------------------------------
@pytest.mark.parametrize("tags,message", [
    ({"Project": "cloud-platform", "Owner": "Équipe Plateforme", "Path": "a/b:c=d+e@f_g.h"}, None),
    ({"k" * 129: "v"}, "is 129 characters; AWS allows 1-128"),
    ({"Name": "v" * 257}, "value is 257 characters; AWS allows at most 256"),
    ({"Name": "web (blue)"}, "tag 'Name' value 'web (blue)' has characters AWS rejects"),
    ({"Cost,Center": "x"}, "tag key 'Cost,Center' has characters AWS rejects"),
    ({"aws:created": "x"}, "uses the reserved prefix 'aws:'"),
    ({f"k{i}": "v" for i in range(51)}, "has 51 tags; AWS allows at most 50"),
])
def test_tags(tags, message):
    found = problems("aws:sqs/queue:Queue", {"tags": tags})
    assert (found == []) if message is None else (message in found[0])


def test_tags_in_list_form_and_provider_default_tags():
    assert "has characters AWS rejects" in problems("aws:autoscaling/group:Group",
                                                    {"tags": [{"key": "Name", "value": "a;b", "propagateAtLaunch": True}]})[0]
    assert "'Owner' value 'ops (x)'" in problems("pulumi:providers:aws", {"defaultTags": '{"tags": {"Owner": "ops (x)"}}'})[0]


@pytest.mark.parametrize("cidr,message", [
    ("10.0.0.0/16", None), ("172.31.0.0/20", None), ("10.20.30.0/28", None),
    ("10.0.0.0/8", "is a /8; AWS allows /16 to /28"), ("10.0.0.0/29", "is a /29"),
    ("127.0.0.0/16", "loopback"), ("169.254.0.0/16", "link-local"), ("224.0.0.0/16", "multicast"),
    ("10.0.0.1/16", "is not a network address"),
])
@pytest.mark.parametrize("type_", ["aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"])
def test_vpc_and_subnet_cidrs(type_, cidr, message):
    found = problems(type_, {"cidrBlock": cidr})
    assert (found == []) if message is None else (message in found[0])


@pytest.mark.parametrize("region,ok", [("eu-west-1", True), ("eu-central-1", True), ("ap-southeast-7", True),
                                       ("eu-west-9", False), ("cn-north-1", False), ("us-gov-west-1", False)])
def test_regions_of_the_aws_partition(region, ok):
    assert (problems("pulumi:providers:aws", {"region": region}) == []) is ok
    found = problems("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", {"peerRegion": region})
    assert (found == []) is ok
    assert ok or "is not a region of the aws partition" in found[0]


@pytest.mark.parametrize("schedule,message", [
    ("cron(0 3 * * ? *)", None), ("cron(0 4 ? * SUN *)", None),
    ("0 3 * * *", "must be an AWS cron expression"), ("cron(0 3 * * *)", "must have 6 fields"),
    ("cron(0 4 * * SUN *)", "'?' in exactly one of day-of-month and day-of-week"), ("cron(0 25 * * ? *)", "hours"),
])
def test_backup_cron_expressions(schedule, message):
    found = problems("aws:backup/plan:Plan", {"rules": [{"ruleName": "daily", "schedule": schedule}]})
    assert (found == []) if message is None else (message in found[0] and "rule 'daily'" in found[0])


@pytest.mark.parametrize("inputs,message", [
    ({"period": 300, "evaluationPeriods": 288}, None), ({"period": 10, "evaluationPeriods": 3}, None),
    ({"period": 3600, "evaluationPeriods": 25}, "= 90000 s; AWS allows at most 86400 s"),
    ({"period": 90, "evaluationPeriods": 1}, "AWS allows 10, 20, 30 or a multiple of 60"),
    ({"metricQueries": [{"id": "m", "metric": {"period": 86400}}], "evaluationPeriods": 2}, "= 172800 s"),
    ({"period": 60, "evaluationPeriods": 2, "datapointsToAlarm": 3}, "datapointsToAlarm 3 is more than"),
])
def test_alarm_period_times_evaluation_periods(inputs, message):
    found = problems("aws:cloudwatch/metricAlarm:MetricAlarm", inputs)
    assert (found == []) if message is None else (message in found[0])


@pytest.mark.parametrize("policy,ok", [("ELBSecurityPolicy-TLS13-1-2-2021-06", True),
                                       ("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", True),
                                       ("ELBSecurityPolicy-2016-08", True), ("ELBSecurityPolicy-TLS13-1-2", False),
                                       ("TLS1.2", False)])
def test_ssl_policies(policy, ok):
    assert (problems("aws:lb/listener:Listener", {"sslPolicy": policy}) == []) is ok


def test_ssl_policy_list_covers_the_elb_list_moto_serves():
    from moto.elbv2.ssl_policies import SSL_POLICIES

    assert set(SSL_POLICIES) <= provider_rules.SSL_POLICIES


@pytest.mark.parametrize("value,ok", [("t3.micro", True), ("t4g.nano", True), ("m7g.16xlarge", True),
                                      ("u-6tb1.metal", True), ("c5.metal-24xl", True), ("mac2-m2pro.metal", True),
                                      ("t3micro", False), ("T3.micro", False), ("t3.huge", False), ("micro", False)])
@pytest.mark.parametrize("type_", ["aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate"])
def test_instance_types(type_, value, ok):
    assert (problems(type_, {"instanceType": value}) == []) is ok


KEY = "aws:kms/key:Key"
ADMIN = {"Sid": "A", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"},
         "Action": ["kms:PutKeyPolicy", "kms:DescribeKey"], "Resource": "*"}
USE = {"Sid": "U", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/r"}, "Action": "kms:Decrypt",
       "Resource": "*"}


def _key(*statements, pad: str = "") -> dict:
    return {"policy": json.dumps({"Version": "2012-10-17", "Id": pad, "Statement": list(statements)})}


@pytest.mark.parametrize("inputs,message", [
    (_key(ADMIN, USE), None),
    ({}, None),  # AWS's default policy
    (_key({**ADMIN, "Action": "kms:*"}), None),
    (_key(USE), "lets no AWS principal call kms:PutKeyPolicy"),
    (_key({**ADMIN, "Principal": {"Service": "backup.amazonaws.com"}}), "lets no AWS principal call kms:PutKeyPolicy"),
    (_key(ADMIN, {k: v for k, v in USE.items() if k != "Principal"}), "every key policy statement needs a Principal"),
    (_key(ADMIN, pad="x" * 32768), "characters; AWS allows at most 32768"),
    ({"policy": _key(ADMIN)["policy"].replace('"Id": ""', '"Id": "Schlüssel"')}, "outside printable ASCII"),
    ({"policy": "{not json"}, "not a JSON policy document"),
])
def test_kms_key_policies(inputs, message):
    found = problems(KEY, inputs)
    assert (found == []) if message is None else any(message in f for f in found), found


@pytest.mark.parametrize("inputs,message", [
    ({"changeableForDays": 3, "minRetentionDays": 7, "maxRetentionDays": 3650}, None),
    ({"minRetentionDays": 1}, None),
    ({"changeableForDays": 2}, "changeableForDays 2; AWS Backup needs at least 3"),
    ({"minRetentionDays": 40, "maxRetentionDays": 30}, "minRetentionDays 40 is more than maxRetentionDays 30"),
])
def test_backup_vault_lock(inputs, message):
    found = problems("aws:backup/vaultLockConfiguration:VaultLockConfiguration", inputs)
    assert (found == []) if message is None else (message in found[0])


@pytest.mark.parametrize("action,ok", [(["backup:DeleteRecoveryPoint"], True), ("backup:Delete*", False),
                                       (["backup:*"], False)])
def test_backup_vault_policy_actions_take_no_wildcards(action, ok):
    policy = json.dumps({"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": action,
                                        "Resource": "*"}]})
    assert (problems("aws:backup/vaultPolicy:VaultPolicy", {"policy": policy}) == []) is ok


ASYNC = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:failures"


def _on(kind: str, destination: str) -> dict:
    return {"destinationConfig": {kind: {"destination": destination}}}


@pytest.mark.parametrize("inputs,message", [
    ({"functionName": "fn", "maximumRetryAttempts": 0, "maximumEventAgeInSeconds": 60}, None),
    ({"maximumRetryAttempts": 2, "maximumEventAgeInSeconds": 21600, "qualifier": "$LATEST"}, None),
    ({"qualifier": "live"}, None), ({"qualifier": "7"}, None),
    ({"maximumRetryAttempts": 3}, "maximumRetryAttempts 3; Lambda allows 0-2"),
    ({"maximumRetryAttempts": -1}, "maximumRetryAttempts -1; Lambda allows 0-2"),
    ({"maximumEventAgeInSeconds": 59}, "maximumEventAgeInSeconds 59; Lambda allows 60-21600"),
    ({"maximumEventAgeInSeconds": 21601}, "maximumEventAgeInSeconds 21601; Lambda allows 60-21600"),
    ({"qualifier": "live.1"}, "qualifier 'live.1' is not a version"),
    ({"qualifier": ""}, "qualifier '' is not a version"),
    ({"qualifier": "a" * 129}, "is not a version"),
    ({"functionName": ""}, "functionName is empty"),
    (_on("onFailure", QUEUE_ARN), None),
    (_on("onFailure", "arn:aws:s3:::failed-events"), None),
    (_on("onSuccess", "arn:aws:sns:eu-west-1:123456789012:outcomes"), None),
    (_on("onSuccess", "arn:aws:events:eu-west-1:123456789012:event-bus/default"), None),
    (_on("onSuccess", "arn:aws:s3:::failed-events"), "Lambda sends there only to lambda, sqs, sns, events ARNs"),
    (_on("onFailure", "arn:aws:dynamodb:eu-west-1:123456789012:table/t"), "only to lambda, sqs, sns, events, s3"),
    (_on("onFailure", QUEUE_ARN + ".fifo"), "is FIFO; Lambda sends only to standard queues and topics"),
    (_on("onFailure", "failures"), "onFailure destination 'failures' is not an ARN"),
    (_on("onFailure", QUEUE_ARN + "x" * 320), "is not an ARN of at most 350 characters"),
])
def test_lambda_async_invoke_config(inputs, message):
    found = problems(ASYNC, inputs)
    assert (found == []) if message is None else (message in found[0]), found


def test_async_invoke_config_out_of_range_fails_the_plan(build):
    with pytest.raises(PlanRejectedError, match="maximumRetryAttempts 5; Lambda allows 0-2"):
        build(lambda: aws.lambda_.FunctionEventInvokeConfig("n", function_name="fn", maximum_retry_attempts=5))


WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
LOGS_ARN = "arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-edge"


@pytest.mark.parametrize("inputs,message", [
    ({"logDestinationConfigs": [LOGS_ARN]}, None),
    ({"logDestinationConfigs": [LOGS_ARN + ":*"]}, None),
    ({"logDestinationConfigs": ["arn:aws:s3:::aws-waf-logs-edge"]}, None),
    ({"logDestinationConfigs": ["arn:aws:firehose:eu-west-1:123456789012:deliverystream/aws-waf-logs-x"]}, None),
    ({"logDestinationConfigs": [LOGS_ARN], "redactedFields": [{"singleHeader": {"name": "cookie"}}, {"uriPath": {}}]},
     None),
    ({"logDestinationConfigs": ["arn:aws:logs:eu-west-1:123456789012:log-group:/waf/edge"]},
     "WAF accepts only destinations whose name starts with aws-waf-logs-"),
    ({"logDestinationConfigs": [LOGS_ARN, "arn:aws:s3:::aws-waf-logs-edge"]},
     "2 logDestinationConfigs; WAF takes exactly one"),
    ({"logDestinationConfigs": []}, "0 logDestinationConfigs"),
    ({"redactedFields": [{"cookies": {}}]}, "redactedFields ['cookies']: WAF redacts only singleHeader"),
    ({"redactedFields": [{"singleHeader": {"name": "x" * 65}}]}, "is 65 characters; WAF allows 1-64"),
])
def test_waf_logging_configuration(inputs, message):
    found = problems(WAF_LOGGING, inputs)
    assert (found == []) if message is None else (message in found[0]), found


# --- through the mock: components built directly see the rejection ---------------------------
def test_component_built_directly_fails_like_a_preview(build, pulumi_mocks):
    with pytest.raises(PlanRejectedError) as info:
        build(lambda: aws.lb.TargetGroup("cloud-platform-prod-container-tg", port=80, protocol="HTTP",
                                         opts=pulumi.ResourceOptions()))
    message = str(info.value)
    assert message.startswith("urn:pulumi:test::cloud-platform::aws:lb/targetGroup:TargetGroup::"
                              "cloud-platform-prod-container-tg: autoname 'cloud-platform-prod-container-tg' plus 8")
    assert "\n" not in message and "maximum 32" in message


def test_ids_and_arns_like_aws(build):
    mocks = build(lambda: (
        aws.iam.Policy("p", path="/github-deploy/", policy="{}"),
        aws.ec2.VpcPeeringConnectionAccepter("acc", vpc_peering_connection_id="pcx-0123456789abcdef0", auto_accept=True),
    ))
    assert mocks.named("p").outputs["arn"].startswith("arn:aws:iam::123456789012:policy/github-deploy/p-")
    assert mocks.named("acc").id == "pcx-0123456789abcdef0"


def _logs_key(*groups: str) -> str:
    admin = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
             "Action": ["kms:PutKeyPolicy", "kms:DescribeKey"], "Resource": "*"}
    logs = {"Effect": "Allow", "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"], "Resource": "*",
            "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": [
                f"arn:aws:logs:eu-west-1:123456789012:log-group:{g}" for g in groups]}}}
    return json.dumps({"Version": "2012-10-17", "Statement": [admin, *([logs] if groups else [])]})


@pytest.mark.parametrize("policy,group,ok", [
    (_logs_key("/app/personal"), "/app/personal", True),
    (_logs_key("/app/personal"), "/app/other", False),  # the key admits another group only
    (_logs_key(), "/app/personal", False),  # no statement for CloudWatch Logs at all
])
def test_log_group_key_must_admit_cloudwatch_logs_for_that_group(build, policy, group, ok):
    def program():
        provider = pulumi.ResourceOptions(provider=aws.Provider("home", region="eu-west-1"))
        key = aws.kms.Key("k", policy=policy, opts=provider)
        aws.cloudwatch.LogGroup("g", name=group, retention_in_days=7, kms_key_id=key.arn, opts=provider)

    if ok:
        build(program)
        return
    with pytest.raises(PlanRejectedError) as info:
        build(program)
    assert "aws:cloudwatch/logGroup:LogGroup::g: kmsKeyId: the key's policy does not let " \
           f"logs.eu-west-1.amazonaws.com use it for arn:aws:logs:eu-west-1:123456789012:log-group:{group}" in str(info.value)
