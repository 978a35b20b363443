"""Screenshot-to-source jobs on the API: `POST /ocr/jobs` (a job + a presigned upload) and
`GET /ocr/jobs/{id}` (status and, once done, the recovered source).

The upload goes straight from the browser to the private upload bucket through a presigned
POST whose policy pins the key, the content type and the size range; S3 then notifies the
`ocr` worker (S3 -> SQS -> Lambda), which fills in the job.

Environment (set by TextExtraction; the routes answer 404 when it is off):
  OCR_BUCKET, OCR_TABLE             upload bucket (uploads/<id>, results/<id>.txt), jobs table (key `id`)
  OCR_MAX_BYTES, OCR_CONTENT_TYPES  upload limits (bytes; comma-separated media types)
  OCR_URL_SECONDS, OCR_JOB_TTL_DAYS presigned POST lifetime; job record lifetime (TTL `expiresAt`)
  OCR_S3_ENDPOINT                   optional: the sandbox's local S3 (moto server)
"""

from __future__ import annotations

import os
import re
import time
import uuid
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from . import validation
from .validation import InvalidInputError

router = APIGatewayRouter()
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
AWAITING_UPLOAD = "AWAITING_UPLOAD"


@cache
def _s3():
    return boto3.client("s3", endpoint_url=os.environ.get("OCR_S3_ENDPOINT") or None)


@cache
def _dynamodb():
    return boto3.client("dynamodb")


def reset_clients() -> None:
    _s3.cache_clear()
    _dynamodb.cache_clear()


def _config() -> dict[str, Any]:
    if not os.environ.get("OCR_BUCKET"):
        raise InvalidInputError("screenshot-to-source is not enabled on this stack", status=404)
    return {
        "bucket": os.environ["OCR_BUCKET"],
        "table": os.environ["OCR_TABLE"],
        "max_bytes": int(os.environ.get("OCR_MAX_BYTES", "5242880")),
        "types": sorted(t.strip() for t in os.environ.get("OCR_CONTENT_TYPES", "image/png,image/jpeg").split(",")),
        "url_seconds": int(os.environ.get("OCR_URL_SECONDS", "300")),
        "ttl_days": int(os.environ.get("OCR_JOB_TTL_DAYS", "30")),
    }


def _upload_request(data: dict[str, Any], c: dict[str, Any]) -> tuple[str, int]:
    unknown = sorted(set(data) - {"contentType", "size"})
    if unknown:
        raise InvalidInputError(f"unexpected field(s): {', '.join(unknown)[:100]}")
    media_type = data.get("contentType")
    if not isinstance(media_type, str) or not media_type:
        raise InvalidInputError("contentType is required (the screenshot's media type, e.g. image/png)")
    if media_type.lower() not in c["types"]:
        raise InvalidInputError(f"contentType must be one of {', '.join(c['types'])} (got {media_type[:60]!r})",
                                status=415)
    size = data.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidInputError("size is required: the screenshot's size in bytes (a positive integer)")
    if size > c["max_bytes"]:
        raise InvalidInputError(f"the screenshot is {size:,} bytes, at most {c['max_bytes']:,} are accepted", status=413)
    return media_type.lower(), size


@router.post("/ocr/jobs")
def create_job() -> Response:
    c = _config()
    event = router.current_event
    data = validation.json_object(event.body, bool(event.is_base64_encoded), event.headers.get("content-type"))
    media_type, size = _upload_request(data, c)
    job_id = uuid.uuid4().hex
    now = int(time.time())
    _dynamodb().put_item(
        TableName=c["table"],
        Item={
            "id": {"S": job_id}, "status": {"S": AWAITING_UPLOAD}, "contentType": {"S": media_type},
            "declaredSize": {"N": str(size)}, "createdAt": {"N": str(now)},
            "expiresAt": {"N": str(now + c["ttl_days"] * 86400)},
        },
        ConditionExpression="attribute_not_exists(id)",
    )
    # The policy S3 enforces: this key only, this content type, 1 byte .. the configured maximum.
    upload = _s3().generate_presigned_post(
        Bucket=c["bucket"],
        Key=f"uploads/{job_id}",
        Fields={"Content-Type": media_type},
        Conditions=[{"Content-Type": media_type}, ["content-length-range", 1, c["max_bytes"]]],
        ExpiresIn=c["url_seconds"],
    )
    body = {"id": job_id, "status": AWAITING_UPLOAD, "upload": upload, "expiresInSeconds": c["url_seconds"],
            "maxBytes": c["max_bytes"]}
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=body)


@router.get("/ocr/jobs/<job_id>")
def get_job(job_id: str) -> dict[str, Any]:
    c = _config()
    if not _JOB_ID.match(job_id):
        raise InvalidInputError("job id must be 32 lower-case hex characters (as POST /ocr/jobs returned it)")
    item = _dynamodb().get_item(TableName=c["table"], Key={"id": {"S": job_id}}, ConsistentRead=True).get("Item")
    if item is None:
        raise InvalidInputError(f"no OCR job {job_id}", status=404)
    job: dict[str, Any] = {"id": job_id, "status": item["status"]["S"], "contentType": item["contentType"]["S"],
                           "createdAt": int(item["createdAt"]["N"])}
    for key in ("language", "error"):
        if key in item:
            job[key] = item[key]["S"]
    if "confidence" in item:
        job["confidence"] = float(item["confidence"]["N"])
    if "textKey" in item:
        obj = _s3().get_object(Bucket=c["bucket"], Key=item["textKey"]["S"])
        job["text"] = obj["Body"].read().decode("utf-8")
    return job
