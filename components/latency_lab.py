"""The latency lab's state machine: Step Functions hands one event to the worker, as SQS would.

Part of Messaging (its resources are children of that component); `platformctl latency`
compares this synchronous path with the queued one.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from .blocks import statement


def latency_lab(parent: pulumi.Resource, name: str, account: pulumi.Output[str], worker_arn: pulumi.Output[str],
                machine_type: str) -> aws.sfn.StateMachine:
    """A state machine `<name>-latency` that invokes the worker with a one-record batch."""
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        f"{name}-latency-role",
        assume_role_policy=account.apply(lambda account: json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": "states.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }],
        })),
        opts=child,
    )
    policy = aws.iam.RolePolicy(
        f"{name}-latency-policy",
        role=role.id,
        policy=worker_arn.apply(lambda arn: json.dumps({
            "Version": "2012-10-17",
            "Statement": [statement("InvokeWorker", ["lambda:InvokeFunction"], [arn, f"{arn}:*"])],
        })),
        opts=child,
    )
    return aws.sfn.StateMachine(
        f"{name}-latency",
        name=f"{name}-latency",
        type=machine_type,
        role_arn=role.arn,
        definition=worker_arn.apply(lambda arn: json.dumps(latency_definition(arn))),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy]),
    )


def latency_definition(worker_arn: str) -> dict[str, Any]:
    """Amazon States Language: invoke the worker with the input event as a one-record SQS batch,
    fail the execution when the worker reports that record as failed."""
    return {
        "Comment": "Latency lab: Step Functions -> worker Lambda",
        "StartAt": "Process",
        "States": {
            "Process": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": worker_arn,
                    "Payload": {
                        "Records": [{
                            "messageId.$": "$.id",
                            "receiptHandle": "step-functions",
                            "body.$": "States.JsonToString($)",
                            "attributes": {},
                            "messageAttributes": {},
                            "eventSource": "aws:sqs",
                        }],
                    },
                },
                "OutputPath": "$.Payload",
                "Next": "Processed?",
            },
            "Processed?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.batchItemFailures[0]", "IsPresent": True, "Next": "Failed"}],
                "Default": "Done",
            },
            "Failed": {"Type": "Fail", "Error": "WorkerRejectedEvent", "Cause": "the worker reported the record as failed"},
            "Done": {"Type": "Succeed"},
        },
    }
