"""Steps of the program for the event-driven areas: Messaging, then TextExtraction and the
ServerlessApi, which both publish on Messaging's events topic."""

from __future__ import annotations

from .messaging import Messaging
from .messaging_args import MessagingArgs
from .platform import Platform, args_from


def build_messaging(p: Platform) -> None:
    """Messaging: SNS topic, SQS queue + DLQ, notifier and worker Lambdas."""
    s = p.settings
    if not s.messaging.enabled:
        return
    m = p.messaging = Messaging(f"{s.prefix}-messaging", args_from(s.messaging, MessagingArgs), opts=p.opts())
    p.outputs.update(
        topicArn=m.topic_arn,
        queueUrl=m.queue_url,
        dlqUrl=m.dlq_url,
        # The notifier's on-failure destination: Lambda's records of events it gave up on.
        notifierFailuresUrl=m.notifier_failures_url,
        # Read by `platformctl latency` (and handy for operators).
        outcomesTopicArn=m.outcomes_topic_arn,
        workerFunctionName=m.worker_function_name,
        notifierFunctionName=m.notifier_function_name,
        idempotencyTableName=m.idempotency_table_name,
    )
    if m.state_machine_arn is not None:
        p.outputs["latencyStateMachineArn"] = m.state_machine_arn


def build_ocr(p: Platform) -> None:
    """TextExtraction: upload bucket, queue, Textract worker; its routes go on the API built next."""
    s = p.settings
    if not s.ocr.enabled:
        return
    from .text_extraction import TextExtraction, TextExtractionArgs

    p.ocr = TextExtraction(
        f"{s.prefix}-ocr",
        args_from(
            s.ocr, TextExtractionArgs,
            region=s.region,
            **p.events_inputs(),
            powertools_layer_version=s.serverless.powertools_layer_version,
        ),
        opts=p.opts(),
    )
    p.outputs.update(
        ocrBucketName=p.ocr.bucket_name,
        ocrTableName=p.ocr.table_name,
        ocrQueueUrl=p.ocr.queue_url,
        ocrWorkerFunctionName=p.ocr.worker_function_name,
    )


def build_serverless(p: Platform) -> None:
    """ServerlessApi: API Gateway + Lambda + DynamoDB + website (publishes to Messaging's topic)."""
    s = p.settings
    if not s.serverless.enabled:
        return
    from .serverless import ServerlessApi
    from .serverless_args import ServerlessApiArgs

    p.serverless = ServerlessApi(
        f"{s.prefix}-serverless",
        args_from(
            s.serverless, ServerlessApiArgs,
            stage_name=s.environment,
            region=s.region,
            **p.events_inputs(),
            grants=[p.ocr.api_grant()] if p.ocr else [],
            site_domain=s.domain.name if s.domain else None,
            site_certificate_arn=p.certificates.site_certificate_arn if p.certificates else None,
        ),
        opts=p.opts(),
    )
    if p.ocr is not None:
        p.ocr.allow_uploads_from(p.serverless.cors_origin)
    p.outputs.update(
        apiUrl=p.serverless.api_url,
        siteUrl=p.serverless.site_url,
        tableName=p.serverless.table_name,
    )
