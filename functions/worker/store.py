"""Exactly-once effects on top of at-least-once delivery: a claim per event id in DynamoDB.

SQS and SNS deliver at least once, and one event can arrive under several SQS message ids
(an SNS retry is a new message), so the key is the event's own `id`, not the messageId.

Protocol per event id (all conditional writes, so concurrent workers cannot both win):
  claim    put {status: IN_PROGRESS, lockedUntil}  if absent, or if a previous claim's lock expired
  effect   run the business effect
  complete update status -> COMPLETED             if still IN_PROGRESS
  release  on an effect error, delete the claim   so the retry can run the effect again
A COMPLETED id is a duplicate: acknowledged without running the effect again. A live claim
by another worker is an error for this record, so SQS redelivers it after the visibility
timeout, when the other worker has finished (or its lock has expired).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"


class ClaimedElsewhereError(RuntimeError):
    """Another invocation is processing this id right now; retry later."""


class IdempotencyStore:
    """`table` has the string hash key `id`; `expiresAt` is its TTL attribute (epoch seconds)."""

    def __init__(
        self,
        client: Any,
        table: str,
        ttl_seconds: int = 14 * 24 * 3600,
        lock_seconds: int = 60,
        clock: Callable[[], float] = time.time,
    ):
        self.client, self.table = client, table
        self.ttl_seconds, self.lock_seconds, self.clock = ttl_seconds, lock_seconds, clock

    def run_once(self, key: str, kind: str, effect: Callable[[], dict[str, Any] | None]) -> bool:
        """Run `effect` unless `key` was already completed. True if it ran now, False for a duplicate."""
        if not self._claim(key, kind):
            return False
        try:
            result = effect() or {}
        except BaseException:
            self._release(key)
            raise
        self._complete(key, result)
        return True

    def status(self, key: str) -> str | None:
        item = self.client.get_item(TableName=self.table, Key={"id": {"S": key}}, ConsistentRead=True).get("Item")
        return item["status"]["S"] if item else None

    def _claim(self, key: str, kind: str) -> bool:
        now = int(self.clock())
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "id": {"S": key},
                    "type": {"S": kind},
                    "status": {"S": IN_PROGRESS},
                    "lockedUntil": {"N": str(now + self.lock_seconds)},
                    "expiresAt": {"N": str(now + self.ttl_seconds)},
                },
                ConditionExpression="attribute_not_exists(#id) OR (#s = :progress AND #lock < :now)",
                ExpressionAttributeNames={"#id": "id", "#s": "status", "#lock": "lockedUntil"},
                ExpressionAttributeValues={":progress": {"S": IN_PROGRESS}, ":now": {"N": str(now)}},
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            pass
        if self.status(key) == COMPLETED:
            return False
        raise ClaimedElsewhereError(f"event {key} is being processed by another invocation")

    def _complete(self, key: str, result: dict[str, Any]) -> None:
        self.client.update_item(
            TableName=self.table,
            Key={"id": {"S": key}},
            UpdateExpression="SET #s = :done, #result = :result, processedAt = :now REMOVE #lock",
            ConditionExpression="#s = :progress",
            ExpressionAttributeNames={"#s": "status", "#result": "result", "#lock": "lockedUntil"},
            ExpressionAttributeValues={
                ":done": {"S": COMPLETED},
                ":progress": {"S": IN_PROGRESS},
                ":result": {"S": json.dumps(result, sort_keys=True, default=str)},
                ":now": {"N": str(int(self.clock()))},
            },
        )

    def _release(self, key: str) -> None:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key={"id": {"S": key}},
                ConditionExpression="#s = :progress",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":progress": {"S": IN_PROGRESS}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            pass  # someone else's claim after our lock expired: theirs to finish
