"""The event mix's publisher (`platformctl/delivery_check.py`): an event SNS did not take is an
error at once, not an event the worker is later blamed for losing."""

from __future__ import annotations

import pytest
from moto.sqs import models as sqs_models

from platformctl.delivery_check import EventMix


def test_an_entry_moto_drops_silently_stops_the_publisher(messaging, monkeypatch):
    """moto's PublishBatch lists an entry whose delivery raised anything but InvalidParameterValue
    in neither Successful nor Failed: the publisher names it instead of carrying on."""
    mix = EventMix.generate(30, poison_rate=0.0, duplicate_rate=0.0, seed=1)
    dropped = mix.messages[13]["id"]
    send = sqs_models.SQSBackend.send_message

    def flaky_send(self, queue_name, message_body, *args, **kwargs):
        if dropped in message_body:
            raise RuntimeError("the queue hiccuped")
        return send(self, queue_name, message_body, *args, **kwargs)

    monkeypatch.setattr(sqs_models.SQSBackend, "send_message", flaky_send)
    batches = []
    with pytest.raises(RuntimeError) as info:
        mix.publish(messaging.sns, messaging.topic_arn, between=lambda: batches.append(1))
    assert str(info.value) == f"SNS reported 1 of a batch of 10 neither published nor failed (entry 3: event {dropped})"
    assert batches == [1]  # the first batch went through; nothing after the broken one was sent


def test_every_event_of_the_mix_reaches_the_queue(messaging):
    mix = EventMix.generate(25, poison_rate=0.2, duplicate_rate=0.2, seed=2)
    batches = []
    mix.publish(messaging.sns, messaging.topic_arn, between=lambda: batches.append(1))
    depth = messaging.sqs.get_queue_attributes(QueueUrl=messaging.queue_url,
                                               AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert int(depth["ApproximateNumberOfMessages"]) == len(mix.messages)
    assert len(batches) == -(-len(mix.messages) // 10)
