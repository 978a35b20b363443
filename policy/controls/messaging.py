"""Messaging and keys: SQS/SNS encryption, dead-letter queues, KMS rotation."""

from __future__ import annotations

from ..model import Finding, Resource, as_json, is_unknown, truthy
from ..registry import Context, resource_policy, stack_policy
from .types import KMS_KEY, LAMBDA_ASYNC_CONFIG, SNS_TOPIC, SQS_QUEUE, SQS_REDRIVE


@resource_policy(
    "sqs-encryption",
    types=(SQS_QUEUE,),
    summary="SQS queues are encrypted at rest (KMS key or SQS-managed SSE).",
    fix="set kms_master_key_id (customer key) or sqs_managed_sse_enabled=True",
    c5=("CRY-03",), iso=("8.24",), fsbp=("SQS.1",),
)
def sqs_encryption(r: Resource, ctx: Context):
    key = r.props.get("kmsMasterKeyId")
    if not key and not is_unknown(key) and not truthy(r.props.get("sqsManagedSseEnabled")):
        yield "queue is not encrypted (kmsMasterKeyId or sqsManagedSseEnabled)"


@resource_policy(
    "sns-encryption",
    types=(SNS_TOPIC,),
    summary="SNS topics are encrypted at rest with a KMS key.",
    fix="set kms_master_key_id (a customer managed key whose policy lets the publishing services use it)",
    c5=("CRY-03",), iso=("8.24",), fsbp=("SNS.1",),
)
def sns_encryption(r: Resource, ctx: Context):
    key = r.props.get("kmsMasterKeyId")
    if not key and not is_unknown(key):
        yield "topic is not encrypted (kmsMasterKeyId)"


def failure_destinations(resources: list[Resource]) -> set[str]:
    """URNs of queues that are a Lambda asynchronous invocation's on-failure destination: like a
    DLQ, the end of the line (Lambda's failure records wait there for someone to look)."""
    queues = {r.urn: r for r in resources if r.type == SQS_QUEUE}
    found: set[str] = set()
    for config in (r for r in resources if r.type == LAMBDA_ASYNC_CONFIG):
        failure = config.get("destinationConfig", "onFailure", "destination")
        for urn in config.refs.get("destinationConfig", ()):
            queue = queues.get(urn)
            # A known ARN must be the on-failure one (an on-success queue has consumers).
            if queue is not None and (queue.arn is None or is_unknown(failure) or queue.arn == failure):
                found.add(urn)
    return found


def dead_letter_queues(resources: list[Resource]) -> set[str]:
    """URNs of queues some redrive policy points at, and on-failure destination queues."""
    dlqs: set[str] = failure_destinations(resources)
    for r in resources:
        # `is not None`: during a first preview the policy text is unknown (the DLQ ARN is),
        # but the engine still names the DLQ as a property dependency.
        if r.type == SQS_QUEUE and r.props.get("redrivePolicy") is not None:
            dlqs |= set(r.refs.get("redrivePolicy", ()))
        if r.type == SQS_REDRIVE:
            dlqs |= set(r.refs.get("redrivePolicy", ()))
    return dlqs


@stack_policy(
    "sqs-dead-letter-queue",
    summary="Every SQS queue that is not itself a dead-letter queue (or a Lambda on-failure destination) redrives "
            "failed messages to one.",
    fix="set redrive_policy={'deadLetterTargetArn': dlq.arn, 'maxReceiveCount': N}",
    c5=("OPS-13", "BCM-03"), iso=("8.16", "5.30"), fsbp=(),
)
def sqs_dead_letter_queue(resources: list[Resource], ctx: Context):
    dlqs = dead_letter_queues(resources)
    redriven = {u for r in resources if r.type == SQS_REDRIVE for u in r.refs.get("queueUrl", ())}
    for queue in (r for r in resources if r.type == SQS_QUEUE):
        if queue.urn in dlqs or queue.urn in redriven:
            continue
        policy = as_json(queue.props.get("redrivePolicy"))
        if is_unknown(policy):
            continue
        if not policy:
            yield Finding(f"queue {queue.physical_name} has no redrive policy to a dead-letter queue", queue)
        elif isinstance(policy, dict) and not policy.get("deadLetterTargetArn"):
            yield Finding(f"queue {queue.physical_name} redrive policy names no deadLetterTargetArn", queue)


@resource_policy(
    "kms-key-rotation",
    types=(KMS_KEY,),
    summary="Symmetric customer managed KMS keys rotate their key material yearly.",
    fix="set enable_key_rotation=True",
    c5=("CRY-04",), iso=("8.24",), fsbp=("KMS.4",),
)
def kms_key_rotation(r: Resource, ctx: Context):
    spec = r.props.get("customerMasterKeySpec") or r.props.get("keySpec") or "SYMMETRIC_DEFAULT"
    if spec == "SYMMETRIC_DEFAULT" and not truthy(r.props.get("enableKeyRotation")):
        yield "enableKeyRotation is off"
