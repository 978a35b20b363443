"""Settings of TextExtraction (`cloud-platform:ocr`): screenshot uploads -> Textract -> source text.

Limits checked here are AWS's: Textract's synchronous DetectDocumentText reads PNG and JPEG
(not WebP) up to 10 MB; the SQS and event source mapping ranges as in the messaging settings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt, field_validator, model_validator

from .base import ComponentSection, Section, invalid
from .networking import check_retention

TEXTRACT_MAX_BYTES = 10 * 1024 * 1024
ContentType = Literal["image/png", "image/jpeg", "image/webp"]


class OcrWorkerSettings(Section):
    """The SQS-triggered `ocr` worker Lambda and its event source mapping."""

    timeout_seconds: StrictInt = Field(60, ge=5, le=900)
    """Function timeout; the queue's visibility timeout is 6 x this (AWS's advice)."""
    memory_mb: StrictInt = Field(512, ge=128, le=10240)
    """Function memory (the layout engine is light; Textract does the OCR)."""
    batch_size: StrictInt = Field(5, ge=1, le=10)
    """Upload events per invocation (standard queue without batching window: at most 10)."""
    maximum_concurrency: StrictInt = Field(5, ge=2, le=1000)
    """ESM scaling cap (AWS: 2..1000); also keeps Textract under its per-second quota."""


class OcrSettings(ComponentSection):
    """`cloud-platform:ocr`: screenshot-to-source, see docs/ocr.md."""

    max_upload_bytes: StrictInt = Field(5 * 1024 * 1024, ge=1024, le=TEXTRACT_MAX_BYTES)
    """Largest screenshot accepted (presigned POST policy and worker check); Textract reads up to 10 MB."""
    content_types: list[ContentType] = ["image/jpeg", "image/png"]
    """Media types an upload may declare; PNG and JPEG (Textract's synchronous API reads no WebP)."""
    upload_expire_days: StrictInt = Field(7, ge=1, le=365)
    """Uploaded screenshots and recovered texts are deleted after this many days (bucket lifecycle)."""
    upload_url_seconds: StrictInt = Field(300, ge=60, le=3600)
    """How long a presigned upload form stays valid."""
    job_ttl_days: StrictInt = Field(30, ge=1, le=365)
    """Job records expire (DynamoDB TTL) after this many days."""
    max_receive_count: StrictInt = Field(3, ge=1, le=1000)
    """Deliveries of one upload event before it moves to the DLQ (transient faults only)."""
    log_retention_days: StrictInt = 30
    """Retention of the worker's log group (a CloudWatch retention value)."""
    pitr: bool = False
    """Point-in-time recovery of the jobs table."""
    protect: bool = False
    """Protect and retain the jobs table and the upload bucket (prod)."""
    worker: OcrWorkerSettings = Field(default_factory=OcrWorkerSettings)
    """The worker function and how it reads the queue."""
    engine: Literal["textract"] = "textract"
    """The AWS engine; the sandbox and `platformctl ocr` use local Tesseract instead."""

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return check_retention(value)

    @field_validator("content_types")
    @classmethod
    def _types(cls, values: list[str]) -> list[str]:
        if not values:
            raise ValueError("must name at least one of image/png, image/jpeg")
        if "image/webp" in values:
            raise ValueError("cannot contain image/webp: Textract DetectDocumentText reads PNG and JPEG only "
                             "(the site converts WebP to PNG before uploading)")
        return sorted(set(values))

    @model_validator(mode="after")
    def _expiry(self) -> OcrSettings:
        if self.job_ttl_days < self.upload_expire_days:
            raise invalid("jobTtlDays", f"must be >= uploadExpireDays {self.upload_expire_days} (a job record must "
                                        f"outlive its text; got {self.job_ttl_days})")
        return self

    @property
    def queue_visibility_seconds(self) -> int:
        """AWS's advice for SQS-triggered Lambdas: 6 x the function timeout."""
        return 6 * self.worker.timeout_seconds
