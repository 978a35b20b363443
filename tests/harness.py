"""The shared fixtures: the recording mock, offline plans, moto, the sandbox process, Lambda
contexts, screenshots. A plugin `tests/conftest.py` loads in every process that runs tests (not
in pytest-xdist's controller, which only hands out tests and reports: these imports, Pulumi and
moto among them, would delay its start of the workers by ~1.5 s).

`set_mocks` is process-global, so it is installed in one autouse fixture before every test;
plans of the shipped stacks are computed once per process and shared read-only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from offline.plan import Plan, install_mocks, run_offline, run_program
from offline.recording_mock import RecordingMocks
from tests import speedups
from tests.conftest import ROOT, keep_out_of_collections
from tests.lambda_context import FakeLambdaContext
from tests.sandbox_process import start_sandbox, stop_sandbox

speedups.install()


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
