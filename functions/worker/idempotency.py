"""Exactly-once effects on top of at-least-once delivery, with Powertools idempotency.

SQS and SNS deliver at least once, and one event can arrive under several SQS message ids
(an SNS retry is a new message), so the idempotency key is the event's own `id`, not the
messageId (`event_key_jmespath="id"` over the validated event).

Powertools keeps one item per key in DynamoDB (hash key `id` = `event#<md5 of the id>`,
TTL attribute `expiration`: components/messaging.py creates the table so):
  INPROGRESS  written with a conditional put before the effect runs, with
              `in_progress_expiration` = the invocation's deadline (from the Lambda context),
              so a crashed or timed-out invocation's claim lapses when that invocation must be over
  COMPLETED   the effect's result in `data`: a later copy is acknowledged without running it again
  (deleted)   when the effect raised, so the retry runs it again
A live INPROGRESS item held by another invocation raises IdempotencyAlreadyInProgressError;
the handler then returns the record with a visibility timeout that outlasts that claim
(app.py), instead of burning its receives while the other copy is still running.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyItemNotFoundError

from .events import BaseEvent

KEY_PREFIX = "event"
DEFAULT_TTL_SECONDS = 14 * 24 * 3600
Effect = Callable[[BaseEvent], dict[str, Any] | None]


def record_key(event_id: str) -> str:
    """The table's `id` for an event id, as Powertools derives it (prefix # md5 of the JSON value)."""
    return f"{KEY_PREFIX}#{hashlib.md5(json.dumps(event_id).encode()).hexdigest()}"  # noqa: S324 (a key, not security)


class Deadline:
    """A Lambda context for callers that have none (local loops, tests): the invocation must end
    within `seconds`, which is what the in-progress expiry of a claim is computed from."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self._clock, self._ends = clock, clock() + seconds
        self.aws_request_id = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._ends - self._clock()) * 1000))


def _effect_result(event: BaseEvent, effect: Effect) -> dict[str, Any]:
    # The stored result names the event (the key is a hash) and holds no personal data.
    return {"eventId": event.id, "type": event.type, "result": effect(event) or {}}


class EventIdempotency:
    """Run an event's effect at most once per event id, on `table` (one per worker container)."""

    def __init__(self, table: str, client: Any = None, ttl_seconds: int = DEFAULT_TTL_SECONDS):
        self.table = table
        self.persistence = DynamoDBPersistenceLayer(table_name=table, boto3_client=client)
        self.config = IdempotencyConfig(
            event_key_jmespath="id",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=ttl_seconds,
            response_hook=lambda response, record: {**(response or {}), "replayed": True},
        )
        self._apply = idempotent_function(
            _effect_result, data_keyword_argument="event", persistence_store=self.persistence,
            config=self.config, key_prefix=KEY_PREFIX,
        )
        self.persistence.configure(config=self.config, key_prefix=KEY_PREFIX)

    def start_invocation(self, context: Any) -> None:
        """The in-progress expiry of the claims made from now on is this invocation's deadline."""
        self.config.register_lambda_context(context)

    def run_once(self, event: BaseEvent, effect: Effect) -> bool:
        """Run `effect(event)` unless this event id completed before. True if it ran now, False
        for a duplicate; IdempotencyAlreadyInProgressError while another invocation holds it."""
        return not self._apply(event=event, effect=effect).get("replayed", False)

    def seconds_until_claim_lapses(self, event: BaseEvent, fallback: int) -> int:
        """How long another invocation's claim on `event` can still be held (0 if it is gone)."""
        try:
            record = self.persistence.get_record(data=event.model_dump(mode="json"))
        except IdempotencyItemNotFoundError:
            return 0
        if record is None or record.in_progress_expiry_timestamp is None:
            return fallback
        return max(0, math.ceil(float(record.in_progress_expiry_timestamp) / 1000 - time.time()))
