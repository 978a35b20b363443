"""`platformctl smoke` against the sandbox (outputs of a deployed stack's shape), and each probe
failing where the deployed stack would not keep its promise."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from platformctl import smoke

CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def sandbox_outputs(sandbox_process):
    """The session's sandbox (its own process, started with `--outputs FILE`): the stack-shaped
    outputs it wrote, and the process."""
    return json.loads(sandbox_process.outputs_file.read_text()), sandbox_process


@pytest.fixture
def outputs(sandbox_outputs, monkeypatch):
    """The sandbox's outputs, with this process's AWS clients pointed at its moto (as a deploy
    job's are at the account) and dummy credentials to sign with."""
    values, process = sandbox_outputs
    monkeypatch.setenv("AWS_ENDPOINT_URL", process.urls["aws"].rstrip("/"))
    for key, value in {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox",
                       "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    return values


def lines_of(outputs, **kwargs):
    out: list[str] = []
    results = smoke.run(outputs, emit=out.append, **kwargs)
    assert [r.line() for r in results] == out
    return {r.probe: r for r in results}, out


def test_sandbox_outputs_have_the_stack_shape(outputs, sandbox_outputs, dev_plan):
    _, process = sandbox_outputs
    assert outputs["apiUrl"] == process.api and outputs["siteUrl"] == process.site
    assert set(outputs) <= set(dev_plan.outputs)
    assert {"apiUrl", "siteUrl", "idempotencyTableName", "topicArn", "tableName"} <= set(outputs)
    for key in ("apiUrl", "siteUrl"):
        assert outputs[key].endswith("/") and dev_plan.outputs[key].endswith("/")


@pytest.mark.browser
def test_smoke_passes_against_the_sandbox(outputs, tmp_path, cli):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    code, out, err = cli("smoke", "--stack", "local", "--outputs", str(path), "--timeout", "30")
    assert code == 0, out + err
    lines = out.strip().splitlines()
    by_probe = {line.split()[1]: line.split()[0] for line in lines[:-1]}
    assert by_probe == {"web": "skip", "container": "skip", "api-hello": "ok", "api-subscribe": "ok",
                        "site": "ok", "worker": "ok"}, out
    assert lines[-1] == "smoke local: 4 probes ok, 2 skipped"


def test_api_probes_and_worker_against_the_sandbox_without_browser(outputs):
    results, out = lines_of(outputs, timeout=30, browser=False)
    assert {p: r.status for p, r in results.items()} == {
        "web": "skip", "container": "skip", "api-hello": "ok", "api-subscribe": "ok", "site": "skip", "worker": "ok"}
    assert "CORS for http://127.0.0.1:" in results["api-hello"].detail
    assert all(len(line.splitlines()) == 1 for line in out)


def test_a_wrong_origin_fails_the_cors_probes(outputs):
    results, _ = lines_of({**outputs, "siteUrl": "https://elsewhere.example.org/"}, timeout=10, browser=False)
    assert results["api-hello"].status == "FAIL"
    assert "does not admit https://elsewhere.example.org" in results["api-hello"].detail
    assert results["api-subscribe"].status == "FAIL"
    assert results["worker"].status == "FAIL" and results["worker"].detail == "no event to follow: api-subscribe failed"


def test_unreachable_api_fails_with_one_line_and_exit_1(tmp_path, cli):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"apiUrl": "http://127.0.0.1:9/", "siteUrl": "http://127.0.0.1:9/"}))
    code, out, err = cli("smoke", "--stack", "dev", "--outputs", str(path), "--timeout", "2", "--no-browser")
    assert code == 1
    assert "FAIL api-hello" in out and "Connection refused" in out
    assert err.strip() == "error: smoke dev: 2 of 6 probes failed (api-hello, api-subscribe)"


class _Alb(BaseHTTPRequestHandler):
    """Stands in for the web tier's ALB: /health answers per colour header, like the test rules."""

    healthy = {"blue"}

    def do_GET(self):  # noqa: N802
        colour = self.headers.get(smoke.TEST_HEADER)
        ok = (self.path == "/health" and colour in self.healthy) or self.path == "/app/"
        self.send_response(200 if ok else 503)
        self.end_headers()
        self.wfile.write(b"OK\n" if ok else b"unhealthy\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def alb():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Alb)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_web_colours_with_traffic_and_the_container_path(alb):
    outputs = {"albDnsName": alb, "trafficWeights": {"blue": 90, "green": 10}, "containerUrl": f"http://{alb}/app/"}
    results, _ = lines_of(outputs, timeout=5, browser=False)
    assert results["web-blue"].status == "ok"
    assert results["web-green"].status == "FAIL" and "answered 503" in results["web-green"].detail
    assert results["container"].status == "ok"
    idle, _ = lines_of({**outputs, "trafficWeights": {"blue": 100, "green": 0}}, timeout=5, browser=False)
    assert idle["web-green"].status == "skip" and idle["web-blue"].status == "ok"


@pytest.mark.parametrize("content,message", [
    ("not json", "is not JSON (`pulumi stack output --json`)"),
    ("[1, 2]", "must hold a JSON object of stack outputs"),
])
def test_bad_outputs_file_is_one_line(content, message, tmp_path, cli):
    path = tmp_path / "outputs.json"
    path.write_text(content)
    code, out, err = cli("smoke", "--stack", "dev", "--outputs", str(path))
    assert code == 1 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_deploy_workflow_smoke_tests_after_each_up():
    import yaml

    from offline.stacks import ROOT

    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())["jobs"]
    for job, stack in (("up-dev", "dev"), ("up-prod", "prod")):
        steps = jobs[job]["steps"]
        up = next(i for i, s in enumerate(steps) if (s.get("with") or {}).get("command") == "up")
        runs = [s.get("run", "") for s in steps[up + 1:]]
        assert any(f"platformctl smoke --stack {stack}" in r for r in runs), job


def test_web_probes_use_the_https_name_when_the_stack_has_a_domain(monkeypatch):
    # With a certificate the ALB's own DNS name fails TLS verification: probe web.<domain>.
    seen = []
    monkeypatch.setattr(smoke, "http", lambda method, url, timeout, headers=None: seen.append(url) or (200, {}, b"ok"))
    ctx = smoke.Context(outputs={"albDnsName": "alb-1.eu-west-1.elb.amazonaws.com",
                                 "webUrl": "https://web.example.org/"}, timeout=1, browser=False, run_id="t")
    smoke.probe_web(ctx, "blue")
    assert seen == ["https://web.example.org/health"]
