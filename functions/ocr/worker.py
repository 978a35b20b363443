"""The `ocr` worker Lambda: S3 upload events (through SQS) -> Textract -> layout engine -> job done.

Per uploaded object `uploads/<job id>`:
  1. the job must be waiting for its upload (a redelivered event for a finished job is acknowledged);
  2. the object must be a PNG or JPEG within the size limit: anything else (empty, too big, not an
     image, a type Textract does not read) ends the job as FAILED with a reason, because retrying
     cannot fix it; it must not wander to the DLQ;
  3. DetectDocumentText on the object, words -> source text (functions/ocr/layout.py);
  4. the text goes to `results/<id>.txt`, the job becomes COMPLETED, `ocr.completed` is published.
Transient faults (throttling, Textract or DynamoDB errors) fail only that record: SQS redelivers
it, and after maxReceiveCount it lands in the DLQ (alarmed).

Environment: OCR_TABLE, OCR_MAX_BYTES, EVENTS_TOPIC_ARN (optional), POWERTOOLS_* as usual.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from botocore.exceptions import ClientError

from .engine import UnreadableImageError, sniff
from .layout import LayoutOptions, Word, rebuild
from .textract import TextractEngine

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "ocr-worker"))
# A batch whose every record failed is reported like a partial one: each record goes back to
# the queue on its own and counts towards its own maxReceiveCount.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

EVENT_TYPE = "ocr.completed"
READABLE = {"image/png", "image/jpeg"}  # what DetectDocumentText reads synchronously
# Textract says the document itself is the problem: retrying cannot help.
DOCUMENT_ERRORS = {"InvalidParameterException", "UnsupportedDocumentException", "BadDocumentException",
                   "DocumentTooLargeException", "InvalidS3ObjectException"}

Recognise = Callable[[str, str], list[Word]]


@cache
def _clients() -> dict[str, Any]:
    return {name: boto3.client(name) for name in ("s3", "dynamodb", "sns", "textract")}


def reset_clients() -> None:
    _clients.cache_clear()


class JobFailedError(Exception):
    """The upload cannot be turned into text; the job ends FAILED with this reason."""


def uploads_in(body: str) -> list[tuple[str, str, int]]:
    """(bucket, key, size) of each ObjectCreated record in an S3 event notification."""
    message = json.loads(body)
    if message.get("Event") == "s3:TestEvent":  # sent once when the notification is configured
        return []
    found = []
    for record in message.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        s3 = record["s3"]
        found.append((s3["bucket"]["name"], unquote_plus(s3["object"]["key"]), int(s3["object"].get("size", 0))))
    return found


def job_id_of(key: str) -> str | None:
    prefix, _, job_id = key.partition("/")
    return job_id if prefix == "uploads" and job_id and "/" not in job_id else None


def check_upload(s3: Any, bucket: str, key: str, max_bytes: int) -> str:
    """The proven media type, or JobFailedError naming what is wrong with the upload."""
    size = s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    if size == 0:
        raise JobFailedError("the upload is empty (0 bytes)")
    if size > max_bytes:
        raise JobFailedError(f"the upload is too big ({size:,} bytes, at most {max_bytes:,})")
    head = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-15")["Body"].read()
    media_type = sniff(head)
    if media_type is None:
        raise JobFailedError("the upload is not an image (PNG or JPEG expected)")
    if media_type not in READABLE:
        raise JobFailedError(f"{media_type} cannot be read by Textract (PNG or JPEG expected)")
    return media_type


def _claim(dynamodb: Any, table: str, job_id: str) -> bool:
    """AWAITING_UPLOAD -> PROCESSING; False when the job is unknown or already past it."""
    try:
        dynamodb.update_item(
            TableName=table, Key={"id": {"S": job_id}},
            UpdateExpression="SET #s = :processing, startedAt = :now",
            ConditionExpression="attribute_exists(id) AND #s IN (:waiting, :processing)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":processing": {"S": "PROCESSING"}, ":waiting": {"S": "AWAITING_UPLOAD"},
                                       ":now": {"N": str(int(time.time()))}},
        )
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise


def _finish(dynamodb: Any, table: str, job_id: str, values: dict[str, Any]) -> None:
    names = {f"#{k}": k for k in values}
    dynamodb.update_item(
        TableName=table, Key={"id": {"S": job_id}},
        UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in values),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={f":{k}": v for k, v in values.items()},
    )


def process_upload(bucket: str, key: str, recognise: Recognise, clients: dict[str, Any], table: str,
                   max_bytes: int, topic_arn: str | None) -> str:
    """Run one upload to its end; returns the job's final status (or why it was skipped)."""
    job_id = job_id_of(key)
    if job_id is None:
        logger.warning("object outside uploads/ ignored", extra={"key": key[:200]})
        return "IGNORED"
    if not _claim(clients["dynamodb"], table, job_id):
        logger.info("job unknown or already finished: event acknowledged", extra={"job": job_id})
        return "SKIPPED"
    try:
        check_upload(clients["s3"], bucket, key, max_bytes)
        try:
            words = recognise(bucket, key)
        except UnreadableImageError as exc:
            raise JobFailedError(exc.reason) from None
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code in DOCUMENT_ERRORS:
                raise JobFailedError(f"Textract could not read the image ({code})") from None
            raise
    except JobFailedError as exc:
        _finish(clients["dynamodb"], table, job_id, {"status": {"S": "FAILED"}, "error": {"S": str(exc)},
                                                     "finishedAt": {"N": str(int(time.time()))}})
        logger.info("job failed", extra={"job": job_id, "reason": str(exc)})
        _publish(clients["sns"], topic_arn, {"id": job_id, "status": "FAILED", "error": str(exc)})
        return "FAILED"
    result = rebuild(words, LayoutOptions())
    text_key = f"results/{job_id}.txt"
    clients["s3"].put_object(Bucket=bucket, Key=text_key, Body=result.text.encode("utf-8"),
                             ContentType="text/plain; charset=utf-8")
    values = {"status": {"S": "COMPLETED"}, "textKey": {"S": text_key},
              "confidence": {"N": f"{result.confidence:.1f}"}, "lines": {"N": str(len(result.text.splitlines()))},
              "finishedAt": {"N": str(int(time.time()))}}
    if result.language:
        values["language"] = {"S": result.language}
    _finish(clients["dynamodb"], table, job_id, values)
    _publish(clients["sns"], topic_arn, {"id": job_id, "status": "COMPLETED", "language": result.language,
                                         "lines": len(result.text.splitlines())})
    return "COMPLETED"


def _publish(sns: Any, topic_arn: str | None, detail: dict[str, Any]) -> None:
    if not topic_arn:
        return
    # The platform's event shape (functions/worker/events.py, OcrCompleted): type, id, occurredAt.
    # The id is stable per job outcome, so a redelivered upload event cannot count twice downstream.
    event = {"type": EVENT_TYPE, "id": f"ocr-{detail['id']}-{detail['status'].lower()}",
             "occurredAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "job": detail}
    sns.publish(TopicArn=topic_arn, Message=json.dumps(event),
                MessageAttributes={"type": {"DataType": "String", "StringValue": EVENT_TYPE}})


def textract_recogniser(textract: Any) -> Recognise:
    return TextractEngine(textract).recognise_s3


_local: dict[str, Any] = {}


def configure(recognise: Recognise | None = None, clients: dict[str, Any] | None = None) -> None:
    """Run with another engine and clients (the sandbox: Tesseract on moto); None: Textract on AWS."""
    _local.clear()
    if recognise is not None:
        _local.update(recognise=recognise, clients=clients)


def handle_record(record: Any, recognise: Recognise | None = None, clients: dict[str, Any] | None = None) -> None:
    clients = clients or _local.get("clients") or _clients()
    recognise = recognise or _local.get("recognise") or textract_recogniser(clients["textract"])
    for bucket, key, _ in uploads_in(record["body"] if isinstance(record, dict) else record.body):
        process_upload(bucket, key, recognise, clients, os.environ["OCR_TABLE"],
                       int(os.environ.get("OCR_MAX_BYTES", "5242880")), os.environ.get("EVENTS_TOPIC_ARN") or None)


def process_batch(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The SQS batch, partial failures reported (local callers pass no Lambda context)."""
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_batch(event, context)
