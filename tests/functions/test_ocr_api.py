"""`POST /ocr/jobs` and `GET /ocr/jobs/{id}` on the API handler against moto: job records, the
presigned upload S3 enforces, the end-to-end flow with the worker, 400/404/413/415 like the rest."""

from __future__ import annotations

import pytest
import requests

from functions.api import handler
from functions.ocr import worker
from tests.functions.apigw import body, event, headers
from tests.functions.test_ocr_worker import delivered, textract_answers  # noqa: F401 (fixture)
from tests.ocr.test_layout import indents


@pytest.fixture
def api(ocr_aws, lambda_context):
    def call(*args, **kwargs):
        response = handler.lambda_handler(event(*args, **kwargs), lambda_context)
        assert headers(response)["access-control-allow-origin"] == "*", response
        return response

    return call


def test_create_job_returns_id_and_a_presigned_upload(api, ocr_aws):
    response = api("POST", "/ocr/jobs", body={"contentType": "image/png", "size": 1234})
    assert response["statusCode"] == 201, response
    job = body(response)
    assert len(job["id"]) == 32 and job["status"] == "AWAITING_UPLOAD" and job["maxBytes"] == ocr_aws.max_bytes
    fields = job["upload"]["fields"]
    assert fields["key"] == f"uploads/{job['id']}" and fields["Content-Type"] == "image/png"
    assert job["upload"]["url"].startswith("https://") and ocr_aws.bucket in job["upload"]["url"] + fields.get("bucket", "")
    stored = ocr_aws.job(job["id"])
    assert stored["status"] == "AWAITING_UPLOAD" and stored["contentType"] == "image/png"
    assert int(stored["expiresAt"]) > int(stored["createdAt"])


def test_presigned_post_uploads_and_the_worker_fills_the_job(api, ocr_aws, textract_answers, lambda_context,  # noqa: F811
                                                             code_screenshot):
    path, _ = code_screenshot("inventory.py")
    image = path.read_bytes()
    job = body(api("POST", "/ocr/jobs", body={"contentType": "image/png", "size": len(image)}))
    assert body(api("GET", f"/ocr/jobs/{job['id']}"))["status"] == "AWAITING_UPLOAD"
    posted = requests.post(job["upload"]["url"], data=job["upload"]["fields"],
                           files={"file": ("shot.png", image, "image/png")}, timeout=10)
    assert posted.status_code == 204, posted.text
    assert worker.lambda_handler({"Records": delivered(ocr_aws)}, lambda_context) == {"batchItemFailures": []}
    done = api("GET", f"/ocr/jobs/{job['id']}")
    assert done["statusCode"] == 200
    result = body(done)
    assert result["status"] == "COMPLETED" and result["language"] == "Python"
    assert indents(result["text"]) == indents(textract_answers)


def test_failed_job_shows_its_reason(api, ocr_aws, lambda_context, textract_answers):  # noqa: F811
    job = body(api("POST", "/ocr/jobs", body={"contentType": "image/jpeg", "size": 10}))
    ocr_aws.s3.put_object(Bucket=ocr_aws.bucket, Key=f"uploads/{job['id']}", Body=b"not an image")
    worker.lambda_handler({"Records": delivered(ocr_aws)}, lambda_context)
    result = body(api("GET", f"/ocr/jobs/{job['id']}"))
    assert (result["status"], result["error"]) == ("FAILED", "the upload is not an image (PNG or JPEG expected)")
    assert "text" not in result


@pytest.mark.parametrize(("payload", "content_type", "status", "error"), [
    ({"contentType": "image/gif", "size": 10}, "application/json", 415,
     "contentType must be one of image/jpeg, image/png (got 'image/gif')"),
    ({"contentType": "image/png", "size": 6 * 1024 * 1024}, "application/json", 413,
     "the screenshot is 6,291,456 bytes, at most 5,242,880 are accepted"),
    ({"contentType": "image/png"}, "application/json", 400,
     "size is required: the screenshot's size in bytes (a positive integer)"),
    ({"contentType": "image/png", "size": 0}, "application/json", 400,
     "size is required: the screenshot's size in bytes (a positive integer)"),
    ({"size": 10}, "application/json", 400, "contentType is required (the screenshot's media type, e.g. image/png)"),
    ({"contentType": "image/png", "size": 10, "x": 1}, "application/json", 400, "unexpected field(s): x"),
    ({"contentType": "image/png", "size": 10}, "text/plain", 415, "content type must be application/json"),
])
def test_create_job_rejects_bad_requests(api, ocr_aws, payload, content_type, status, error):
    import json

    response = api("POST", "/ocr/jobs", body=json.dumps(payload), headers={"Content-Type": content_type})
    assert (response["statusCode"], body(response)) == (status, {"error": error})
    assert ocr_aws.dynamodb.scan(TableName=ocr_aws.table)["Count"] == 0  # nothing half-created


def test_presigned_policy_pins_key_type_and_size(api, ocr_aws):
    """The signed POST policy is what S3 enforces (moto accepts any form, so read the policy itself)."""
    import base64
    import json

    job = body(api("POST", "/ocr/jobs", body={"contentType": "image/jpeg", "size": 10}))
    policy = json.loads(base64.b64decode(job["upload"]["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"key": f"uploads/{job['id']}"} in conditions
    assert {"bucket": ocr_aws.bucket} in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 1, ocr_aws.max_bytes] in conditions
    assert policy["expiration"]  # valid for OCR_URL_SECONDS only


@pytest.mark.parametrize(("path", "status", "error"), [
    ("/ocr/jobs/not-a-job", 400, "job id must be 32 lower-case hex characters (as POST /ocr/jobs returned it)"),
    ("/ocr/jobs/" + "0" * 32, 404, "no OCR job " + "0" * 32),
])
def test_get_job_errors(api, path, status, error):
    response = api("GET", path)
    assert (response["statusCode"], body(response)) == (status, {"error": error})


def test_routes_are_404_when_ocr_is_off(aws, monkeypatch, lambda_context):
    monkeypatch.delenv("OCR_BUCKET", raising=False)
    response = handler.lambda_handler(event("POST", "/ocr/jobs", body={"contentType": "image/png", "size": 1}),
                                      lambda_context)
    assert (response["statusCode"], body(response)) == (404, {"error": "screenshot-to-source is not enabled on this stack"})
