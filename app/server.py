"""The ContainerService web image: a page with the environment and version, and /health.

Standard library only, so the image needs no pip install layer and has nothing to patch
but the base image. Configuration comes from the environment (set by the ECS task
definition, or `docker run -e ...` elsewhere):

  APP_ENVIRONMENT  environment name shown on the page          (default "local")
  APP_VERSION      version shown on the page and in /health     (default "dev")
  APP_BASE_PATH    path prefix the load balancer routes to us   (default "", e.g. "/app")
  PORT             TCP port to listen on (>= 1024: we run as non-root; default 8080)

`python server.py --check` fetches /health on 127.0.0.1 and exits 0/1: the container
health check, with no curl in the image.
"""

from __future__ import annotations

import html
import json
import os
import signal
import socket
import sys
import threading
import urllib.request
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class AppConfig:
    environment: str = "local"
    version: str = "dev"
    base_path: str = ""
    port: int = 8080

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> AppConfig:
        env = dict(os.environ if env is None else env)
        base = env.get("APP_BASE_PATH", "").strip().rstrip("/")
        if base and not base.startswith("/"):
            base = "/" + base
        return cls(
            environment=env.get("APP_ENVIRONMENT", "local") or "local",
            version=env.get("APP_VERSION", "dev") or "dev",
            base_path=base,
            port=int(env.get("PORT", "8080")),
        )


PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>cloud-platform container ({environment})</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}}
dt{{font-weight:600}}dd{{margin:0 0 .75rem 0;font-family:monospace}}</style></head>
<body>
<h1>Hello from the container</h1>
<dl>
<dt>Environment</dt><dd id="environment">{environment}</dd>
<dt>Version</dt><dd id="version">{version}</dd>
<dt>Served by</dt><dd id="host">{host}</dd>
</dl>
</body>
</html>
"""

# No inline script, no framing, no sniffing: the page is static HTML plus one style block.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def make_handler(config: AppConfig) -> type[BaseHTTPRequestHandler]:
    index_paths = {"/", config.base_path, f"{config.base_path}/"} - {""}
    # Target-group health checks hit the task directly (no prefix); users come via the rule (prefix).
    health_paths = {"/health", f"{config.base_path}/health"}

    class Handler(BaseHTTPRequestHandler):
        server_version = "cloud-platform-app"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def _send(self, status: HTTPStatus, body: bytes, content_type: str, head: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in SECURITY_HEADERS.items():
                self.send_header(key, value)
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _route(self, head: bool) -> None:
            path = self.path.split("?", 1)[0]
            if path in health_paths:
                body = json.dumps({"status": "ok", "version": config.version, "environment": config.environment})
                self._send(HTTPStatus.OK, body.encode(), "application/json", head)
            elif path in index_paths:
                page = PAGE.format(
                    environment=html.escape(config.environment),
                    version=html.escape(config.version),
                    host=html.escape(socket.gethostname()),
                )
                self._send(HTTPStatus.OK, page.encode(), "text/html; charset=utf-8", head)
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", head)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._route(head=False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._route(head=True)

        def log_message(self, format: str, *args) -> None:
            # One JSON line per request on stdout: the awslogs driver ships it as one event.
            record = {"client": self.address_string(), "request": self.requestline, "status": args[1] if len(args) > 1 else ""}
            if self.path.split("?", 1)[0] not in health_paths:  # health checks every few seconds are noise
                print(json.dumps(record), flush=True)

    return Handler


def make_server(config: AppConfig, host: str = "0.0.0.0") -> ThreadingHTTPServer:  # noqa: S104 (a container listens on all its interfaces)
    server = ThreadingHTTPServer((host, config.port), make_handler(config))
    server.daemon_threads = True
    return server


def check(port: int, timeout: float = 2.0) -> int:
    """Exit status of the container health check: 0 when /health answers 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=timeout) as response:  # noqa: S310 (fixed local URL)
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


def main(argv: list[str]) -> int:
    config = AppConfig.from_env()
    if "--check" in argv:
        return check(config.port)
    server = make_server(config)
    # ECS stops a task with SIGTERM; shut down cleanly instead of being killed after the timeout.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print(json.dumps({"message": "listening", "port": config.port, "version": config.version}), flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
