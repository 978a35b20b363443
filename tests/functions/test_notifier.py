"""The notifier: SNS event in, outcome out (-> on-success destination), raise on invalid (-> retries, DLQ)."""

from __future__ import annotations

import json

import pytest

from functions.notifier.app import InvalidNotificationError, lambda_handler

from .events import sns_event, subscriber_created


def test_valid_events_are_returned_for_the_success_destination():
    a, b = subscriber_created("id-a"), {"type": "latency.probe", "id": "id-b"}
    result = lambda_handler(sns_event(json.dumps(a), json.dumps(b)), None)
    assert result == {"notified": [{"id": "id-a", "type": "subscriber.created"}, {"id": "id-b", "type": "latency.probe"}]}


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("not json", "message is not JSON"),
        ('{"type": "subscriber.created"}', "id: Field required"),
        ('{"type": "order.created", "id": "1"}', "unknown event type 'order.created'"),
        ('{"type": "subscriber.created", "id": ""}', "id: String should have at least 1 character"),
    ],
)
def test_invalid_message_raises_so_lambda_retries_then_dead_letters(message, error):
    with pytest.raises(InvalidNotificationError, match=error):
        lambda_handler(sns_event(json.dumps(subscriber_created()), message), None)
