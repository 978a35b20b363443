"""Subscribers in DynamoDB and their `subscriber.created` events on SNS.

Clients are created once per container (lazily, so importing this module needs no AWS
configuration) and reused across invocations.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

EVENT_TYPE = "subscriber.created"


@cache
def _dynamodb():
    return boto3.client("dynamodb")


@cache
def _sns():
    return boto3.client("sns")


def reset_clients() -> None:
    """Forget the cached clients (tests switch between moto sessions)."""
    _dynamodb.cache_clear()
    _sns.cache_clear()


def _table() -> str:
    return os.environ["TABLE_NAME"]


def _item(raw: dict[str, Any]) -> dict[str, str]:
    return {"email": raw["email"]["S"], "name": raw["name"]["S"], "createdAt": raw["createdAt"]["S"]}


def get(email: str) -> dict[str, str] | None:
    found = _dynamodb().get_item(TableName=_table(), Key={"email": {"S": email}}, ConsistentRead=True)
    return _item(found["Item"]) if "Item" in found else None


def create(name: str, email: str) -> tuple[dict[str, str], bool]:
    """Store a subscriber unless the e-mail exists: (item, created). Idempotent by e-mail."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    item = {"email": email, "name": name, "createdAt": now}
    try:
        _dynamodb().put_item(
            TableName=_table(),
            Item={k: {"S": v} for k, v in item.items()},
            ConditionExpression="attribute_not_exists(email)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        existing = get(email)
        if existing is None:  # deleted between the two calls: report what was asked for
            return item, False
        return existing, False
    topic = os.environ.get("EVENTS_TOPIC_ARN")
    if topic:
        try:
            publish_created(topic, item)
        except Exception:
            # Without the event, the caller's retry would only hit the idempotent path and
            # the event would be lost: undo the write so a retry creates and publishes again.
            _dynamodb().delete_item(
                TableName=_table(),
                Key={"email": {"S": email}},
                ConditionExpression="createdAt = :t",
                ExpressionAttributeValues={":t": {"S": now}},
            )
            raise
    return item, True


def created_event(item: dict[str, str]) -> dict[str, Any]:
    return {"type": EVENT_TYPE, "id": str(uuid.uuid4()), "occurredAt": item["createdAt"], "subscriber": item}


def publish_created(topic_arn: str, item: dict[str, str]) -> dict[str, Any]:
    event = created_event(item)
    _sns().publish(
        TopicArn=topic_arn,
        Message=json.dumps(event),
        MessageAttributes={"type": {"DataType": "String", "StringValue": EVENT_TYPE}},
    )
    return event
