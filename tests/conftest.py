"""The one shared test harness: the recording mock, offline plans, moto fixtures.

`set_mocks` is process-global, so it is installed in one autouse fixture before every
test; plans of the shipped stacks are computed once per session and shared read-only.
"""

from __future__ import annotations

import gc
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# No cyclic GC while the test process imports and collects: what it builds (modules, classes,
# the collected tests) lives all session, so the ~1,800 collections (11 full ones) Python's
# thresholds ran over it freed nothing and took ~1.9 s per xdist worker, before any test started.
# Turned on again once collection is done (pytest_collection_finish), or at once in the xdist
# controller, which collects nothing (pytest_sessionstart).
gc.disable()

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from offline.plan import Plan, install_mocks, run_offline, run_program  # noqa: E402
from offline.recording_mock import RecordingMocks  # noqa: E402
from tests import speedups  # noqa: E402
from tests.lambda_context import FakeLambdaContext  # noqa: E402
from tests.scheduling import spread_long_tests  # noqa: E402

speedups.install()

# boto3 must never reach a real account from a test, even if credentials are around.
for _key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_key, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="eu-west-1",
)


def pytest_collection_modifyitems(items):
    spread_long_tests(items)  # tests marked `long` start first, one per xdist worker


def keep_out_of_collections() -> None:
    """Move everything alive now (modules, collected tests, the session's plans) out of reach of
    Python's cyclic GC: they live until the process ends anyway. Collect first, so the garbage
    of what ran before is freed, not kept."""
    gc.collect()
    gc.freeze()


def pytest_sessionstart(session):
    if session.config.pluginmanager.has_plugin("dsession"):  # the xdist controller: only reports
        gc.enable()


def pytest_collection_finish(session):
    # The default thresholds (700, 10, 10) ran ~5,000 young and ~16 full collections per xdist
    # worker, 27 s of the two workers' CPU; with what lives all session frozen and fewer, larger
    # young collections, 16 s. A test process can afford the memory.
    keep_out_of_collections()
    gc.set_threshold(50_000, 20, 10)
    gc.enable()


# The smallest valid stack config: settings tests add only the section they exercise.
MINIMAL_CONFIG = {
    "aws:region": "eu-west-1",
    "cloud-platform:environment": "dev",
    "cloud-platform:owner": "platform-team",
    "cloud-platform:costCenter": "cc-1",
}


def settings_with(stack: str = "dev", **sections):
    """Settings parsed from MINIMAL_CONFIG plus `cloud-platform:<section>` values (dicts as JSON text)."""
    from components.settings import parse_settings

    config = dict(MINIMAL_CONFIG)
    for key, value in sections.items():
        config[f"cloud-platform:{key}"] = json.dumps(value) if isinstance(value, dict | list) else value
    return parse_settings(config, stack=stack)


def one_line_error(call, *args, **kwargs) -> str:
    """The SettingsError message `call` raises, asserted to be the promised single line."""
    from components.settings import SettingsError

    with pytest.raises(SettingsError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def error_of(**sections) -> str:
    return one_line_error(settings_with, **sections)


@pytest.fixture(autouse=True)
def pulumi_mocks() -> RecordingMocks:
    """A fresh recording mock for tests that build components directly."""
    mocks = RecordingMocks()
    install_mocks(mocks, stack="test")
    return mocks


@pytest.fixture
def build(pulumi_mocks):
    """Construct resources directly (no stack file) and wait until all are registered.

    `mocks = build(lambda: MyComponent("t", MyArgs(...)))`, then query `mocks`.
    """

    def run(program) -> RecordingMocks:
        run_program(program)
        pulumi_mocks.raise_if_rejected()
        return pulumi_mocks

    return run


_PLANS: dict[str, Plan] = {}
SHIPPED_STACKS = frozenset(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))


def shipped_plan(stack: str) -> Plan:
    """The offline plan of a shipped stack file, computed once per session (per xdist worker)."""
    if stack not in _PLANS:
        _PLANS[stack] = run_offline(stack)
        keep_out_of_collections()  # the plan, and the pulumi_aws modules its first run imported
    return _PLANS[stack]


@pytest.fixture(autouse=True, scope="session")
def _commands_reuse_shipped_plans():
    """Commands run in-process (`cli` fixture) get the session's plan of an unchanged shipped
    stack instead of planning it again; overrides, other roots and own mocks plan for real."""
    import offline.plan as engine

    def run(stack, overrides=None, root=ROOT, mocks=None):
        if overrides is None and mocks is None and Path(root) == ROOT and stack in SHIPPED_STACKS:
            return shipped_plan(stack)
        return run_offline(stack, overrides, root, mocks)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "run_offline", run)
        yield


@pytest.fixture
def cli(capsys):
    """Run `python -m platformctl ARGS` in this process: cli("plan", "--stack", "dev") -> (exit code, stdout, stderr).

    Subprocesses (tests/cli/test_plan.py `platformctl`) only where the process boundary is what is tested."""
    from platformctl.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exit_info:
            main(list(args))
        out = capsys.readouterr()
        return exit_info.value.code, out.out, out.err

    return run


@pytest.fixture(scope="session")
def dev_plan() -> Plan:
    return shipped_plan("dev")


@pytest.fixture(scope="session")
def prod_plan() -> Plan:
    return shipped_plan("prod")


@pytest.fixture
def plan_with():
    """Run the program for a stack with config overrides: plan_with("dev", {"cloud-platform:web": {...}})."""

    def run(stack: str, overrides: dict | None = None, mocks: RecordingMocks | None = None) -> Plan:
        return run_offline(stack, overrides, mocks=mocks)

    return run


@pytest.fixture
def aws(monkeypatch):
    """moto's in-process AWS for handler and CLI tests (eu-west-1, fake credentials)."""
    from moto import mock_aws

    from platformctl.moto_server import fast_sqs

    fast_sqs()
    with mock_aws():
        yield


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@dataclass
class SandboxProcess:
    """A running `platformctl sandbox` subprocess and the URLs it printed."""

    process: subprocess.Popen
    urls: dict[str, str] = field(default_factory=dict)
    output: dict[str, list[str]] = field(default_factory=lambda: {"stdout": [], "stderr": []})
    lines: queue.Queue = field(default_factory=queue.Queue)
    readers: list[threading.Thread] = field(default_factory=list)
    outputs_file: Path | None = None  # where `--outputs` wrote the stack-shaped outputs

    def drain(self) -> None:
        """Read both pipes for the process's lifetime: a full pipe would block its logging."""
        for name in ("stdout", "stderr"):
            stream, sink = getattr(self.process, name), self.output[name]

            def read(stream=stream, sink=sink, name=name):
                for line in iter(stream.readline, ""):
                    sink.append(line)
                    if name == "stdout":
                        self.lines.put(line)
                self.lines.put(None) if name == "stdout" else None

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            self.readers.append(reader)

    @property
    def site(self) -> str:
        return self.urls["site"]

    @property
    def api(self) -> str:
        return self.urls["api"]

    @property
    def aws(self) -> str:
        return self.urls["aws"]

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.aws, region_name="eu-west-1",
                            aws_access_key_id="sandbox", aws_secret_access_key="sandbox")

    def queue_depth(self, key: str) -> int:
        """Messages in the sandbox's `queue` or `dlq`, visible and in flight."""
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=self.urls[key],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())

    def worker_records(self, email_domain: str) -> list[dict]:
        """The worker's completed idempotency records (their stored results) whose effect welcomed
        a subscriber of `email_domain`."""
        items = self.client("dynamodb").scan(TableName=self.urls["worker_table"], ConsistentRead=True)["Items"]
        results = [json.loads(i["data"]["S"]) for i in items if i["status"]["S"] == "COMPLETED" and "data" in i]
        return [r for r in results if r["result"].get("emailDomain") == email_domain]

    def wait_until_worker_processed(self, email_domain: str, timeout: float = 60.0) -> dict:
        """Poll (bounded) until the worker has completed the `subscriber.created` event of the
        subscriber at `email_domain` and the queue and DLQ are empty; that record."""
        deadline, state = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            records = self.worker_records(email_domain)
            state = (records, self.queue_depth("queue"), self.queue_depth("dlq"))
            if len(records) == 1 and state[1:] == (0, 0):
                return records[0]
            time.sleep(0.2)
        raise AssertionError(f"worker did not process the event for {email_domain} within {timeout} s: "
                             f"records, queue, dlq = {state}; stderr: {''.join(self.output['stderr'])[-2000:]}")


SANDBOX_BANNER = ("site", "api", "aws", "table", "topic", "queue", "dlq", "worker_table")


def start_sandbox(*args: str, timeout: float = 120.0) -> SandboxProcess:
    """Start the sandbox on free ports and wait (bounded) for its URL lines. The bound is a
    watchdog, not a performance target: on a loaded 2-core machine start-up took over 30 s."""
    process = subprocess.Popen(
        [sys.executable, "-m", "platformctl", "sandbox", "--port", "0", "--api-port", "0", *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    sandbox = SandboxProcess(process)
    sandbox.drain()
    deadline = time.monotonic() + timeout
    while len(sandbox.urls) < len(SANDBOX_BANNER) and time.monotonic() < deadline:
        try:
            line = sandbox.lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        key, _, value = line.strip().partition(": ")
        if key in SANDBOX_BANNER:
            sandbox.urls[key] = value
    if len(sandbox.urls) < len(SANDBOX_BANNER):
        stop_sandbox(sandbox)
        raise RuntimeError(f"sandbox did not start: {sandbox.urls} {''.join(sandbox.output['stderr'])[-2000:]}")
    return sandbox


def stop_sandbox(sandbox: SandboxProcess) -> tuple[int, str]:
    """SIGTERM, bounded wait (kill after 15 s, its stacks on stderr first); the exit code and everything on stderr."""
    sandbox.process.send_signal(signal.SIGTERM)
    try:
        sandbox.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        sandbox.process.send_signal(signal.SIGUSR1)  # the sandbox's faulthandler: where it was stuck
        time.sleep(1)
        sandbox.process.kill()
        sandbox.process.wait(timeout=5)
    for reader in sandbox.readers:
        reader.join(timeout=5)
    return sandbox.process.returncode, "".join(sandbox.output["stderr"])


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory):
    """One sandbox for the session's HTTP, browser and smoke tests, stopped at the end; started
    with `--outputs`, as a deploy job's smoke run reads a stack's outputs (its `outputs_file`)."""
    path = tmp_path_factory.mktemp("sandbox") / "outputs.json"
    sandbox = start_sandbox("--outputs", str(path))
    sandbox.outputs_file = path
    try:
        yield sandbox
    finally:
        stop_sandbox(sandbox)
@pytest.fixture
def messaging(aws, monkeypatch):
    """The `local` stack's plan materialised in in-process moto (topic, queue, DLQ with its
    maxReceiveCount, subscription, tables), with the real worker handler pointed at its table
    and the worker's environment from the plan. Yields a LocalMessaging."""
    from functions.worker import app
    from platformctl.local_messaging import LocalMessaging
    from platformctl.local_plan import local_clients

    local = LocalMessaging.from_plan(shipped_plan("local"), local_clients())
    for key, value in local.worker_env.items():
        monkeypatch.setenv(key, value)
    app.configure(local.worker_idempotency(), sqs=local.sqs)
    yield local
    app.configure(None)


OCR_CORPUS = ROOT / "tools" / "ocr_bench" / "corpus"


@pytest.fixture
def code_screenshot(tmp_path):
    """Render a corpus file (tools/ocr_bench/corpus) as a PNG/JPEG/WebP screenshot: (path, source)."""
    from tools.ocr_bench.render import Style, save

    def make(name: str = "cache.py", suffix: str = ".png", **style) -> tuple[Path, str]:
        source = (OCR_CORPUS / name).read_text()
        path = save(source, tmp_path / f"{Path(name).stem}{suffix}", Style(**style))
        return path, source

    return make


@pytest.fixture
def ocr_aws(aws, monkeypatch):
    """The `local` stack's plan materialised in in-process moto: TextExtraction's bucket (notifying its
    queue), queue + DLQ and jobs table, the messaging topic with a capture queue subscribed, and the
    API/worker environment from the plan (LocalOcr + `events_queue`)."""
    from functions.api import ocr_jobs
    from functions.ocr import worker
    from platformctl.local_ocr import LocalOcr
    from platformctl.local_plan import local_clients

    clients = local_clients()
    local = LocalOcr.from_plan(shipped_plan("local"), clients)
    sns, sqs = clients["sns"], local.sqs
    sqs.purge_queue(QueueUrl=local.queue_url)  # the s3:TestEvent S3 sends when the notification is set up
    capture = sqs.create_queue(QueueName="test-events-capture")["QueueUrl"]
    capture_arn = sqs.get_queue_attributes(QueueUrl=capture, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=local.worker_env["EVENTS_TOPIC_ARN"], Protocol="sqs", Endpoint=capture_arn,
                  Attributes={"RawMessageDelivery": "true"})
    for key, value in {**local.api_env, **local.worker_env}.items():
        monkeypatch.setenv(key, value)
    ocr_jobs.reset_clients()
    worker.reset_clients()
    local.events_queue = capture
    yield local
    ocr_jobs.reset_clients()
    worker.reset_clients()
