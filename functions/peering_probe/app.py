"""Peering probe: resolve each target, then time TCP handshakes to it (one round trip each).

Runs in the peer VPC; `platformctl peering-check` invokes it with the home endpoints and reads
back, per target, what the name resolved to and the connect times or why they failed. Plain
standard library: the function has no internet access and needs no dependencies.

Event:  {"targets": [{"host": "...", "port": 80}], "samples": 10, "timeoutSeconds": 2}
Result: {"results": [{"host", "port", "address", "dnsError", "samplesMs": [...], "errors": [...]}]}
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from typing import Any

MAX_TARGETS = 10
MAX_SAMPLES = 50
MAX_TIMEOUT = 5.0


class BadEventError(ValueError):
    """The invoke payload is not a probe request."""


def _targets(event: dict[str, Any]) -> list[tuple[str, int]]:
    targets = event.get("targets")
    if not isinstance(targets, list) or not 1 <= len(targets) <= MAX_TARGETS:
        raise BadEventError(f"targets must be a list of 1-{MAX_TARGETS} {{host, port}} objects")
    parsed = []
    for index, t in enumerate(targets):
        host, port = (t or {}).get("host"), (t or {}).get("port")
        if not isinstance(host, str) or not host or not isinstance(port, int) or not 0 < port < 65536:
            raise BadEventError(f"targets[{index}] needs a host name or address and a TCP port 1-65535 (got {t!r})")
        parsed.append((host, port))
    return parsed


def _resolve(host: str, resolve: Callable[..., Any]) -> str:
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    infos = resolve(host, None, socket.AF_INET, socket.SOCK_STREAM)
    return infos[0][4][0]


def _classify(exc: OSError) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    return f"unreachable: {exc.strerror or exc}"


def probe(event: dict[str, Any], resolve: Callable[..., Any] = socket.getaddrinfo,
          connect: Callable[..., Any] = socket.create_connection,
          clock: Callable[[], float] = time.perf_counter) -> dict[str, Any]:
    targets = _targets(event)
    samples = min(max(int(event.get("samples", 10)), 1), MAX_SAMPLES)
    timeout = min(max(float(event.get("timeoutSeconds", 2.0)), 0.1), MAX_TIMEOUT)
    results = []
    for host, port in targets:
        result: dict[str, Any] = {"host": host, "port": port, "address": None, "dnsError": None,
                                  "samplesMs": [], "errors": []}
        results.append(result)
        try:
            result["address"] = address = _resolve(host, resolve)
        except OSError as exc:
            result["dnsError"] = str(exc) or type(exc).__name__
            continue
        for _ in range(samples):
            start = clock()
            try:
                connect((address, port), timeout=timeout).close()
            except OSError as exc:
                result["errors"].append(_classify(exc))
                if result["errors"][-1] == "timeout":
                    break  # something drops the packets: more samples would only wait longer
                continue
            result["samplesMs"].append(round((clock() - start) * 1000, 3))
    return {"results": results}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return probe(event or {})
    except BadEventError as exc:
        return {"error": str(exc)}
