"""The sandbox's plan in moto: materialised once per sandbox, and the wiring the local hooks find in it
(a queue-triggered function's mapping, queue and DLQ; a function's environment), so that the local
workers run with the plan's queues, batch sizes, timeouts and variables (docs/sandbox.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from offline.materialise import Materialised

    from .sandbox import LocalAws

ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"
FUNCTION = "aws:lambda/function:Function"
API_HANDLER = "api.handler.lambda_handler"


@dataclass
class QueueWiring:
    """A queue-triggered function in a plan: the function, its event source mapping, the queue, the DLQ."""

    function: Any
    mapping: Any
    queue: Any
    dlq: Any
    redrive: dict[str, Any]

    @property
    def environment(self) -> dict[str, str]:
        """The function's environment variables, as the plan gives them to Lambda."""
        variables = (self.function.inputs.get("environment") or {}).get("variables") or {}
        return {k: str(v) for k, v in variables.items()}

    @property
    def timeout_seconds(self) -> float:
        return float(self.function.inputs.get("timeout", 3))  # Lambda's default

    @property
    def batch_size(self) -> int:
        return int(self.mapping.inputs.get("batchSize", 10))  # the SQS event source's default


def queue_wiring(plan: Any, handler: str) -> QueueWiring:
    """The one function in `plan` running `handler` from an SQS event source mapping, and its queues."""
    custom = [r for r in plan.resources if r.custom]
    by_arn = {r.outputs.get("arn"): r for r in custom if r.outputs.get("arn")}
    wiring = [(m, by_arn.get(m.inputs["functionName"])) for m in custom if m.type == ESM]
    found = [(m, f) for m, f in wiring if f is not None and f.inputs.get("handler") == handler]
    if len(found) != 1:
        raise LookupError(f"the {plan.stack} plan has {len(found)} event source mappings to {handler}, need 1")
    mapping, function = found[0]
    queue = by_arn[mapping.inputs["eventSourceArn"]]
    redrive = json.loads(queue.inputs["redrivePolicy"])
    return QueueWiring(function, mapping, queue, by_arn[redrive["deadLetterTargetArn"]], redrive)


def local_clients(endpoint_url: str | None = None, region: str = "eu-west-1") -> dict[str, Any]:
    """boto3 clients for what the plan materialises, on `endpoint_url` (None: in-process moto)."""
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=region)  # noqa: S106 (moto)
    return {name: session.client(name, endpoint_url=endpoint_url) for name in ("sqs", "sns", "dynamodb", "s3")}


def function_env(plan: Any, handler: str) -> dict[str, str]:
    """The environment the plan gives the function running `handler`, but Powertools' own
    variables (one process hosts every function locally; the sandbox names its service itself)."""
    (function,) = [r for r in plan.resources if r.type == FUNCTION and r.inputs.get("handler") == handler]
    variables = (function.inputs.get("environment") or {}).get("variables") or {}
    return {k: str(v) for k, v in variables.items() if not k.startswith("POWERTOOLS_")}


def materialised(aws: LocalAws) -> tuple[Any, dict[str, Any], Materialised]:
    """The sandbox's plan (`aws.plan`, or the `local` stack's, planned now), materialised once in
    its moto server whichever hook asks first: (plan, clients, what was created)."""
    if aws.materialised is None:
        from offline import plan as engine
        from offline.materialise import materialise

        aws.plan = aws.plan if aws.plan is not None else engine.run_offline("local")
        aws.clients = local_clients(aws.endpoint_url, aws.region)
        aws.materialised = materialise(aws.plan, aws.clients)
    return aws.plan, aws.clients, aws.materialised
