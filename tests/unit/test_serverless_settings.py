"""ServerlessApi settings: defaults, shipped stacks, one-line errors."""

from __future__ import annotations

import pytest

from tests.conftest import error_of, settings_with


def test_defaults():
    s = settings_with(serverless={"enabled": True}).serverless
    assert (s.hosting, s.memory_size, s.timeout) == ("s3-website", 256, 10)
    assert (s.throttling.rate_limit, s.throttling.burst_limit) == (50.0, 100)
    assert (s.pitr, s.protect, s.tracing, s.allowed_origin) == (False, False, False, "*")


@pytest.mark.parametrize(
    ("serverless", "expected"),
    [
        ({"hosting": "s3"}, "cloud-platform:serverless.hosting must be one of 's3-website' or 'cloudfront' (got 's3')"),
        ({"memorySize": 127}, "cloud-platform:serverless.memorySize must be >= 128 (got 127)"),
        ({"memorySize": 10241}, "cloud-platform:serverless.memorySize must be <= 10240 (got 10241)"),
        ({"memorySize": "big"}, "cloud-platform:serverless.memorySize must be a whole number (got 'big')"),
        ({"timeout": 0}, "cloud-platform:serverless.timeout must be >= 1 (got 0)"),
        ({"timeout": 901}, "cloud-platform:serverless.timeout must be <= 900 (got 901)"),
        ({"throttling": {"rateLimit": 0}}, "cloud-platform:serverless.throttling.rateLimit must be > 0 (got 0)"),
        ({"throttling": {"rateLimit": -5}}, "cloud-platform:serverless.throttling.rateLimit must be > 0 (got -5)"),
        ({"throttling": {"burstLimit": 0}}, "cloud-platform:serverless.throttling.burstLimit must be >= 1 (got 0)"),
        ({"throttling": {"burstLimit": 2.5}}, "cloud-platform:serverless.throttling.burstLimit must be a whole number (got 2.5)"),
        ({"throttling": {"burst": 5}}, "cloud-platform:serverless.throttling.burst is not a known setting (allowed: rateLimit, burstLimit)"),
        ({"logRetentionDays": 10}, "cloud-platform:serverless.logRetentionDays must be one of 1, 3, 5, 7, 14"),
        ({"pitr": "maybe"}, "cloud-platform:serverless.pitr must be true or false (got 'maybe')"),
        ({"powertoolsLayerVersion": 0}, "cloud-platform:serverless.powertoolsLayerVersion must be >= 1 (got 0)"),
        ({"allowedOrigin": "example.org"}, "cloud-platform:serverless.allowedOrigin must be *, site or one https:// origin"),
        ({"allowedOrigin": "https://x.org/path"}, "cloud-platform:serverless.allowedOrigin must be *, site or one https:// origin"),
        ({"allowedOrigin": "http://www.example.org"},
         "cloud-platform:serverless.allowedOrigin must be *, site or one https:// origin such as https://www.example.org "
         "(got 'http://www.example.org')"),
        ({"memory": 256}, "cloud-platform:serverless.memory is not a known setting (allowed: enabled, hosting, memorySize"),
    ],
)
def test_invalid_serverless(serverless, expected):
    message = error_of(serverless=serverless)
    assert message.startswith(expected)
    assert message.count("(got ") <= 1


@pytest.mark.parametrize("origin", ["*", "site", "https://www.example.org", "https://127.0.0.1:8443"])
def test_allowed_origins(origin):
    assert settings_with(serverless={"allowedOrigin": origin}).serverless.allowed_origin == origin
