"""HTTP request <-> API Gateway REST proxy event, as API Gateway's Lambda proxy does it (and its throttling).

Used by the sandbox's API server and by the handler tests, so both drive the handler
with the same event shape (payload format 1.0: `headers` + `multiValueHeaders`, query
strings in both forms, `path` without the stage, `requestContext.path` with it).
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

STAGE = "sandbox"


def proxy_event(
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    query: dict[str, list[str]],
    body: bytes,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    multi_headers: dict[str, list[str]] = {}
    for key, value in headers:
        multi_headers.setdefault(key, []).append(value)
    try:
        text: str | None = body.decode("utf-8") if body else None
        is_base64 = False
    except UnicodeDecodeError:  # API Gateway hands binary bodies over base64-encoded
        text, is_base64 = base64.b64encode(body).decode(), True
    request_id = str(uuid.uuid4())
    return {
        "resource": "/{proxy+}" if path != "/" else "/",
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": dict(query) or None,
        "pathParameters": {"proxy": path.lstrip("/")} if path != "/" else None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}" if path != "/" else "/",
            "httpMethod": method,
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "accountId": "123456789012",
            "apiId": "sandbox",
            "protocol": "HTTP/1.1",
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip, "userAgent": multi_headers.get("User-Agent", [None])[-1]},
        },
        "body": text,
        "isBase64Encoded": is_base64,
    }


def response_parts(response: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body bytes of a proxy integration response."""
    headers: list[tuple[str, str]] = []
    for key, values in (response.get("multiValueHeaders") or {}).items():
        headers.extend((key, str(v)) for v in values)
    single = response.get("headers") or {}
    seen = {k.lower() for k, _ in headers}
    headers.extend((k, str(v)) for k, v in single.items() if k.lower() not in seen)
    raw = response.get("body") or ""
    body = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
    return int(response["statusCode"]), headers, body


class StageThrottle:
    """API Gateway's stage throttling (token bucket: `rate` requests/s, `burst` at once), with the
    limits of the plan's MethodSettings, so a client sees the 429s it would see in AWS."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._tokens, self._at, self._lock = float(burst), clock(), threading.Lock()
        self.rejected = 0

    @classmethod
    def from_plan(cls, plan: Any) -> StageThrottle | None:
        for r in plan.resources if plan is not None else []:
            is_method_settings = r.type == "aws:apigateway/methodSettings:MethodSettings"
            settings = (r.inputs.get("settings") or {}) if is_method_settings else {}
            if settings.get("throttlingBurstLimit") is not None and settings.get("throttlingRateLimit") is not None:
                return cls(float(settings["throttlingRateLimit"]), int(settings["throttlingBurstLimit"]))
        return None

    def admit(self) -> bool:
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            self.rejected += 1
            return False
