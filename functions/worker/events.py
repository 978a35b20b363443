"""The events that travel over the messaging topic, validated with pydantic.

The envelope (`type`, `id`) is strict: an event without a known type or an id cannot be
processed idempotently, so it is a poison message and ends in the DLQ. Bodies delivered
without raw delivery (the SNS JSON envelope) are unwrapped, so a subscription that lost its
RawMessageDelivery attribute degrades gracefully instead of failing every message.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

EventId = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]


class InvalidEventError(ValueError):
    """The record can never be processed (bad JSON, unknown type, missing id)."""


class Subscriber(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    createdAt: str | None = None  # noqa: N815 (wire format)


class BaseEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    id: EventId
    occurredAt: datetime | None = None  # noqa: N815 (wire format)


class SubscriberCreated(BaseEvent):
    """Published by the API on POST /subscribers."""

    type: Literal["subscriber.created"]
    subscriber: Subscriber | None = None


class LatencyProbe(BaseEvent):
    """Sent by `platformctl latency`: processed like any event, with no business effect."""

    type: Literal["latency.probe"]
    sentAt: float | None = None  # noqa: N815 (wire format)


class OcrCompleted(BaseEvent):
    """Published by the `ocr` worker (functions/ocr/worker.py) when a screenshot job ends."""

    type: Literal["ocr.completed"]
    job: dict[str, Any] | None = None


EVENT_TYPES: dict[str, type[BaseEvent]] = {
    "subscriber.created": SubscriberCreated,
    "latency.probe": LatencyProbe,
    "ocr.completed": OcrCompleted,
}


def _unwrap(document: Any) -> Any:
    if isinstance(document, dict) and document.get("Type") == "Notification" and "Message" in document:
        return json.loads(document["Message"])
    return document


def parse_event(body: str) -> BaseEvent:
    """The typed event in an SQS body or SNS message; InvalidEventError (one line) when it is not one."""
    try:
        document = _unwrap(json.loads(body))
    except (TypeError, json.JSONDecodeError) as exc:
        raise InvalidEventError(f"body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidEventError(f"event must be a JSON object, got {type(document).__name__}")
    kind = document.get("type")
    model = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise InvalidEventError(f"unknown event type {kind!r} (known: {', '.join(sorted(EVENT_TYPES))})")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "event"
        raise InvalidEventError(f"{kind} event: {where}: {first['msg']}") from None
