"""Event and SQS-record builders shared by the messaging function tests."""

from __future__ import annotations

import json
import uuid


def subscriber_created(event_id: str | None = None, email: str = "ada@example.com") -> dict:
    return {
        "type": "subscriber.created",
        "id": event_id or str(uuid.uuid4()),
        "occurredAt": "2026-11-26T12:00:00Z",
        "subscriber": {"name": "Ada", "email": email, "createdAt": "2026-11-26T12:00:00Z"},
    }


def sqs_record(body: str | dict, message_id: str | None = None) -> dict:
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "rh-" + str(uuid.uuid4()),
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:q",
        "awsRegion": "eu-west-1",
    }


def batch(*records: dict) -> dict:
    return {"Records": list(records)}


def sns_event(*messages: str) -> dict:
    return {"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:eu-west-1:123456789012:t:sub",
        "Sns": {"Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": "arn:aws:sns:eu-west-1:123456789012:t",
                "Subject": None, "Message": m, "Timestamp": "2026-11-26T12:00:00.000Z", "SignatureVersion": "1",
                "Signature": "x", "SigningCertUrl": "x", "UnsubscribeUrl": "x", "MessageAttributes": {}},
    } for m in messages]}
