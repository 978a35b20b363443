"""`platformctl gameday --stack local`: scripted faults against the sandbox, and what they cost.

The sandbox (the `local` stack's plan materialised in moto, the real API handler, the real
worker polling the queue) runs in this process; each scenario publishes a mix of events
(some duplicated, as SNS delivers at least once), injects one fault, waits until the queue
is empty again and counts, per good event, how often its effect ran:

    worker crash      the worker dies inside a batch, holding an idempotency claim
    poison burst      a burst of events that can never be processed, among good ones
    API throttling    more POST /subscribers at once than the stage's burst limit; the client
                      retries the 429s with backoff, as a well-behaved client does
    DynamoDB throttle the worker's idempotency table answers ProvisionedThroughputExceeded for a while

lost = good events never processed (or parked in the DLQ); duplicated = processed more than
once; delayed = processed only on a redelivery (or, through the API, after a 429 and a retry);
recovery = from the fault until every good event was processed and the queue was empty.
`--quick` changes the stack config the sandbox is built from: a 1 s worker timeout (so the
queue's visibility timeout is 6 s and a crashed batch is back in seconds; the sandbox's single
worker thread is not stopped at the deadline, so a slow batch is late, not lost) and a stage
limit of 10 requests/s with a burst of 10 (so a small burst is throttled).
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .delivery_check import EventMix, dead_event_ids

QUICK_OVERRIDES = {
    "cloud-platform:messaging": {"worker": {"timeoutSeconds": 1}},
    "cloud-platform:serverless": {"throttling": {"rateLimit": 10, "burstLimit": 10}},
}


class GameDayError(Exception):
    """The game day could not run (not the local stack, sandbox failed): one line."""


@dataclass
class Result:
    scenario: str
    good: int
    lost: int
    duplicated: int
    delayed: int
    recovery_seconds: float
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0


class Effects:
    """The worker's business effect, counted per key (event id or e-mail) with the time it ran."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.delayed: set[str] = set()
        self.lock = threading.Lock()
        self.fault: Callable[[Any], None] | None = None
        self.receive_count = threading.local()

    def wrap(self, effect: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def counted(event: Any) -> Any:
            if self.fault is not None:
                self.fault(event)
            result = effect(event)
            redelivered = getattr(self.receive_count, "value", 1) > 1
            with self.lock:
                for key in (event.id, getattr(event.subscriber, "email", None)):
                    if key:
                        self.count[key] += 1
                        if redelivered:
                            self.delayed.add(key)
            return result

        return counted

    def wrap_records(self, record_handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Note each record's ApproximateReceiveCount for the effect it leads to."""

        def noted(record: Any) -> Any:
            self.receive_count.value = int(record.attributes.approximate_receive_count or 1)
            return record_handler(record)

        return noted


class GameDay:
    def __init__(self, sandbox: Any, timeout: float):
        from functions.api import handler
        from functions.worker import app

        self.sandbox, self.aws, self.timeout = sandbox, sandbox.aws, timeout
        self.local = sandbox.aws.local_messaging
        self.effects = Effects()
        self._app, self._original = app, (app.EFFECTS["subscriber.created"], app.record_handler)
        app.EFFECTS["subscriber.created"] = self.effects.wrap(self._original[0])
        app.record_handler = self.effects.wrap_records(self._original[1])  # looked up per batch
        self._loggers = [(logger, logger.log_level) for logger in (app.logger, handler.logger)]
        for logger, _ in self._loggers:
            logger.setLevel("WARNING")  # the table is the output, not a log line per event

    def close(self) -> None:
        app = self._app
        app.EFFECTS["subscriber.created"], app.record_handler = self._original[:2]
        for logger, level in self._loggers:
            logger.setLevel(level)

    # --- helpers ----------------------------------------------------------------------------
    def _settle(self, keys: set[str], since: float) -> float:
        """Wait until every key's effect ran and the queue is empty; seconds since `since`."""
        deadline = time.monotonic() + self.timeout
        sqs = self.local.sqs
        while time.monotonic() < deadline:
            attributes = sqs.get_queue_attributes(QueueUrl=self.local.queue_url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            with self.effects.lock:
                done = all(self.effects.count[k] for k in keys)
            if done and not any(int(v) for v in attributes.values()):
                return time.monotonic() - since
            time.sleep(0.1)
        return float("inf")

    def _judge(self, name: str, mix: EventMix, started: float, note: str = "") -> Result:
        recovery = self._settle(mix.good, started)
        dead = dead_event_ids(self.local.dlq_messages())
        with self.effects.lock:
            counts = Counter({k: self.effects.count[k] for k in mix.good | mix.poison})
            delayed = len(self.effects.delayed & mix.good)
        verdict = mix.judge(counts, dead)
        lost = len(verdict.lost | verdict.good_in_dlq)
        if verdict.poison_not_parked:
            note = f"{note}; {len(verdict.poison_not_parked)} poison events not in the DLQ".lstrip("; ")
        return Result(name, len(mix.good), lost, len(verdict.duplicated), delayed, recovery, note)

    def _publish(self, mix: EventMix) -> None:
        mix.publish(self.local.sns, self.local.topic_arn)

    # --- scenarios --------------------------------------------------------------------------
    def worker_crash(self, count: int) -> Result:
        from .local_messaging import WorkerCrash

        crashed = threading.Event()

        def crash_once(event: Any) -> None:
            if not crashed.is_set() and sum(self.effects.count.values()) >= count // 4:
                crashed.set()
                raise WorkerCrash(f"injected crash while processing {event.id}")

        mix = EventMix.generate(count, poison_rate=0.0, duplicate_rate=0.10, seed=1)
        self.effects.fault = crash_once
        try:
            started = time.monotonic()
            self._publish(mix)
            result = self._judge("worker crash mid-batch", mix, started)
        finally:
            self.effects.fault = None
        result.note = ("the crashed batch came back after the queue's visibility timeout" if crashed.is_set()
                       else "no crash happened (too few events)")
        return result

    def poison_burst(self, count: int) -> Result:
        mix = EventMix.generate(count, poison_rate=0.5, duplicate_rate=0.10, seed=2)
        started = time.monotonic()
        self._publish(mix)
        return self._judge("poison burst", mix, started, f"{len(mix.poison)} poison events, each copy parked in the DLQ")

    def api_throttling(self, count: int) -> Result:
        throttle = self.sandbox.throttle
        burst = throttle.burst if throttle else 0
        total = max(count, burst + count // 2)
        emails = [f"gameday-{i}-{random.getrandbits(32):08x}@example.org" for i in range(total)]  # noqa: S311
        rejected_before = throttle.rejected if throttle else 0
        started = time.monotonic()

        def subscribe(email: str) -> None:
            for attempt in range(12):
                status = _post(self.sandbox.api_url + "subscribers", {"name": "Game Day", "email": email})
                if status < 300:
                    if attempt:
                        with self.effects.lock:
                            self.effects.delayed.add(email)
                    return
                if status != 429:
                    raise GameDayError(f"POST /subscribers answered {status} for {email}")
                time.sleep(min(2.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))  # noqa: S311 (jitter)
            raise GameDayError(f"POST /subscribers still throttled after 12 attempts for {email}")

        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(subscribe, emails))
        mix = EventMix(good=set(emails))
        throttled = (throttle.rejected - rejected_before) if throttle else 0
        return self._judge("API throttling burst", mix, started,
                           f"{throttled} requests answered 429 and retried" if throttle else "the plan sets no stage throttling")

    def dynamodb_throttling(self, count: int, seconds: float) -> Result:
        mix = EventMix.generate(count, poison_rate=0.0, duplicate_rate=0.10, seed=4)
        throttled = Counter[str]()
        with _throttled(self.local.dynamodb, seconds, throttled):
            started = time.monotonic()
            self._publish(mix)
            result = self._judge("DynamoDB throttling", mix, started)
        result.note = f"{throttled['calls']} worker calls throttled for {seconds:g} s (retried by the SDK and SQS)"
        return result


@contextmanager
def _throttled(client: Any, seconds: float, counter: Counter[str]) -> Iterator[None]:
    """`client`'s DynamoDB calls answer ProvisionedThroughputExceededException for `seconds` from
    the first call on, as DynamoDB does; the SDK's own retries and SQS redelivery take over."""
    from botocore.awsrequest import AWSResponse

    window: list[float] = []
    body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                       "message": "The level of configured provisioned throughput for the table was exceeded."}).encode()

    class _Raw:
        def stream(self, **_: Any) -> Iterator[bytes]:
            yield body

    def throttle(request: Any, **_: Any) -> AWSResponse | None:
        now = time.monotonic()
        window.append(now) if not window else None
        if now - window[0] < seconds:
            counter["calls"] += 1
            return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "ProvisionedThroughputExceededException"}, _Raw())
        return None

    client.meta.events.register_first("before-send.dynamodb", throttle)
    try:
        yield
    finally:
        client.meta.events.unregister("before-send.dynamodb", throttle)


def _post(url: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",  # noqa: S310 (sandbox URL)
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the sandbox on 127.0.0.1)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def run(stack: str, quick: bool, events: int, plan_of: Callable[..., Any]) -> list[Result]:
    """Start the sandbox for `stack` (only `local`), run the four scenarios, stop it."""
    from .sandbox import Sandbox, SandboxError

    if stack != "local":
        raise GameDayError(f"gameday runs against the local sandbox: use --stack local (got {stack!r})")
    plan = plan_of(stack, QUICK_OVERRIDES if quick else None)
    sandbox = Sandbox(port=0, api_port=0, plan=plan)
    try:
        sandbox.start()
    except SandboxError as exc:
        raise GameDayError(str(exc)) from None
    day = GameDay(sandbox, timeout=120 if quick else 900)
    try:
        return [
            day.worker_crash(events),
            day.poison_burst(events),
            day.api_throttling(events),
            day.dynamodb_throttling(events, seconds=2.0 if quick else 5.0),
        ]
    finally:
        day.close()
        sandbox.stop()
