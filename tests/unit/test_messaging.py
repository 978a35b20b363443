"""Messaging under the recording mock: wiring, destinations, least privilege."""

from __future__ import annotations

import inspect
import json

import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
FUNCTION = "aws:lambda/function:Function"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def plans(stack, dev_plan, prod_plan):
    return {"dev": dev_plan, "prod": prod_plan}[stack]


def one(plan, suffix):
    """The messaging child whose logical name ends with `-messaging-<suffix>`."""
    (found,) = [r for r in plan.resources if r.custom and r.name.endswith(f"-messaging-{suffix}")]
    return found


def key_arns(plan):
    """The messaging customer key's ARN, as a set: empty where the stack uses AWS-managed encryption (dev)."""
    return {k.outputs["arn"] for k in plan.mocks.of_type("aws:kms/key:Key") if k.name.endswith("-messaging-key")}


def policy_of(resource, key="policy"):
    return json.loads(resource.inputs[key])


def as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_everything_is_inside_the_component(stack, dev_plan, prod_plan):
    plan = plans(stack, dev_plan, prod_plan)
    (component,) = plan.mocks.of_type("cloud-platform:messaging:Messaging")
    types = (QUEUE, TOPIC, FUNCTION, "aws:dynamodb/table:Table") + (("aws:kms/key:Key",) if stack == "prod" else ())
    for type_ in types:
        assert all(plan.mocks.component_of(r) == component for r in plan.mocks.of_type(type_) if r.name.startswith(component.name))
        assert any(r.name.startswith(component.name) for r in plan.mocks.of_type(type_))
    assert all(r.provider is not None and r.region == "eu-west-1" for r in plan.mocks.descendants(component) if r.custom)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_queue_policies_let_only_our_topic_send(stack, dev_plan, prod_plan):
    plan = plans(stack, dev_plan, prod_plan)
    topic = one(plan, "events")
    for suffix in ("queue", "dlq"):
        queue = one(plan, suffix)
        policy = policy_of(one(plan, f"{suffix}-policy"))
        assert one(plan, f"{suffix}-policy").inputs["queueUrl"] == queue.outputs["url"]
        allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
        assert allows == [{
            "Sid": "OnlyOurTopicSends", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": queue.outputs["arn"],
            "Condition": {"ArnEquals": {"aws:SourceArn": topic.outputs["arn"]}},
        }]
        (deny,) = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # Lambda sends the notifier's failure records with the notifier's role: no grant, TLS only.
    failures = policy_of(one(plan, "notifier-failures-policy"))
    assert one(plan, "notifier-failures-policy").inputs["queueUrl"] == one(plan, "notifier-failures").outputs["url"]
    assert [(s["Sid"], s["Effect"], s["Resource"]) for s in failures["Statement"]] == \
        [("DenyInsecureTransport", "Deny", one(plan, "notifier-failures").outputs["arn"])]


@pytest.mark.parametrize(("stack", "receives", "retention", "visibility"), [
    ("dev", 3, 86400, 6 * 30), ("prod", 5, 1209600, 6 * 60 + 5)])
def test_redrive_retention_and_visibility(stack, receives, retention, visibility, dev_plan, prod_plan):
    plan = plans(stack, dev_plan, prod_plan)
    queue, dlq = one(plan, "queue"), one(plan, "dlq")
    assert json.loads(queue.inputs["redrivePolicy"]) == {"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": receives}
    assert queue.inputs["messageRetentionSeconds"] == retention
    assert dlq.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    assert queue.inputs["visibilityTimeoutSeconds"] == visibility
    worker = one(plan, "worker")
    assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * worker.inputs["timeout"]
    allow = json.loads(one(plan, "dlq-redrive-allow").inputs["redriveAllowPolicy"])
    assert allow == {"redrivePermission": "byQueue", "sourceQueueArns": [queue.outputs["arn"]]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_prod_encrypts_with_its_customer_key_dev_with_aws_managed_keys(stack, dev_plan, prod_plan):
    plan = plans(stack, dev_plan, prod_plan)
    queues = [one(plan, "queue"), one(plan, "dlq"), one(plan, "notifier-failures")]
    topics, table = [one(plan, "events"), one(plan, "outcomes")], one(plan, "idempotency")
    if stack == "prod":
        key = one(plan, "key").outputs["arn"]
        assert all(q.inputs["kmsMasterKeyId"] == key and q.inputs["kmsDataKeyReusePeriodSeconds"] == 300 for q in queues)
        assert all(t.inputs["kmsMasterKeyId"] == key for t in topics)
        assert table.inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key}
    else:
        # No customer key ($1/month): SSE-SQS (SNS cannot deliver to queues under alias/aws/sqs),
        # SNS's AWS managed key, the table's AWS managed key (still KMS, as the policy pack asks).
        assert key_arns(plan) == set()
        assert all(q.inputs["sqsManagedSseEnabled"] is True and "kmsMasterKeyId" not in q.inputs for q in queues)
        assert all(t.inputs["kmsMasterKeyId"] == "alias/aws/sns" for t in topics)
        assert table.inputs["serverSideEncryption"] == {"enabled": True}
    kms_actions = [s for kind in ("worker", "notifier") for s in policy_of(one(plan, f"{kind}-policy"))["Statement"]
                   if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert {r for s in kms_actions for r in s["Resource"]} == key_arns(plan)
    assert len(kms_actions) == (2 if stack == "prod" else 0)


def test_key_rotates_and_sns_may_use_it_only_for_our_topics(prod_plan):
    plan = prod_plan
    key = one(plan, "key")
    assert key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in policy_of(key)["Statement"]}
    sns = statements["SnsDeliversFromOurTopics"]
    assert sns["Principal"] == {"Service": "sns.amazonaws.com"}
    assert sns["Condition"]["ArnEquals"]["aws:SourceArn"] == [one(plan, "events").outputs["arn"], one(plan, "outcomes").outputs["arn"]]
    assert key.protect is True


@pytest.mark.parametrize(("stack", "batch", "window"), [("dev", 10, 0), ("prod", 50, 5)])
def test_event_source_mapping_reports_batch_item_failures(stack, batch, window, dev_plan, prod_plan):
    plan = plans(stack, dev_plan, prod_plan)
    esm = one(plan, "worker-esm")
    assert esm.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert esm.inputs["eventSourceArn"] == one(plan, "queue").outputs["arn"]
    assert esm.inputs["functionName"] == one(plan, "worker").outputs["arn"]
    assert (esm.inputs["batchSize"], esm.inputs["maximumBatchingWindowInSeconds"]) == (batch, window)
    assert esm.inputs.get("scalingConfig", {}).get("maximumConcurrency") == (20 if stack == "prod" else None)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_notifier_destinations_point_at_outcomes_and_its_failure_queue_without_loop(stack, dev_plan, prod_plan):
    plan = plans(stack, dev_plan, prod_plan)
    config = one(plan, "notifier-async")
    notifier = one(plan, "notifier")
    assert config.inputs["functionName"] == notifier.outputs["name"]
    destinations = config.inputs["destinationConfig"]
    assert destinations["onSuccess"]["destination"] == one(plan, "outcomes").outputs["arn"]
    # Not the DLQ: its readers (gameday, delivery_check, redrive) parse the worker's events.
    failures = one(plan, "notifier-failures")
    assert destinations["onFailure"]["destination"] == failures.outputs["arn"] != one(plan, "dlq").outputs["arn"]
    assert failures.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    assert failures.protect is (stack == "prod")
    # No source queue may make it its dead-letter queue.
    assert json.loads(one(plan, "notifier-failures-redrive-allow").inputs["redriveAllowPolicy"]) == {"redrivePermission": "denyAll"}
    assert plan.outputs["notifierFailuresUrl"] == failures.outputs["url"]
    assert config.inputs["maximumRetryAttempts"] == 2
    assert config.inputs["maximumEventAgeInSeconds"] == {"dev": 3600, "prod": 21600}[stack]
    # No loop: nothing subscribes the notifier to the topic its successes go to.
    subs = plan.mocks.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert [s.inputs["topic"] for s in subs if s.inputs["endpoint"] == notifier.outputs["arn"]] == [one(plan, "events").outputs["arn"]]
    assert not [s for s in subs if s.inputs["topic"] == one(plan, "outcomes").outputs["arn"]]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_subscriptions_raw_delivery_permission_and_sns_redrive(stack, dev_plan, prod_plan):
    plan = plans(stack, dev_plan, prod_plan)
    topic, dlq = one(plan, "events"), one(plan, "dlq")
    to_queue, to_notifier = one(plan, "to-queue"), one(plan, "to-notifier")
    assert (to_queue.inputs["protocol"], to_queue.inputs["endpoint"]) == ("sqs", one(plan, "queue").outputs["arn"])
    assert to_queue.inputs["rawMessageDelivery"] is True
    assert (to_notifier.inputs["protocol"], to_notifier.inputs["endpoint"]) == ("lambda", one(plan, "notifier").outputs["arn"])
    for sub in (to_queue, to_notifier):
        assert sub.inputs["topic"] == topic.outputs["arn"]
        assert json.loads(sub.inputs["redrivePolicy"]) == {"deadLetterTargetArn": dlq.outputs["arn"]}
    permission = one(plan, "notifier-from-topic")
    assert permission.inputs == {
        "action": "lambda:InvokeFunction", "function": one(plan, "notifier").outputs["name"],
        "principal": "sns.amazonaws.com", "sourceArn": topic.outputs["arn"]}


def test_email_and_sms_subscriptions_from_config(plan_with):
    plan = plan_with("dev", {"cloud-platform:messaging": {"subscriptions": {"emails": ["ops@example.com"], "sms": ["+4915112345678"]}}})
    email, sms = one(plan, "email-0"), one(plan, "sms-0")
    assert (email.inputs["protocol"], email.inputs["endpoint"]) == ("email", "ops@example.com")
    assert (sms.inputs["protocol"], sms.inputs["endpoint"]) == ("sms", "+4915112345678")
    assert email.inputs["topic"] == sms.inputs["topic"] == one(plan, "events").outputs["arn"]


def expected_resources(plan, role_kind):
    arn = lambda suffix: one(plan, suffix).outputs["arn"]  # noqa: E731
    logs = lambda kind: arn(f"{kind}-logs") + ":*"  # noqa: E731
    worker = arn("worker")
    return {
        "worker": {logs("worker"), arn("queue"), arn("idempotency"), *key_arns(plan)},
        "notifier": {logs("notifier"), arn("notifier-failures"), arn("outcomes"), *key_arns(plan)},
        "latency": {worker, f"{worker}:*"},
    }[role_kind]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_role_names_only_its_own_resources(stack, dev_plan, prod_plan):
    plan = plans(stack, dev_plan, prod_plan)
    (component,) = plan.mocks.of_type("cloud-platform:messaging:Messaging")
    policies = [p for p in plan.mocks.descendants(component) if p.type == ROLE_POLICY]
    kinds = sorted(p.name.removeprefix(component.name + "-").removesuffix("-policy") for p in policies)
    assert kinds == (["latency", "notifier", "worker"] if stack == "dev" else ["notifier", "worker"])
    for policy in policies:
        kind = policy.name.removeprefix(component.name + "-").removesuffix("-policy")
        role = plan.mocks.by_id(policy.inputs["role"])
        assert role.name == f"{component.name}-{kind}-role"
        statements = policy_of(policy)["Statement"]
        # X-Ray has no resource-level permissions: its one statement is checked on its own below.
        statements = [s for s in statements if s.get("Sid") != "Tracing"]
        actions = [a for s in statements for a in as_list(s["Action"])]
        resources = {r for s in statements for r in as_list(s["Resource"])}
        assert all(s["Effect"] == "Allow" for s in statements)
        assert not any("*" in a for a in actions), actions
        assert "*" not in resources
        assert resources == expected_resources(plan, kind), kind
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_functions_logs_and_role_wiring(stack, dev_plan, prod_plan):
    plan = plans(stack, dev_plan, prod_plan)
    for kind in ("worker", "notifier"):
        function, logs = one(plan, kind), one(plan, f"{kind}-logs")
        assert logs.inputs["name"] == f"/aws/lambda/{function.inputs['name']}"
        assert logs.inputs["retentionInDays"] == {"dev": 7, "prod": 365}[stack]
        assert function.inputs["loggingConfig"]["logGroup"] == logs.inputs["name"]
        assert function.inputs["role"] == one(plan, f"{kind}-role").outputs["arn"]
        assert function.inputs["handler"] == f"{kind}.app.lambda_handler"
        package = {name: asset.path for name, asset in function.inputs["code"].assets.items()}
        assert f"{kind}/app.py" in package and f"{kind}/__init__.py" in package
        assert all(name.startswith(f"{kind}/") and path.endswith(name) for name, path in package.items())
        # The layer matches the function's runtime and architecture, or the import fails at cold start.
        arch = function.inputs["architectures"][0]
        assert function.inputs["runtime"] == "python3.12" and arch == "x86_64"
        assert function.inputs["layers"] == [
            f"arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-{arch}:27"]
    env = one(plan, "worker").inputs["environment"]["variables"]
    assert env["IDEMPOTENCY_TABLE"] == one(plan, "idempotency").outputs["name"]
    assert "RETRY_DELAY_SECONDS" not in env  # unset: failed records keep the queue's visibility timeout


@pytest.mark.parametrize("stack,mode", [("dev", "PassThrough"), ("prod", "Active")])
def test_functions_trace_when_tracing_is_on(stack, mode, dev_plan, prod_plan):
    plan = plans(stack, dev_plan, prod_plan)
    for kind in ("worker", "notifier"):
        function = one(plan, kind)
        assert function.inputs["tracingConfig"] == {"mode": mode}
        assert function.inputs["environment"]["variables"]["POWERTOOLS_TRACE_DISABLED"] == str(mode != "Active").lower()
        tracing = [s for s in policy_of(one(plan, f"{kind}-policy"))["Statement"] if s.get("Sid") == "Tracing"]
        if mode == "Active":
            assert tracing == [{"Sid": "Tracing", "Effect": "Allow", "Resource": ["*"],
                                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]}]
        else:
            assert tracing == []


def test_worker_retry_delay_reaches_the_function(plan_with):
    plan = plan_with("dev", {"cloud-platform:messaging": {"worker": {"retryDelaySeconds": 7}}})
    assert one(plan, "worker").inputs["environment"]["variables"]["RETRY_DELAY_SECONDS"] == "7"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_idempotency_table(stack, dev_plan, prod_plan):
    plan = plans(stack, dev_plan, prod_plan)
    table = one(plan, "idempotency")
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    # The attributes the worker's Powertools DynamoDBPersistenceLayer uses (its defaults).
    layer = inspect.signature(DynamoDBPersistenceLayer).parameters
    assert table.inputs["hashKey"] == layer["key_attr"].default == "id"
    assert table.inputs["attributes"] == [{"name": "id", "type": "S"}]
    assert table.inputs["ttl"] == {"attributeName": layer["expiry_attr"].default, "enabled": True}
    assert table.inputs["tags"]["Backup"] == "true"
    prod = stack == "prod"
    assert (table.protect, table.retain_on_delete, one(plan, "dlq").protect) == (prod, prod, prod)
    assert table.inputs["pointInTimeRecovery"]["enabled"] is prod


def test_latency_lab_state_machine_invokes_the_worker(dev_plan, prod_plan):
    machine = one(dev_plan, "latency")
    assert machine.inputs["type"] == "EXPRESS"
    assert machine.inputs["roleArn"] == one(dev_plan, "latency-role").outputs["arn"]
    definition = json.loads(machine.inputs["definition"])
    task = definition["States"][definition["StartAt"]]
    assert task["Parameters"]["FunctionName"] == one(dev_plan, "worker").outputs["arn"]
    assert dev_plan.outputs["latencyStateMachineArn"] == machine.outputs["arn"]
    assert prod_plan.mocks.of_type("aws:sfn/stateMachine:StateMachine") == []
    assert "latencyStateMachineArn" not in prod_plan.outputs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_outputs(stack, dev_plan, prod_plan):
    plan = plans(stack, dev_plan, prod_plan)
    assert plan.outputs["topicArn"] == one(plan, "events").outputs["arn"]
    assert plan.outputs["queueUrl"] == one(plan, "queue").outputs["url"]
    assert plan.outputs["dlqUrl"] == one(plan, "dlq").outputs["url"]
    assert plan.outputs["workerFunctionName"] == one(plan, "worker").outputs["name"]
    assert plan.outputs["idempotencyTableName"] == one(plan, "idempotency").outputs["name"]


def test_disabled_builds_nothing(plan_with):
    plan = plan_with("dev", {"cloud-platform:messaging": {"enabled": False}})
    assert plan.mocks.of_type("cloud-platform:messaging:Messaging") == []
    assert "topicArn" not in plan.outputs
