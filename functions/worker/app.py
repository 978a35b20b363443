"""SQS worker: Powertools BatchProcessor with partial batch responses.

Each record is validated and applied once (see store.py); only the records that failed are
reported in `batchItemFailures`, so SQS retries just those and, after the queue's
maxReceiveCount, moves them to the DLQ. A poison record never blocks the rest of its batch.

Environment: IDEMPOTENCY_TABLE (required), IDEMPOTENCY_TTL_SECONDS, IDEMPOTENCY_LOCK_SECONDS.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from .events import BaseEvent, LatencyProbe, SubscriberCreated, parse_event
from .store import IdempotencyStore

logger = Logger(service="worker")
# False: a batch of only poison records is answered with all their ids instead of an
# exception; SQS treats both the same, and the response says exactly which ones failed.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

_store: IdempotencyStore | None = None
_configured = False


def store() -> IdempotencyStore:
    """One store (and boto3 client) per container, created on first use.

    Rebuilt if IDEMPOTENCY_TABLE changes (tests and local runs switch tables in one process),
    unless a store was given explicitly with `configure`.
    """
    global _store
    table = os.environ.get("IDEMPOTENCY_TABLE")
    if _configured and _store is not None:
        return _store
    if not table:
        raise RuntimeError("IDEMPOTENCY_TABLE is not set")
    if _store is None or _store.table != table:
        _store = IdempotencyStore(
            boto3.client("dynamodb"),
            table,
            ttl_seconds=int(os.environ.get("IDEMPOTENCY_TTL_SECONDS", 14 * 24 * 3600)),
            lock_seconds=int(os.environ.get("IDEMPOTENCY_LOCK_SECONDS", 60)),
        )
    return _store


def configure(new_store: IdempotencyStore | None) -> None:
    """Use another store (the local sandbox's moto server); None: build from the environment again."""
    global _store, _configured
    _store, _configured = new_store, new_store is not None


def welcome(event: SubscriberCreated) -> dict[str, Any]:
    subscriber = event.subscriber
    if subscriber is None:
        return {"welcomed": None}
    logger.info("welcoming subscriber", extra={"event_id": event.id, "email_domain": subscriber.email.split("@")[-1]})
    # The item keeps no address: the table needs proof of the effect, not the personal data.
    return {"welcomed": True, "emailDomain": subscriber.email.split("@")[-1]}


def probe(event: LatencyProbe) -> dict[str, Any]:
    return {"probe": True}


# The business effect per event type; each runs at most once per event id.
EFFECTS: dict[str, Callable[[Any], dict[str, Any] | None]] = {
    "subscriber.created": welcome,
    "latency.probe": probe,
}


def apply(event: BaseEvent) -> bool:
    """Apply one validated event; False if it had already been applied (duplicate delivery)."""
    ran = store().run_once(event.id, event.type, lambda: EFFECTS[event.type](event))
    logger.info("processed" if ran else "duplicate, skipped", extra={"event_id": event.id, "type": event.type})
    return ran


def record_handler(record: SQSRecord) -> bool:
    event = parse_event(record.body)  # InvalidEventError -> this record fails, the others go on
    return apply(event)


def lambda_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    # Not @inject_lambda_context: it needs a real context, and local callers (the sandbox's
    # WorkerLoop, tests) pass None.
    logger.append_keys(request_id=getattr(context, "aws_request_id", None))
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
