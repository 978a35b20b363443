"""What every Lambda function of the platform shares: the runtime and the Powertools layer."""

from __future__ import annotations

RUNTIME = "python3.12"
# AWS publishes the public Powertools layers from this account in every commercial region
# (China uses another account, which this platform does not target).
POWERTOOLS_ACCOUNT = "017000801446"


def powertools_layer_arn(region: str, version: int, architecture: str) -> str:
    """Powertools for AWS Lambda (Python) v3 for RUNTIME on `architecture` (x86_64 or arm64)."""
    python = RUNTIME.replace(".", "")
    return f"arn:aws:lambda:{region}:{POWERTOOLS_ACCOUNT}:layer:AWSLambdaPowertoolsPythonV3-{python}-{architecture}:{version}"


# What a function may import without packaging it (tests/unit/test_lambda_dependencies.py
# checks every function of the shipped stacks against these). The public v3 layer is built
# for each architecture on its own platform (linux/amd64, linux/arm64), so compiled wheels
# such as pydantic-core match the function's CPU, from `pip install aws-lambda-powertools[all]`
# minus what the Lambda runtime already has (boto3, botocore, s3transfer, dateutil, urllib3,
# six, jmespath): github.com/aws-powertools/powertools-lambda-python layer_v3/layer/layer_stack.py
# (include_extras=True for x86_64 and arm64) and layer_v3/docker/Dockerfile; the extras are
# listed at docs.aws.amazon.com/powertools/python/latest/getting-started/install/ (tracer:
# aws-xray-sdk, validation: fastjsonschema, parser: pydantic, datamasking: aws-encryption-sdk,
# jsonpath-ng). A module outside both sets must be packaged with the function.
POWERTOOLS_LAYER_MODULES = frozenset({
    "aws_lambda_powertools", "aws_xray_sdk", "wrapt", "fastjsonschema", "pydantic", "pydantic_core",
    "pydantic_settings", "annotated_types", "typing_extensions", "typing_inspection",
    "aws_encryption_sdk", "cryptography", "jsonpath_ng", "jwt",
})
RUNTIME_MODULES = frozenset({"boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six", "jmespath"})
