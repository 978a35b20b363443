"""`HardenedBucket`: the platform's one S3 bucket recipe.

Always: public access blocked (all four flags, unless it is a public website), objects owned
by the bucket owner (ACLs off), server-side encryption (SSE-S3, or SSE-KMS with a bucket key
when a key is given), versioning with expiry of old versions, abort of incomplete multipart
uploads, and a policy that denies requests without TLS.

Variants:
- `website`: served by the S3 website endpoint as in the course (public GetObject). That
  endpoint speaks HTTP only, so the TLS-only statement then spares `s3:GetObject`; every
  other action still needs TLS.
- `log_delivery`: a service principal (e.g. the region's ELB account) may put objects under a
  prefix. Log delivery services write SSE-S3 only: do not pass a KMS key with it.
- `statements`: further policy statements (e.g. CloudFront's OAC read), given the bucket ARN
  and the resolved `statement_inputs` (an input not known yet, such as the ARN of a
  distribution that itself reads the bucket, can be a `pulumi.deferred_output()`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .moved import Moved, child_options


@dataclass(frozen=True)
class Website:
    """The S3 website endpoint's documents."""

    index_document: str = "index.html"
    error_document: str = "index.html"


@dataclass(frozen=True)
class LogDelivery:
    """A principal (an account ARN) that may `s3:PutObject` under `key_prefix` (e.g. `alb/AWSLogs/<account>/`)."""

    principal: pulumi.Input[str]
    key_prefix: pulumi.Input[str]


@dataclass
class HardenedBucketArgs:
    """Inputs of HardenedBucket; every default is the secure one."""

    tags: dict[str, str] = field(default_factory=dict)
    """Tags besides the providers' default tags (e.g. `Name`, `Backup`, `Website`)."""
    force_destroy: bool = False
    """Let `pulumi destroy` empty the bucket: only for content rebuilt from the repository."""
    protect: bool = False
    """Protect and retain the bucket itself (prod data, audit evidence)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """SSE-KMS with this key (and a bucket key); None: SSE-S3."""
    versioning: bool = True
    noncurrent_days: int = 30
    """Old object versions are kept this long."""
    expire_days: int | None = None
    """Current objects expire after this many days (logs, uploads); None: kept."""
    abort_incomplete_days: int = 7
    website: Website | None = None
    log_delivery: LogDelivery | None = None
    statements: Callable[..., list[dict[str, Any]]] | None = None
    """Further policy statements: called with the bucket ARN and the values of `statement_inputs`."""
    statement_inputs: list[pulumi.Input[Any]] = field(default_factory=list)
    moved: Moved | None = None
    """Where these resources lived before the block took them over (aliases, no replacement)."""


def tls_only(arn: str, spare_get: bool = False) -> dict[str, Any]:
    """Deny any request made without TLS (the S3 website endpoint's anonymous GETs excepted when asked)."""
    action = {"NotAction": "s3:GetObject"} if spare_get else {"Action": "s3:*"}
    return {
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", **action,
        "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


class HardenedBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy
    website: aws.s3.BucketWebsiteConfiguration | None
    id: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: HardenedBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:blocks:HardenedBucket", name, None, opts)
        a, self._name, self._moved = args, name, args.moved
        keep = {"protect": a.protect, "retain_on_delete": a.protect}
        self.bucket = aws.s3.Bucket(
            name, force_destroy=a.force_destroy, tags=a.tags or None, opts=self._opts("bucket", name, **keep),
        )
        self.id, self.arn = self.bucket.id, self.bucket.arn
        bucket = self.bucket.id
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket, rule={"object_ownership": "BucketOwnerEnforced"},
            opts=self._opts("ownership", f"{name}-ownership"),
        )
        public = a.website is not None
        access = aws.s3.BucketPublicAccessBlock(
            f"{name}-access", bucket=bucket,
            # A website keeps ACLs blocked; only its GetObject-only bucket policy is public.
            block_public_acls=True, ignore_public_acls=True,
            block_public_policy=not public, restrict_public_buckets=not public,
            opts=self._opts("access", f"{name}-access"),
        )
        if a.kms_key_arn is not None:
            sse = {"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": a.kms_key_arn},
                   "bucket_key_enabled": True}
        else:
            sse = {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=bucket, rules=[sse], opts=self._opts("encryption", f"{name}-encryption"),
        )
        if a.versioning:
            aws.s3.BucketVersioning(
                f"{name}-versioning", bucket=bucket, versioning_configuration={"status": "Enabled"},
                opts=self._opts("versioning", f"{name}-versioning"),
            )
        rule: dict[str, Any] = {
            "id": "retention", "status": "Enabled", "filter": {"prefix": ""},
            "abort_incomplete_multipart_upload": {"days_after_initiation": a.abort_incomplete_days},
        }
        if a.versioning:
            rule["noncurrent_version_expiration"] = {"noncurrent_days": a.noncurrent_days}
        if a.expire_days is not None:
            rule["expiration"] = {"days": a.expire_days}
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=bucket, rules=[rule], opts=self._opts("lifecycle", f"{name}-lifecycle"),
        )
        self.website = None
        if a.website is not None:
            self.website = aws.s3.BucketWebsiteConfiguration(
                f"{name}-website", bucket=bucket,
                index_document={"suffix": a.website.index_document}, error_document={"key": a.website.error_document},
                opts=self._opts("website", f"{name}-website"),
            )
        delivery = a.log_delivery
        parts: list[pulumi.Input[Any]] = [self.bucket.arn, *(
            (delivery.principal, delivery.key_prefix) if delivery is not None else (None, None)), *a.statement_inputs]
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy", bucket=bucket,
            policy=pulumi.Output.all(*parts).apply(lambda v: json.dumps(self._document(a, *v))),
            # A public policy is refused while the access block still blocks it.
            opts=self._opts("policy", f"{name}-policy", depends_on=[access]),
        )
        self.register_outputs({"id": self.id, "arn": self.arn})

    def _opts(self, part: str, name: str, **kwargs) -> pulumi.ResourceOptions:
        return child_options(self, self._moved, part, name, **kwargs)

    @staticmethod
    def _document(a: HardenedBucketArgs, arn: str, principal: str | None, prefix: str | None, *inputs: Any) -> dict:
        statements = []
        if a.website is not None:
            statements.append({"Sid": "PublicReadObjects", "Effect": "Allow", "Principal": "*",
                               "Action": "s3:GetObject", "Resource": f"{arn}/*"})
        if principal is not None:
            statements.append({"Sid": "LogDelivery", "Effect": "Allow", "Principal": {"AWS": principal},
                               "Action": "s3:PutObject", "Resource": f"{arn}/{prefix}*"})
        if a.statements is not None:
            statements.extend(a.statements(arn, *inputs))
        statements.append(tls_only(arn, spare_get=a.website is not None))
        return {"Version": "2012-10-17", "Statement": statements}
