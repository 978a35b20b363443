"""SNS -> SQS -> worker end to end in moto, driven by the local WorkerLoop (Lambda's ESM stand-in)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest

from functions.worker import app
from platformctl.delivery_check import EventMix, dead_event_ids
from platformctl.local_messaging import LocalMessaging, WorkerLoop
from platformctl.local_plan import local_clients
from tests.harness import shipped_plan

from .events import subscriber_created


def publish(local, event: dict | str) -> None:
    local.sns.publish(TopicArn=local.topic_arn, Message=event if isinstance(event, str) else json.dumps(event))


def completed_ids(local) -> set[str]:
    """Event ids the worker completed (its idempotency items keep the id in their stored result)."""
    found = local.dynamodb.scan(TableName=local.table_name, ConsistentRead=True)["Items"]
    return {json.loads(i["data"]["S"])["eventId"] for i in found if i["status"]["S"] == "COMPLETED"}


def test_sns_publish_reaches_the_queue_raw(messaging):
    event = subscriber_created()
    publish(messaging, event)
    (message,) = messaging.sqs.receive_message(QueueUrl=messaging.queue_url, WaitTimeSeconds=0)["Messages"]
    assert json.loads(message["Body"]) == event  # raw delivery: no SNS envelope
    attrs = messaging.sns.get_subscription_attributes(SubscriptionArn=messaging.subscription_arn)["Attributes"]
    assert attrs["RawMessageDelivery"] == "true"


def test_message_sits_in_dlq_after_max_receive_count_failed_receives(messaging):
    publish(messaging, {"type": "subscriber.created", "id": "bad", "subscriber": {"name": "x", "email": "broken"}})
    loop = messaging.worker_loop()
    receives = 0
    while loop.poll_once().received:
        receives += 1
        assert receives <= 10, "never redriven"
    assert receives == messaging.max_receive_count
    (dead,) = messaging.dlq_messages()
    assert json.loads(dead["Body"])["id"] == "bad"
    assert messaging.sqs.receive_message(QueueUrl=messaging.queue_url, WaitTimeSeconds=0).get("Messages") is None


@pytest.mark.long
def test_no_message_lost_none_processed_twice(messaging, monkeypatch):
    """1000 events, 10% poison, 10% published twice, arriving while the worker runs:
    every good event processed exactly once, every poison copy parked once, nothing else."""
    effects: Counter[str] = Counter()
    original = app.EFFECTS["subscriber.created"]

    def counting(event):
        effects[event.id] += 1
        return original(event)

    monkeypatch.setitem(app.EFFECTS, "subscriber.created", counting)
    mix = EventMix.generate(1000, poison_rate=0.10, duplicate_rate=0.10, seed=7)
    assert len(mix.poison) > 50 and len(mix.messages) > 1050
    loop = messaging.worker_loop(batch_size=10)
    mix.publish(messaging.sns, messaging.topic_arn, between=loop.poll_once)
    assert loop.settle(timeout=300)

    verdict = mix.judge(effects, dead_event_ids(messaging.dlq_messages()))
    assert verdict.ok, verdict.summary()
    assert completed_ids(messaging) == mix.good
    assert set(effects.values()) == {1}


def test_worker_loop_thread_processes_and_stops(messaging):
    events = [subscriber_created() for _ in range(5)]
    for event in events:
        publish(messaging, event)
    done = threading.Event()
    seen: list[str] = []

    def handler(event, context):
        response = app.lambda_handler(event, context)
        seen.extend(json.loads(r["body"])["id"] for r in event["Records"])
        if len(seen) >= len(events):
            done.set()
        return response

    loop = WorkerLoop(messaging.sqs, messaging.queue_url, messaging.queue_arn, handler, poll_interval=0.05)
    with loop:
        assert loop.running
        assert done.wait(10), "worker loop did not process the messages"
    assert not loop.running
    assert completed_ids(messaging) == {e["id"] for e in events}


def test_worker_loop_ends_when_the_outside_stop_signal_is_set(messaging):
    """The sandbox's `aws.stopping`: the thread returns within a poll interval, without stop()."""
    stopping = threading.Event()
    loop = WorkerLoop(messaging.sqs, messaging.queue_url, messaging.queue_arn, app.lambda_handler,
                      poll_interval=0.05, stopping=stopping).start()
    thread = loop._thread
    assert loop.running
    stopping.set()
    thread.join(2)
    assert not thread.is_alive()
    loop.stop()


def test_reporting_prints_one_line_per_record(messaging):
    import io

    from platformctl.local_messaging import reporting

    good = subscriber_created()
    publish(messaging, good)
    publish(messaging, "not json")
    out = io.StringIO()
    loop = WorkerLoop(messaging.sqs, messaging.queue_url, messaging.queue_arn, reporting(app.lambda_handler, out))
    loop.poll_once()
    assert sorted(out.getvalue().splitlines()) == [
        "worker failed invalid event (body is not JSON: Expecting value: line 1 column 1 (char 0))",
        f"worker processed subscriber.created {good['id']}",
    ]


def test_worker_loop_rejects_batch_larger_than_one_receive(messaging):
    with pytest.raises(ValueError, match="batch_size must be 1..10"):
        WorkerLoop(messaging.sqs, messaging.queue_url, messaging.queue_arn, app.lambda_handler, batch_size=11)


def test_local_messaging_against_moto_server(moto_server, monkeypatch):
    """The sandbox's setup: a moto server on 127.0.0.1, the local plan materialised over HTTP, the loop in a thread."""
    try:
        local = LocalMessaging.from_plan(shipped_plan("local"), local_clients(moto_server))
        for key, value in local.worker_env.items():
            monkeypatch.setenv(key, value)
        good = subscriber_created()
        publish(local, good)
        publish(local, "not json")
        with local.worker_loop(poll_interval=0.05) as loop:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not (completed_ids(local) and local.dlq_messages()):
                time.sleep(0.05)
        assert loop.errors == 0
        assert completed_ids(local) == {good["id"]}
        assert [m["Body"] for m in local.dlq_messages()] == ["not json"]
    finally:
        app.configure(None)
