"""`LambdaFunction`: the platform's one Lambda recipe.

Its log group exists before the function (so Lambda never creates one without retention),
its role is trusted by Lambda for this account only (`aws:SourceAccount`) and allowed what
the caller's statements name plus writing to its own log group, and the function waits for
that policy (the first invocation, or an event source mapping's validation, needs it).
Code is packaged from the handler's own `*.py` files only, so the archive — and the code
hash Pulumi diffs — is the same on every machine, whatever caches lie around.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from ..lambda_runtime import RUNTIME, powertools_layer_arn
from .logs import log_group
from .moved import Moved, child_options

VPC_ACCESS_ACTIONS = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
                      "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]


def statement(sid: str, actions: list[str], resources: list[Any], **extra: Any) -> dict[str, Any]:
    """One Allow statement of an IAM policy."""
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def package_handler(functions_dir: Path, package: str, handler_module: str = "app") -> pulumi.AssetArchive:
    """The handler package as `<package>/*.py` (importable as `<package>.<module>`), nothing else."""
    files = sorted((functions_dir / package).glob("*.py"))
    if not any(f.stem == handler_module for f in files):
        raise pulumi.RunError(f"{functions_dir / package} has no {handler_module}.py (the Lambda handler module)")
    return pulumi.AssetArchive({f"{package}/{f.name}": pulumi.FileAsset(str(f)) for f in files})


def lambda_trust(account: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
            # Only Lambda acting for this account may assume the role (confused deputy).
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        }],
    })


@dataclass
class LambdaFunctionArgs:
    """Inputs of LambdaFunction. The physical function name is the block's name."""

    code: pulumi.Input[pulumi.Archive]
    handler: str
    region: pulumi.Input[str]
    """For the Powertools layer ARN."""
    statements: pulumi.Input[list[dict[str, Any]]] = field(default_factory=list)
    """What the function may do besides logging (exact ARNs)."""
    environment: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    description: str | None = None
    memory_size: int = 128
    timeout: int = 10
    architecture: str = "x86_64"
    log_retention_days: int = 30
    log_kms_key_arn: pulumi.Input[str] | None = None
    """Encrypt the log group with this key (functions that log personal data)."""
    tracing: bool = False
    """X-Ray active tracing (the role then may put traces)."""
    powertools_layer_version: int | None = None
    """The public Powertools v3 layer version; None: no layer."""
    service_name: str | None = None
    """POWERTOOLS_SERVICE_NAME; default: the function name."""
    role_description: str | None = None
    permissions_boundary: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    vpc_config: aws.lambda_.FunctionVpcConfigArgs | None = None
    """Run in these subnets with these groups (the role then may manage the function's ENIs)."""
    moved: Moved | None = None
    """Where these resources lived before the block took them over (aliases, no replacement)."""


class LambdaFunction(pulumi.ComponentResource):
    function: aws.lambda_.Function
    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup
    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def __init__(self, name: str, args: LambdaFunctionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:blocks:LambdaFunction", name, None, opts)
        a, self._moved = args, args.moved
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
        self.log_group = log_group(
            f"{name}-logs", f"/aws/lambda/{name}", a.log_retention_days,
            self._opts("logs", f"{name}-logs"), kms_key_arn=a.log_kms_key_arn,
        )
        self.role = aws.iam.Role(
            f"{name}-role", description=a.role_description, assume_role_policy=account.apply(lambda_trust),
            permissions_boundary=a.permissions_boundary, opts=self._opts("role", f"{name}-role"),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy", role=self.role.id,
            policy=pulumi.Output.all(self.log_group.arn, a.statements).apply(
                lambda v: self._document(v[0], v[1], a.tracing, a.vpc_config is not None)),
            opts=self._opts("policy", f"{name}-policy"),
        )
        layers = None
        if a.powertools_layer_version is not None:
            version = a.powertools_layer_version
            layers = [pulumi.Output.from_input(a.region).apply(lambda r: powertools_layer_arn(r, version, a.architecture))]
        env = {"POWERTOOLS_SERVICE_NAME": a.service_name or name, "POWERTOOLS_LOG_LEVEL": "INFO",
               # Powertools Tracer in the handler records segments only when X-Ray is on.
               "POWERTOOLS_TRACE_DISABLED": "false" if a.tracing else "true", **a.environment}
        self.function = aws.lambda_.Function(
            name,
            name=name,
            description=a.description,
            runtime=RUNTIME,
            architectures=[a.architecture],
            handler=a.handler,
            code=a.code,
            role=self.role.arn,
            memory_size=a.memory_size,
            timeout=a.timeout,
            layers=layers,
            environment={"variables": env},
            logging_config={"log_format": "JSON", "log_group": self.log_group.name},
            tracing_config={"mode": "Active" if a.tracing else "PassThrough"},
            vpc_config=a.vpc_config,
            tags={"Name": name, **a.tags},
            opts=self._opts("function", name, depends_on=[self.log_group, policy]),
        )
        self.name, self.arn, self.role_name = self.function.name, self.function.arn, self.role.name
        self.register_outputs({"name": self.name, "arn": self.arn, "roleName": self.role_name})

    def _opts(self, part: str, name: str, **kwargs) -> pulumi.ResourceOptions:
        return child_options(self, self._moved, part, name, **kwargs)

    @staticmethod
    def _document(log_group_arn: str, statements: list[dict[str, Any]], tracing: bool, in_vpc: bool = False) -> str:
        own = [
            # The group is created above, so no logs:CreateLogGroup.
            statement("OwnLogGroup", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{log_group_arn}:*"]),
        ]
        if tracing:
            # X-Ray has no resource-level permissions for these two actions.
            own.append(statement("Tracing", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"]))
        if in_vpc:
            # What AWSLambdaVPCAccessExecutionRole grants; EC2 offers no resource-level permission for these.
            own.append(statement("VpcNetworkInterfaces", VPC_ACCESS_ACTIONS, ["*"]))
        return json.dumps({"Version": "2012-10-17", "Statement": [*own, *statements]})
