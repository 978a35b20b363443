"""`platformctl latency`: end-to-end time of four ways to get an event processed (course project
"SQS / SNS examples incl. direct calls via API and Step Functions and time measurement").

Paths, each run `--runs` times against a deployed stack, one after the other:
  direct-invoke    Lambda Invoke (RequestResponse) of the worker with a one-record SQS batch
  api-gateway      HTTP POST <apiUrl>/subscribers (the ServerlessApi, which publishes an event)
  sns-sqs-worker   SNS Publish, then poll the idempotency table until the worker marks it COMPLETED
  step-functions   the latency state machine (StartSyncExecution for EXPRESS, polled for STANDARD)

Everything that touches AWS or time sits behind small seams (`Clock`, the drivers' clients,
`StackOutputs`), so the timing, percentiles and drivers are tested with fakes.
"""

from __future__ import annotations

import json
import math
import statistics
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from functions.worker.idempotency import record_key

PATHS = ("direct-invoke", "api-gateway", "sns-sqs-worker", "step-functions")


class LatencyError(RuntimeError):
    """One run of one path failed (counted as an error, not timed)."""


class Clock(Protocol):
    def now(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.perf_counter()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# --- statistics ------------------------------------------------------------------------------
def percentile(samples: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): a value that was actually measured."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class PathResult:
    path: str
    samples: list[float] = field(default_factory=list)  # seconds
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None

    @property
    def runs(self) -> int:
        return len(self.samples) + len(self.errors)

    def stats_ms(self) -> tuple[float, float, float] | None:
        if not self.samples:
            return None
        return (min(self.samples) * 1000, statistics.median(self.samples) * 1000, percentile(self.samples, 95) * 1000)


def measure(path: str, driver: Callable[[int], None], runs: int, clock: Clock) -> PathResult:
    """Time `driver(i)` for i in 0..runs-1; a run that raises is recorded as an error."""
    result = PathResult(path)
    for i in range(runs):
        start = clock.now()
        try:
            driver(i)
        except Exception as exc:  # noqa: BLE001 (any failure of a run is reported, the rest go on)
            result.errors.append(f"{type(exc).__name__}: {exc}")
            continue
        result.samples.append(clock.now() - start)
    return result


# --- drivers ------------------------------------------------------------------------------------
def probe_event(run: int, clock: Clock) -> dict[str, Any]:
    return {"type": "latency.probe", "id": f"latency-{uuid.uuid4()}", "run": run, "sentAt": clock.now()}


def sqs_batch(event: dict[str, Any]) -> dict[str, Any]:
    """The worker's input shape for one event, as the SQS event source mapping builds it."""
    return {"Records": [{
        "messageId": event["id"], "receiptHandle": "latency", "body": json.dumps(event),
        "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
    }]}


def _check_batch_response(payload: dict[str, Any]) -> None:
    if payload.get("batchItemFailures"):
        raise LatencyError(f"worker reported the record as failed: {payload['batchItemFailures']}")


@dataclass
class DirectInvoke:
    lambda_client: Any
    function_name: str
    clock: Clock

    def __call__(self, run: int) -> None:
        response = self.lambda_client.invoke(
            FunctionName=self.function_name,
            InvocationType="RequestResponse",
            Payload=json.dumps(sqs_batch(probe_event(run, self.clock))).encode(),
        )
        body = response["Payload"].read()
        if response.get("FunctionError"):
            raise LatencyError(f"{response['FunctionError']} error: {body[:200]!r}")
        _check_batch_response(json.loads(body or b"{}"))


def http_post(url: str, body: dict[str, Any], timeout: float) -> int:
    request = urllib.request.Request(  # noqa: S310 (https URL from the stack's own outputs)
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        response.read()
        return response.status


@dataclass
class ApiGateway:
    api_url: str
    post: Callable[[str, dict[str, Any], float], int] = http_post
    timeout: float = 30.0

    def __call__(self, run: int) -> None:
        body = {"name": f"latency probe {run}", "email": f"latency+{uuid.uuid4().hex[:12]}@example.com"}
        status = self.post(self.api_url.rstrip("/") + "/subscribers", body, self.timeout)
        if not 200 <= status < 300:
            raise LatencyError(f"POST /subscribers answered {status}")


@dataclass
class SnsToWorker:
    """Publish a probe and wait until the worker has recorded it (the end of the async path)."""

    sns_client: Any
    dynamodb_client: Any
    topic_arn: str
    table: str
    clock: Clock
    timeout: float = 60.0
    poll_interval: float = 0.05

    def __call__(self, run: int) -> None:
        event = probe_event(run, self.clock)
        self.sns_client.publish(TopicArn=self.topic_arn, Message=json.dumps(event))
        deadline = self.clock.now() + self.timeout
        while True:
            item = self.dynamodb_client.get_item(
                TableName=self.table, Key={"id": {"S": record_key(event["id"])}}, ConsistentRead=True
            ).get("Item")
            if item and item.get("status", {}).get("S") == "COMPLETED":
                return
            if self.clock.now() >= deadline:
                raise LatencyError(f"event {event['id']} not processed within {self.timeout:g} s")
            self.clock.sleep(self.poll_interval)


@dataclass
class StepFunctions:
    sfn_client: Any
    state_machine_arn: str
    clock: Clock
    express: bool = True
    timeout: float = 60.0
    poll_interval: float = 0.05

    def __call__(self, run: int) -> None:
        payload = json.dumps(probe_event(run, self.clock))
        if self.express:
            result = self.sfn_client.start_sync_execution(stateMachineArn=self.state_machine_arn, input=payload)
            status = result["status"]
        else:
            arn = self.sfn_client.start_execution(stateMachineArn=self.state_machine_arn, input=payload)["executionArn"]
            deadline = self.clock.now() + self.timeout
            while (result := self.sfn_client.describe_execution(executionArn=arn))["status"] == "RUNNING":
                if self.clock.now() >= deadline:
                    raise LatencyError(f"execution {arn} still running after {self.timeout:g} s")
                self.clock.sleep(self.poll_interval)
            status = result["status"]
        if status != "SUCCEEDED":
            raise LatencyError(f"execution {status}: {result.get('error', '')} {result.get('cause', '')}".strip())


# --- wiring -------------------------------------------------------------------------------------
class Clients(Protocol):
    def __call__(self, service: str, region: str) -> Any: ...


def boto3_clients(service: str, region: str) -> Any:
    import boto3

    return boto3.client(service, region_name=region)


def region_of(outputs: dict[str, Any]) -> str:
    arn = outputs.get("topicArn") or ""
    parts = arn.split(":")
    if len(parts) < 6:
        raise LatencyError("the stack has no topicArn output: is messaging enabled and deployed?")
    return parts[3]


def plan_paths(
    outputs: dict[str, Any], clients: Clients, clock: Clock, timeout: float, only: Iterable[str] = PATHS
) -> list[tuple[str, Callable[[int], None] | None, str | None]]:
    """(path, driver or None, reason when skipped) for each requested path, from the stack outputs."""
    region = region_of(outputs)
    planned: list[tuple[str, Callable[[int], None] | None, str | None]] = []
    for path in only:
        if path == "direct-invoke":
            name = outputs.get("workerFunctionName")
            planned.append((path, DirectInvoke(clients("lambda", region), name, clock), None) if name
                           else (path, None, "no workerFunctionName output"))
        elif path == "api-gateway":
            url = outputs.get("apiUrl")
            planned.append((path, ApiGateway(url, timeout=timeout), None) if url
                           else (path, None, "no apiUrl output (ServerlessApi not enabled)"))
        elif path == "sns-sqs-worker":
            table = outputs.get("idempotencyTableName")
            planned.append((path, SnsToWorker(clients("sns", region), clients("dynamodb", region), outputs["topicArn"],
                                              table, clock, timeout=timeout), None) if table
                           else (path, None, "no idempotencyTableName output"))
        elif path == "step-functions":
            arn = outputs.get("latencyStateMachineArn")
            if not arn:
                planned.append((path, None, "no latencyStateMachineArn output (messaging.latencyLab.enabled is false)"))
                continue
            sfn = clients("stepfunctions", region)
            express = sfn.describe_state_machine(stateMachineArn=arn).get("type", "EXPRESS") == "EXPRESS"
            planned.append((path, StepFunctions(sfn, arn, clock, express=express, timeout=timeout), None))
    return planned


def run_lab(
    outputs: dict[str, Any], runs: int, clients: Clients = boto3_clients, clock: Clock | None = None,
    timeout: float = 60.0, only: Iterable[str] = PATHS,
) -> list[PathResult]:
    clock = clock or SystemClock()
    results = []
    for path, driver, reason in plan_paths(outputs, clients, clock, timeout, only):
        results.append(PathResult(path, skipped=reason) if driver is None else measure(path, driver, runs, clock))
    return results


def render(stack: str, runs: int, results: list[PathResult]) -> str:
    """The table the README documents: milliseconds, one line per path."""
    lines = [
        f"latency: stack {stack}, {runs} run(s) per path, milliseconds",
        f"{'path':<16}{'ok':>5}{'errors':>8}{'min':>10}{'median':>10}{'p95':>10}",
    ]
    for r in results:
        if r.skipped:
            lines.append(f"{r.path:<16}  skipped: {r.skipped}")
            continue
        stats = r.stats_ms()
        cells = "".join(f"{v:>10.1f}" for v in stats) if stats else f"{'-':>10}{'-':>10}{'-':>10}"
        lines.append(f"{r.path:<16}{len(r.samples):>5}{len(r.errors):>8}{cells}")
    for r in results:
        if r.errors:
            lines.append(f"{r.path}: first error: {r.errors[0]}")
    return "\n".join(lines)


# --- stack outputs ------------------------------------------------------------------------------
class StackOutputs(Protocol):
    def __call__(self, stack: str) -> dict[str, Any]: ...
