"""Messaging without AWS: the topic, queue, DLQ and table in moto, and the real worker polling it.

For the local sandbox (API -> DynamoDB -> SNS -> SQS -> worker in one process) and for the
no-loss tests. Lambda's SQS event source mapping is replaced by `WorkerLoop`, which does
what the mapping does: receive a batch, hand it to the handler in Lambda's SQS event shape,
delete the records that succeeded and leave the reported failures on the queue, whose
redrive policy moves them to the DLQ after maxReceiveCount receives.

    local = create_local_messaging(endpoint_url="http://127.0.0.1:5000")   # or inside mock_aws
    with local.worker_loop() as loop:        # a daemon thread; stopped (bounded) on exit
        boto3.client("sns", ...).publish(TopicArn=local.topic_arn, Message=json.dumps(event))
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from .sandbox import LocalAws

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LocalMessaging:
    """What `create_local_messaging` built, plus the clients that reach it."""

    topic_arn: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    dlq_arn: str
    table_name: str
    subscription_arn: str
    max_receive_count: int
    region: str
    sqs: Any = field(repr=False)
    sns: Any = field(repr=False)
    dynamodb: Any = field(repr=False)

    def worker_idempotency(self, ttl_seconds: int = 14 * 24 * 3600):
        from functions.worker.idempotency import EventIdempotency

        return EventIdempotency(self.table_name, client=self.dynamodb, ttl_seconds=ttl_seconds)

    def worker_loop(self, handler: Handler | None = None, **options: Any) -> WorkerLoop:
        """A loop feeding the real worker handler, pointed at this table (unless `handler` is given)."""
        if handler is None:
            from functions.worker import app

            app.configure(self.worker_idempotency(), sqs=self.sqs)
            handler = app.lambda_handler
        return WorkerLoop(self.sqs, self.queue_url, self.queue_arn, handler, region=self.region, **options)

    def dlq_messages(self, limit: int = 10_000) -> list[dict[str, Any]]:
        """Everything in the DLQ, left in place: received under a visibility timeout (so each
        receive returns new ones), then made visible again."""
        seen: dict[str, dict[str, Any]] = {}
        while len(seen) < limit:
            got = self.sqs.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=300, WaitTimeSeconds=0
            ).get("Messages", [])
            if not got:
                break
            seen.update((m["MessageId"], m) for m in got)
        messages = list(seen.values())
        for start in range(0, len(messages), 10):
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.dlq_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                         for i, m in enumerate(messages[start:start + 10])],
            )
        return messages


def _clients(session: boto3.Session | None, endpoint_url: str | None, region: str) -> dict[str, Any]:
    session = session or boto3.Session(region_name=region)
    return {name: session.client(name, region_name=region, endpoint_url=endpoint_url) for name in ("sqs", "sns", "dynamodb")}


def create_local_messaging(
    session: boto3.Session | None = None,
    endpoint_url: str | None = None,
    prefix: str = "cloud-platform-local-messaging",
    max_receive_count: int = 3,
    visibility_timeout: int = 30,
    region: str = "eu-west-1",
) -> LocalMessaging:
    """Create (or find again: names are fixed) the messaging resources, shaped like the stack's."""
    c = _clients(session, endpoint_url, region)
    sqs, sns, ddb = c["sqs"], c["sns"], c["dynamodb"]

    table = f"{prefix}-idempotency"
    try:
        ddb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
        ddb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
        ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"})
    except ddb.exceptions.ResourceInUseException:
        pass

    dlq_url = sqs.create_queue(QueueName=f"{prefix}-dlq", Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"]
    dlq_arn = _arn(sqs, dlq_url)
    queue_url = sqs.create_queue(
        QueueName=f"{prefix}-queue",
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}),
        },
    )["QueueUrl"]
    queue_arn = _arn(sqs, queue_url)

    topic_arn = sns.create_topic(Name=f"{prefix}-events")["TopicArn"]
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={"Policy": json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }],
        })},
    )
    existing = [
        s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
        if s["Endpoint"] == queue_arn
    ]
    subscription_arn = existing[0] if existing else sns.subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"}, ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return LocalMessaging(
        topic_arn=topic_arn, queue_url=queue_url, queue_arn=queue_arn, dlq_url=dlq_url, dlq_arn=dlq_arn,
        table_name=table, subscription_arn=subscription_arn, max_receive_count=max_receive_count, region=region,
        sqs=sqs, sns=sns, dynamodb=ddb,
    )


def _arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


@dataclass
class BatchOutcome:
    received: int = 0
    failed: list[str] = field(default_factory=list)


class WorkerCrash(BaseException):
    """Raised inside the handler to emulate a worker that dies mid-batch (game day, tests): not an
    Exception, so neither Powertools nor the handler cleans up; the claims it made stay in progress."""


class WorkerLoop:
    """Lambda's SQS event source mapping, in a thread: poll, invoke, delete successes.

    As in Lambda, records reported as failed are left alone (the worker itself decides when
    they come back, see functions/worker/app.py), and a crashed invocation leaves its whole
    batch to the queue's visibility timeout. Each invocation gets a context whose deadline is
    `timeout_seconds` after its start, as the function's timeout does in Lambda.
    """

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        handler: Handler,
        batch_size: int = 10,
        poll_interval: float = 0.2,
        timeout_seconds: float = 30,
        region: str = "eu-west-1",
        stopping: threading.Event | None = None,
    ):
        if not 1 <= batch_size <= 10:
            raise ValueError(f"batch_size must be 1..10 (one SQS receive), got {batch_size}")
        self.sqs, self.queue_url, self.queue_arn, self.handler = sqs, queue_url, queue_arn, handler
        self.batch_size, self.poll_interval, self.timeout_seconds, self.region = (
            batch_size, poll_interval, timeout_seconds, region)
        self.processed = 0
        self.failed = 0
        self.errors = 0
        self.crashes = 0
        self._stop = threading.Event()
        # An outside stop signal (the sandbox's): the thread also ends, within one poll_interval, once it is set.
        self._stopping = stopping or threading.Event()
        self._thread: threading.Thread | None = None

    # --- one round, usable without a thread ---------------------------------------------------
    def poll_once(self) -> BatchOutcome:
        from functions.worker.idempotency import Deadline

        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return BatchOutcome()
        event = {"Records": [self._record(m) for m in messages]}
        try:
            response = self.handler(event, Deadline(self.timeout_seconds)) or {}
        except (Exception, WorkerCrash):  # a crashed invocation: the whole batch comes back after the visibility timeout
            log.warning("worker invocation crashed; its batch returns after the queue's visibility timeout")
            self.crashes += 1
            return BatchOutcome(received=len(messages), failed=sorted(m["MessageId"] for m in messages))
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        self.processed += len(done)
        self.failed += len(messages) - len(done)
        return BatchOutcome(received=len(messages), failed=sorted(failed))

    def queue_depth(self) -> int:
        """Messages on the queue, visible and in flight."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())

    def settle(self, timeout: float) -> bool:
        """Poll until the queue holds nothing, visible or in flight (records returned later
        included); False if `timeout` seconds were not enough."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.poll_once().received == 0:
                if self.queue_depth() == 0:
                    return True
                time.sleep(self.poll_interval)
        return False

    def drain(self, max_rounds: int = 1000) -> int:
        """Poll until a receive comes back empty (or `max_rounds`); returns the rounds used."""
        for rounds in range(1, max_rounds + 1):
            if self.poll_once().received == 0:
                return rounds
        return max_rounds

    def _record(self, m: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": m.get("MessageAttributes", {}),
            "md5OfBody": m.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }

    # --- background thread -----------------------------------------------------------------------
    def start(self) -> WorkerLoop:
        if self._thread is not None:
            raise RuntimeError("worker loop already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="worker-loop", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            alive = self._thread.is_alive()
            self._thread = None
            if alive:
                raise RuntimeError(f"worker loop did not stop within {timeout} s")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not (self._stop.is_set() or self._stopping.is_set()):
            try:
                received = self.poll_once().received
            except Exception:  # the endpoint went away or hiccuped: keep the loop alive, back off
                self.errors += 1
                log.exception("worker loop poll failed")
                received = 0
            if not received:
                self._stop.wait(self.poll_interval)

    def __enter__(self) -> WorkerLoop:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- the sandbox's messaging hook -------------------------------------------------------------
SANDBOX_PREFIX = "cloud-platform-sandbox"


def reporting(handler: Handler, out: IO[str] | None = None) -> Handler:
    """`handler`, printing one line per record it was given: the event and whether it succeeded.

    Succeeded (`processed`) means acknowledged: applied now, or a duplicate of an event already
    applied (the worker's own log says which); `failed` records stay on the queue and move to
    the DLQ after maxReceiveCount receives.
    """
    from functions.worker.events import InvalidEventError, parse_event

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response = handler(event, context) or {}
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        for record in event.get("Records", []):
            try:
                parsed = parse_event(record["body"])
                what = f"{parsed.type} {parsed.id}"
            except InvalidEventError as exc:
                what = f"invalid event ({exc})"
            outcome = "failed" if record["messageId"] in failed else "processed"
            (out or sys.stderr).write(f"worker {outcome} {what}\n")
        (out or sys.stderr).flush()
        return response

    return handle


def create_messaging(aws: LocalAws) -> Callable[[], None]:
    """Sandbox hook (`platformctl.sandbox.LOCAL_SETUP`): Messaging's topic, queue, DLQ and the
    worker's idempotency table in the sandbox's moto server, the API publishing to the topic
    (`EVENTS_TOPIC_ARN`), and the real worker polling the queue in a background thread.

    Returns the cleanup that stops the worker (it also stops by itself once `aws.stopping` is set).
    """
    from functions.worker import app

    session = boto3.Session(aws_access_key_id="sandbox", aws_secret_access_key="sandbox",  # noqa: S106 (moto)
                            region_name=aws.region)
    local = create_local_messaging(session=session, endpoint_url=aws.endpoint_url, prefix=SANDBOX_PREFIX,
                                   region=aws.region)
    aws.env["EVENTS_TOPIC_ARN"] = local.topic_arn  # read by functions/api/store.py
    aws.env["RETRY_DELAY_SECONDS"] = "0"  # read by the worker: failed records come back at once
    aws.resources.update(topic=local.topic_arn, queue=local.queue_url, dlq=local.dlq_url,
                         worker_table=local.table_name)
    app.configure(local.worker_idempotency(), sqs=local.sqs)  # the worker's IDEMPOTENCY_TABLE, on this moto server
    loop = WorkerLoop(local.sqs, local.queue_url, local.queue_arn, reporting(app.lambda_handler),
                      region=aws.region, stopping=aws.stopping).start()

    def stop() -> None:
        try:
            loop.stop()
        finally:
            app.configure(None)
            sys.stderr.write(f"worker stopped ({loop.processed} processed, {loop.failed} failed)\n")

    return stop
