"""Plan -> moto for S3: buckets and the configuration resources pulumi-aws keeps apart from them
(versioning, encryption, public access block, ownership, lifecycle, CORS, website, event
notifications), each applied with the S3 call the provider makes for it.

The inputs are pulumi-aws' (camelCase); the S3 API wants the same structure in PascalCase, with
a few names spelt differently (`SSEAlgorithm`, `KMSMasterKeyID`, `ID`). Objects are not copied:
the sandbox serves the site from site/, and an object's source is a local file anyway.

Bucket policies are left out: moto evaluates a bucket policy's statements without the request's
context, so the TLS-only `Deny` every hardened bucket carries (aws:SecureTransport false) would
deny every request, and the local endpoint is plain HTTP anyway.
"""

from __future__ import annotations

from typing import Any

BUCKET = "aws:s3/bucket:Bucket"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"

# Input key -> S3 API name where it is not just the key with a capital first letter.
SPELLING = {"id": "ID", "sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID", "mfaDelete": "MFADelete"}


def _pascal(value: Any) -> Any:
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    if isinstance(value, dict):
        return {SPELLING.get(k, k[:1].upper() + k[1:]): _pascal(v) for k, v in value.items() if v is not None}
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _destination(entry: dict[str, Any], arn_key: str, arn_name: str) -> dict[str, Any]:
    rules = [{"Name": name, "Value": entry[key]} for key, name in (("filterPrefix", "prefix"), ("filterSuffix", "suffix"))
             if entry.get(key)]
    out: dict[str, Any] = {arn_name: entry[arn_key], "Events": entry["events"]}
    if entry.get("id"):
        out["Id"] = entry["id"]
    if rules:
        out["Filter"] = {"Key": {"FilterRules": rules}}
    return out


def _notifications(i: dict[str, Any]) -> dict[str, Any]:
    """Queue and topic destinations; Lambda destinations are left out (no functions run in moto:
    the local loops stand in for them)."""
    return {"QueueConfigurations": [_destination(q, "queueArn", "QueueArn") for q in i.get("queues") or []],
            "TopicConfigurations": [_destination(t, "topicArn", "TopicArn") for t in i.get("topics") or []]}


# type -> (client method, request parameter, how the plan's inputs become that parameter's value)
SETTINGS: dict[str, tuple[str, str, Any]] = {
    "aws:s3/bucketVersioning:BucketVersioning":
        ("put_bucket_versioning", "VersioningConfiguration", lambda i: _pascal(i["versioningConfiguration"])),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        ("put_bucket_encryption", "ServerSideEncryptionConfiguration", lambda i: {"Rules": _pascal(i["rules"])}),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        ("put_public_access_block", "PublicAccessBlockConfiguration", lambda i: _pascal(
            {k: i.get(k, False) for k in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")})),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls":
        ("put_bucket_ownership_controls", "OwnershipControls", lambda i: {"Rules": [_pascal(i["rule"])]}),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
        ("put_bucket_lifecycle_configuration", "LifecycleConfiguration", lambda i: {"Rules": _pascal(i["rules"])}),
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration":
        ("put_bucket_cors", "CORSConfiguration", lambda i: {"CORSRules": _pascal(i["corsRules"])}),
    "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration":
        ("put_bucket_website", "WebsiteConfiguration", lambda i: _pascal(
            {k: v for k, v in i.items() if k in ("indexDocument", "errorDocument", "redirectAllRequestsTo", "routingRules")})),
    NOTIFICATION: ("put_bucket_notification_configuration", "NotificationConfiguration", _notifications),
}
TYPES = (BUCKET, *SETTINGS)


def create(s3: Any, r: Any) -> str:
    """Create bucket `r`, or apply configuration resource `r` to its bucket; returns the bucket's name."""
    if r.type == BUCKET:
        name = r.outputs.get("bucket") or r.id
        region = r.outputs.get("region") or s3.meta.region_name
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **location)
        return name
    method, parameter, value = SETTINGS[r.type]
    getattr(s3, method)(Bucket=r.inputs["bucket"], **{parameter: value(r.inputs)})
    return r.inputs["bucket"]
