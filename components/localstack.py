"""LocalStack: which AWS service endpoint each resource type talks to, and the provider overrides.

`pulumi up --stack local` sends every API call of every explicit provider to one LocalStack
edge URL. A resource whose service has no endpoint override would silently go to real AWS
(and fail on the fake credentials), so `endpoint_service` maps a Pulumi type token to the
provider's endpoint field and a test checks the plans of all stacks against `SERVICES`.
"""

from __future__ import annotations

import keyword
from typing import Any

import pulumi_aws as aws

# Endpoint field names as the provider spells them (wire names, `lambda` not `lambda_`),
# canonical names only: the provider rejects a service and one of its aliases together.
SERVICES: tuple[str, ...] = (
    "acm", "apigateway", "apigatewayv2", "appautoscaling", "autoscaling", "backup", "cloudfront",
    "cloudwatch", "dynamodb", "ec2", "ecr", "ecs", "elb", "elbv2", "events", "iam", "kms", "lambda",
    "logs", "route53", "s3", "scheduler", "secretsmanager", "sfn", "sns", "sqs", "ssm", "sts", "wafv2",
)

# Pulumi modules whose name is not the endpoint field of their service.
_MODULE_SERVICE = {
    "alb": "elbv2",
    "lb": "elbv2",
    "applicationloadbalancing": "elbv2",
    "vpc": "ec2",
    "ebs": "ec2",
    "ec2transitgateway": "ec2",
    "ec2clientvpn": "ec2",
    "lambda": "lambda",
}

# LocalStack's fixed dummy credentials: it accepts any key, `test` is its documented default.
DUMMY_KEY = "test"


def endpoint_service(type_token: str) -> str | None:
    """`aws:cloudwatch/logGroup:LogGroup` -> `logs`; None for non-AWS types and providers."""
    package, _, rest = type_token.partition(":")
    if package != "aws" or "/" not in rest:
        return None
    module, _, resource = rest.partition("/")
    if module == "cloudwatch":
        # Pulumi files CloudWatch Logs and EventBridge under `cloudwatch`; they are separate APIs.
        if resource.startswith("log"):
            return "logs"
        if resource.startswith("event"):
            return "events"
        return "cloudwatch"
    return _MODULE_SERVICE.get(module, module)


def python_field(service: str) -> str:
    """`lambda` -> `lambda_` (the Python SDK's name for a field that is a keyword)."""
    return f"{service}_" if keyword.iskeyword(service) else service


def provider_args(endpoint: str) -> dict[str, Any]:
    """Keyword arguments for `aws.Provider` that send every call to LocalStack at `endpoint`."""
    url = endpoint.rstrip("/")
    return dict(
        access_key=DUMMY_KEY,
        secret_key=DUMMY_KEY,
        endpoints=[aws.ProviderEndpointArgs(**{python_field(s): url for s in SERVICES})],
        skip_credentials_validation=True,
        skip_metadata_api_check=True,
        skip_requesting_account_id=True,
        s3_use_path_style=True,
    )
