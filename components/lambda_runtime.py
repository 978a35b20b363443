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
