"""TextExtraction: screenshots of code in, source text out (the course project "Image
(Screenshot) to Text converter for source code").

    browser --POST /ocr/jobs (API)--> job record + presigned POST (key, type and size pinned)
    browser --POST form--> upload bucket uploads/<id> --ObjectCreated--> queue (+ DLQ)
      --> ocr worker: Textract DetectDocumentText -> layout engine -> results/<id>.txt,
          job COMPLETED/FAILED in the jobs table, `ocr.completed` on the events topic
    browser --GET /ocr/jobs/<id>--> status + text

The upload bucket is private and hardened like every bucket (blocks/bucket.py); uploads and
results expire after `ocr.uploadExpireDays`. It is SSE-S3: Textract reads the object with the
worker's permissions, and an SSE-KMS object would also need the key for both Textract and the
browser's presigned upload. The routes run in ServerlessApi's function (`api_grant()` gives it
the environment and permissions they need).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from .alarms import AlarmTargets
from .blocks import HardenedBucket, HardenedBucketArgs, LambdaFunction, LambdaFunctionArgs, package_handler, statement

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
MAX_SQS_RETENTION = 14 * 24 * 3600


@dataclass
class ApiGrant:
    """What another component's API function needs to serve routes for this one."""

    environment: dict[str, pulumi.Input[str]]
    statements: pulumi.Output[list[dict[str, Any]]]


@dataclass
class OcrWorkerArgs:
    timeout_seconds: int = 60
    memory_mb: int = 512
    batch_size: int = 5
    maximum_concurrency: int = 5
    """Event source mapping cap; also keeps Textract under its per-second quota."""


@dataclass
class TextExtractionArgs:
    """Inputs of TextExtraction (defaults: the settings' defaults)."""

    region: pulumi.Input[str]
    """For the Powertools layer ARN."""
    events_topic_arn: pulumi.Input[str] | None = None
    """Messaging's topic for `ocr.completed`; None: no events."""
    events_key_arn: pulumi.Input[str] | None = None
    """The topic's KMS key (publishing to an SSE-KMS topic needs GenerateDataKey/Decrypt on it)."""
    powertools_layer_version: int = 27
    functions_dir: Path = FUNCTIONS_DIR
    tags: dict[str, str] = field(default_factory=dict)
    max_upload_bytes: int = 5 * 1024 * 1024
    content_types: list[str] = field(default_factory=lambda: ["image/jpeg", "image/png"])
    """What a presigned upload may carry (Textract's synchronous API reads PNG and JPEG)."""
    upload_expire_days: int = 7
    """Uploaded screenshots are deleted after this many days."""
    upload_url_seconds: int = 300
    job_ttl_days: int = 30
    max_receive_count: int = 3
    log_retention_days: int = 30
    pitr: bool = False
    protect: bool = False
    """Protect and retain the jobs table, the bucket and the DLQ."""
    worker: OcrWorkerArgs = field(default_factory=OcrWorkerArgs)
    engine: str = "textract"

    @property
    def queue_visibility_seconds(self) -> int:
        """AWS's advice for SQS-triggered Lambdas: 6 x the function timeout."""
        return 6 * self.worker.timeout_seconds


class TextExtraction(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    table_name: pulumi.Output[str]
    queue_url: pulumi.Output[str]
    dlq_name: pulumi.Output[str]
    worker_function_name: pulumi.Output[str]

    def __init__(self, name: str, args: TextExtractionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:ocr:TextExtraction", name, None, opts)
        self._name, self._args, s = name, args, args
        self._child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id

        self.uploads = HardenedBucket(
            f"{name}-uploads",
            HardenedBucketArgs(
                tags={"Name": f"{name}-uploads", "Purpose": "ocr-uploads"},
                # Screenshots and their texts expire anyway; `protect` (prod) keeps the bucket itself
                # from a `pulumi destroy` like every stateful resource there (compliance pack).
                protect=s.protect,
                force_destroy=not s.protect,
                expire_days=s.upload_expire_days,
                noncurrent_days=1,
                abort_incomplete_days=1,
            ),
            opts=self._child,
        )
        self._table(s)
        self._queues(s)
        self._worker(s, args)
        self._notifications()

        self.bucket_name = self.uploads.id
        self.table_name = self.table.name
        self.queue_url = self.queue.url
        self.dlq_name = self.dlq.name
        self.worker_function_name = self.worker.name
        self.register_outputs({
            "bucketName": self.bucket_name, "tableName": self.table_name, "queueUrl": self.queue_url,
            "dlqName": self.dlq_name, "workerFunctionName": self.worker_function_name,
        })

    # --- state -------------------------------------------------------------------------------
    def _table(self, s: TextExtractionArgs) -> None:
        name = self._name
        self.table = aws.dynamodb.Table(
            f"{name}-jobs",
            name=f"{name}-jobs",
            billing_mode="PAY_PER_REQUEST",
            hash_key="id",
            attributes=[{"name": "id", "type": "S"}],
            ttl={"attribute_name": "expiresAt", "enabled": True},
            server_side_encryption={"enabled": True},  # KMS (AWS managed key)
            point_in_time_recovery={"enabled": s.pitr},
            deletion_protection_enabled=s.protect,
            tags={"Name": f"{name}-jobs"},
            opts=pulumi.ResourceOptions(parent=self, protect=s.protect, retain_on_delete=s.protect),
        )

    def _queues(self, s: TextExtractionArgs) -> None:
        name = self._name
        self.dlq = aws.sqs.Queue(
            f"{name}-dlq", name=f"{name}-dlq", message_retention_seconds=MAX_SQS_RETENTION,
            sqs_managed_sse_enabled=True, opts=self._child,
        )
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            name=f"{name}-queue",
            visibility_timeout_seconds=s.queue_visibility_seconds,
            message_retention_seconds=4 * 24 * 3600,
            receive_wait_time_seconds=20,
            # SSE-SQS: S3 event notifications cannot be delivered to a queue encrypted with the
            # AWS managed key alias/aws/sqs, and need no key policy this way.
            sqs_managed_sse_enabled=True,
            redrive_policy=self.dlq.arn.apply(
                lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": s.max_receive_count})),
            opts=self._child,
        )
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-redrive-allow", queue_url=self.dlq.id,
            redrive_allow_policy=self.queue.arn.apply(
                lambda arn: json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn]})),
            opts=self._child,
        )

        def document(args: list[str]) -> str:
            queue_arn, bucket_arn, account = args
            return json.dumps({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "UploadBucketNotifies", "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
                        "Resource": queue_arn,
                        "Condition": {"ArnEquals": {"aws:SourceArn": bucket_arn},
                                      "StringEquals": {"aws:SourceAccount": account}},
                    },
                    {
                        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sqs:*",
                        "Resource": queue_arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ],
            })

        self.queue_policy = aws.sqs.QueuePolicy(
            f"{name}-queue-policy", queue_url=self.queue.id,
            policy=pulumi.Output.all(self.queue.arn, self.uploads.arn, self._account).apply(document),
            opts=self._child,
        )

    # --- worker ------------------------------------------------------------------------------
    def _worker(self, s: TextExtractionArgs, args: TextExtractionArgs) -> None:
        name = self._name
        topic = pulumi.Output.from_input(args.events_topic_arn or "")
        key = pulumi.Output.from_input(args.events_key_arn or "")

        def statements(a: list[str]) -> list[dict[str, Any]]:
            queue_arn, bucket_arn, table_arn, topic_arn, key_arn = a
            out = [
                statement("ConsumeQueue", ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                                           "sqs:GetQueueAttributes"], [queue_arn]),
                # Textract reads the upload with the caller's permissions (S3Object documents).
                statement("ReadUploads", ["s3:GetObject"], [f"{bucket_arn}/uploads/*"]),
                statement("WriteResults", ["s3:PutObject"], [f"{bucket_arn}/results/*"]),
                statement("Jobs", ["dynamodb:UpdateItem"], [table_arn]),
                # Textract has no resource-level permissions: DetectDocumentText can only be
                # granted on "*" (Service Authorization Reference, Amazon Textract).
                statement("DetectText", ["textract:DetectDocumentText"], ["*"]),
            ]
            if topic_arn:
                out.append(statement("Events", ["sns:Publish"], [topic_arn]))
                if key_arn:
                    out.append(statement("EventsKey", ["kms:GenerateDataKey", "kms:Decrypt"], [key_arn]))
            return out

        env: dict[str, pulumi.Input[str]] = {
            "OCR_TABLE": self.table.name,
            "OCR_MAX_BYTES": str(s.max_upload_bytes),
            # Read by the cost rules (Textract pages are billed per call, not per resource).
            "OCR_ENGINE": s.engine,
        }
        if args.events_topic_arn is not None:
            env["EVENTS_TOPIC_ARN"] = topic
        function_name = f"{name}-worker"
        self.worker_block = LambdaFunction(
            function_name,
            LambdaFunctionArgs(
                code=package_handler(args.functions_dir, "ocr", "worker"),
                handler="ocr.worker.lambda_handler",
                region=args.region,
                statements=pulumi.Output.all(self.queue.arn, self.uploads.arn, self.table.arn, topic, key).apply(statements),
                environment=env,
                description="Screenshot-to-source worker: Textract + layout engine",
                role_description=f"{function_name}: its queue, the uploads, the jobs table, Textract, the events topic",
                memory_size=s.worker.memory_mb,
                timeout=s.worker.timeout_seconds,
                log_retention_days=s.log_retention_days,
                powertools_layer_version=args.powertools_layer_version,
                service_name="ocr-worker",
            ),
            opts=self._child,
        )
        self.worker = self.worker_block.function
        self.event_source_mapping = aws.lambda_.EventSourceMapping(
            f"{name}-worker-esm",
            event_source_arn=self.queue.arn,
            function_name=self.worker.arn,
            batch_size=s.worker.batch_size,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config={"maximum_concurrency": s.worker.maximum_concurrency},
            opts=self._child,
        )

    def _notifications(self) -> None:
        # S3 validates the destination when the notification is saved: the queue policy first.
        self.notification = aws.s3.BucketNotification(
            f"{self._name}-uploads-notification",
            bucket=self.uploads.id,
            queues=[{"queue_arn": self.queue.arn, "events": ["s3:ObjectCreated:*"], "filter_prefix": "uploads/"}],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.queue_policy]),
        )

    def alarm_targets(self) -> AlarmTargets:
        """The worker (errors, throttles) and the dead-letter queue (anything in it is stuck)."""
        return AlarmTargets(functions=[("ocr-worker", self.worker_function_name)],
                            dead_letter_queues=[("ocr", self.dlq_name)])

    # --- what the API needs ------------------------------------------------------------------
    def api_grant(self) -> ApiGrant:
        s = self._args
        statements = pulumi.Output.all(self.uploads.arn, self.table.arn).apply(lambda a: [
            # The presigned POST is signed with the API role: S3 checks PutObject on that key.
            statement("OcrUploads", ["s3:PutObject"], [f"{a[0]}/uploads/*"]),
            statement("OcrResults", ["s3:GetObject"], [f"{a[0]}/results/*"]),
            statement("OcrJobs", ["dynamodb:PutItem", "dynamodb:GetItem"], [a[1]]),
        ])
        return ApiGrant(
            environment={
                "OCR_BUCKET": self.uploads.id,
                "OCR_TABLE": self.table.name,
                "OCR_MAX_BYTES": str(s.max_upload_bytes),
                "OCR_CONTENT_TYPES": ",".join(s.content_types),
                "OCR_URL_SECONDS": str(s.upload_url_seconds),
                "OCR_JOB_TTL_DAYS": str(s.job_ttl_days),
            },
            statements=statements,
        )

    def allow_uploads_from(self, origin: pulumi.Input[str]) -> aws.s3.BucketCorsConfiguration:
        """The website posts the upload form straight to the bucket: CORS for that origin, POST only."""
        self.cors = aws.s3.BucketCorsConfiguration(
            f"{self._name}-uploads-cors",
            bucket=self.uploads.id,
            cors_rules=[{"allowed_methods": ["POST"], "allowed_origins": [origin], "allowed_headers": ["*"],
                         "max_age_seconds": 600}],
            opts=self._child,
        )
        return self.cors
