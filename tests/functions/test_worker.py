"""The worker handler, called directly against moto's DynamoDB (the `messaging` fixture)."""

from __future__ import annotations

import json
import time

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from functions.worker import app
from functions.worker.events import InvalidEventError, parse_event
from functions.worker.idempotency import Deadline, EventIdempotency, record_key

from .events import batch, sqs_record, subscriber_created


def items(local) -> dict[str, dict]:
    """The idempotency table's items by key (`event#<md5 of the event id>`)."""
    found = local.dynamodb.scan(TableName=local.table_name, ConsistentRead=True)["Items"]
    return {i["id"]["S"]: i for i in found}


def completed(local) -> dict[str, dict]:
    """Stored results of the COMPLETED items, by event id."""
    results = {}
    for key, item in items(local).items():
        if item["status"]["S"] == "COMPLETED":
            data = json.loads(item["data"]["S"])
            assert key == record_key(data["eventId"])
            results[data["eventId"]] = data
    return results


def hold_claim(local, event: dict, remaining_ms: int) -> EventIdempotency:
    """Another invocation's in-progress claim on `event`, lapsing in `remaining_ms` (negative: lapsed)."""
    other = local.worker_idempotency()
    other.persistence.save_inprogress(data=parse_event(json.dumps(event)).model_dump(mode="json"),
                                      remaining_time_in_millis=remaining_ms)
    return other


@pytest.fixture
def effects(monkeypatch):
    """Count the business effect per event id (the thing that must happen exactly once)."""
    calls: list[str] = []
    original = app.EFFECTS["subscriber.created"]

    def counting(event):
        calls.append(event.id)
        return original(event)

    monkeypatch.setitem(app.EFFECTS, "subscriber.created", counting)
    return calls


def test_poison_records_are_exactly_the_reported_failures(messaging, effects):
    good = [sqs_record(subscriber_created()) for _ in range(4)]
    poison = [
        sqs_record("{not json"),
        sqs_record({"type": "subscriber.deleted", "id": "x1"}),          # unknown type
        sqs_record({"type": "subscriber.created"}),                       # no id
        sqs_record({"type": "subscriber.created", "id": "x3", "subscriber": {"name": "A", "email": "nope"}}),
        sqs_record("[1, 2]"),
    ]
    records = [good[0], poison[0], good[1], poison[1], poison[2], good[2], poison[3], poison[4], good[3]]
    response = app.lambda_handler(batch(*records), None)
    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == sorted(r["messageId"] for r in poison)
    good_ids = {json.loads(r["body"])["id"] for r in good}
    assert set(completed(messaging)) == good_ids and len(items(messaging)) == len(good_ids)
    assert sorted(effects) == sorted(good_ids)


def test_batch_of_only_poison_reports_all_instead_of_raising(messaging):
    records = [sqs_record("nope"), sqs_record({"type": "x", "id": "1"})]
    response = app.lambda_handler(batch(*records), None)
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [r["messageId"] for r in records]


def test_duplicate_delivery_applies_the_effect_once(messaging, effects):
    event = subscriber_created()
    # The same event under different SQS message ids (an SNS retry is a new SQS message),
    # once within one batch and again in a later batch.
    first = app.lambda_handler(batch(sqs_record(event), sqs_record(event)), None)
    second = app.lambda_handler(batch(sqs_record(event)), None)
    assert first == {"batchItemFailures": []} and second == {"batchItemFailures": []}
    assert effects == [event["id"]]
    assert completed(messaging)[event["id"]]["result"] == {"welcomed": True, "emailDomain": "example.com"}
    assert "ada@" not in json.dumps(items(messaging))


def test_failed_effect_releases_the_claim_so_the_retry_runs_it(messaging, monkeypatch):
    attempts: list[str] = []

    def flaky(event):
        attempts.append(event.id)
        if len(attempts) == 1:
            raise RuntimeError("downstream unavailable")
        return {"ok": True}

    monkeypatch.setitem(app.EFFECTS, "subscriber.created", flaky)
    record = sqs_record(subscriber_created())
    assert app.lambda_handler(batch(record), None)["batchItemFailures"] == [{"itemIdentifier": record["messageId"]}]
    assert items(messaging) == {}  # no stale claim left behind
    assert app.lambda_handler(batch(record), None) == {"batchItemFailures": []}
    assert len(attempts) == 2


def test_live_claim_elsewhere_fails_the_record_lapsed_claim_is_taken_over(messaging):
    event = subscriber_created()
    parsed = parse_event(json.dumps(event))
    hold_claim(messaging, event, remaining_ms=30_000)  # another invocation is still running
    mine = messaging.worker_idempotency()
    mine.start_invocation(Deadline(30))
    with pytest.raises(IdempotencyAlreadyInProgressError):
        mine.run_once(parsed, lambda e: {"n": 1})
    assert 28 <= mine.seconds_until_claim_lapses(parsed, fallback=99) <= 30

    crashed = subscriber_created()
    hold_claim(messaging, crashed, remaining_ms=-1000)  # its invocation is over: the claim lapsed
    parsed = parse_event(json.dumps(crashed))
    assert mine.run_once(parsed, lambda e: {"n": 1}) is True
    assert completed(messaging)[crashed["id"]]["result"] == {"n": 1}
    assert mine.run_once(parsed, lambda e: {"n": 2}) is False


def test_record_in_progress_elsewhere_comes_back_after_the_claim_lapses(messaging, monkeypatch):
    """Concurrency (issue 18.4): not returned with visibility 0, which would burn its receives."""
    event = subscriber_created()
    hold_claim(messaging, event, remaining_ms=20_000)
    returned: list[int] = []
    original = app.return_later
    monkeypatch.setattr(app, "return_later", lambda record, seconds: (returned.append(seconds), original(record, seconds)))
    messaging.sns.publish(TopicArn=messaging.topic_arn, Message=json.dumps(event))
    loop = messaging.worker_loop()
    outcome = loop.poll_once()
    assert outcome.received == 1 and len(outcome.failed) == 1
    assert len(returned) == 1 and 20 <= returned[0] <= 22  # the claim's remaining time + 1 s
    for _ in range(5):  # hammering the queue does not hand it out again while the claim is live
        assert loop.poll_once().received == 0
    attributes = messaging.sqs.get_queue_attributes(QueueUrl=messaging.queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert messaging.dlq_messages() == []


def test_expiration_ttl_attribute_is_written(messaging):
    layer = EventIdempotency(messaging.table_name, client=messaging.dynamodb, ttl_seconds=3600)
    layer.start_invocation(Deadline(30))
    before = int(time.time())
    layer.run_once(parse_event(json.dumps({"type": "latency.probe", "id": "evt-ttl"})), lambda e: None)
    expiration = int(items(messaging)[record_key("evt-ttl")]["expiration"]["N"])
    assert before + 3600 <= expiration <= int(time.time()) + 3600


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{", "body is not JSON"),
        ('"text"', "event must be a JSON object, got str"),
        ('{"id": "1"}', "unknown event type None (known: latency.probe, ocr.completed, subscriber.created)"),
        ('{"type": "order.created", "id": "1"}', "unknown event type 'order.created'"),
        ('{"type": "subscriber.created", "id": ""}', "subscriber.created event: id: String should have at least 1 character"),
        ('{"type": "subscriber.created"}', "subscriber.created event: id: Field required"),
    ],
)
def test_invalid_events_name_the_problem(body, message):
    with pytest.raises(InvalidEventError) as info:
        parse_event(body)
    assert message in str(info.value)


def test_sns_envelope_is_unwrapped_when_raw_delivery_is_off():
    event = subscriber_created("abc")
    envelope = json.dumps({"Type": "Notification", "MessageId": "m", "Message": json.dumps(event)})
    parsed = parse_event(envelope)
    assert parsed.id == "abc" and parsed.subscriber.email == "ada@example.com"


def test_handler_configured_from_environment_only(aws, monkeypatch):
    """How Lambda runs it (and an outside checker would): only IDEMPOTENCY_TABLE, no configure()."""
    import boto3

    client = boto3.client("dynamodb", region_name="eu-west-1")
    for name in ("t-one", "t-two"):
        client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    app.configure(None)
    event = subscriber_created()
    for name in ("t-one", "t-two"):  # the table switches: the cached store follows
        monkeypatch.setenv("IDEMPOTENCY_TABLE", name)
        assert app.lambda_handler(batch(sqs_record(event), sqs_record(event)), None) == {"batchItemFailures": []}
        assert [i["id"]["S"] for i in client.scan(TableName=name)["Items"]] == [record_key(event["id"])]
    monkeypatch.delenv("IDEMPOTENCY_TABLE")
    response = app.lambda_handler(batch(sqs_record(subscriber_created())), None)
    assert len(response["batchItemFailures"]) == 1  # misconfigured: fails the record, loses nothing
