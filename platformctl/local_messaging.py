"""Messaging without AWS: the `local` stack's topic, queue, DLQ and table in moto, the real worker polling.

For the local sandbox (API -> DynamoDB -> SNS -> SQS -> worker in one process), the no-loss
tests and the game day. The resources come from the offline plan of the `local` stack
(offline/materialise.py), so they are the program's own, with its settings. Lambda's SQS
event source mapping is replaced by `WorkerLoop`, which does what the mapping does: receive
a batch, hand it to the handler in Lambda's SQS event shape with a context whose deadline is
the function's timeout, delete the records that succeeded and leave the reported failures
on the queue, whose redrive policy moves them to the DLQ after maxReceiveCount receives.

    local = LocalMessaging.from_plan(run_offline("local"), clients)   # clients pointed at moto
    with local.worker_loop() as loop:        # a daemon thread; stopped (bounded) on exit
        local.sns.publish(TopicArn=local.topic_arn, Message=json.dumps(event))
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from .local_plan import API_HANDLER, function_env, materialised, queue_wiring

if TYPE_CHECKING:
    from offline.materialise import Materialised

    from .sandbox import LocalAws

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


WORKER_HANDLER = "worker.app.lambda_handler"


@dataclass
class LocalMessaging:
    """The Messaging component's resources as materialised from a plan, plus the clients that reach them."""

    topic_arn: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    dlq_arn: str
    table_name: str
    subscription_arn: str
    max_receive_count: int
    visibility_timeout: int
    region: str
    sqs: Any = field(repr=False)
    sns: Any = field(repr=False)
    dynamodb: Any = field(repr=False)
    worker_env: dict[str, str] = field(default_factory=dict)
    """The worker function's environment, as the plan gives it to Lambda."""
    timeout_seconds: float = 30
    batch_size: int = 10

    @classmethod
    def from_plan(cls, plan: Any, clients: dict[str, Any], region: str = "eu-west-1",
                  done: Materialised | None = None) -> LocalMessaging:
        """Materialise `plan` with `clients` (unless `done` says it is) and find the worker's wiring
        in it: its event source mapping, that mapping's queue, the queue's DLQ and the topic subscribed to it."""
        from offline.materialise import SUBSCRIPTION, materialise

        if done is None:
            done = materialise(plan, clients)
        w = queue_wiring(plan, WORKER_HANDLER)
        queue, dlq = w.queue, w.dlq
        (subscription,) = [r for r in plan.resources if r.custom and r.type == SUBSCRIPTION
                           and r.inputs.get("endpoint") == queue.outputs["arn"]]
        sqs, sns = clients["sqs"], clients["sns"]
        topic_arn = subscription.inputs["topic"]
        (subscription_arn,) = [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
                               if s["Endpoint"] == queue.outputs["arn"]]
        env = w.environment
        return cls(
            topic_arn=topic_arn, queue_url=done.queue_urls[queue.outputs["url"]], queue_arn=queue.outputs["arn"],
            dlq_url=done.queue_urls[dlq.outputs["url"]], dlq_arn=dlq.outputs["arn"], table_name=env["IDEMPOTENCY_TABLE"],
            subscription_arn=subscription_arn, max_receive_count=int(w.redrive["maxReceiveCount"]),
            visibility_timeout=int(queue.inputs.get("visibilityTimeoutSeconds", 30)), region=region,
            sqs=sqs, sns=sns, dynamodb=clients["dynamodb"], worker_env=env,
            timeout_seconds=w.timeout_seconds, batch_size=w.batch_size,
        )

    def worker_idempotency(self):
        from functions.worker.idempotency import EventIdempotency

        ttl = int(self.worker_env.get("IDEMPOTENCY_TTL_SECONDS", 14 * 24 * 3600))
        return EventIdempotency(self.table_name, client=self.dynamodb, ttl_seconds=ttl)

    def worker_loop(self, handler: Handler | None = None, **options: Any) -> WorkerLoop:
        """A loop feeding the real worker handler, pointed at this table (unless `handler` is given)."""
        if handler is None:
            from functions.worker import app

            app.configure(self.worker_idempotency(), sqs=self.sqs)
            handler = app.lambda_handler
        options = {"batch_size": min(self.batch_size, 10), "timeout_seconds": self.timeout_seconds, **options}
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


def create_local_stack(aws: LocalAws) -> Callable[[], None]:
    """Sandbox hook (`platformctl.sandbox.LOCAL_SETUP`): the `local` stack's plan materialised in the
    sandbox's moto server (`aws.plan`, or planned now), the API and worker given their functions'
    environment from that plan, and the real worker polling the queue in a background thread.

    Returns the cleanup that stops the worker (it also stops by itself once `aws.stopping` is set).
    """
    from functions.worker import app

    plan, clients, done = materialised(aws)
    local = LocalMessaging.from_plan(plan, clients, aws.region, done)
    # One process hosts both functions: their variables have distinct names (TABLE_NAME,
    # EVENTS_TOPIC_ARN for the API; IDEMPOTENCY_*, RETRY_DELAY_SECONDS for the worker).
    aws.env.update(function_env(plan, API_HANDLER))
    aws.env.update(function_env(plan, WORKER_HANDLER))
    aws.resources.update(table=aws.env["TABLE_NAME"], topic=local.topic_arn, queue=local.queue_url,
                         dlq=local.dlq_url, worker_table=local.table_name)
    aws.local_messaging = local
    app.configure(local.worker_idempotency(), sqs=local.sqs)  # the worker's table and queue, on this moto server
    loop = local.worker_loop(reporting(app.lambda_handler), stopping=aws.stopping).start()

    def stop() -> None:
        try:
            loop.stop()
        finally:
            app.configure(None)
            sys.stderr.write(f"worker stopped ({loop.processed} processed, {loop.failed} failed)\n")

    return stop
