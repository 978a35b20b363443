"""TextExtraction under the recording mock: upload bucket, S3 -> SQS -> worker wiring, least
privilege, the API's grant, alarms, settings."""

from __future__ import annotations

import json

import pytest

from tests.conftest import error_of, settings_with

PREFIX = {"dev": "cloud-platform-dev-ocr", "prod": "cloud-platform-prod-ocr"}


@pytest.fixture(params=["dev", "prod"])
def stack(request, dev_plan, prod_plan):
    return request.param, {"dev": dev_plan, "prod": prod_plan}[request.param]


def one(plan, name):
    (found,) = [r for r in plan.resources if r.custom and r.name == name]
    return found


def statements(resource):
    return {s["Sid"]: s for s in json.loads(resource.inputs["policy"])["Statement"]}


def test_everything_is_inside_the_component(stack):
    name, plan = stack
    (component,) = plan.mocks.of_type("cloud-platform:ocr:TextExtraction")
    assert component.name == PREFIX[name]
    children = [r for r in plan.mocks.descendants(component) if r.custom]
    assert {r.type for r in children} >= {
        "aws:s3/bucket:Bucket", "aws:sqs/queue:Queue", "aws:dynamodb/table:Table", "aws:lambda/function:Function",
        "aws:lambda/eventSourceMapping:EventSourceMapping", "aws:s3/bucketNotification:BucketNotification",
        "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
    }
    assert all(r.name.startswith(PREFIX[name]) for r in children)


def test_upload_bucket_is_private_encrypted_and_expires(stack):
    name, plan = stack
    p = PREFIX[name]
    access = one(plan, f"{p}-uploads-access").inputs
    assert all(access[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    sse = one(plan, f"{p}-uploads-encryption").inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert sse["sseAlgorithm"] == "AES256"
    (rule,) = one(plan, f"{p}-uploads-lifecycle").inputs["rules"]
    assert rule["expiration"]["days"] == {"dev": 3, "prod": 7}[name]
    cors = one(plan, f"{p}-uploads-cors").inputs["corsRules"]
    assert [r["allowedMethods"] for r in cors] == [["POST"]]


def test_only_the_bucket_notifies_the_queue_and_only_for_uploads(stack):
    name, plan = stack
    p = PREFIX[name]
    bucket, queue, dlq = one(plan, f"{p}-uploads"), one(plan, f"{p}-queue"), one(plan, f"{p}-dlq")
    (target,) = one(plan, f"{p}-uploads-notification").inputs["queues"]
    assert target == {"queueArn": queue.outputs["arn"], "events": ["s3:ObjectCreated:*"], "filterPrefix": "uploads/"}
    policy = statements(one(plan, f"{p}-queue-policy"))
    assert policy["UploadBucketNotifies"]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert policy["UploadBucketNotifies"]["Condition"]["ArnEquals"] == {"aws:SourceArn": bucket.outputs["arn"]}
    assert json.loads(queue.inputs["redrivePolicy"]) == {"deadLetterTargetArn": dlq.outputs["arn"],
                                                          "maxReceiveCount": {"dev": 3, "prod": 5}[name]}
    assert queue.inputs["sqsManagedSseEnabled"] is True
    esm = one(plan, f"{p}-worker-esm").inputs
    assert esm["eventSourceArn"] == queue.outputs["arn"] and esm["functionResponseTypes"] == ["ReportBatchItemFailures"]
    # AWS's advice: visibility >= 6 x the function timeout.
    assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * one(plan, f"{p}-worker").inputs["timeout"]


def test_worker_may_touch_exactly_its_resources(stack):
    name, plan = stack
    p = PREFIX[name]
    bucket_arn = one(plan, f"{p}-uploads").outputs["arn"]
    granted = statements(one(plan, f"{p}-worker-policy"))
    assert granted["ReadUploads"]["Resource"] == [f"{bucket_arn}/uploads/*"]
    assert granted["WriteResults"]["Resource"] == [f"{bucket_arn}/results/*"]
    assert granted["Jobs"]["Resource"] == [one(plan, f"{p}-jobs").outputs["arn"]]
    assert granted["DetectText"] == {"Sid": "DetectText", "Effect": "Allow", "Action": ["textract:DetectDocumentText"],
                                     "Resource": ["*"]}  # Textract has no resource-level permissions
    assert granted["Events"]["Resource"] == [one(plan, "cloud-platform-" + name + "-messaging-events").outputs["arn"]]
    wildcards = [sid for sid, s in granted.items() if "*" in s["Resource"]]
    assert wildcards == ["DetectText"]
    env = one(plan, f"{p}-worker").inputs["environment"]["variables"]
    assert env["OCR_MAX_BYTES"] == str({"dev": 5242880, "prod": 10485760}[name])


def test_api_function_gets_the_routes_environment_and_grants(stack):
    name, plan = stack
    p = PREFIX[name]
    api = one(plan, f"cloud-platform-{name}-serverless-api")
    env = api.inputs["environment"]["variables"]
    assert env["OCR_BUCKET"] == one(plan, f"{p}-uploads").outputs["id"]
    assert env["OCR_TABLE"] == one(plan, f"{p}-jobs").outputs["name"]
    assert env["OCR_CONTENT_TYPES"] == "image/jpeg,image/png"
    granted = statements(one(plan, f"cloud-platform-{name}-serverless-api-policy"))
    bucket_arn = one(plan, f"{p}-uploads").outputs["arn"]
    assert granted["OcrUploads"]["Resource"] == [f"{bucket_arn}/uploads/*"]
    assert granted["OcrResults"]["Resource"] == [f"{bucket_arn}/results/*"]
    assert granted["OcrJobs"]["Action"] == ["dynamodb:PutItem", "dynamodb:GetItem"]


def test_prod_protects_the_jobs_table(prod_plan, dev_plan):
    prod, dev = one(prod_plan, "cloud-platform-prod-ocr-jobs"), one(dev_plan, "cloud-platform-dev-ocr-jobs")
    assert prod.protect and prod.inputs["deletionProtectionEnabled"] is True
    assert prod.inputs["pointInTimeRecovery"]["enabled"] is True
    assert not dev.protect and dev.inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
    # The upload bucket is protected in prod (compliance pack) and emptied by destroy only in dev.
    assert one(prod_plan, "cloud-platform-prod-ocr-uploads").protect
    assert one(prod_plan, "cloud-platform-prod-ocr-uploads").inputs["forceDestroy"] is False
    assert one(dev_plan, "cloud-platform-dev-ocr-uploads").inputs["forceDestroy"] is True


def test_worker_and_dlq_are_alarmed(stack):
    name, plan = stack
    names = {r.inputs.get("alarmName", r.name) for r in plan.mocks.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert any("ocr" in n and "dlq" in n for n in names)
    # Its errors: an alarm of its own (prod) or the one over every function of the region (dev).
    worker = one(plan, f"cloud-platform-{name}-ocr-worker")
    errors = [r.inputs.get("dimensions") for r in plan.mocks.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
              if (r.inputs["namespace"], r.inputs["metricName"]) == ("AWS/Lambda", "Errors")]
    assert {"FunctionName": worker.outputs["name"]} in errors if name == "prod" else None in errors


@pytest.mark.parametrize(("section", "message"), [
    ({"enabled": True, "maxUploadBytes": 20 * 1024 * 1024}, "cloud-platform:ocr.maxUploadBytes"),
    ({"enabled": True, "contentTypes": ["image/webp"]}, "Textract DetectDocumentText reads PNG and JPEG only"),
    ({"enabled": True, "contentTypes": ["image/gif"]}, "cloud-platform:ocr.contentTypes"),
    ({"enabled": True, "uploadExpireDays": 30, "jobTtlDays": 7}, "jobTtlDays must be >= uploadExpireDays 30"),
])
def test_bad_settings_are_one_line(section, message):
    assert message in error_of(serverless={"enabled": True}, ocr=section)


def test_ocr_needs_the_api():
    assert "cloud-platform:ocr.enabled requires cloud-platform:serverless.enabled" in error_of(ocr={"enabled": True})


def test_defaults():
    ocr = settings_with(serverless={"enabled": True}, ocr={"enabled": True}).ocr
    assert ocr.content_types == ["image/jpeg", "image/png"] and ocr.max_upload_bytes == 5 * 1024 * 1024
