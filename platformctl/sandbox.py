"""`platformctl sandbox`: the website and the real API handler on 127.0.0.1, AWS emulated by moto.

Two origins, as in the cloud (S3/CloudFront for the site, API Gateway for the API), so the
browser enforces CORS exactly as it will in AWS:

    site: http://127.0.0.1:8000/   static files from site/ plus a generated config.js
    api:  http://127.0.0.1:8001/   HTTP -> API Gateway REST proxy event -> functions/api handler
    aws:  http://127.0.0.1:N/      moto_server (in-process, stopped with the sandbox)

Local setup hooks (the seam for other areas)
-------------------------------------------
`LOCAL_SETUP` is a list of callables run in order after moto is up and before the first
request. Each gets the `LocalAws` and may:

- create resources with `aws.client("<service>")` (already pointed at moto),
- add environment variables for the API handler to `aws.env` (e.g. `EVENTS_TOPIC_ARN`),
- record what it made in `aws.resources` (printed as `<key>: <value>` lines at start),
- start background work (e.g. an SQS worker loop) that polls with a bounded wait and
  returns when `aws.stopping` is set,
- return a cleanup callable (or None); cleanups run in reverse order at shutdown.

`create_local_stack` (platformctl/local_messaging.py) is the default hook: it materialises
the offline plan of the `local` stack in moto (the program's own tables, topics, queues and
subscriptions, offline/materialise.py), gives the API and the worker their functions'
environment from that plan, and starts the real worker polling the queue; the form's
`subscriber.created` events then flow API -> DynamoDB -> SNS -> SQS -> worker locally, and
each record the worker handles is printed on stderr (`worker processed subscriber.created <event id>`).
"""

from __future__ import annotations

import faulthandler
import gc
import json
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from offline.materialise import MaterialiseError

from .local_messaging import create_local_stack
from .local_ocr import create_ocr
from .sandbox_events import StageThrottle, proxy_event, response_parts

ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = ROOT / "site"
HOST = "127.0.0.1"
REGION = "eu-west-1"
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
# Routes the deployed API authorizes with IAM (ServerlessApi: GET /subscribers/{email}). The
# sandbox checks that a SigV4 Authorization header is there, not its signature.
IAM_ROUTES = (("GET", re.compile(r"^/subscribers/[^/]+$")),)


class SandboxError(Exception):
    """Could not start the sandbox (port taken, moto failed): one line for the operator."""


@dataclass
class LocalAws:
    """What a local setup hook gets: moto's endpoint, the handler's env, the stop signal."""

    endpoint_url: str
    region: str = REGION
    env: dict[str, str] = field(default_factory=dict)
    resources: dict[str, str] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    plan: Any = None
    """The offline plan to materialise (None: the `local` stack's, planned at start)."""
    clients: dict[str, Any] = field(default_factory=dict)
    """boto3 clients on moto for what the plan materialises (set with `materialised`)."""
    materialised: Any = None
    """What the first hook created from `plan` (offline.materialise.Materialised; local_plan.materialised)."""
    local_messaging: Any = None
    """Set by `create_local_stack`: the materialised messaging resources and their clients."""
    local_ocr: Any = None
    """Set by `create_ocr`: the materialised TextExtraction resources and their clients."""

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region,
                            aws_access_key_id="sandbox", aws_secret_access_key="sandbox")  # noqa: S106 (moto)


LocalSetup = Callable[[LocalAws], Callable[[], None] | None]


LOCAL_SETUP: list[LocalSetup] = [create_local_stack, create_ocr]


class SandboxContext:
    """The Lambda context the handler's Powertools logger reads."""

    function_name = "sandbox-api"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:sandbox-api"
    aws_request_id = "sandbox"
    log_group_name = "/aws/lambda/sandbox-api"
    log_stream_name = "sandbox"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def _api_handler_class(invoke: Callable[[dict], dict], origin: str,
                       throttle: StageThrottle | None = None) -> type[BaseHTTPRequestHandler]:
    # One request at a time through the handler, as in one Lambda execution environment
    # (Powertools keeps the current event on the resolver).
    lock = threading.Lock()
    gateway_cors = {"Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Headers": "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key"}

    class ApiHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "cloud-platform-sandbox"

        def _gateway_error(self, status: int, message: str) -> None:
            """What API Gateway answers itself (DEFAULT_4XX/5XX responses, with CORS)."""
            self._send(status, [("Content-Type", "application/json"), *gateway_cors.items()],
                       json.dumps({"error": message}).encode())

        def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _proxy(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0:
                self.close_connection = True
                return self._gateway_error(HTTPStatus.BAD_REQUEST, "invalid Content-Length")
            if length > MAX_REQUEST_BYTES:
                self.close_connection = True
                return self._gateway_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Too Long")
            body = self.rfile.read(length) if length else b""
            if throttle is not None and not throttle.admit():
                return self._gateway_error(HTTPStatus.TOO_MANY_REQUESTS, "Too Many Requests")
            url = urlsplit(self.path)
            path = unquote(url.path) or "/"
            if self._needs_signature(path):
                return self._gateway_error(HTTPStatus.FORBIDDEN, "Missing Authentication Token")
            event = proxy_event(
                self.command, path, list(self.headers.items()),
                parse_qs(url.query, keep_blank_values=True), body, source_ip=self.client_address[0],
            )
            try:
                with lock:
                    response = invoke(event)
                status, headers, payload = response_parts(response)
            except Exception:  # a crashed function: API Gateway answers 502 itself
                logging.getLogger("sandbox").exception("the API handler failed")
                return self._gateway_error(HTTPStatus.BAD_GATEWAY, "Internal server error")
            self._send(status, headers, payload)

        def _needs_signature(self, path: str) -> bool:
            signed = (self.headers.get("Authorization") or "").startswith("AWS4-HMAC-SHA256 ")
            return not signed and any(self.command == m and route.match(path) for m, route in IAM_ROUTES)

        def _unknown_method(self) -> None:
            self.close_connection = True  # the body, if any, is not read
            self._gateway_error(HTTPStatus.FORBIDDEN, "Missing Authentication Token")

        def __getattr__(self, name: str) -> Any:
            # An `ANY` method covers GET, POST, PUT, DELETE, PATCH, OPTIONS and HEAD; API Gateway
            # answers anything else (TRACE, made-up verbs) itself like a method it does not have:
            # 403 "Missing Authentication Token", JSON with CORS (http.server would send an HTML 501).
            if name.startswith("do_"):
                return self._unknown_method
            raise AttributeError(name)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _proxy  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base class signature)
            sys.stderr.write(f"api  {self.address_string()} {format % args}\n")

    return ApiHandler


def _site_handler_class(site_dir: Path, config: Callable[[], bytes]) -> type[SimpleHTTPRequestHandler]:
    class SiteHandler(SimpleHTTPRequestHandler):
        server_version = "cloud-platform-sandbox"

        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, directory=str(site_dir), **kwargs)

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")  # edits show up on reload
            super().end_headers()

        def do_GET(self) -> None:  # noqa: N802
            if urlsplit(self.path).path == "/config.js":
                body = config()
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "text/javascript; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            sys.stderr.write(f"site {self.address_string()} {format % args}\n")

    return SiteHandler


def _bind(port: int, handler: type[BaseHTTPRequestHandler], what: str) -> ThreadingHTTPServer:
    try:
        server = ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        raise SandboxError(f"cannot listen on {HOST}:{port} for the {what} ({exc.strerror or exc})") from None
    server.daemon_threads = True
    return server


class Sandbox:
    """Moto, the hooks, the API server and the site server; `start()` then `stop()`."""

    def __init__(self, port: int = 8000, api_port: int | None = None, site_dir: Path = SITE_DIR,
                 setup: list[LocalSetup] | None = None, plan: Any = None):
        self.port = port
        self.api_port = port + 1 if api_port is None and port else (api_port or 0)
        self.site_dir = site_dir
        self.setup = LOCAL_SETUP if setup is None else setup
        self.plan = plan
        self._cleanups: list[Callable[[], None]] = []
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self._moto: Any = None
        self._saved_env: dict[str, str] | None = None
        self.aws: LocalAws | None = None
        self.throttle: StageThrottle | None = None

    # Stack-output names (`pulumi stack output --json`) of what the hooks create: `outputs()`
    # has the shape of a deployed stack's outputs, so `platformctl smoke` probes either.
    OUTPUT_KEYS = {"table": "tableName", "topic": "topicArn", "queue": "queueUrl", "dlq": "dlqUrl",
                   "worker_table": "idempotencyTableName"}

    def outputs(self) -> dict[str, str]:
        assert self.aws is not None, "start() first"
        found = {self.OUTPUT_KEYS[k]: v for k, v in self.aws.resources.items() if k in self.OUTPUT_KEYS}
        return {"apiUrl": self.api_url, "siteUrl": self.site_url, **found}

    @property
    def site_url(self) -> str:
        return f"http://{HOST}:{self._servers[1].server_address[1]}/"

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self._servers[0].server_address[1]}/"

    def start(self) -> None:
        if not (self.site_dir / "index.html").is_file():
            raise SandboxError(f"no index.html in {self.site_dir}")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        from .moto_server import SerialMotoServer

        self._saved_env = dict(os.environ)  # restored by stop(): the sandbox may run inside a test

        # One request at a time: the API and worker threads use moto at once (see moto_server.py).
        self._moto = SerialMotoServer(ip_address=HOST, port=0, verbose=False)
        self._moto.start()
        host, moto_port = self._moto.get_host_and_port()
        self.aws = aws = LocalAws(endpoint_url=f"http://{host}:{moto_port}", plan=self.plan)
        self._reset_moto()  # each start is empty, whatever else in this process used moto before
        # The handler's boto3 clients find moto through the standard variables; dummy
        # credentials make sure nothing can reach a real account from here.
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(key, None)
        os.environ.update(AWS_ENDPOINT_URL=aws.endpoint_url, AWS_DEFAULT_REGION=aws.region, AWS_REGION=aws.region,
                          AWS_ACCESS_KEY_ID="sandbox", AWS_SECRET_ACCESS_KEY="sandbox")  # noqa: S106 (moto)
        # Bind both ports before the hooks (a taken port fails before any worker starts) and
        # before importing the handler (its CORS origin is the site's origin).
        api = _bind(self.api_port, BaseHTTPRequestHandler, "API")
        self._servers.append(api)
        site = _bind(self.port, BaseHTTPRequestHandler, "site")
        self._servers.append(site)
        for hook in self.setup:
            try:
                cleanup = hook(aws)
            except MaterialiseError as exc:  # the plan could not be created in moto: one line
                raise SandboxError(str(exc)) from None
            if cleanup is not None:
                self._cleanups.append(cleanup)

        site_origin = self.site_url.rstrip("/")
        os.environ.update(aws.env, ALLOWED_ORIGIN=site_origin, POWERTOOLS_SERVICE_NAME="sandbox-api")

        from functions.api import handler

        context = SandboxContext()
        self.throttle = StageThrottle.from_plan(aws.plan)
        api.RequestHandlerClass = _api_handler_class(
            lambda event: handler.lambda_handler(event, context), site_origin, self.throttle)
        api_base = self.api_url.rstrip("/")
        config = f"window.APP_CONFIG = {json.dumps({'apiUrl': api_base})};\n".encode()
        site.RequestHandlerClass = _site_handler_class(self.site_dir, lambda: config)
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        if self.aws is not None:
            self.aws.stopping.set()
        for server in self._servers:
            if self._threads:
                server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        for cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except Exception:  # one failing cleanup must not keep moto running
                logging.getLogger("sandbox").exception("cleanup failed")
        if self._moto is not None:
            self._reset_moto()
            self._moto.stop()
        self._servers, self._threads, self._cleanups, self._moto = [], [], [], None
        if self._saved_env is not None:
            os.environ.clear()
            os.environ.update(self._saved_env)
            self._saved_env = None

    def _reset_moto(self) -> None:
        """Forget what is in moto (backends are per process): each start is empty, and the next
        sandbox in this process (tests) does not find this one's tables."""
        from .moto_server import reset_moto

        assert self.aws is not None
        try:
            reset_moto(self.aws.endpoint_url)
        except OSError:
            logging.getLogger("sandbox").exception("could not reset moto")


def run(port: int, api_port: int | None, site_dir: Path = SITE_DIR, out: Any = None,
        outputs_file: Path | None = None) -> None:
    """Start, print the URLs (and write the stack-shaped outputs), serve until SIGINT/SIGTERM, stop."""
    out = out or sys.stdout
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    # A supervisor about to kill a stuck sandbox asks where it was (the real stderr: in-process runs capture sys.stderr).
    faulthandler.register(signal.SIGUSR1, file=sys.__stderr__)
    sandbox = Sandbox(port, api_port, site_dir)
    started = False
    try:
        sandbox.start()
        started = True
        # What start-up built (the plan, moto's and boto3's models) lives as long as the process:
        # left to the collector, the final collection at exit walks it all, seconds after SIGTERM.
        gc.freeze()
        assert sandbox.aws is not None
        if outputs_file is not None:  # before the banner: whoever waits for the banner may read it at once
            try:
                outputs_file.write_text(json.dumps(sandbox.outputs(), indent=2) + "\n")
            except OSError as exc:
                raise SandboxError(f"cannot write {outputs_file}: {exc.strerror}") from None
        print(f"site: {sandbox.site_url}", file=out)
        print(f"api: {sandbox.api_url}", file=out)
        print(f"aws: {sandbox.aws.endpoint_url}/", file=out)
        for key, value in sandbox.aws.resources.items():
            print(f"{key}: {value}", file=out)
        out.flush()
        print("serving; Ctrl-C or SIGTERM stops the sandbox", file=sys.stderr, flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        faulthandler.unregister(signal.SIGUSR1)
        if started:
            print("sandbox stopped", file=sys.stderr, flush=True)
