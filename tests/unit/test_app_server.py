"""The container image's web server (app/server.py), run on 127.0.0.1 with a free port."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import urllib.error
import urllib.request

import pytest

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("app_server", ROOT / "app" / "server.py")
server_module = importlib.util.module_from_spec(_spec)
sys.modules["app_server"] = server_module  # dataclasses resolve annotations through sys.modules
_spec.loader.exec_module(server_module)


@pytest.fixture
def serve():
    """Start the app with a config on 127.0.0.1:<free port>; stopped when the test ends."""
    started = []

    def start(**env):
        config = server_module.AppConfig.from_env({**env, "PORT": "0"})
        httpd = server_module.make_server(config, host="127.0.0.1")
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        started.append((httpd, thread))
        return f"http://127.0.0.1:{httpd.server_address[1]}", httpd.server_address[1]

    yield start
    for httpd, thread in started:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def fetch(url: str, method: str = "GET"):
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_page_shows_environment_and_version(serve):
    base, _ = serve(APP_ENVIRONMENT="prod", APP_VERSION="abc123def456")
    status, headers, body = fetch(base + "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<dd id="environment">prod</dd>' in body
    assert '<dd id="version">abc123def456</dd>' in body
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Server"].startswith("cloud-platform-app")  # no Python version leaked


def test_health_is_json_with_version(serve):
    base, _ = serve(APP_ENVIRONMENT="dev", APP_VERSION="1.2.3")
    status, headers, body = fetch(base + "/health")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "ok", "version": "1.2.3", "environment": "dev"}


def test_base_path_behind_a_listener_rule(serve):
    base, _ = serve(APP_BASE_PATH="/app/", APP_VERSION="7")
    for path in ("/app", "/app/", "/"):
        assert fetch(base + path)[0] == 200, path
    # users reach health through the rule's prefix, the target group's check hits /health directly
    assert json.loads(fetch(base + "/app/health")[2])["version"] == "7"
    assert fetch(base + "/health")[0] == 200
    assert fetch(base + "/other")[0] == 404
    assert fetch(base + "/app/other")[0] == 404


def test_values_are_html_escaped(serve):
    base, _ = serve(APP_ENVIRONMENT="<script>x</script>", APP_VERSION="1")
    body = fetch(base + "/")[2]
    assert "<script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body


def test_head_has_headers_but_no_body(serve):
    base, _ = serve()
    status, headers, body = fetch(base + "/health", method="HEAD")
    assert status == 200 and int(headers["Content-Length"]) > 0 and body == ""


def test_check_mode_is_the_health_probe(serve):
    _, port = serve()
    assert server_module.check(port) == 0
    # nothing listens on a port we just released
    probe = server_module.make_server(server_module.AppConfig(port=0), host="127.0.0.1")
    free = probe.server_address[1]
    probe.server_close()
    assert server_module.check(free, timeout=1) == 1


def test_config_defaults_and_normalisation():
    assert server_module.AppConfig.from_env({}) == server_module.AppConfig("local", "dev", "", 8080)
    config = server_module.AppConfig.from_env({"APP_BASE_PATH": "svc/", "PORT": "9000", "APP_VERSION": ""})
    assert config.base_path == "/svc" and config.port == 9000 and config.version == "dev"
