"""API Gateway REST proxy events for handler tests (the sandbox builds the same shape)."""

from __future__ import annotations

import json
from typing import Any

from platformctl.sandbox_events import proxy_event


def event(method: str, path: str, *, query: dict[str, str | list[str]] | None = None,
          headers: dict[str, str] | None = None, body: Any = None, origin: str | None = "http://127.0.0.1:8000") -> dict:
    hdrs = dict(headers or {})
    if origin is not None:
        hdrs.setdefault("Origin", origin)
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
        hdrs.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    multi_query = {k: v if isinstance(v, list) else [v] for k, v in (query or {}).items()}
    return proxy_event(method, path, list(hdrs.items()), multi_query, body or b"")


def headers(response: dict) -> dict[str, str]:
    """Response headers, case-folded, last value wins."""
    out = {k.lower(): v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()}
    out.update({k.lower(): v for k, v in (response.get("headers") or {}).items()})
    return out


def body(response: dict) -> Any:
    return json.loads(response["body"])
