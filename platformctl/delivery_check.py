"""Delivery bookkeeping for the no-loss tests and the game day: what was published, what ran, what is parked.

    mix = EventMix.generate(1000, poison_rate=0.10, duplicate_rate=0.10, seed=7)
    mix.publish(local, between=loop.poll_once)        # events arrive while the worker runs
    ...
    verdict = mix.judge(effects=Counter(ids the effect ran for), dead=Counter(event ids in the DLQ))
    verdict.ok  # every good event ran exactly once, every poison copy is parked, nothing else

A good event is lost when its effect never ran and it is not parked either; duplicated when
its effect ran more than once. A good event in the DLQ counts as lost to its consumer even
though an operator could redrive it: the messaging path must not put it there.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def good_event(event_id: str) -> dict[str, Any]:
    return {
        "type": "subscriber.created",
        "id": event_id,
        "occurredAt": "2026-11-26T12:00:00Z",
        "subscriber": {"name": "Game Day", "email": "gameday@example.com"},
    }


def poison_event(event_id: str) -> dict[str, Any]:
    """Well-formed envelope, invalid body: never processable, must end in the DLQ (once per copy)."""
    return {"type": "subscriber.created", "id": event_id, "subscriber": {"name": "p", "email": "not-an-address"}}


@dataclass
class Verdict:
    lost: set[str]
    duplicated: set[str]
    good_in_dlq: set[str]
    poison_not_parked: set[str]
    unexpected: set[str]

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.good_in_dlq or self.poison_not_parked or self.unexpected)

    def summary(self) -> str:
        return (f"lost {len(self.lost)}, duplicated {len(self.duplicated)}, good in DLQ {len(self.good_in_dlq)}, "
                f"poison not parked {len(self.poison_not_parked)}, unexpected {len(self.unexpected)}")


@dataclass
class EventMix:
    """Events in publish order; duplicates are the same event published again (a new SQS message)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    good: set[str] = field(default_factory=set)
    poison: set[str] = field(default_factory=set)

    @classmethod
    def generate(cls, count: int, poison_rate: float, duplicate_rate: float, seed: int = 7) -> EventMix:
        rng, mix = random.Random(seed), cls()  # noqa: S311 (a reproducible fault schedule)
        for _ in range(count):
            event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            is_poison = rng.random() < poison_rate
            (mix.poison if is_poison else mix.good).add(event_id)
            event = poison_event(event_id) if is_poison else good_event(event_id)
            mix.messages.append(event)
            if rng.random() < duplicate_rate:
                # The copy arrives a little later (an SNS retry), often while the first is in flight.
                mix.messages.insert(len(mix.messages) - rng.randint(0, min(15, len(mix.messages) - 1)), event)
        return mix

    @property
    def poison_copies(self) -> int:
        return sum(1 for m in self.messages if m["id"] in self.poison)

    def publish(self, sns: Any, topic_arn: str, between: Callable[[], Any] | None = None) -> None:
        """Publish in batches of 10 (SNS PublishBatch), calling `between` after each batch.

        Every entry must come back as successful: an entry in neither list (moto drops an entry
        whose delivery raised anything but InvalidParameterValue) would otherwise be an event
        that was never sent, counted as lost by the worker."""
        for start in range(0, len(self.messages), 10):
            chunk = self.messages[start:start + 10]
            response = sns.publish_batch(TopicArn=topic_arn, PublishBatchRequestEntries=[
                {"Id": str(i), "Message": json.dumps(m)} for i, m in enumerate(chunk)])
            if response.get("Failed"):
                raise RuntimeError(f"SNS refused {len(response['Failed'])} of a batch: {response['Failed'][0]}")
            published = {entry["Id"] for entry in response.get("Successful", [])}
            if missing := [i for i in range(len(chunk)) if str(i) not in published]:
                raise RuntimeError(f"SNS reported {len(missing)} of a batch of {len(chunk)} neither published "
                                   f"nor failed (entry {missing[0]}: event {chunk[missing[0]]['id']})")
            if between is not None:
                between()

    def judge(self, effects: Counter[str], dead: Counter[str]) -> Verdict:
        """`effects`: how often each event id's effect ran; `dead`: event ids of the DLQ's messages."""
        parked_poison = {i for i in self.poison if dead[i] == sum(1 for m in self.messages if m["id"] == i)}
        return Verdict(
            lost={i for i in self.good if effects[i] == 0},
            duplicated={i for i in self.good if effects[i] > 1},
            good_in_dlq={i for i in self.good if dead[i]},
            poison_not_parked=self.poison - parked_poison,
            unexpected=(set(effects) | set(dead)) - self.good - self.poison | {i for i in self.poison if effects[i]},
        )


def dead_event_ids(messages: list[dict[str, Any]]) -> Counter[str]:
    """Event ids of DLQ messages (bodies that are not events count under their raw body)."""
    ids: Counter[str] = Counter()
    for message in messages:
        try:
            ids[json.loads(message["Body"])["id"]] += 1
        except (ValueError, KeyError, TypeError):
            ids[message["Body"]] += 1
    return ids
