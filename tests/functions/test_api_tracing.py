"""The API handler's X-Ray tracing: traced when tracing is on, no X-Ray SDK at all when it is off.

Each case is a fresh interpreter importing `api.handler` the way Lambda does (functions/ as the
code root) inside a Lambda-like environment: the X-Ray SDK patches botocore process-wide, and
the decision is taken at import. With tracing on, the SDK streams the handler's subsegment to
the daemon address over UDP, where this test listens instead of the X-Ray daemon.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRACE_ID = "1-67891233-abcdef012345678912345678"

INVOKE = """
import json, sys
sys.path.insert(0, {root!r})
from api import handler
from tests.lambda_context import FakeLambdaContext
from tests.functions.apigw import event

response = handler.lambda_handler(event("GET", "/hello", query={{"name": "Ada"}}), FakeLambdaContext())
print(json.dumps({{"status": response["statusCode"], "xray": "aws_xray_sdk.core" in sys.modules}}))
"""


def invoke(disabled: str, daemon: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_XRAY", "_X_AMZN"))}
    env.update({
        "POWERTOOLS_TRACE_DISABLED": disabled,
        "LAMBDA_TASK_ROOT": str(ROOT / "functions"),  # what the X-Ray SDK and Powertools take for "in Lambda"
        "AWS_LAMBDA_FUNCTION_NAME": "cloud-platform-test-api",
        "POWERTOOLS_SERVICE_NAME": "cloud-platform-test-api",  # as the LambdaFunction block sets it
        "_X_AMZN_TRACE_ID": f"Root={TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_DAEMON_ADDRESS": daemon,
        "AWS_XRAY_CONTEXT_MISSING": "RUNTIME_ERROR",
        "TABLE_NAME": "subscribers-test",
        "AWS_DEFAULT_REGION": "eu-west-1",
    })
    done = subprocess.run([sys.executable, "-c", INVOKE.format(root=str(ROOT))], cwd=ROOT / "functions", env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def daemon():
    """A UDP socket standing in for the X-Ray daemon; yields (address, received documents)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)

    def received() -> list[dict]:
        documents = []
        while True:
            try:
                packet = sock.recv(65536).decode()
            except TimeoutError:
                return documents
            # Each packet is a header line, then the segment document.
            documents.append(json.loads(packet.split("\n", 1)[1]))

    yield f"127.0.0.1:{sock.getsockname()[1]}", received
    sock.close()


def test_tracing_on_sends_the_handler_subsegment_to_xray(daemon):
    address, received = daemon
    result = invoke("false", address)
    assert result == {"status": 200, "xray": True}
    documents = received()
    handler = [d for d in documents if d.get("name") == "## lambda_handler"]
    assert handler, documents
    assert handler[0]["trace_id"] == TRACE_ID
    assert handler[0]["annotations"]["ColdStart"] is True
    assert handler[0]["annotations"]["Service"] == "cloud-platform-test-api"


def test_tracing_off_loads_no_xray_sdk_and_sends_nothing(daemon):
    address, received = daemon
    assert invoke("true", address) == {"status": 200, "xray": False}
    assert received() == []
