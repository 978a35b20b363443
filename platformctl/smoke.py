"""`platformctl smoke`: did the deploy work? Probes against a deployed stack's outputs.

One probe per promise the stack makes, each printed as one line (`ok`, `FAIL` or `skip`):

  web-<colour>   GET <webUrl or http://albDnsName>/health with the colour's test header (every colour
                 that has traffic): the listener, the colour's target group and instances
  container      GET <containerUrl>: the listener rule, the Fargate service and its image
  api-hello      GET <apiUrl>hello?name=smoke with the site's Origin: JSON greeting + CORS
  api-subscribe  preflight + POST <apiUrl>subscribers from the site's origin (202, CORS), then the
                 stored item read back with a SigV4-signed GET (the route is IAM-authorized)
  site           <siteUrl> in headless Chromium: the page loads its config and its form calls the API
  worker         the subscriber.created event of that subscription reaches the worker: its
                 idempotency record is COMPLETED (API -> SNS -> SQS -> worker)

A probe whose part the stack does not have (no web tier, no container) is skipped. The
sandbox (`platformctl sandbox --outputs FILE`) writes outputs of the same shape, so the same
probes run against it in the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from .rollout import web_base_url

TEST_HEADER = "X-Colour"  # web.rollout.testHeader: routes to one colour whatever the weights
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


class SmokeError(Exception):
    """The probes cannot start (outputs unreadable); one line for the operator."""


@dataclass
class Result:
    probe: str
    status: str  # ok | FAIL | skip
    detail: str

    def line(self) -> str:
        return f"{self.status:<4} {self.probe:<14} {self.detail}"


class ProbeFailedError(Exception):
    """The probe found the stack not doing what it promises (the line says what)."""


class _SkippedError(Exception):
    """The probe was turned off (--no-browser)."""


@dataclass
class Context:
    outputs: dict[str, Any]
    timeout: float
    browser: bool
    run_id: str

    @property
    def origin(self) -> str:
        parts = urlsplit(str(self.outputs.get("siteUrl", "")))
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "https://example.org"

    @property
    def domain(self) -> str:
        return f"smoke-{self.run_id}.example.org"

    @property
    def email(self) -> str:
        return f"smoke@{self.domain}"


# --- HTTP ------------------------------------------------------------------------------------------
def http(method: str, url: str, timeout: float, headers: dict[str, str] | None = None,
         body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310 (http(s) outputs)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProbeFailedError(f"{method} {url}: {reason}") from None


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise ProbeFailedError(message)


def _cors(ctx: Context, headers: dict[str, str], what: str) -> None:
    allowed = headers.get("access-control-allow-origin")
    _expect(allowed in ("*", ctx.origin), f"{what}: Access-Control-Allow-Origin {allowed!r} does not admit {ctx.origin}")


# --- probes ----------------------------------------------------------------------------------------
def probe_web(ctx: Context, colour: str) -> str:
    url = f"{web_base_url(ctx.outputs)}/health"
    status, _, body = http("GET", url, ctx.timeout, {TEST_HEADER: colour})
    _expect(status == 200, f"GET {url} ({TEST_HEADER}: {colour}) answered {status}")
    return f"GET /health ({TEST_HEADER}: {colour}) 200 {body[:40].decode(errors='replace').strip()!r}"


def probe_container(ctx: Context) -> str:
    url = str(ctx.outputs["containerUrl"])
    status, _, _ = http("GET", url, ctx.timeout)
    _expect(status == 200, f"GET {url} answered {status}")
    return f"GET {urlsplit(url).path} 200"


def probe_hello(ctx: Context) -> str:
    url = f"{ctx.outputs['apiUrl']}hello?name=smoke"
    status, headers, body = http("GET", url, ctx.timeout, {"Origin": ctx.origin})
    _expect(status == 200, f"GET {url} answered {status}: {body[:120]!r}")
    _expect(json.loads(body) == {"message": "Hello, smoke!"}, f"GET {url} answered {body[:120]!r}")
    _cors(ctx, headers, "GET /hello")
    return f"GET /hello 200 {{'message': 'Hello, smoke!'}}, CORS for {ctx.origin}"


def probe_subscribe(ctx: Context) -> str:
    api = str(ctx.outputs["apiUrl"])
    status, headers, _ = http("OPTIONS", f"{api}subscribers", ctx.timeout, {
        "Origin": ctx.origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    _expect(200 <= status < 300, f"preflight OPTIONS /subscribers answered {status}")
    _cors(ctx, headers, "preflight")
    payload = json.dumps({"name": "Smoke Test", "email": ctx.email}).encode()
    status, headers, body = http("POST", f"{api}subscribers", ctx.timeout,
                                 {"Origin": ctx.origin, "Content-Type": "application/json"}, payload)
    # 202 and the same body for a new or a known address (the API does not tell who subscribed).
    _expect(status == 202, f"POST /subscribers answered {status}: {body[:120]!r}")
    _cors(ctx, headers, "POST /subscribers")
    url = f"{api}subscribers/{quote(ctx.email, safe='')}"
    status, _, body = http("GET", url, ctx.timeout, signed_headers("GET", url, region_of(ctx.outputs)))
    _expect(status == 200 and json.loads(body).get("email") == ctx.email,
            f"signed GET /subscribers/{{email}} answered {status}: {body[:120]!r}")
    return f"preflight + POST /subscribers 202 + signed GET 200 ({ctx.email})"


def probe_site(ctx: Context) -> str:
    if not ctx.browser:
        raise _SkippedError("--no-browser")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise ProbeFailedError("chromium is not installed (apt-get install -y chromium), or pass --no-browser")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ModuleNotFoundError:
        raise ProbeFailedError("needs playwright: pip install -r requirements-dev.txt, or pass --no-browser") from None
    email = f"site@{ctx.domain}"
    api_calls: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True,
                                                 timeout=ctx.timeout * 1000)
            try:
                page = browser.new_page()
                page.set_default_timeout(ctx.timeout * 1000)
                page.on("request", lambda r: api_calls.append(r.url) if r.url.startswith(str(ctx.outputs["apiUrl"])) else None)
                page.goto(str(ctx.outputs["siteUrl"]))
                page.get_by_label("Name").fill("Smoke Browser")
                page.get_by_label("E-mail address").fill(email)
                page.get_by_role("button", name="Subscribe").click()
                status = page.get_by_role("status")
                status.filter(has_text=email).wait_for()
                text = status.inner_text()
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise ProbeFailedError(f"site in chromium: {str(exc).splitlines()[0]}") from None
    _expect(text.startswith("Subscribed"), f"site shows {text!r}")
    _expect(any(u.startswith(f"{ctx.outputs['apiUrl']}subscribers") for u in api_calls), "the page did not call the API")
    return f"form -> API from {ctx.origin}: {text!r}"


def probe_worker(ctx: Context) -> str:
    import boto3

    table = str(ctx.outputs["idempotencyTableName"])
    dynamodb = boto3.client("dynamodb", region_name=region_of(ctx.outputs))
    deadline = time.monotonic() + ctx.timeout
    seen: list[str] = []
    while True:
        records = _worker_records(dynamodb, table, ctx.domain)
        seen = [r.get("status", {}).get("S", "?") for r in records]
        if "COMPLETED" in seen:
            return f"idempotency record COMPLETED for the subscriber.created event of {ctx.email}"
        if time.monotonic() >= deadline:
            raise ProbeFailedError(
                f"no COMPLETED record in {table} for {ctx.domain} after {ctx.timeout:g} s (seen: {seen or 'none'})")
        time.sleep(1.0)


def _worker_records(dynamodb: Any, table: str, domain: str) -> list[dict]:
    """Idempotency records (Powertools: `status`, the handler's return value as JSON in `data`)
    whose result welcomed a subscriber of `domain`."""
    records, kwargs = [], {"TableName": table, "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**kwargs)
        records += [item for item in page.get("Items", []) if _welcomed_domain(item) == domain]
        if "LastEvaluatedKey" not in page:
            return records
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _welcomed_domain(item: dict) -> str | None:
    try:
        stored = json.loads(item.get("data", {}).get("S", "null"))
    except json.JSONDecodeError:
        return None
    result = stored.get("result", stored) if isinstance(stored, dict) else None
    return result.get("emailDomain") if isinstance(result, dict) else None


# --- AWS helpers -----------------------------------------------------------------------------------
def region_of(outputs: dict[str, Any]) -> str:
    for key in ("topicArn", "opsTopicArn", "albArn"):
        value = str(outputs.get(key, ""))
        if value.startswith("arn:") and len(value.split(":")) > 3:
            return value.split(":")[3]
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"


def signed_headers(method: str, url: str, region: str) -> dict[str, str]:
    """SigV4 headers for execute-api (IAM-authorized routes), from the standard credential chain."""
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise ProbeFailedError("no AWS credentials to sign the request (AWS_PROFILE, SSO or environment variables)")
    request = AWSRequest(method=method, url=url)
    SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region).add_auth(request)
    return dict(request.headers.items())


# --- the suite -------------------------------------------------------------------------------------
def plan(ctx: Context) -> list[tuple[str, Callable[[], str] | None, str]]:
    """(probe, run or None to skip, why skipped) in the order they run."""
    o = ctx.outputs
    steps: list[tuple[str, Callable[[], str] | None, str]] = []
    weights = o.get("trafficWeights") if isinstance(o.get("trafficWeights"), dict) else {}
    if o.get("albDnsName") and weights:
        for colour, weight in sorted(weights.items()):
            if int(weight) > 0:
                steps.append((f"web-{colour}", lambda c=colour: probe_web(ctx, c), ""))
            else:
                steps.append((f"web-{colour}", None, "no traffic on this colour"))
    else:
        steps.append(("web", None, "no web tier in this stack (no albDnsName/trafficWeights output)"))
    steps.append(("container", (lambda: probe_container(ctx)) if o.get("containerUrl") else None,
                  "no container service in this stack"))
    has_api = bool(o.get("apiUrl"))
    steps.append(("api-hello", (lambda: probe_hello(ctx)) if has_api else None, "no API in this stack"))
    steps.append(("api-subscribe", (lambda: probe_subscribe(ctx)) if has_api else None, "no API in this stack"))
    steps.append(("site", (lambda: probe_site(ctx)) if has_api and o.get("siteUrl") else None, "no website in this stack"))
    steps.append(("worker", (lambda: probe_worker(ctx)) if has_api and o.get("idempotencyTableName") else None,
                  "no messaging worker in this stack"))
    return steps


def run(outputs: dict[str, Any], timeout: float = 60.0, browser: bool = True,
        emit: Callable[[str], None] = print) -> list[Result]:
    ctx = Context(outputs=outputs, timeout=timeout, browser=browser, run_id=uuid.uuid4().hex[:10])
    results: list[Result] = []
    subscribed = True
    for name, probe, why in plan(ctx):
        if probe is None:
            result = Result(name, "skip", why)
        elif name == "worker" and not subscribed:
            result = Result(name, "FAIL", "no event to follow: api-subscribe failed")
        else:
            try:
                result = Result(name, "ok", probe())
            except _SkippedError as exc:
                result = Result(name, "skip", str(exc))
            except ProbeFailedError as exc:
                result = Result(name, "FAIL", str(exc))
            except Exception as exc:  # an AWS error, a non-JSON answer: the probe failed, the suite goes on
                result = Result(name, "FAIL", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        if name == "api-subscribe":
            subscribed = result.status == "ok"
        results.append(result)
        emit(result.line())
    return results


def read_outputs(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise SmokeError(f"cannot read stack outputs from {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise SmokeError(f"{path} is not JSON (`pulumi stack output --json`): {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise SmokeError(f"{path} must hold a JSON object of stack outputs")
    return data
