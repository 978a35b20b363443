"""Plain typed inputs of Messaging (the program maps `cloud-platform:messaging` onto them).

Defaults are the settings' defaults; `queue_visibility_seconds` follows AWS's advice for
SQS-triggered functions (6 x the worker's timeout plus its batching window) unless set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"


@dataclass
class WorkerArgs:
    timeout_seconds: int = 30
    memory_mb: int = 256
    batch_size: int = 10
    maximum_batching_window_seconds: int = 0
    maximum_concurrency: int | None = None
    """Most concurrent invocations from the queue; None: no limit."""
    retry_delay_seconds: int | None = None
    """Visibility a failed record gets before its next try; None: the queue's visibility timeout."""


@dataclass
class NotifierArgs:
    timeout_seconds: int = 10
    memory_mb: int = 128
    maximum_retry_attempts: int = 2
    maximum_event_age_seconds: int = 3600


@dataclass
class SubscriptionArgs:
    """Who else hears the events topic (each e-mail address confirms once)."""

    emails: list[str] = field(default_factory=list)
    sms: list[str] = field(default_factory=list)


@dataclass
class LatencyLabArgs:
    enabled: bool = False
    type: str = "EXPRESS"


@dataclass
class MessagingArgs:
    """Inputs of Messaging: which subscriptions exist is decided in Python, from plain data."""

    functions_dir: Path = FUNCTIONS_DIR
    """Folder holding the `worker/` and `notifier/` handler packages."""
    max_receive_count: int = 5
    message_retention_seconds: int = 4 * 24 * 3600
    visibility_timeout_seconds: int | None = None
    idempotency_ttl_seconds: int = 14 * 24 * 3600
    """At least message_retention_seconds, so a redelivered message is still recognised."""
    log_retention_days: int = 14
    powertools_layer_version: int = 27
    protect: bool = False
    """Protect and retain the DLQ, the key and the idempotency table."""
    tracing: bool = False
    """X-Ray active tracing on the worker and notifier functions."""
    encryption: str = "customer-key"
    """customer-key (a KMS key of this component) or aws-managed (alias/aws/sns, SSE-SQS, AWS managed table key)."""
    encrypt_logs: bool = False
    """The worker's and the notifier's log groups (subscribers' addresses) encrypted with the component's key."""
    worker: WorkerArgs = field(default_factory=WorkerArgs)
    notifier: NotifierArgs = field(default_factory=NotifierArgs)
    subscriptions: SubscriptionArgs = field(default_factory=SubscriptionArgs)
    latency_lab: LatencyLabArgs = field(default_factory=LatencyLabArgs)

    @property
    def queue_visibility_seconds(self) -> int:
        if self.visibility_timeout_seconds is None:
            return 6 * self.worker.timeout_seconds + self.worker.maximum_batching_window_seconds
        return self.visibility_timeout_seconds
