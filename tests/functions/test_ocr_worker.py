"""The `ocr` worker against moto: S3 upload -> (moto's own S3 -> SQS notification) -> handler ->
Textract (moto backend answering with a recorded DetectDocumentText response) -> job + text + event."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from functions.ocr import worker
from tests.ocr.test_layout import CORPUS, FIXTURES, indents

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def textract_answers():
    """moto's DetectDocumentText returns TextractBackend.BLOCKS: the recorded response of inventory.py."""
    from moto.textract.models import TextractBackend

    saved = TextractBackend.BLOCKS
    TextractBackend.BLOCKS = json.loads((FIXTURES / "inventory-dejavu-14-light.json").read_text())["Blocks"]
    yield (CORPUS / "inventory.py").read_text()
    TextractBackend.BLOCKS = saved


def new_job(local, content_type="image/png") -> str:
    job_id = uuid.uuid4().hex
    local.dynamodb.put_item(TableName=local.table, Item={
        "id": {"S": job_id}, "status": {"S": "AWAITING_UPLOAD"}, "contentType": {"S": content_type},
        "createdAt": {"N": "1"}, "expiresAt": {"N": "9999999999"}})
    return job_id


def delivered(local) -> list[dict]:
    """What S3 sent to the queue, as the SQS event source would hand it to the function."""
    messages = local.sqs.receive_message(QueueUrl=local.queue_url, MaxNumberOfMessages=10,
                                         AttributeNames=["All"]).get("Messages", [])
    return [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
             "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
             "eventSource": "aws:sqs", "eventSourceARN": local.queue_arn,
             "awsRegion": "eu-west-1"} for m in messages]


def run_worker(local, lambda_context) -> dict:
    records = delivered(local)
    assert records, "S3 sent no notification"
    return worker.lambda_handler({"Records": records}, lambda_context)


def events(local) -> list[dict]:
    messages = local.sqs.receive_message(QueueUrl=local.events_queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def upload(local, job_id: str, body: bytes) -> None:
    local.s3.put_object(Bucket=local.bucket, Key=f"uploads/{job_id}", Body=body, ContentType="image/png")


def test_upload_becomes_source_text_with_indentation(ocr_aws, textract_answers, lambda_context, code_screenshot):
    path, _ = code_screenshot("inventory.py")
    job_id = new_job(ocr_aws)
    upload(ocr_aws, job_id, path.read_bytes())
    assert run_worker(ocr_aws, lambda_context) == {"batchItemFailures": []}
    job = ocr_aws.job(job_id)
    assert job["status"] == "COMPLETED" and job["language"] == "Python" and float(job["confidence"]) > 50
    text = ocr_aws.s3.get_object(Bucket=ocr_aws.bucket, Key=job["textKey"])["Body"].read().decode()
    assert job["textKey"] == f"results/{job_id}.txt"
    assert indents(text) == indents(textract_answers)
    (event,) = events(ocr_aws)
    assert event["type"] == "ocr.completed" and event["id"] == f"ocr-{job_id}-completed" and event["occurredAt"]
    assert event["job"]["status"] == "COMPLETED" and event["job"]["language"] == "Python"
    # The messaging worker subscribed to the same topic knows the type (acknowledges, no DLQ).
    from functions.worker.events import parse_event

    assert parse_event(json.dumps(event)).type == "ocr.completed"
    assert ocr_aws.sqs.get_queue_attributes(QueueUrl=ocr_aws.dlq_url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "0"


@pytest.mark.parametrize(("body", "max_bytes", "reason"), [
    (b"", None, "the upload is empty (0 bytes)"),
    (b"#!/bin/sh\necho this is a script, not a screenshot\n", None, "the upload is not an image (PNG or JPEG expected)"),
    (PNG + b"\0" * 4000, "2048", "the upload is too big (4,008 bytes, at most 2,048)"),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\0" * 20, None, "image/webp cannot be read by Textract (PNG or JPEG expected)"),
])
def test_bad_upload_ends_as_failed_job_not_in_the_dlq(ocr_aws, textract_answers, lambda_context, monkeypatch,
                                                      body, max_bytes, reason):
    if max_bytes:
        monkeypatch.setenv("OCR_MAX_BYTES", max_bytes)
    job_id = new_job(ocr_aws)
    upload(ocr_aws, job_id, body)
    assert run_worker(ocr_aws, lambda_context) == {"batchItemFailures": []}  # acknowledged: retrying cannot help
    job = ocr_aws.job(job_id)
    assert (job["status"], job["error"]) == ("FAILED", reason)
    assert "textKey" not in job
    (event,) = events(ocr_aws)
    assert event["job"] == {"id": job_id, "status": "FAILED", "error": reason}


def test_textract_refusing_the_document_fails_the_job(ocr_aws, lambda_context, code_screenshot, monkeypatch):
    def refuse(bucket, key):
        raise ClientError({"Error": {"Code": "UnsupportedDocumentException", "Message": "no"}}, "DetectDocumentText")

    monkeypatch.setattr(worker, "textract_recogniser", lambda client: refuse)
    job_id = new_job(ocr_aws)
    upload(ocr_aws, job_id, code_screenshot()[0].read_bytes())
    assert run_worker(ocr_aws, lambda_context) == {"batchItemFailures": []}
    assert ocr_aws.job(job_id)["error"] == "Textract could not read the image (UnsupportedDocumentException)"


def test_throttling_is_retried_then_completes(ocr_aws, textract_answers, lambda_context, code_screenshot, monkeypatch):
    calls = []

    def throttled_once(bucket, key):
        calls.append(key)
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                              "DetectDocumentText")
        return worker.TextractEngine(worker._clients()["textract"]).recognise_s3(bucket, key)

    monkeypatch.setattr(worker, "textract_recogniser", lambda client: throttled_once)
    job_id = new_job(ocr_aws)
    upload(ocr_aws, job_id, code_screenshot()[0].read_bytes())
    (record,) = delivered(ocr_aws)
    first = worker.lambda_handler({"Records": [record]}, lambda_context)
    assert first == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
    assert ocr_aws.job(job_id)["status"] == "PROCESSING"  # SQS hands it out again after the visibility timeout
    assert worker.lambda_handler({"Records": [record]}, lambda_context) == {"batchItemFailures": []}
    assert ocr_aws.job(job_id)["status"] == "COMPLETED" and len(calls) == 2


def test_redelivered_event_for_a_finished_job_is_acknowledged_once(ocr_aws, textract_answers, lambda_context,
                                                                   code_screenshot):
    job_id = new_job(ocr_aws)
    upload(ocr_aws, job_id, code_screenshot()[0].read_bytes())
    (record,) = delivered(ocr_aws)
    for _ in range(2):
        assert worker.lambda_handler({"Records": [record]}, lambda_context) == {"batchItemFailures": []}
    assert len(events(ocr_aws)) == 1


def test_s3_test_event_and_foreign_keys_are_ignored(ocr_aws, lambda_context):
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": ocr_aws.bucket}
    foreign = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": ocr_aws.bucket},
                                                                     "object": {"key": "elsewhere/x", "size": 1}}}]}
    records = [{"messageId": str(i), "receiptHandle": "r", "body": json.dumps(b), "attributes": {},
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn",
                "awsRegion": "eu-west-1"} for i, b in enumerate((test_event, foreign))]
    assert worker.lambda_handler({"Records": records}, lambda_context) == {"batchItemFailures": []}


def test_upload_for_an_unknown_job_is_skipped(ocr_aws, lambda_context):
    upload(ocr_aws, uuid.uuid4().hex, PNG)
    assert run_worker(ocr_aws, lambda_context) == {"batchItemFailures": []}
    assert events(ocr_aws) == []


def test_worker_package_has_no_dependency_outside_the_lambda_runtime():
    """The Lambda gets functions/ocr/*.py, Powertools (layer) and boto3 (runtime): nothing else at import."""
    import ast

    allowed = {"__future__", "json", "os", "re", "time", "statistics", "cmath", "math", "collections", "dataclasses",
               "functools", "typing", "urllib", "boto3", "botocore", "aws_lambda_powertools"}
    for source in Path(worker.__file__).parent.glob("*.py"):
        tree = ast.parse(source.read_text())
        top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        for node in top:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if isinstance(node, ast.ImportFrom) and node.level:
                    continue
                assert name.split(".")[0] in allowed, f"{source.name} imports {name}"
