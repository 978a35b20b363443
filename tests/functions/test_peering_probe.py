"""The peering probe handler: real TCP handshakes on loopback, injected DNS and timeout failures."""

from __future__ import annotations

import socket

import pytest

from functions.peering_probe import app


@pytest.fixture
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_times_each_handshake_to_a_listening_endpoint(listener):
    (result,) = app.lambda_handler({"targets": [{"host": "127.0.0.1", "port": listener}], "samples": 4}, None)["results"]
    assert result["address"] == "127.0.0.1" and result["dnsError"] is None and result["errors"] == []
    assert len(result["samplesMs"]) == 4 and all(ms >= 0 for ms in result["samplesMs"])


def test_refused_means_the_path_works_but_nothing_listens():
    (result,) = app.probe({"targets": [{"host": "127.0.0.1", "port": _closed_port()}], "samples": 3})["results"]
    assert result["samplesMs"] == [] and result["errors"] == ["refused"] * 3


def test_a_timeout_stops_sampling_that_target():
    calls = []

    def connect(address, timeout):
        calls.append((address, timeout))
        raise TimeoutError("timed out")

    (result,) = app.probe({"targets": [{"host": "10.20.32.4", "port": 80}], "samples": 10, "timeoutSeconds": 99},
                          connect=connect)["results"]
    assert result["errors"] == ["timeout"] and calls == [(("10.20.32.4", 80), app.MAX_TIMEOUT)]


def test_names_are_resolved_and_dns_failures_reported():
    def resolve(host, port, family, kind):
        if host == "ec2-54-1-2-3.eu-west-1.compute.amazonaws.com":
            return [(family, kind, 6, "", ("10.20.32.4", 0))]
        raise socket.gaierror(-2, "Name or service not known")

    class Conn:
        def close(self):
            pass

    ticks = iter([0.0, 0.012, 1.0, 1.011])
    results = app.probe({"targets": [{"host": "ec2-54-1-2-3.eu-west-1.compute.amazonaws.com", "port": 80},
                                     {"host": "nowhere.internal", "port": 80}], "samples": 2},
                        resolve=resolve, connect=lambda address, timeout: Conn(), clock=lambda: next(ticks))["results"]
    assert results[0]["address"] == "10.20.32.4" and results[0]["samplesMs"] == [12.0, 11.0]
    assert results[1]["address"] is None and results[1]["dnsError"] == "[Errno -2] Name or service not known"


@pytest.mark.parametrize("event", [{}, {"targets": []}, {"targets": [{"host": "x", "port": 0}]},
                                   {"targets": [{"host": "", "port": 80}]}])
def test_bad_requests_get_an_error_not_an_exception(event):
    assert "targets" in app.lambda_handler(event, None)["error"]
