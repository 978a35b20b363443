"""Notifier: the topic's Lambda subscriber (course: "Notification", "Asynchronous calls").

SNS invokes it asynchronously, so Lambda's async invoke config applies: an invalid event
raises, Lambda retries (maximum retry attempts), and the failed invocation record goes to
the on-failure destination (the DLQ) instead of being dropped. A successful invocation's
return value goes to the on-success destination (the outcomes topic).

It validates with its own small model on purpose: the Lambda package holds only this
folder, and the notifier needs no more than the envelope.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from pydantic import BaseModel, ConfigDict, Field, ValidationError

logger = Logger(service="notifier")

KNOWN_TYPES = frozenset({"subscriber.created", "latency.probe"})


class InvalidNotificationError(ValueError):
    """The SNS message is not an event we know; raising makes Lambda retry, then the DLQ."""


class Notification(BaseModel):
    # Validator built on the first message, not at import: a cold start that parses nothing
    # (or fails before) does not pay for it.
    model_config = ConfigDict(extra="allow", defer_build=True)

    type: str
    id: str = Field(min_length=1, max_length=128)


def parse(message: str) -> Notification:
    try:
        notification = Notification.model_validate(json.loads(message))
    except (json.JSONDecodeError, TypeError) as exc:
        raise InvalidNotificationError(f"message is not JSON: {exc}") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise InvalidNotificationError(f"{'.'.join(map(str, first['loc'])) or 'message'}: {first['msg']}") from None
    if notification.type not in KNOWN_TYPES:
        raise InvalidNotificationError(f"unknown event type {notification.type!r} (known: {', '.join(sorted(KNOWN_TYPES))})")
    return notification


@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: Any = None) -> dict[str, Any]:
    notified = []
    for record in event.records:
        notification = parse(record.sns.message)
        logger.info(
            "notification",
            extra={"event_id": notification.id, "type": notification.type, "topic": record.sns.topic_arn,
                   "sns_message_id": record.sns.message_id},
        )
        notified.append({"id": notification.id, "type": notification.type})
    # The on-success destination receives this as `responsePayload`.
    return {"notified": notified}
