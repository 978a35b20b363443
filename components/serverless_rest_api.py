"""ServerlessApi's API Gateway REST API: routes to the function, stage, throttling, access logs.

Every resource here is a direct child of the ServerlessApi component (its `parent`), so the
URNs are those the component had when it created them itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .blocks.kms import PERSONAL_DATA_TAG
from .serverless_args import ServerlessApiArgs

CORS_HEADERS = "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key"
# JSON access log line; $context fields as documented for REST API access logging.
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integration.latency",
    "integrationError": "$context.integration.error",
    "errorMessage": "$context.error.message",
})


@dataclass
class RestApi:
    api: aws.apigateway.RestApi
    stage: aws.apigateway.Stage
    access_logs: aws.cloudwatch.LogGroup
    url: pulumi.Output[str]
    """The stage's invoke URL with one trailing slash."""


def access_log_group(name: str, stage_name: str) -> str:
    return f"/aws/apigateway/{name}-rest/{stage_name}"


def rest_api(name: str, args: ServerlessApiArgs, function: aws.lambda_.Function, origin: pulumi.Output[str],
             parent: pulumi.Resource, log_kms_key_arn: pulumi.Input[str] | None = None) -> RestApi:
    """`log_kms_key_arn` encrypts the access logs: their paths hold e-mail addresses (GET /subscribers/{email})."""
    child = pulumi.ResourceOptions(parent=parent)
    api = aws.apigateway.RestApi(
        f"{name}-rest", name=f"{name}-rest", description="Subscriptions API",
        endpoint_configuration={"types": "REGIONAL"}, opts=child,
    )
    wiring = _routes(name, api, function, child) + _gateway_responses(name, api, origin, child)
    deployment = aws.apigateway.Deployment(
        f"{name}-deployment", rest_api=api.id, description=f"{name} {args.stage_name}",
        # A REST API serves a snapshot: redeploy whenever the wiring changes.
        triggers={"wiring": pulumi.Output.all(origin, *[r.id for r in wiring]).apply(
            lambda parts: hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest())},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=wiring),
    )
    depends: list[pulumi.Resource] = []
    if args.manage_api_gateway_account:
        depends.append(_api_gateway_account(name, parent))
    access_logs = aws.cloudwatch.LogGroup(
        f"{name}-access-logs", name=access_log_group(name, args.stage_name),
        retention_in_days=args.log_retention_days, kms_key_id=log_kms_key_arn,
        tags=dict(PERSONAL_DATA_TAG), opts=child,
    )
    stage = aws.apigateway.Stage(
        f"{name}-stage", rest_api=api.id, deployment=deployment.id, stage_name=args.stage_name,
        access_log_settings={"destination_arn": access_logs.arn, "format": ACCESS_LOG_FORMAT},
        xray_tracing_enabled=args.tracing,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends),
    )
    aws.apigateway.MethodSettings(
        f"{name}-throttling", rest_api=api.id, stage_name=stage.stage_name, method_path="*/*",
        settings={
            "throttling_rate_limit": args.throttling.rate_limit,
            "throttling_burst_limit": args.throttling.burst_limit,
            "metrics_enabled": True,
            "logging_level": "ERROR",
            "data_trace_enabled": False,  # full request logging would write e-mail addresses to logs
        },
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends),
    )
    aws.lambda_.Permission(
        f"{name}-invoke", action="lambda:InvokeFunction", function=function.name,
        principal="apigateway.amazonaws.com",
        # Only this API, only through its stage (any method, any path).
        source_arn=pulumi.Output.concat(api.execution_arn, "/", stage.stage_name, "/*/*"),
        opts=child,
    )
    return RestApi(api, stage, access_logs, stage.invoke_url.apply(lambda url: url.rstrip("/") + "/"))


def _routes(name: str, api: aws.apigateway.RestApi, function: aws.lambda_.Function,
            child: pulumi.ResourceOptions) -> list[pulumi.Resource]:
    proxy = aws.apigateway.Resource(
        f"{name}-proxy", rest_api=api.id, parent_id=api.root_resource_id, path_part="{proxy+}",
        opts=child,
    )
    # Reading a subscriber returns personal data: only IAM principals (SigV4) may. The
    # explicit resources take precedence over {proxy+}; their ANY keeps the other methods
    # (the site's POST, preflights) going to the function as before.
    subscribers = aws.apigateway.Resource(
        f"{name}-subscribers", rest_api=api.id, parent_id=api.root_resource_id,
        path_part="subscribers", opts=child,
    )
    subscriber = aws.apigateway.Resource(
        f"{name}-subscriber", rest_api=api.id, parent_id=subscribers.id, path_part="{email}",
        opts=child,
    )
    routes = [("root", api.root_resource_id, "ANY", "NONE"), ("proxy", proxy.id, "ANY", "NONE"),
              ("subscribers", subscribers.id, "ANY", "NONE"), ("subscriber", subscriber.id, "ANY", "NONE"),
              ("subscriber-get", subscriber.id, "GET", "AWS_IAM")]
    wiring: list[pulumi.Resource] = []
    for suffix, resource_id, http_method, authorization in routes:
        method = aws.apigateway.Method(
            f"{name}-{suffix}" + ("-any" if http_method == "ANY" else ""), rest_api=api.id,
            resource_id=resource_id, http_method=http_method, authorization=authorization, opts=child,
        )
        integration = aws.apigateway.Integration(
            f"{name}-{suffix}-lambda", rest_api=api.id, resource_id=resource_id,
            http_method=method.http_method, type="AWS_PROXY", integration_http_method="POST",
            uri=function.invoke_arn, opts=child,
        )
        wiring += [method, integration]
    return wiring


def _gateway_responses(name: str, api: aws.apigateway.RestApi, origin: pulumi.Output[str],
                       child: pulumi.ResourceOptions) -> list[pulumi.Resource]:
    # The gateway answers some requests itself (throttled, too large, Lambda failed):
    # without CORS headers there the browser would only report an opaque network error.
    quoted = origin.apply(lambda o: f"'{o}'")
    return [
        aws.apigateway.Response(
            f"{name}-{kind.lower().replace('_', '-')}", rest_api_id=api.id, response_type=kind,
            response_parameters={
                "gatewayresponse.header.Access-Control-Allow-Origin": quoted,
                "gatewayresponse.header.Access-Control-Allow-Headers": f"'{CORS_HEADERS}'",
            },
            response_templates={"application/json": '{"error": $context.error.messageString}'},
            opts=child,
        )
        for kind in ("DEFAULT_4XX", "DEFAULT_5XX")
    ]


def _api_gateway_account(name: str, parent: pulumi.Resource) -> aws.apigateway.Account:
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        f"{name}-apigw-logs-role",
        description="API Gateway writes access and execution logs to CloudWatch",
        assume_role_policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                           "Action": "sts:AssumeRole"}],
        }),
        opts=child,
    )
    # The AWS managed policy for exactly this purpose: API Gateway names its log groups
    # itself (API-Gateway-Execution-Logs_<id>/<stage>), per API, so no narrower ARN exists.
    attachment = aws.iam.RolePolicyAttachment(
        f"{name}-apigw-logs-policy", role=role.name,
        policy_arn="arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
        opts=child,
    )
    return aws.apigateway.Account(
        f"{name}-apigw-account", cloudwatch_role_arn=role.arn,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[attachment]),
    )
