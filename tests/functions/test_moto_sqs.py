"""moto's SQS sped up by platformctl.moto_server.fast_sqs answers as SQS (and moto) does:
visibility timeouts, delays and the retention period on one controllable clock."""

from __future__ import annotations

import time

import boto3
import pytest
from moto.sqs import models

from platformctl.moto_server import fast_sqs


@pytest.fixture
def clock(aws, monkeypatch):
    """time.time() under the test's control (what fast_sqs's clock reads)."""
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])

    def advance(seconds: float) -> None:
        now[0] += seconds

    return advance


def bodies(sqs, url: str) -> list[str]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return sorted(m["Body"] for m in messages)


def test_is_installed_once_and_replaces_the_retention_check(aws):
    fast_sqs()
    check = models.SQSBackend.is_message_valid_based_on_retention_period
    fast_sqs()
    assert models.SQSBackend.is_message_valid_based_on_retention_period is check
    assert check.__name__ == "within_retention"


def test_visibility_delay_and_retention_follow_the_clock(clock):
    sqs = boto3.client("sqs", region_name="eu-west-1")
    url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60", "VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="a")
    sqs.send_message(QueueUrl=url, MessageBody="b", DelaySeconds=10)
    assert bodies(sqs, url) == ["a"]  # b is delayed
    assert bodies(sqs, url) == []  # a is in flight for 30 s
    clock(11)
    assert bodies(sqs, url) == ["b"]
    clock(20)  # 31 s after a was received: visible again
    assert bodies(sqs, url) == ["a"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == ("0", "2")
    clock(30)  # 61 s after both were sent: past the retention period, never handed out again
    assert bodies(sqs, url) == []
