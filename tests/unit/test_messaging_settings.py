"""Messaging settings: every bad value is one line naming key, value and what is allowed."""

from __future__ import annotations

import pytest

from tests.conftest import error_of, settings_with


def test_defaults_follow_aws_advice():
    m = settings_with(messaging={"enabled": True}).messaging
    assert m.max_receive_count == 5
    assert m.queue_visibility_seconds == 6 * m.worker.timeout_seconds
    assert (m.worker.batch_size, m.worker.maximum_batching_window_seconds) == (10, 0)
    assert m.latency_lab.enabled is False and m.protect is False


def test_window_counts_towards_visibility_and_allows_large_batches():
    m = settings_with(messaging={"worker": {"timeoutSeconds": 60, "batchSize": 10000, "maximumBatchingWindowSeconds": 20}}).messaging
    assert m.queue_visibility_seconds == 380


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"maxReceiveCount": 0}, "cloud-platform:messaging.maxReceiveCount must be >= 1 (got 0)"),
        ({"maxReceiveCount": 1001}, "cloud-platform:messaging.maxReceiveCount must be <= 1000 (got 1001)"),
        (
            {"visibilityTimeoutSeconds": 100, "worker": {"timeoutSeconds": 30}},
            "cloud-platform:messaging.visibilityTimeoutSeconds must be >= 180 (6 x worker.timeoutSeconds 30 + "
            "worker.maximumBatchingWindowSeconds 0, AWS's advice for SQS-triggered Lambdas; got 100)",
        ),
        ({"visibilityTimeoutSeconds": 50000}, "cloud-platform:messaging.visibilityTimeoutSeconds must be <= 43200 (got 50000)"),
        (
            {"subscriptions": {"emails": ["ops@example.com", "not-an-address"]}},
            "cloud-platform:messaging.subscriptions.emails must contain only e-mail addresses such as ops@example.com "
            "('not-an-address' is not one)",
        ),
        ({"subscriptions": {"sms": ["0151 123"]}}, "cloud-platform:messaging.subscriptions.sms must contain only E.164 phone numbers"),
        ({"worker": {"batchSize": 0}}, "cloud-platform:messaging.worker.batchSize must be >= 1 (got 0)"),
        ({"worker": {"batchSize": 10001, "maximumBatchingWindowSeconds": 1}},
         "cloud-platform:messaging.worker.batchSize must be <= 10000 (got 10001)"),
        (
            {"worker": {"batchSize": 11}},
            "cloud-platform:messaging.worker.batchSize must be <= 10 unless maximumBatchingWindowSeconds >= 1 "
            "(AWS rule for standard queues; got batchSize 11 with window 0)",
        ),
        ({"worker": {"maximumBatchingWindowSeconds": 301}},
         "cloud-platform:messaging.worker.maximumBatchingWindowSeconds must be <= 300 (got 301)"),
        ({"worker": {"timeoutSeconds": 901}}, "cloud-platform:messaging.worker.timeoutSeconds must be <= 900 (got 901)"),
        ({"worker": {"maximumConcurrency": 1}}, "cloud-platform:messaging.worker.maximumConcurrency must be >= 2 (got 1)"),
        ({"notifier": {"maximumRetryAttempts": 3}}, "cloud-platform:messaging.notifier.maximumRetryAttempts must be <= 2 (got 3)"),
        ({"notifier": {"maximumEventAgeSeconds": 30}},
         "cloud-platform:messaging.notifier.maximumEventAgeSeconds must be >= 60 (got 30)"),
        ({"messageRetentionSeconds": 1209601},
         "cloud-platform:messaging.messageRetentionSeconds must be <= 1209600 (got 1209601)"),
        (
            {"messageRetentionSeconds": 864000, "idempotencyTtlSeconds": 86400},
            "cloud-platform:messaging.idempotencyTtlSeconds must be >= messageRetentionSeconds 864000",
        ),
        ({"logRetentionDays": 10}, "cloud-platform:messaging.logRetentionDays must be one of 1, 3, 5, 7, 14"),
        ({"encryption": "alias/aws/sqs"},
         "cloud-platform:messaging.encryption must be one of 'customer-key' or 'aws-managed' (got 'alias/aws/sqs')"),
        ({"latencyLab": {"type": "FAST"}}, "cloud-platform:messaging.latencyLab.type must be one of 'EXPRESS' or 'STANDARD'"),
        ({"maxReceive": 3}, "cloud-platform:messaging.maxReceive is not a known setting (allowed: enabled, maxReceiveCount"),
    ],
)
def test_bad_values_are_one_line(section, expected):
    assert expected in error_of(messaging=section)
