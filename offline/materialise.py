"""Plan -> moto: create a stack's data-plane resources in moto from the inputs the real program recorded.

The sandbox and the messaging tests build their tables, topics, queues and subscriptions
from the offline plan of the `local` stack, not from a second description: a changed key
schema, queue setting or subscription in a component changes them too.

    plan = run_offline("local")
    local = materialise(plan, clients)       # clients: boto3 clients per service, pointed at moto
    local.created                            # {"aws:sqs/queue:Queue": [names...], ...}
    local.skipped                            # types moto has no part in locally, with a count

The recording mock gives resources the ARNs, URLs and names AWS would (account
123456789012, the stack's region), which are the ones moto gives them too, so references
between resources (a redrive policy's DLQ ARN, a subscription's topic and endpoint) carry
over unchanged. Created: DynamoDB tables (keys, indexes, TTL), SQS queues (attributes,
redrive, policies), SNS topics (policies) and their SQS subscriptions, S3 buckets with their
configuration resources (versioning, encryption, public access block, ownership, lifecycle,
CORS, website, queue/topic event notifications: offline/materialise_s3.py). Left out, and
listed in `skipped`: what runs code (functions, event source mappings: the local loops stand
in for them), Lambda/e-mail/SMS subscriptions, bucket objects and policies (see
materialise_s3.py), KMS (moto would accept the keys, but nothing locally is encrypted at
rest), networking, IAM, logs, alarms, API Gateway.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from . import materialise_s3

TABLE = "aws:dynamodb/table:Table"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
REDRIVE_ALLOW = "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"

# Queue inputs (pulumi-aws) -> SQS attribute names.
QUEUE_ATTRIBUTES = {
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
    "redrivePolicy": "RedrivePolicy",
    "fifoQueue": "FifoQueue",
    "contentBasedDeduplication": "ContentBasedDeduplication",
}
SUBSCRIPTION_ATTRIBUTES = {"rawMessageDelivery": "RawMessageDelivery", "redrivePolicy": "RedrivePolicy",
                           "filterPolicy": "FilterPolicy"}


class MaterialiseError(Exception):
    """A planned resource moto refused: one line naming it."""


@dataclass
class Materialised:
    """What was created, by type (physical names), and what was left out, by type (counts)."""

    created: dict[str, list[str]] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    queue_urls: dict[str, str] = field(default_factory=dict)
    """Planned queue URL -> the URL moto answers on."""

    def add(self, kind: str, name: str) -> None:
        self.created.setdefault(kind, []).append(name)


def _text(value: Any) -> str:
    """An SQS/SNS attribute value: numbers without '.0', booleans lower-case, JSON as given."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value)


def _last(arn_or_url: str) -> str:
    return arn_or_url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _table(dynamodb: Any, r: Any) -> str:
    i = r.inputs
    name = r.outputs.get("name") or r.id
    keys = [{"AttributeName": i["hashKey"], "KeyType": "HASH"}]
    if i.get("rangeKey"):
        keys.append({"AttributeName": i["rangeKey"], "KeyType": "RANGE"})
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": a["name"], "AttributeType": a["type"]} for a in i["attributes"]],
        "KeySchema": keys,
        "BillingMode": i.get("billingMode", "PROVISIONED"),
    }
    if request["BillingMode"] == "PROVISIONED":
        request["ProvisionedThroughput"] = {"ReadCapacityUnits": int(i.get("readCapacity", 1)),
                                            "WriteCapacityUnits": int(i.get("writeCapacity", 1))}
    indexes = [{
        "IndexName": g["name"],
        "KeySchema": [{"AttributeName": g["hashKey"], "KeyType": "HASH"}]
                     + ([{"AttributeName": g["rangeKey"], "KeyType": "RANGE"}] if g.get("rangeKey") else []),
        "Projection": {"ProjectionType": g.get("projectionType", "ALL"),
                       **({"NonKeyAttributes": g["nonKeyAttributes"]} if g.get("nonKeyAttributes") else {})},
    } for g in i.get("globalSecondaryIndexes") or []]
    if indexes:
        request["GlobalSecondaryIndexes"] = indexes
    dynamodb.create_table(**request)
    ttl = i.get("ttl") or {}
    if ttl.get("enabled"):
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": ttl["attributeName"]})
    return name


def _queue(sqs: Any, r: Any, done: Materialised) -> str:
    name = r.outputs.get("name") or _last(r.id)
    attributes = {QUEUE_ATTRIBUTES[k]: _text(v) for k, v in r.inputs.items() if k in QUEUE_ATTRIBUTES and v is not None}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    done.queue_urls[r.outputs.get("url") or r.id] = url
    return name


def materialise(plan: Any, clients: dict[str, Any]) -> Materialised:
    """Create the plan's tables, queues, topics and SQS subscriptions with `clients`
    ({"dynamodb": ..., "sqs": ..., "sns": ..., "s3": ...}), in the plan's order (dependencies first)."""
    done = Materialised()
    sqs, sns = clients["sqs"], clients["sns"]
    for r in (r for r in plan.resources if r.custom):
        try:
            if r.type == TABLE:
                done.add(r.type, _table(clients["dynamodb"], r))
            elif r.type == QUEUE:
                done.add(r.type, _queue(sqs, r, done))
            elif r.type in (QUEUE_POLICY, REDRIVE_ALLOW):
                key, attribute = ("policy", "Policy") if r.type == QUEUE_POLICY else ("redriveAllowPolicy", "RedriveAllowPolicy")
                url = done.queue_urls[r.inputs["queueUrl"]]
                sqs.set_queue_attributes(QueueUrl=url, Attributes={attribute: _text(r.inputs[key])})
                done.add(r.type, _last(url))
            elif r.type == TOPIC:
                name = r.inputs.get("name") or _last(r.id)
                sns.create_topic(Name=name)
                done.add(r.type, name)
            elif r.type == TOPIC_POLICY:
                sns.set_topic_attributes(TopicArn=r.inputs["arn"], AttributeName="Policy", AttributeValue=r.inputs["policy"])
                done.add(r.type, _last(r.inputs["arn"]))
            elif r.type in materialise_s3.TYPES:
                done.add(r.type, materialise_s3.create(clients["s3"], r))
            elif r.type == SUBSCRIPTION and r.inputs.get("protocol") == "sqs":
                attributes = {SUBSCRIPTION_ATTRIBUTES[k]: _text(v) for k, v in r.inputs.items()
                              if k in SUBSCRIPTION_ATTRIBUTES and v is not None}
                sns.subscribe(TopicArn=r.inputs["topic"], Protocol="sqs", Endpoint=r.inputs["endpoint"],
                              Attributes=attributes, ReturnSubscriptionArn=True)
                done.add(r.type, f"{_last(r.inputs['topic'])} -> {_last(r.inputs['endpoint'])}")
            else:
                done.skipped[r.type if r.type != SUBSCRIPTION else f"{r.type} ({r.inputs.get('protocol')})"] += 1
        except KeyError as exc:
            raise MaterialiseError(f"{r.type} {r.name}: the plan lacks {exc} needed to create it locally") from None
        except Exception as exc:
            from botocore.exceptions import ClientError, ParamValidationError  # the plan itself needs no botocore

            # isinstance: a refusal arrives as the operation's own subclass (InvalidRequest, ...).
            if isinstance(exc, ClientError | ParamValidationError):
                raise MaterialiseError(f"{r.type} {r.name}: moto refused it: {exc}") from None
            raise
    return done
