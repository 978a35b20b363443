"""`platformctl sandbox` as a subprocess for the tests: start it on free ports, read the URLs it
prints, stop it with SIGTERM (bounded)."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ROOT


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
