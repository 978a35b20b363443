"""offline/materialise_s3.py: a plan's buckets and their configuration resources, created in moto."""

from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import unquote_plus

import pytest

from offline.materialise import MaterialiseError, materialise
from platformctl.local_plan import local_clients
from tests.harness import shipped_plan


def resource(type_: str, name: str, inputs: dict, outputs: dict | None = None) -> SimpleNamespace:
    return SimpleNamespace(type=type_, name=name, id=name, custom=True, inputs=inputs, outputs=outputs or {})


def bucket(name: str) -> SimpleNamespace:
    return resource("aws:s3/bucket:Bucket", name, {}, {"bucket": name, "region": "eu-west-1"})


def test_local_plan_upload_bucket_notifies_its_queue_for_the_planned_prefix_only(aws):
    plan = shipped_plan("local")
    clients = local_clients()
    done = materialise(plan, clients)
    (notification,) = [r for r in plan.resources if r.type == "aws:s3/bucketNotification:BucketNotification"]
    (target,) = notification.inputs["queues"]
    queue_url = done.queue_urls[next(r.outputs["url"] for r in plan.resources if r.outputs.get("arn") == target["queueArn"])]
    sqs, s3, name = clients["sqs"], clients["s3"], notification.inputs["bucket"]
    sqs.purge_queue(QueueUrl=queue_url)  # the s3:TestEvent sent when the notification was saved
    s3.put_object(Bucket=name, Key="elsewhere/a.png", Body=b"x")
    s3.put_object(Bucket=name, Key=f"{target['filterPrefix']}b.png", Body=b"x")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    keys = [unquote_plus(r["s3"]["object"]["key"]) for m in messages for r in json.loads(m["Body"])["Records"]]  # URL-encoded, as S3 sends them
    assert keys == [f"{target['filterPrefix']}b.png"]
    # Bucket policies are counted as left out (moto would apply their TLS-only Deny to every request).
    policies = [r for r in plan.resources if r.type == "aws:s3/bucketPolicy:BucketPolicy"]
    assert policies and done.skipped["aws:s3/bucketPolicy:BucketPolicy"] == len(policies)


def test_topic_destinations_with_suffix_and_id_and_lifecycle_rule_ids(aws):
    topic_arn = "arn:aws:sns:eu-west-1:123456789012:uploads"
    plan = SimpleNamespace(resources=[
        bucket("materialise-s3-test"),
        resource("aws:sns/topic:Topic", "uploads", {"name": "uploads"}, {"arn": topic_arn}),
        resource("aws:s3/bucketNotification:BucketNotification", "n", {"bucket": "materialise-s3-test", "topics": [
            {"topicArn": topic_arn, "events": ["s3:ObjectCreated:Put"], "filterSuffix": ".png", "id": "pngs"}]}),
        resource("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "l", {
            "bucket": "materialise-s3-test", "rules": [{"id": "old", "status": "Enabled", "filter": {"prefix": "logs/"},
                                                        "transitions": [{"days": 30.0, "storageClass": "STANDARD_IA"}]}]}),
    ])
    clients = local_clients()
    materialise(plan, clients)
    s3 = clients["s3"]
    (topic,) = s3.get_bucket_notification_configuration(Bucket="materialise-s3-test")["TopicConfigurations"]
    assert topic == {"Id": "pngs", "TopicArn": topic_arn, "Events": ["s3:ObjectCreated:Put"],
                     "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".png"}]}}}
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket="materialise-s3-test")["Rules"]
    assert (rule["ID"], rule["Filter"], rule["Transitions"]) == ("old", {"Prefix": "logs/"},
                                                                  [{"Days": 30, "StorageClass": "STANDARD_IA"}])


def test_configuration_moto_refuses_is_one_line_naming_the_resource(aws):
    plan = SimpleNamespace(resources=[
        bucket("materialise-s3-test"),
        resource("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "site-cors", {
            "bucket": "materialise-s3-test", "corsRules": [{"allowedMethods": ["FETCH"], "allowedOrigins": ["*"]}]}),
    ])
    with pytest.raises(MaterialiseError) as error:
        materialise(plan, local_clients())
    message = str(error.value)
    assert message.startswith("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration site-cors: moto refused it:")
    assert "FETCH" in message and "\n" not in message
