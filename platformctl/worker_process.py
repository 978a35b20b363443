"""One worker process over a local queue, with injected crashes: the concurrency fault runs.

    python -m platformctl.worker_process --endpoint http://127.0.0.1:5000 --queue-url URL \\
        --table TABLE --effects-log effects.txt --timeout 3 --crash-at 40:claimed

Runs the real worker handler through a WorkerLoop (Lambda's event source mapping) until
SIGTERM, appending one line per business effect (the event id) to `--effects-log`, so a
supervisor can count effects across processes. Crashes are real: `os._exit`, no cleanup.

  --crash-at N:claimed   die inside the Nth effect, before it takes effect: the event's
                         idempotency claim stays INPROGRESS until the invocation's deadline
  --crash-at N:batch     die before the Nth effect's record starts: the batch's earlier records
                         are done but not deleted, so they come back as duplicates
  --crash-on-event ID    die inside the effect of event ID (claim held), in whichever process runs
                         it first: the first to create `<--fault-dir>/<ID>` crashes, the others not

As Lambda stops an invocation at its timeout, an effect that would start after the
invocation's deadline exits the process instead (exit code 71).
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import signal
import threading
from typing import Any

CRASH_EXIT = 70
TIMEOUT_EXIT = 71


def _crash_schedule(values: list[str]) -> dict[int, str]:
    schedule = {}
    for value in values:
        count, _, point = value.partition(":")
        if not count.isdigit() or point not in ("claimed", "batch"):
            raise SystemExit(f"error: --crash-at must look like 40:claimed or 40:batch (got {value!r})")
        schedule[int(count)] = point
    return schedule


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--effects-log", required=True)
    parser.add_argument("--timeout", type=float, default=3.0, help="the invocation deadline (Lambda timeout), seconds")
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--crash-at", action="append", default=[])
    parser.add_argument("--crash-on-event", action="append", default=[])
    parser.add_argument("--fault-dir", default=".")
    args = parser.parse_args(argv)
    schedule, crash_on = _crash_schedule(args.crash_at), set(args.crash_on_event)

    import boto3

    from functions.worker import app
    from functions.worker.idempotency import EventIdempotency

    from .local_messaging import WorkerLoop

    session = boto3.Session(region_name=args.region, aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106 (moto)
    sqs = session.client("sqs", endpoint_url=args.endpoint)
    ddb = session.client("dynamodb", endpoint_url=args.endpoint)
    app.configure(EventIdempotency(args.table, client=ddb), sqs=sqs)
    log = os.open(args.effects_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    started = [0]
    original = app.EFFECTS["subscriber.created"]

    def effect(event: Any) -> Any:
        started[0] += 1
        if schedule.get(started[0]) == "claimed" or (event.id in crash_on and _first_to_fault(args.fault_dir, event.id)):
            os._exit(CRASH_EXIT)
        context = app.idempotency().config.lambda_context
        if context is not None and context.get_remaining_time_in_millis() <= 0:
            os._exit(TIMEOUT_EXIT)
        result = original(event)
        os.write(log, f"{event.id}\n".encode())  # the effect: unbuffered, survives a later crash
        return result

    def record_handler(record: Any) -> Any:
        if schedule.get(started[0] + 1) == "batch":
            os._exit(CRASH_EXIT)
        return handle_record(record)

    handle_record = app.record_handler
    app.EFFECTS["subscriber.created"] = effect
    app.record_handler = record_handler  # looked up per batch by lambda_handler
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    faulthandler.register(signal.SIGUSR1)  # a supervisor that has to kill us asks where we were stuck
    loop = WorkerLoop(sqs, args.queue_url, _queue_arn(sqs, args.queue_url), app.lambda_handler,
                      batch_size=args.batch_size, poll_interval=0.1, timeout_seconds=args.timeout, region=args.region)
    while not stopping.is_set():
        try:
            received = loop.poll_once().received
        except Exception as exc:  # the endpoint hiccuped: try again, as the event source mapping does
            print(f"poll failed: {exc}", flush=True)
            received = 0
        if not received:
            stopping.wait(loop.poll_interval)
    return 0


def _first_to_fault(fault_dir: str, name: str) -> bool:
    try:
        os.close(os.open(os.path.join(fault_dir, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


if __name__ == "__main__":
    raise SystemExit(main())
