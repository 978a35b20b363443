"""TextExtraction's state on a local (moto) AWS: upload bucket with its S3 -> SQS notification,
queue + DLQ, jobs table; shared by the sandbox and the tests, like local_messaging.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_BYTES = 5 * 1024 * 1024
CONTENT_TYPES = "image/jpeg,image/png"


@dataclass
class LocalOcr:
    s3: Any
    sqs: Any
    dynamodb: Any
    bucket: str
    table: str
    queue_url: str
    dlq_url: str
    max_bytes: int = MAX_BYTES

    def api_environment(self) -> dict[str, str]:
        """What TextExtraction.api_grant() sets on the API function, for the local resources."""
        return {"OCR_BUCKET": self.bucket, "OCR_TABLE": self.table, "OCR_MAX_BYTES": str(self.max_bytes),
                "OCR_CONTENT_TYPES": CONTENT_TYPES, "OCR_URL_SECONDS": "300", "OCR_JOB_TTL_DAYS": "7"}

    def worker_environment(self) -> dict[str, str]:
        return {"OCR_TABLE": self.table, "OCR_MAX_BYTES": str(self.max_bytes)}

    def clients(self, sns: Any = None, textract: Any = None) -> dict[str, Any]:
        return {"s3": self.s3, "dynamodb": self.dynamodb, "sns": sns, "textract": textract}

    def job(self, job_id: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(TableName=self.table, Key={"id": {"S": job_id}}, ConsistentRead=True).get("Item")
        return {k: next(iter(v.values())) for k, v in item.items()} if item else None


def create_local_ocr(session: Any = None, prefix: str = "cloud-platform-sandbox-ocr", max_receive_count: int = 3,
                     endpoint_url: str | None = None) -> LocalOcr:
    import boto3

    def client(name: str):
        return (session or boto3).client(name, region_name="eu-west-1", endpoint_url=endpoint_url)

    s3, sqs, dynamodb = client("s3"), client("sqs"), client("dynamodb")
    bucket, table = f"{prefix}-uploads", f"{prefix}-jobs"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["POST"], "AllowedOrigins": ["*"], "AllowedHeaders": ["*"], "MaxAgeSeconds": 600}]})
    dlq_url = sqs.create_queue(QueueName=f"{prefix}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=f"{prefix}-queue", Attributes={
        "VisibilityTimeout": "30",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}),
    })["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [{
        "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
    }]})
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    return LocalOcr(s3=s3, sqs=sqs, dynamodb=dynamodb, bucket=bucket, table=table, queue_url=queue_url, dlq_url=dlq_url)


def create_ocr(aws: Any) -> Any:
    """Sandbox hook (`platformctl.sandbox.LOCAL_SETUP`): TextExtraction on the sandbox's moto server
    with the local engine: upload bucket (notifying its queue), queue + DLQ, jobs table, the API's
    OCR_* environment (presigned POSTs point at moto), and the real `ocr` worker polling the queue
    with Tesseract instead of Textract.
    """
    import sys

    import boto3

    from functions.ocr import worker
    from platformctl.local_messaging import WorkerLoop
    from platformctl.ocr_tesseract import TesseractEngine, load

    session = boto3.Session(aws_access_key_id="sandbox", aws_secret_access_key="sandbox",  # noqa: S106 (moto)
                            region_name=aws.region)
    local = create_local_ocr(session=session, endpoint_url=aws.endpoint_url)
    aws.env.update(local.api_environment())
    aws.env.update(local.worker_environment())
    aws.env["OCR_S3_ENDPOINT"] = aws.endpoint_url
    aws.resources.update(ocr_bucket=local.bucket, ocr_queue=local.queue_url)
    engine = TesseractEngine()

    def recognise(bucket: str, key: str):
        data = local.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        load(data)  # UnreadableImageError (the worker fails the job with its reason)
        return engine.recognise(data)

    sns = session.client("sns", endpoint_url=aws.endpoint_url)
    worker.configure(recognise, local.clients(sns=sns))
    queue_arn = local.sqs.get_queue_attributes(QueueUrl=local.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def handler(event: dict, context: Any) -> dict:
        response = worker.process_batch(event)
        failed = len(response.get("batchItemFailures", []))
        sys.stderr.write(f"ocr worker handled {len(event['Records'])} upload event(s), {failed} failed\n")
        return response

    loop = WorkerLoop(local.sqs, local.queue_url, queue_arn, handler, batch_size=1, region=aws.region,
                      stopping=aws.stopping).start()

    def stop() -> None:
        try:
            loop.stop()
        finally:
            worker.configure(None)

    return stop
