"""Settings of the Messaging component area (SNS topic, SQS queue + DLQ, two Lambdas).

The AWS limits checked here are the ones a deployment would otherwise fail on minutes in
(SQS retention and visibility ranges, event source mapping batch rules), plus AWS's own
advice for SQS-triggered Lambdas: queue visibility timeout >= 6 x the function timeout
(+ the batching window), so a message is not handed out again while a batch still runs.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import ComponentSection, Section, invalid
from .networking import check_retention

# SQS: MessageRetentionPeriod 60 s .. 14 days, VisibilityTimeout 0 .. 12 h.
MIN_RETENTION_SECONDS = 60
MAX_RETENTION_SECONDS = 14 * 24 * 3600
MAX_VISIBILITY_SECONDS = 12 * 3600
# Event source mapping for a standard queue: 1..10000 records; above 10 a batching window
# (MaximumBatchingWindowInSeconds >= 1) is required; the window is 0..300 s.
MAX_BATCH_NO_WINDOW = 10
MAX_BATCH = 10_000
MAX_WINDOW_SECONDS = 300

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class WorkerSettings(Section):
    """The SQS-triggered worker Lambda and its event source mapping."""

    timeout_seconds: int = Field(30, ge=1, le=900)
    """Seconds the function may run per invocation."""
    memory_mb: int = Field(256, ge=128, le=10240)
    """Memory of the function in MB."""
    batch_size: int = Field(10, ge=1, le=MAX_BATCH)
    """Messages per worker invocation."""
    maximum_batching_window_seconds: int = Field(0, ge=0, le=MAX_WINDOW_SECONDS)
    """Seconds SQS may wait to fill a batch."""
    # ESM scaling cap (AWS: 2..1000); None lets Lambda scale to the queue's backlog.
    maximum_concurrency: int | None = Field(None, ge=2, le=1000)
    """Most concurrent worker invocations from the queue (2-1000; 0: no limit)."""
    retry_delay_seconds: int | None = Field(None, ge=0, le=MAX_VISIBILITY_SECONDS)
    """Seconds until a failed record (poison, effect error) is received again (unset: the queue's
    visibility timeout); a record whose event is being processed elsewhere waits for that claim instead."""

    @model_validator(mode="after")
    def _batch_rules(self) -> WorkerSettings:
        if self.batch_size > MAX_BATCH_NO_WINDOW and self.maximum_batching_window_seconds < 1:
            raise invalid(
                "batchSize",
                f"must be <= {MAX_BATCH_NO_WINDOW} unless maximumBatchingWindowSeconds >= 1 "
                f"(AWS rule for standard queues; got batchSize {self.batch_size} with window "
                f"{self.maximum_batching_window_seconds})",
            )
        return self


class NotifierSettings(Section):
    """The SNS-triggered notifier Lambda and its asynchronous invoke config (destinations)."""

    timeout_seconds: int = Field(10, ge=1, le=900)
    """Seconds the function may run per invocation."""
    memory_mb: int = Field(128, ge=128, le=10240)
    """Memory of the function in MB."""
    # Lambda async invocation limits: 0..2 retries, 60 s .. 6 h event age.
    maximum_retry_attempts: int = Field(2, ge=0, le=2)
    """Retries of a failed asynchronous notifier invocation before the on-failure destination."""
    maximum_event_age_seconds: int = Field(3600, ge=60, le=21600)
    """Oldest event the notifier still processes before the on-failure destination."""


class SubscriptionSettings(Section):
    """Extra SNS subscribers (each e-mail address must confirm the subscription)."""

    emails: list[str] = []
    """E-mail addresses subscribed to the events topic (each confirms once)."""
    sms: list[str] = []
    """Phone numbers (E.164) subscribed to the events topic."""

    @field_validator("emails")
    @classmethod
    def _emails(cls, values: list[str]) -> list[str]:
        for value in values:
            if not EMAIL.match(value):
                raise ValueError(f"must contain only e-mail addresses such as ops@example.com ({value!r} is not one)")
        return values

    @field_validator("sms")
    @classmethod
    def _phones(cls, values: list[str]) -> list[str]:
        for value in values:
            if not E164.match(value):
                raise ValueError(f"must contain only E.164 phone numbers such as +4915112345678 ({value!r} is not one)")
        return values


class LatencyLabSettings(Section):
    """Course project "SQS / SNS examples ... Step Functions and time measurement"."""

    enabled: bool = False
    """The latency lab's Step Functions state machine (platformctl latency)."""
    # EXPRESS answers StartSyncExecution (what the latency command times); STANDARD is
    # polled until it finishes.
    type: Literal["EXPRESS", "STANDARD"] = "EXPRESS"
    """STANDARD or EXPRESS state machine."""


class MessagingSettings(ComponentSection):
    """Messaging: the events topic, queue, DLQ, worker and notifier (docs/messaging.md)."""

    max_receive_count: int = Field(5, ge=1, le=1000)
    """Receives of one message before SQS moves it to the DLQ."""
    message_retention_seconds: int = Field(4 * 24 * 3600, ge=MIN_RETENTION_SECONDS, le=MAX_RETENTION_SECONDS)
    """Seconds the queues keep an unprocessed message."""
    # None: 6 x worker.timeoutSeconds + batching window (AWS's advice).
    visibility_timeout_seconds: int | None = Field(None, ge=0, le=MAX_VISIBILITY_SECONDS)
    """Seconds a received message stays hidden (at least 6 x the worker's timeout, as AWS advises)."""
    # How long processed event ids are remembered; must outlive any redelivery.
    idempotency_ttl_seconds: int = Field(MAX_RETENTION_SECONDS, ge=3600)
    """Seconds the worker remembers a processed event (duplicates within it run once)."""
    log_retention_days: int = 14
    """Days CloudWatch keeps the functions' logs."""
    powertools_layer_version: int = Field(27, ge=1)
    """Version of AWS's public Powertools for AWS Lambda (Python) v3 layer."""
    # Prod: the DLQ, the idempotency table and the key survive `pulumi destroy` mistakes.
    protect: bool = False
    """Protect and retain the DLQ, the key and the idempotency table (prod)."""
    tracing: bool = False
    """X-Ray active tracing on the worker and notifier functions (their roles may then put traces)."""
    # A customer key costs $1/month; in dev it buys nothing the AWS-managed ones do not.
    # SNS cannot deliver to a queue encrypted with alias/aws/sqs, hence SSE-SQS for queues.
    encryption: Literal["customer-key", "aws-managed"] = "customer-key"
    """customer-key: a KMS key of this component (prod); aws-managed: alias/aws/sns, SSE-SQS, aws/dynamodb (no key fee)."""
    encrypt_logs: bool = False
    """Encrypt the worker's and the notifier's log groups with the component's key: they see subscribers' e-mail
    addresses (prod; needs encryption customer-key)."""
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    notifier: NotifierSettings = Field(default_factory=NotifierSettings)
    subscriptions: SubscriptionSettings = Field(default_factory=SubscriptionSettings)
    latency_lab: LatencyLabSettings = Field(default_factory=LatencyLabSettings)

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return check_retention(value)

    @property
    def minimum_visibility_seconds(self) -> int:
        return 6 * self.worker.timeout_seconds + self.worker.maximum_batching_window_seconds

    @property
    def queue_visibility_seconds(self) -> int:
        if self.visibility_timeout_seconds is None:
            return self.minimum_visibility_seconds
        return self.visibility_timeout_seconds

    @model_validator(mode="after")
    def _cross_field(self) -> MessagingSettings:
        if self.encrypt_logs and self.encryption != "customer-key":
            raise invalid("encryptLogs", f"needs encryption customer-key (got {self.encryption}): "
                                         "the log groups are encrypted with the component's key")
        needed = self.minimum_visibility_seconds
        if self.visibility_timeout_seconds is not None and self.visibility_timeout_seconds < needed:
            raise invalid(
                "visibilityTimeoutSeconds",
                f"must be >= {needed} (6 x worker.timeoutSeconds {self.worker.timeout_seconds} + "
                f"worker.maximumBatchingWindowSeconds {self.worker.maximum_batching_window_seconds}, "
                f"AWS's advice for SQS-triggered Lambdas; got {self.visibility_timeout_seconds})",
            )
        if self.idempotency_ttl_seconds < self.message_retention_seconds:
            raise invalid(
                "idempotencyTtlSeconds",
                f"must be >= messageRetentionSeconds {self.message_retention_seconds} so a redelivered "
                f"message is still recognised (got {self.idempotency_ttl_seconds})",
            )
        return self
