"""ContainerService's IAM roles: the execution role (ECS agent) and the task role (the app).

Every resource here is a direct child of the ContainerService component (its `parent`), so
the URNs are those the component had when it created them itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass
class TaskRoles:
    execution: aws.iam.Role
    task: aws.iam.Role


def _assume_ecs_tasks(region: str, account: str, partition: str) -> str:
    return _policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            # Confused-deputy guard: only ECS tasks of this account and region.
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:ecs:{region}:{account}:*"},
            },
        }
    )


def task_roles(name: str, region: str, account: str, partition: str, repository_arn: pulumi.Input[str],
               log_group_arn: pulumi.Input[str], enable_execute_command: bool, parent: pulumi.Resource) -> TaskRoles:
    child = pulumi.ResourceOptions(parent=parent)
    execution = aws.iam.Role(
        f"{name}-execution",
        description=f"{name}: ECS agent pulls the image and writes the log stream",
        assume_role_policy=_assume_ecs_tasks(region, account, partition),
        opts=child,
    )
    aws.iam.RolePolicy(
        f"{name}-execution",
        role=execution.id,
        policy=pulumi.Output.all(repository_arn, log_group_arn).apply(
            lambda a: _policy(
                {
                    "Sid": "EcrToken",
                    "Effect": "Allow",
                    # GetAuthorizationToken is account-wide: IAM has no resource-level permission for it.
                    "Action": "ecr:GetAuthorizationToken",
                    "Resource": "*",
                },
                {
                    "Sid": "PullThisRepository",
                    "Effect": "Allow",
                    "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                    "Resource": a[0],
                },
                {
                    "Sid": "WriteThisLogGroup",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"{a[1]}:log-stream:*",
                },
            )
        ),
        opts=child,
    )
    # The app calls no AWS API: its role grants nothing unless ECS Exec is switched on.
    task = aws.iam.Role(
        f"{name}-task",
        description=f"{name}: the app's own identity (no AWS permissions)",
        assume_role_policy=_assume_ecs_tasks(region, account, partition),
        opts=child,
    )
    if enable_execute_command:
        aws.iam.RolePolicy(
            f"{name}-task-exec",
            role=task.id,
            policy=_policy(
                {
                    "Sid": "EcsExecChannels",
                    "Effect": "Allow",
                    # The SSM message channels have no resource-level permissions.
                    "Action": [
                        "ssmmessages:CreateControlChannel",
                        "ssmmessages:CreateDataChannel",
                        "ssmmessages:OpenControlChannel",
                        "ssmmessages:OpenDataChannel",
                    ],
                    "Resource": "*",
                }
            ),
            opts=child,
        )
    return TaskRoles(execution, task)
