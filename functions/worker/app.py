"""SQS worker: Powertools BatchProcessor with partial batch responses and idempotency.

Each record is validated and its effect applied at most once per event id (idempotency.py);
only the records that failed are reported in `batchItemFailures`, so SQS retries just those
and, after the queue's maxReceiveCount, moves them to the DLQ. A poison record never blocks
the rest of its batch.

A record whose event is being processed by another invocation right now (a duplicate
delivered concurrently, or the claim of a crashed invocation that has not lapsed yet) is
returned to the queue with a visibility timeout that outlasts that claim: returned at once,
it would be received again within milliseconds and exhaust maxReceiveCount while the other
copy is still running, sending a good event to the DLQ.

Environment: IDEMPOTENCY_TABLE (required), IDEMPOTENCY_TTL_SECONDS, IDEMPOTENCY_LOCK_SECONDS
(the invocation deadline when no Lambda context is given), RETRY_DELAY_SECONDS (optional:
visibility timeout of other failed records; unset keeps the queue's).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from botocore.exceptions import BotoCoreError, ClientError

from .events import BaseEvent, InvalidEventError, LatencyProbe, SubscriberCreated, parse_event
from .idempotency import DEFAULT_TTL_SECONDS, Deadline, EventIdempotency

logger = Logger(service="worker")
# False: a batch of only poison records is answered with all their ids instead of an
# exception; SQS treats both the same, and the response says exactly which ones failed.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
MAX_VISIBILITY_SECONDS = 12 * 3600  # SQS's limit for ChangeMessageVisibility

_idempotency: EventIdempotency | None = None
_configured = False
_sqs: Any = None
_queue_urls: dict[str, str] = {}


def idempotency() -> EventIdempotency:
    """One idempotency layer (and boto3 client) per container, created on first use.

    Rebuilt if IDEMPOTENCY_TABLE changes (tests and local runs switch tables in one process),
    unless one was given explicitly with `configure`.
    """
    global _idempotency
    if _configured and _idempotency is not None:
        return _idempotency
    table = os.environ.get("IDEMPOTENCY_TABLE")
    if not table:
        raise RuntimeError("IDEMPOTENCY_TABLE is not set")
    if _idempotency is None or _idempotency.table != table:
        ttl = int(os.environ.get("IDEMPOTENCY_TTL_SECONDS", DEFAULT_TTL_SECONDS))
        _idempotency = EventIdempotency(table, ttl_seconds=ttl)
    return _idempotency


def configure(layer: EventIdempotency | None, sqs: Any = None) -> None:
    """Use another idempotency layer and SQS client (a local moto server); None: from the environment again."""
    global _idempotency, _configured, _sqs
    _idempotency, _configured, _sqs = layer, layer is not None, sqs
    _queue_urls.clear()


def sqs_client() -> Any:
    global _sqs
    if _sqs is None:
        _sqs = boto3.client("sqs")
    return _sqs


def lock_seconds() -> int:
    return int(os.environ.get("IDEMPOTENCY_LOCK_SECONDS", 60))


def welcome(event: SubscriberCreated) -> dict[str, Any]:
    subscriber = event.subscriber
    if subscriber is None:
        return {"welcomed": None}
    logger.info("welcoming subscriber", extra={"event_id": event.id, "email_domain": subscriber.email.split("@")[-1]})
    # The item keeps no address: the table needs proof of the effect, not the personal data.
    return {"welcomed": True, "emailDomain": subscriber.email.split("@")[-1]}


def probe(event: LatencyProbe) -> dict[str, Any]:
    return {"probe": True}


def ocr_completed(event: Any) -> dict[str, Any]:
    """Nothing to do yet but acknowledge (and so keep it out of the DLQ); the status is in the job."""
    job = event.job or {}
    logger.info("ocr job finished", extra={"event_id": event.id, "status": job.get("status")})
    return {"ocrStatus": job.get("status")}


# The business effect per event type; each runs at most once per event id.
EFFECTS: dict[str, Callable[[Any], dict[str, Any] | None]] = {
    "subscriber.created": welcome,
    "latency.probe": probe,
    "ocr.completed": ocr_completed,
}


def apply(event: BaseEvent) -> bool:
    """Apply one validated event; False if it had already been applied (duplicate delivery)."""
    ran = idempotency().run_once(event, lambda e: EFFECTS[e.type](e))
    logger.info("processed" if ran else "duplicate, skipped", extra={"event_id": event.id, "type": event.type})
    return ran


def _queue_url(arn: str) -> str:
    if arn not in _queue_urls:
        _, _, _, _, account, name = arn.split(":", 5)
        _queue_urls[arn] = sqs_client().get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    return _queue_urls[arn]


def return_later(record: SQSRecord, seconds: int) -> None:
    """Make `record` visible again in `seconds` (best effort: if this fails, the queue's own
    visibility timeout applies, and the record is reported as failed either way)."""
    seconds = min(max(0, seconds), MAX_VISIBILITY_SECONDS)
    try:
        sqs_client().change_message_visibility(
            QueueUrl=_queue_url(record.event_source_arn), ReceiptHandle=record.receipt_handle, VisibilityTimeout=seconds
        )
    except (ClientError, BotoCoreError, ValueError) as exc:
        logger.warning("could not change the record's visibility", extra={"message_id": record.message_id, "error": str(exc)})


def _retry_later(record: SQSRecord) -> None:
    if (delay := os.environ.get("RETRY_DELAY_SECONDS")) is not None:
        return_later(record, int(delay))


def record_handler(record: SQSRecord) -> bool:
    try:
        event = parse_event(record.body)  # InvalidEventError -> this record fails, the others go on
    except InvalidEventError:
        _retry_later(record)
        raise
    try:
        return apply(event)
    except IdempotencyAlreadyInProgressError:
        wait = idempotency().seconds_until_claim_lapses(event, fallback=lock_seconds()) + 1
        logger.info("in progress elsewhere, returned later", extra={"event_id": event.id, "seconds": wait})
        return_later(record, wait)
        raise
    except Exception:
        _retry_later(record)
        raise


def lambda_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    # Not @inject_lambda_context: it needs a real context, and local callers (the WorkerLoop,
    # tests) may pass None; then the invocation's deadline is IDEMPOTENCY_LOCK_SECONDS from now.
    context = context if context is not None else Deadline(lock_seconds())
    logger.append_keys(request_id=getattr(context, "aws_request_id", None))
    try:
        idempotency().start_invocation(context)
    except RuntimeError as exc:  # misconfigured: every record fails (and stays queued), nothing is lost
        logger.error("worker misconfigured", extra={"error": str(exc)})
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
