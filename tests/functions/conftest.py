"""The functions tests' shared fixture beyond tests/harness.py: moto's server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from platformctl.moto_server import start_moto_server


@pytest.fixture
def moto_server() -> Iterator[str]:
    """An empty moto server on 127.0.0.1 (one request at a time, as the sandbox runs it): its endpoint URL."""
    server, endpoint = start_moto_server()
    try:
        yield endpoint
    finally:
        server.stop()
