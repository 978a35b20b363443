"""`platformctl latency`: timing, percentiles, drivers and output, against fakes and a fake clock."""

from __future__ import annotations

import io
import json

import pytest

from functions.worker.idempotency import record_key
from platformctl import latency as lab
from platformctl.cli import main


class FakeClock:
    """Time moves only when the code under test sleeps or a fake AWS call 'takes' time."""

    def __init__(self):
        self.t = 0.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds

    def spend(self, seconds: float) -> None:
        self.t += seconds


class FakeLambda:
    def __init__(self, clock, durations, failures=()):
        self.clock, self.durations, self.failures, self.calls = clock, list(durations), set(failures), []

    def invoke(self, **kwargs):
        self.calls.append(kwargs)
        self.clock.spend(self.durations.pop(0))
        event = json.loads(kwargs["Payload"])
        (record,) = event["Records"]
        body = {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]} if len(self.calls) in self.failures else {"batchItemFailures": []}
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(body).encode())}


class FakeSnsAndTable:
    """Publishing 'delivers' the event to the worker after `delay` seconds of clock time."""

    def __init__(self, clock, delay):
        self.clock, self.delay, self.ready_at, self.published = clock, delay, {}, []

    def publish(self, TopicArn, Message):
        event = json.loads(Message)
        self.published.append((TopicArn, event))
        self.ready_at[record_key(event["id"])] = self.clock.now() + self.delay  # the worker's table key

    def get_item(self, TableName, Key, ConsistentRead):
        ready = self.ready_at.get(Key["id"]["S"])
        if ready is not None and self.clock.now() >= ready:
            return {"Item": {"id": Key["id"], "status": {"S": "COMPLETED"}}}
        return {}


class FakeSfn:
    def __init__(self, clock, kind="EXPRESS", duration=0.1, polls=3, status="SUCCEEDED"):
        self.clock, self.kind, self.duration, self.polls, self.status = clock, kind, duration, polls, status
        self.started, self.described = [], 0

    def describe_state_machine(self, stateMachineArn):
        return {"type": self.kind}

    def start_sync_execution(self, stateMachineArn, input):
        self.started.append(json.loads(input))
        self.clock.spend(self.duration)
        return {"status": self.status, "error": "WorkerRejectedEvent" if self.status != "SUCCEEDED" else ""}

    def start_execution(self, stateMachineArn, input):
        self.started.append(json.loads(input))
        return {"executionArn": "arn:exec"}

    def describe_execution(self, executionArn):
        self.described += 1
        return {"status": "RUNNING" if self.described < self.polls else self.status}


OUTPUTS = {
    "topicArn": "arn:aws:sns:eu-west-1:123456789012:cloud-platform-dev-messaging-events",
    "workerFunctionName": "cloud-platform-dev-messaging-worker",
    "idempotencyTableName": "cloud-platform-dev-messaging-idempotency",
    "latencyStateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:lab",
}


def test_percentile_is_nearest_rank():
    samples = [float(i) for i in range(1, 101)]
    assert lab.percentile(samples, 95) == 95.0
    assert lab.percentile(samples, 50) == 50.0
    assert lab.percentile([3.0, 1.0, 2.0], 95) == 3.0
    assert lab.percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        lab.percentile([], 50)


def test_measure_times_each_run_and_counts_errors_apart():
    clock = FakeClock()
    durations = [0.010, 0.030, 0.020, 0.500, 0.040]

    def driver(i):
        clock.spend(durations[i])
        if i == 3:
            raise lab.LatencyError("boom")

    result = lab.measure("x", driver, 5, clock)
    assert result.samples == pytest.approx([0.010, 0.030, 0.020, 0.040])
    assert result.errors == ["LatencyError: boom"]
    low, median, p95 = result.stats_ms()
    assert (low, median, p95) == pytest.approx((10.0, 25.0, 40.0))


def test_direct_invoke_sends_a_one_record_sqs_batch_and_fails_on_reported_failure():
    clock = FakeClock()
    client = FakeLambda(clock, [0.02, 0.03, 0.05], failures={2})
    driver = lab.DirectInvoke(client, "worker-fn", clock)
    result = lab.measure("direct-invoke", driver, 3, clock)
    assert result.samples == pytest.approx([0.02, 0.05])
    assert "worker reported the record as failed" in result.errors[0]
    call = client.calls[0]
    assert call["FunctionName"] == "worker-fn" and call["InvocationType"] == "RequestResponse"
    (record,) = json.loads(call["Payload"])["Records"]
    body = json.loads(record["body"])
    assert body["type"] == "latency.probe" and record["messageId"] == body["id"]


def test_sns_path_waits_for_the_worker_and_includes_the_wait():
    clock = FakeClock()
    fake = FakeSnsAndTable(clock, delay=0.23)
    driver = lab.SnsToWorker(fake, fake, "arn:topic", "table", clock, timeout=5, poll_interval=0.05)
    result = lab.measure("sns-sqs-worker", driver, 2, clock)
    assert result.errors == []
    assert result.samples == pytest.approx([0.25, 0.25])  # 5 polls of 50 ms until 230 ms have passed
    assert [topic for topic, _ in fake.published] == ["arn:topic", "arn:topic"]
    assert len({event["id"] for _, event in fake.published}) == 2  # a fresh id per run


def test_sns_path_times_out_without_hanging():
    clock = FakeClock()
    fake = FakeSnsAndTable(clock, delay=999)
    driver = lab.SnsToWorker(fake, fake, "arn:topic", "table", clock, timeout=1, poll_interval=0.25)
    result = lab.measure("sns-sqs-worker", driver, 1, clock)
    assert result.samples == [] and "not processed within 1 s" in result.errors[0]
    assert sum(clock.slept) == pytest.approx(1.0)


def test_step_functions_express_and_standard():
    clock = FakeClock()
    express = FakeSfn(clock, duration=0.12)
    assert lab.measure("sf", lab.StepFunctions(express, "arn:sm", clock), 2, clock).samples == pytest.approx([0.12, 0.12])
    assert express.started[0]["type"] == "latency.probe"
    standard = FakeSfn(clock, kind="STANDARD", polls=4)
    result = lab.measure("sf", lab.StepFunctions(standard, "arn:sm", clock, express=False, poll_interval=0.5), 1, clock)
    assert result.samples == pytest.approx([1.5])
    failed = FakeSfn(clock, status="FAILED")
    result = lab.measure("sf", lab.StepFunctions(failed, "arn:sm", clock), 1, clock)
    assert result.errors == ["LatencyError: execution FAILED: WorkerRejectedEvent"]


def test_api_gateway_posts_subscribers():
    posted = []

    def post(url, body, timeout):
        posted.append((url, body))
        return 201 if len(posted) == 1 else 502

    clock = FakeClock()
    result = lab.measure("api", lab.ApiGateway("https://x.execute-api/dev/", post=post), 2, clock)
    assert posted[0][0] == "https://x.execute-api/dev/subscribers" and "@example.com" in posted[0][1]["email"]
    assert len(result.samples) == 1 and result.errors == ["LatencyError: POST /subscribers answered 502"]


def fake_clients(clock, sfn_kind="EXPRESS"):
    sns_table = FakeSnsAndTable(clock, delay=0.1)
    made = {
        "lambda": FakeLambda(clock, [0.02] * 10),
        "sns": sns_table, "dynamodb": sns_table,
        "stepfunctions": FakeSfn(clock, kind=sfn_kind, duration=0.08),
    }
    regions = []

    def clients(service, region):
        regions.append(region)
        return made[service]

    return clients, regions


def test_run_lab_skips_paths_without_outputs_and_renders_the_table():
    clock = FakeClock()
    clients, regions = fake_clients(clock)
    results = lab.run_lab(OUTPUTS, 3, clients=clients, clock=clock)
    assert [r.path for r in results] == list(lab.PATHS)
    assert set(regions) == {"eu-west-1"}
    text = lab.render("dev", 3, results)
    assert text.splitlines() == [
        "latency: stack dev, 3 run(s) per path, milliseconds",
        "path               ok  errors       min    median       p95",
        "direct-invoke       3       0      20.0      20.0      20.0",
        "api-gateway       skipped: no apiUrl output (ServerlessApi not enabled)",
        "sns-sqs-worker      3       0     100.0     100.0     100.0",
        "step-functions      3       0      80.0      80.0      80.0",
    ]


def test_run_lab_without_messaging_outputs_is_one_error():
    with pytest.raises(lab.LatencyError, match="no topicArn output"):
        lab.run_lab({}, 1, clients=lambda s, r: None, clock=FakeClock())


def test_cli_reads_outputs_file_and_prints_table(tmp_path, monkeypatch, capsys):
    clock = FakeClock()
    clients, _ = fake_clients(clock)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    monkeypatch.setattr(lab, "boto3_clients", clients)
    monkeypatch.setattr(lab, "SystemClock", lambda: clock)
    with pytest.raises(SystemExit) as info:
        main(["latency", "--stack", "dev", "--outputs", str(outputs), "--runs", "2", "--path", "step-functions",
              "--path", "direct-invoke"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["step-functions", "direct-invoke"]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["latency", "--stack", "dev", "--runs", "0"], 2, "error: Invalid value for '--runs' / '-n'"),
        (["latency", "--stack", "dev", "--path", "carrier-pigeon"], 2, "error: Invalid value for '--path'"),
        (["latency", "--stack", "qa"], 2, "error: unknown stack 'qa'"),
        (["latency", "--stack", "dev", "--outputs", "/nonexistent.json"], 1, "error: cannot read stack outputs from /nonexistent.json"),
    ],
)
def test_cli_errors_are_one_line(argv, code, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == code
    assert err.startswith(message) and err.count("\n") == 1


def test_cli_fails_when_every_run_failed(tmp_path, monkeypatch, capsys):
    clock = FakeClock()
    outputs = tmp_path / "o.json"
    outputs.write_text(json.dumps(OUTPUTS))
    monkeypatch.setattr(lab, "boto3_clients", lambda service, region: FakeSfn(clock, status="TIMED_OUT"))
    monkeypatch.setattr(lab, "SystemClock", lambda: clock)
    with pytest.raises(SystemExit) as info:
        main(["latency", "--stack", "dev", "--outputs", str(outputs), "--runs", "1", "--path", "step-functions"])
    captured = capsys.readouterr()
    assert info.value.code == 1
    assert "step-functions: first error: LatencyError: execution TIMED_OUT" in captured.out
    assert captured.err == "error: no run succeeded on any path (see the errors above)\n"


def test_sns_path_against_moto_with_the_local_worker(messaging):
    """The SNS->SQS->worker driver with real boto3 semantics: publish, worker loop, table poll."""
    clock = lab.SystemClock()
    driver = lab.SnsToWorker(messaging.sns, messaging.dynamodb, messaging.topic_arn, messaging.table_name, clock,
                             timeout=15, poll_interval=0.02)
    with messaging.worker_loop(poll_interval=0.02):
        result = lab.measure("sns-sqs-worker", driver, 3, clock)
    assert result.errors == [] and len(result.samples) == 3
    probes = messaging.dynamodb.scan(TableName=messaging.table_name)["Items"]
    assert sorted(json.loads(i["data"]["S"])["type"] for i in probes) == ["latency.probe"] * 3
