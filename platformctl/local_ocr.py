"""TextExtraction on a local (moto) AWS: its upload bucket (notifying its queue), queue + DLQ and
jobs table as materialised from the offline plan of the `local` stack (offline/materialise.py),
found through the plan's wiring; shared by the sandbox and the tests, like local_messaging.py.

    local = LocalOcr.from_plan(run_offline("local"), local_clients())   # clients pointed at moto
    local.bucket, local.table, local.queue_url, local.worker_env        # the program's own, with its settings
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .local_messaging import WorkerLoop
from .local_plan import API_HANDLER, function_env, materialised, queue_wiring

if TYPE_CHECKING:
    from offline.materialise import Materialised

    from .sandbox import LocalAws

OCR_WORKER_HANDLER = "ocr.worker.lambda_handler"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"


@dataclass
class LocalOcr:
    """TextExtraction's resources as materialised from a plan, plus the clients that reach them."""

    bucket: str
    table: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    s3: Any = field(repr=False)
    sqs: Any = field(repr=False)
    dynamodb: Any = field(repr=False)
    api_env: dict[str, str] = field(default_factory=dict)
    """The API function's environment (TextExtraction.api_grant's OCR_* among it), as the plan gives it."""
    worker_env: dict[str, str] = field(default_factory=dict)
    """The `ocr` worker function's environment, as the plan gives it."""
    timeout_seconds: float = 60
    batch_size: int = 5

    @property
    def max_bytes(self) -> int:
        return int(self.worker_env["OCR_MAX_BYTES"])

    @classmethod
    def from_plan(cls, plan: Any, clients: dict[str, Any], done: Materialised | None = None) -> LocalOcr:
        """Materialise `plan` with `clients` (unless `done` says it is) and find TextExtraction in it:
        the `ocr` worker's event source mapping, its queue and DLQ, the bucket notifying that queue."""
        from offline.materialise import materialise

        if done is None:
            done = materialise(plan, clients)
        w = queue_wiring(plan, OCR_WORKER_HANDLER)
        queue_arn = w.queue.outputs["arn"]
        buckets = [r.inputs["bucket"] for r in plan.resources if r.type == NOTIFICATION
                   and any(q.get("queueArn") == queue_arn for q in r.inputs.get("queues") or [])]
        if len(buckets) != 1:
            raise LookupError(f"the {plan.stack} plan has {len(buckets)} buckets notifying {queue_arn}, need 1")
        return cls(
            bucket=buckets[0], table=w.environment["OCR_TABLE"], queue_url=done.queue_urls[w.queue.outputs["url"]],
            queue_arn=queue_arn, dlq_url=done.queue_urls[w.dlq.outputs["url"]],
            s3=clients["s3"], sqs=clients["sqs"], dynamodb=clients["dynamodb"],
            api_env=function_env(plan, API_HANDLER), worker_env=function_env(plan, OCR_WORKER_HANDLER),
            timeout_seconds=w.timeout_seconds, batch_size=w.batch_size,
        )

    def clients(self, sns: Any = None, textract: Any = None) -> dict[str, Any]:
        return {"s3": self.s3, "dynamodb": self.dynamodb, "sns": sns, "textract": textract}

    def job(self, job_id: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(TableName=self.table, Key={"id": {"S": job_id}}, ConsistentRead=True).get("Item")
        return {k: next(iter(v.values())) for k, v in item.items()} if item else None


def create_ocr(aws: LocalAws) -> Any:
    """Sandbox hook (`platformctl.sandbox.LOCAL_SETUP`): TextExtraction from the sandbox's plan,
    materialised on its moto server (upload bucket notifying its queue, queue + DLQ, jobs table,
    CORS); the API and the worker get their functions' OCR_* environment from that plan
    (presigned POSTs point at moto), and the real `ocr` worker polls the queue with Tesseract
    instead of Textract.
    """
    import sys

    from functions.ocr import worker
    from platformctl.ocr_tesseract import TesseractEngine, load

    plan, clients, done = materialised(aws)
    local = aws.local_ocr = LocalOcr.from_plan(plan, clients, done)
    aws.env.update(local.api_env)
    aws.env.update(local.worker_env)
    aws.env["OCR_S3_ENDPOINT"] = aws.endpoint_url
    aws.resources.update(ocr_bucket=local.bucket, ocr_queue=local.queue_url)
    engine = TesseractEngine()

    def recognise(bucket: str, key: str):
        data = local.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        load(data)  # UnreadableImageError (the worker fails the job with its reason)
        return engine.recognise(data)

    worker.configure(recognise, local.clients(sns=clients["sns"]))

    def handler(event: dict, context: Any) -> dict:
        response = worker.process_batch(event)
        failed = len(response.get("batchItemFailures", []))
        sys.stderr.write(f"ocr worker handled {len(event['Records'])} upload event(s), {failed} failed\n")
        return response

    loop = WorkerLoop(local.sqs, local.queue_url, local.queue_arn, handler, batch_size=min(local.batch_size, 10),
                      timeout_seconds=local.timeout_seconds, region=aws.region, stopping=aws.stopping).start()

    def stop() -> None:
        try:
            loop.stop()
        finally:
            worker.configure(None)

    return stop
