"""`platformctl sandbox`: two origins on 127.0.0.1, real handler, moto behind it, clean shutdown."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from platformctl.sandbox import Sandbox, SandboxError
from tests.sandbox_process import start_sandbox, stop_sandbox


def http(method: str, url: str, body: dict | None = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (local URL)
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_prints_two_origins_on_loopback(sandbox_process):
    site, api = sandbox_process.site, sandbox_process.api
    assert site.startswith("http://127.0.0.1:") and api.startswith("http://127.0.0.1:")
    assert site != api and site.endswith("/") and api.endswith("/")


def test_banner_names_the_messaging_resources_it_created(sandbox_process):
    urls = sandbox_process.urls
    # The local stack's own resources (Pulumi.local.yaml through the offline plan).
    assert urls["topic"] == "arn:aws:sns:eu-west-1:123456789012:cloud-platform-local-messaging-events"
    assert urls["queue"].startswith(sandbox_process.aws) and urls["queue"].endswith("/cloud-platform-local-messaging-queue")
    assert urls["dlq"].endswith("/cloud-platform-local-messaging-dlq")
    sqs = sandbox_process.client("sqs")
    (subscription,) = sandbox_process.client("sns").list_subscriptions_by_topic(TopicArn=urls["topic"])["Subscriptions"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=urls["queue"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("sqs", queue_arn)
    redrive = json.loads(sqs.get_queue_attributes(QueueUrl=urls["queue"], AttributeNames=["RedrivePolicy"])
                         ["Attributes"]["RedrivePolicy"])
    dlq_arn = sqs.get_queue_attributes(QueueUrl=urls["dlq"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert redrive["deadLetterTargetArn"] == dlq_arn
    assert sandbox_process.client("dynamodb").describe_table(TableName=urls["worker_table"])["Table"]["KeySchema"] == [
        {"AttributeName": "id", "KeyType": "HASH"}]


def test_sandbox_resources_are_the_local_plans(sandbox_process, plan_with):
    """One definition (issue 14.4): every planned table, queue, topic and bucket exists in the sandbox
    with the planned key schema, queue settings, CORS and event notifications, and nothing else does."""
    plan = plan_with("local")
    planned = {r.type: [] for r in plan.resources}
    for r in plan.resources:
        planned[r.type].append(r)
    ddb, sqs, sns, s3 = (sandbox_process.client(s) for s in ("dynamodb", "sqs", "sns", "s3"))
    tables = {r.outputs["name"]: r for r in planned["aws:dynamodb/table:Table"]}
    assert sorted(ddb.list_tables()["TableNames"]) == sorted(tables)
    for name, r in tables.items():
        table = ddb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == [{"AttributeName": r.inputs["hashKey"], "KeyType": "HASH"}]
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert ttl.get("AttributeName") == (r.inputs.get("ttl") or {}).get("attributeName")
    queues = {r.outputs["name"]: r for r in planned["aws:sqs/queue:Queue"]}
    assert sorted(u.rsplit("/", 1)[-1] for u in sqs.list_queues()["QueueUrls"]) == sorted(queues)
    for name, r in queues.items():
        attributes = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"],
                                              AttributeNames=["All"])["Attributes"]
        assert attributes["MessageRetentionPeriod"] == str(r.inputs["messageRetentionSeconds"])
        if "redrivePolicy" in r.inputs:
            assert json.loads(attributes["RedrivePolicy"]) == json.loads(r.inputs["redrivePolicy"])
            assert attributes["VisibilityTimeout"] == str(r.inputs["visibilityTimeoutSeconds"])
    topics = sorted(t["TopicArn"] for t in sns.list_topics()["Topics"])
    assert topics == sorted(r.outputs["arn"] for r in planned["aws:sns/topic:Topic"])
    buckets = sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
    assert buckets == sorted(r.outputs["bucket"] for r in planned["aws:s3/bucket:Bucket"])
    for r in planned["aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"]:
        (rule,) = s3.get_bucket_cors(Bucket=r.inputs["bucket"])["CORSRules"]
        (planned_rule,) = r.inputs["corsRules"]
        assert (rule["AllowedMethods"], rule["AllowedOrigins"]) == (planned_rule["allowedMethods"], planned_rule["allowedOrigins"])
    for r in planned["aws:s3/bucketVersioning:BucketVersioning"]:
        assert s3.get_bucket_versioning(Bucket=r.inputs["bucket"])["Status"] == r.inputs["versioningConfiguration"]["status"]
    for r in planned["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"]:
        (rule,) = s3.get_bucket_encryption(Bucket=r.inputs["bucket"])["ServerSideEncryptionConfiguration"]["Rules"]
        (planned_rule,) = r.inputs["rules"]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == \
            planned_rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
    (notification,) = planned["aws:s3/bucketNotification:BucketNotification"]
    (queue,) = s3.get_bucket_notification_configuration(Bucket=notification.inputs["bucket"])["QueueConfigurations"]
    (planned_queue,) = notification.inputs["queues"]
    assert (queue["QueueArn"], queue["Events"]) == (planned_queue["queueArn"], planned_queue["events"])
    assert queue["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": planned_queue["filterPrefix"]}]


def test_changed_component_settings_show_up_in_the_sandbox(plan_with):
    """Change the DLQ's maxReceiveCount, the queue's visibility and the worker's retry delay in
    the stack config: the sandbox's queue and worker follow, with no sandbox code involved."""
    plan = plan_with("local", {"cloud-platform:messaging": {
        "maxReceiveCount": 7, "visibilityTimeoutSeconds": 240, "worker": {"retryDelaySeconds": 3}}})
    sandbox = Sandbox(port=0, api_port=0, plan=plan)
    sandbox.start()
    try:
        sqs = sandbox.aws.client("sqs")
        attributes = sqs.get_queue_attributes(QueueUrl=sandbox.aws.resources["queue"], AttributeNames=["All"])["Attributes"]
        assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 7
        assert attributes["VisibilityTimeout"] == "240"
        assert os.environ["RETRY_DELAY_SECONDS"] == "3"  # the worker function's environment, from the plan
        assert sandbox.aws.local_messaging.max_receive_count == 7
    finally:
        sandbox.stop()


def test_changed_ocr_settings_show_up_in_the_sandbox(plan_with):
    """The same for TextExtraction: its worker timeout (-> the queue's visibility), maxReceiveCount,
    upload expiry (bucket lifecycle), job TTL and upload limit (the functions' environment) and the
    API's allowed origin (the bucket's CORS) reach the sandbox's moto resources from the stack config."""
    plan = plan_with("local", {
        "cloud-platform:ocr": {"enabled": True, "worker": {"timeoutSeconds": 20}, "maxReceiveCount": 5,
                               "uploadExpireDays": 2, "jobTtlDays": 9, "maxUploadBytes": 2 * 1024 * 1024},
        "cloud-platform:serverless": {"enabled": True, "allowedOrigin": "https://code.example.org"}})
    sandbox = Sandbox(port=0, api_port=0, plan=plan)
    sandbox.start()
    try:
        local, s3 = sandbox.aws.local_ocr, sandbox.aws.client("s3")
        attributes = sandbox.aws.client("sqs").get_queue_attributes(
            QueueUrl=sandbox.aws.resources["ocr_queue"], AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == "120"  # 6 x the worker's timeout
        assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 5
        (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=local.bucket)["Rules"]
        assert rule["Expiration"] == {"Days": 2}
        (cors,) = s3.get_bucket_cors(Bucket=local.bucket)["CORSRules"]
        assert cors["AllowedOrigins"] == ["https://code.example.org"]
        assert (os.environ["OCR_JOB_TTL_DAYS"], os.environ["OCR_MAX_BYTES"]) == ("9", "2097152")
        assert local.timeout_seconds == 20  # the local event source's deadline
    finally:
        sandbox.stop()


def test_posted_subscriber_flows_through_sns_and_sqs_to_the_worker(sandbox_process):
    """API -> DynamoDB -> SNS -> SQS -> worker: the worker's idempotency record is its effect."""
    domain = f"flow-{uuid.uuid4().hex[:8]}.example.org"
    status, _, body = http("POST", sandbox_process.api + "subscribers", {"name": "Flow", "email": f"flow@{domain}"},
                           {"Content-Type": "application/json"})
    assert status == 202, body
    record = sandbox_process.wait_until_worker_processed(domain)
    assert record["type"] == "subscriber.created"
    assert record["result"] == {"welcomed": True, "emailDomain": domain}
    event_id = record["eventId"]
    assert str(uuid.UUID(event_id)) == event_id  # the API's event id, the idempotency key
    line = f"worker processed subscriber.created {event_id}\n"
    deadline = time.monotonic() + 5  # printed right after the record is completed
    while line not in sandbox_process.output["stderr"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert line in sandbox_process.output["stderr"]


def test_site_serves_files_and_config_pointing_at_the_api(sandbox_process):
    status, headers, body = http("GET", sandbox_process.site)
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b'id="subscribe"' in body
    status, headers, body = http("GET", sandbox_process.site + "config.js")
    assert headers["Content-Type"].startswith("text/javascript")
    assert body.decode() == f'window.APP_CONFIG = {{"apiUrl": "{sandbox_process.api.rstrip("/")}"}};\n'


def test_api_stores_in_emulated_dynamodb_with_cors_for_the_site(sandbox_process):
    origin = sandbox_process.site.rstrip("/")
    status, headers, body = http("POST", sandbox_process.api + "subscribers",
                                 {"name": "Sandbox", "email": "sandbox@example.org"},
                                 {"Content-Type": "application/json", "Origin": origin})
    assert status == 202, body
    assert headers["Access-Control-Allow-Origin"] == origin
    item = sandbox_process.client("dynamodb").get_item(
        TableName=sandbox_process.urls["table"], Key={"email": {"S": "sandbox@example.org"}})["Item"]
    assert item["name"]["S"] == "Sandbox"
    # IAM-authorized in the deployed API: unsigned, the gateway answers; signed, the handler does.
    status, headers, body = http("GET", sandbox_process.api + "subscribers/sandbox%40example.org")
    assert (status, json.loads(body)) == (403, {"error": "Missing Authentication Token"})
    assert headers["Access-Control-Allow-Origin"] == origin
    signed = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/execute-api/aws4_request, "
                               "SignedHeaders=host;x-amz-date, Signature=0"}
    status, headers, body = http("GET", sandbox_process.api + "subscribers/sandbox%40example.org", None, signed)
    assert status == 200 and json.loads(body)["name"] == "Sandbox"


@pytest.mark.parametrize("method", ["TRACE", "BREW", "PROPFIND"])
def test_methods_the_gateway_does_not_know_answer_json_403_with_cors(sandbox_process, method):
    """Like API Gateway (no such method: 403 Missing Authentication Token), not http.server's HTML 501."""
    code, headers, body = http(method, sandbox_process.api + "subscribers")
    assert (code, json.loads(body)) == (403, {"error": "Missing Authentication Token"})
    assert headers["Content-Type"] == "application/json"
    assert headers["Access-Control-Allow-Origin"] == sandbox_process.site.rstrip("/")


@pytest.mark.parametrize("method,path,status", [("GET", "hello", 400), ("GET", "nowhere", 404), ("DELETE", "hello", 404)])
def test_api_errors_are_json_with_cors(sandbox_process, method, path, status):
    code, headers, body = http(method, sandbox_process.api + path)
    assert code == status and "error" in json.loads(body)
    assert headers["Access-Control-Allow-Origin"] == sandbox_process.site.rstrip("/")


def test_sigterm_stops_everything(sandbox_process):
    sandbox = start_sandbox()
    ports = [int(u.rsplit(":", 1)[1].strip("/")) for u in (sandbox.site, sandbox.api, sandbox.aws)]
    code, err = stop_sandbox(sandbox)
    assert code == 0 and "sandbox stopped" in err and "Traceback" not in err, err[-4000:]
    assert "worker stopped (0 processed, 0 failed)\n" in err
    for port in ports:
        with socket.socket() as s, pytest.raises(OSError):
            s.settimeout(2)
            s.connect(("127.0.0.1", port))


def test_port_in_use_is_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        before = dict(os.environ)
        sandbox = Sandbox(port=port, api_port=0, setup=[])
        with pytest.raises(SandboxError, match=f"cannot listen on 127.0.0.1:{port} for the site"):
            sandbox.start()
        assert dict(os.environ) == before  # env restored, moto stopped


def test_local_setup_hooks_get_moto_env_and_cleanup():
    calls = []

    def queue_hook(aws):
        url = aws.client("sqs").create_queue(QueueName="hooked")["QueueUrl"]
        aws.env["EXTRA_QUEUE_URL"] = url
        aws.resources["queue"] = url
        return lambda: calls.append(("cleanup", aws.stopping.is_set()))

    before = dict(os.environ)
    sandbox = Sandbox(port=0, api_port=0, setup=[queue_hook])
    sandbox.start()
    try:
        assert os.environ["EXTRA_QUEUE_URL"].endswith("/hooked")
        assert sandbox.aws.resources == {"queue": os.environ["EXTRA_QUEUE_URL"]}
        assert sandbox.aws.client("sqs").list_queues()["QueueUrls"] == [os.environ["EXTRA_QUEUE_URL"]]
    finally:
        sandbox.stop()
    assert calls == [("cleanup", True)]
    assert dict(os.environ) == before


def test_stop_ends_the_worker_thread_and_restores_the_worker():
    from functions.ocr import worker as ocr_worker
    from functions.worker import app

    def worker_threads():
        return [t for t in threading.enumerate() if t.name == "worker-loop" and t.is_alive()]

    before = dict(os.environ)
    assert worker_threads() == []
    sandbox = Sandbox(port=0, api_port=0)
    sandbox.start()
    try:
        assert len(worker_threads()) == 2  # the messaging worker and the ocr worker
        assert os.environ["EVENTS_TOPIC_ARN"] == sandbox.aws.resources["topic"]
        assert os.environ["OCR_BUCKET"] == sandbox.aws.resources["ocr_bucket"]
        assert app.idempotency().table == sandbox.aws.resources["worker_table"]
    finally:
        sandbox.stop()
    assert worker_threads() == []
    assert dict(os.environ) == before
    assert app._configured is False  # the next user builds its store from IDEMPOTENCY_TABLE again
    assert ocr_worker._local == {}  # and the ocr worker is back to Textract


def test_cli_port_in_use_exits_1_with_one_line(capsys):
    from platformctl.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as exit_:
            main(["sandbox", "--port", str(port), "--api-port", "0"])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [f"error: cannot listen on 127.0.0.1:{port} for the site (Address already in use)"]
