"""The worker handler, called directly against moto's DynamoDB (the `messaging` fixture)."""

from __future__ import annotations

import json

import pytest

from functions.worker import app
from functions.worker.events import InvalidEventError, parse_event
from functions.worker.store import COMPLETED, ClaimedElsewhereError, IdempotencyStore

from .events import batch, sqs_record, subscriber_created


def items(local) -> dict[str, dict]:
    found = local.dynamodb.scan(TableName=local.table_name, ConsistentRead=True)["Items"]
    return {i["id"]["S"]: i for i in found}


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
    done = items(messaging)
    good_ids = {json.loads(r["body"])["id"] for r in good}
    assert set(done) == good_ids and all(i["status"]["S"] == COMPLETED for i in done.values())
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
    item = items(messaging)[event["id"]]
    assert json.loads(item["result"]["S"]) == {"welcomed": True, "emailDomain": "example.com"}
    assert "ada@" not in json.dumps(item)


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


def test_live_claim_elsewhere_fails_the_record_expired_claim_is_taken_over(messaging):
    clock = [1_000_000.0]
    other = IdempotencyStore(messaging.dynamodb, messaging.table_name, lock_seconds=30, clock=lambda: clock[0])
    mine = IdempotencyStore(messaging.dynamodb, messaging.table_name, lock_seconds=30, clock=lambda: clock[0])
    other._claim("evt-1", "subscriber.created")  # another invocation crashed or is still running
    with pytest.raises(ClaimedElsewhereError):
        mine.run_once("evt-1", "subscriber.created", lambda: {"n": 1})
    clock[0] += 31  # its lock expired: the event is not stuck forever
    assert mine.run_once("evt-1", "subscriber.created", lambda: {"n": 1}) is True
    assert mine.status("evt-1") == COMPLETED
    assert mine.run_once("evt-1", "subscriber.created", lambda: {"n": 2}) is False


def test_ttl_attribute_is_written(messaging):
    store = IdempotencyStore(messaging.dynamodb, messaging.table_name, ttl_seconds=3600, clock=lambda: 5000.0)
    store.run_once("evt-ttl", "latency.probe", lambda: None)
    assert items(messaging)["evt-ttl"]["expiresAt"] == {"N": "8600"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{", "body is not JSON"),
        ('"text"', "event must be a JSON object, got str"),
        ('{"id": "1"}', "unknown event type None (known: latency.probe, subscriber.created)"),
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
        assert [i["id"]["S"] for i in client.scan(TableName=name)["Items"]] == [event["id"]]
    monkeypatch.delenv("IDEMPOTENCY_TABLE")
    response = app.lambda_handler(batch(sqs_record(subscriber_created())), None)
    assert len(response["batchItemFailures"]) == 1  # misconfigured: fails the record, loses nothing
