"""ServerlessApi: REST API -> Lambda -> DynamoDB, plus the static website that calls it.

The course's "First microservice" / "serverless website" / "add a database" hands-ons as
one component: the handler in `functions/api/` behind an API Gateway REST API (Lambda
proxy, throttled, access-logged, CORS also on the gateway's own 4XX/5XX answers), a
DynamoDB table, and `site/` in S3 — public website endpoint (dev, as in the course) or a
private bucket behind CloudFront with Origin Access Control (prod). The site learns the
API URL from a `config.js` generated at deploy time from the stage's invoke URL.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from .alarms import AlarmTargets
from .blocks import (
    HardenedBucket,
    HardenedBucketArgs,
    LambdaFunction,
    LambdaFunctionArgs,
    Moved,
    Website,
    package_handler,
    statement,
)
from .cdn import access_logs, security_headers_policy

# Graviton: the same requests for about 20 % less than x86_64.
ARCHITECTURE = "arm64"

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_DIR = ROOT / "functions" / "api"
SITE_DIR = ROOT / "site"
HANDLER = "api.handler.lambda_handler"  # the archive holds the package as `api/`
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS managed CloudFront cache policy
CORS_HEADERS = "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
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


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def config_js(api_url: str) -> str:
    return f"window.APP_CONFIG = {json.dumps({'apiUrl': api_url.rstrip('/')})};\n"


def _cloudfront_reads(bucket_arn: str, distribution_arn: str) -> list[dict]:
    """Only this distribution (Origin Access Control) reads the private site bucket."""
    return [{
        "Sid": "CloudFrontReadsObjects",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    }]


def site_files(site_dir: Path) -> list[Path]:
    """Files to upload; the local `config.js` placeholder is replaced by the generated one."""
    return sorted(p for p in site_dir.rglob("*") if p.is_file() and p.relative_to(site_dir).as_posix() != "config.js")


@dataclass
class ThrottlingArgs:
    """Stage-wide method throttling (API Gateway token bucket)."""

    rate_limit: float = 50.0
    burst_limit: int = 100


@dataclass
class ServerlessApiArgs:
    """Inputs of ServerlessApi (defaults: the settings' defaults)."""

    stage_name: str
    """API Gateway stage; the program passes the environment name (dev, prod)."""
    region: str
    """Region of the provider, for the public Powertools layer ARN."""
    events_topic_arn: pulumi.Input[str] | None = None
    """SNS topic for `subscriber.created` events (Messaging); None: no events, no sns:Publish."""
    events_key_arn: pulumi.Input[str] | None = None
    """KMS key the events topic is encrypted with (Messaging's key): publishing to an SSE-KMS
    topic needs kms:GenerateDataKey and kms:Decrypt on it. None: an unencrypted topic."""
    manage_api_gateway_account: bool = False
    """Set the region's API Gateway CloudWatch role (`serverless.manageApiGatewayAccount`): one
    setting per account and region, so exactly one stack of an account may manage it; the
    stage's access logging needs it set, by that stack or once by hand."""
    grants: list[Any] = field(default_factory=list)
    """Routes other components add to this API (e.g. TextExtraction's /ocr/jobs): each an
    `ApiGrant` with the environment and IAM statements the function needs for them."""
    site_domain: str | None = None
    """The site's own name (the `domain` setting) on the CloudFront distribution."""
    site_certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate of `site_domain` in us-east-1 (issued by Certificates)."""
    function_dir: Path = FUNCTION_DIR
    """The handler package folder, named `api` (the handler is `api.handler.lambda_handler`)."""
    site_dir: Path = SITE_DIR
    hosting: str = "s3-website"
    """s3-website (public-read objects on the S3 website endpoint, as in the course) or cloudfront
    (private bucket behind CloudFront with Origin Access Control)."""
    memory_size: int = 256
    timeout: int = 10
    throttling: ThrottlingArgs = field(default_factory=ThrottlingArgs)
    log_retention_days: int = 30
    pitr: bool = False
    protect: bool = False
    """Protect and retain the table (prod data)."""
    tracing: bool = False
    powertools_layer_version: int = 27
    allowed_origin: str = "*"
    """CORS origin: `*`, `site` (the deployed website's origin) or one https:// origin."""


class ServerlessApi(pulumi.ComponentResource):
    api_url: pulumi.Output[str]
    site_url: pulumi.Output[str]
    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]
    rest_api_id: pulumi.Output[str]
    rest_api_name: pulumi.Output[str]
    stage_name: pulumi.Output[str]
    table_name: pulumi.Output[str]
    table_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ServerlessApiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:serverless:ServerlessApi", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        s = args

        self._table(s)
        self._site_bucket(args)
        origin = self._cors_origin(s.allowed_origin)
        self._function(args, origin)
        self._rest_api(args, origin)
        self._site_objects(args.site_dir)

        self.register_outputs({
            "apiUrl": self.api_url,
            "siteUrl": self.site_url,
            "functionName": self.function_name,
            "functionArn": self.function_arn,
            "roleName": self.role_name,
            "restApiId": self.rest_api_id,
            "restApiName": self.rest_api_name,
            "stageName": self.stage_name,
            "tableName": self.table_name,
            "tableArn": self.table_arn,
        })

    def alarm_targets(self) -> AlarmTargets:
        """The API function and the REST API's stage."""
        return AlarmTargets(functions=[("api", self.function_name)],
                            apis=[("subscribers", self.rest_api_name, self.stage_name)])

    # --- data ------------------------------------------------------------------------------
    def _table(self, s: ServerlessApiArgs) -> None:
        name = self._name
        self.table = aws.dynamodb.Table(
            f"{name}-subscribers",
            billing_mode="PAY_PER_REQUEST",
            hash_key="email",
            attributes=[{"name": "email", "type": "S"}],
            server_side_encryption={"enabled": True},  # KMS (AWS managed key), not the default owned key
            point_in_time_recovery={"enabled": s.pitr},
            deletion_protection_enabled=s.protect,
            tags={"Name": f"{name}-subscribers", "Backup": "true"},
            opts=pulumi.ResourceOptions(parent=self, protect=s.protect, retain_on_delete=s.protect),
        )
        self.table_name = self.table.name
        self.table_arn = self.table.arn

    # --- website hosting -------------------------------------------------------------------
    def _site_bucket(self, a: ServerlessApiArgs) -> None:
        name, hosting = self._name, a.hosting
        # The site is generated from the repository on every deploy: nothing to keep, so
        # force_destroy. Versioned: a bad deploy of site/ rolls back object by object for
        # 30 days. SSE-S3, not KMS: the S3 website endpoint cannot serve KMS-encrypted objects
        # anonymously. Website=true marks the bucket for the compliance pack: content
        # redeployed from site/ (not data to protect), and the one bucket allowed a public policy.
        args = HardenedBucketArgs(
            tags={"Name": f"{name}-site", "Website": "true"}, force_destroy=True,
            moved=Moved(parent=self),
        )
        if hosting == "cloudfront":
            distribution_arn, self._resolve_distribution_arn = pulumi.deferred_output()
            args.statements = _cloudfront_reads
            args.statement_inputs = [distribution_arn]
        else:
            # As in the course: objects are public-read through a GetObject-only policy.
            args.website = Website()
        self.site = HardenedBucket(f"{name}-site", args, opts=self._child)
        self.bucket, self.bucket_policy = self.site.bucket, self.site.policy
        if hosting == "cloudfront":
            self._cloudfront(a)
        else:
            self.distribution = None
            self.site_url = self.site.website.website_endpoint.apply(lambda host: f"http://{host}/")

    def _cloudfront(self, a: ServerlessApiArgs) -> None:
        name = self._name
        if a.site_certificate_arn is not None:
            # SNI (no dedicated IPs); TLS 1.2 minimum with the 2021 cipher set.
            viewer = {"acm_certificate_arn": a.site_certificate_arn, "ssl_support_method": "sni-only",
                      "minimum_protocol_version": "TLSv1.2_2021"}
        else:
            # With the default *.cloudfront.net certificate CloudFront fixes the TLS policy itself
            # (TLSv1); a minimum_protocol_version is ignored and shows as a diff on every `up`.
            viewer = {"cloudfront_default_certificate": True}
        headers = security_headers_policy(name, self)
        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-site-oac", name=f"{name}-site-oac", description=f"{name}: CloudFront reads the site bucket",
            origin_access_control_origin_type="s3", signing_behavior="always", signing_protocol="sigv4",
            opts=self._child,
        )
        origin_id = "site-bucket"
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-site-cdn",
            enabled=True,
            comment=f"{name} website",
            default_root_object="index.html",
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class="PriceClass_100",
            origins=[{
                "origin_id": origin_id,
                "domain_name": self.bucket.bucket_regional_domain_name,
                "origin_access_control_id": oac.id,
            }],
            default_cache_behavior={
                "target_origin_id": origin_id,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD"],
                "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": CACHING_OPTIMIZED,
                "response_headers_policy_id": headers.id,
                "compress": True,
            },
            aliases=[a.site_domain] if a.site_domain and a.site_certificate_arn is not None else None,
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=viewer,
            tags={"Name": f"{name}-site-cdn"},
            opts=self._child,
        )
        self._resolve_distribution_arn(self.distribution.arn)
        access_logs(name, self.distribution, a.log_retention_days, self)
        if a.site_domain and a.site_certificate_arn is not None:
            self.site_url = pulumi.Output.from_input(f"https://{a.site_domain}/")
        else:
            self.site_url = self.distribution.domain_name.apply(lambda host: f"https://{host}/")

    def _cors_origin(self, allowed: str) -> pulumi.Output[str]:
        """`site` -> the website's own origin (scheme://host, no trailing slash)."""
        if allowed == "site":
            return self.site_url.apply(lambda url: url.rstrip("/"))
        return pulumi.Output.from_input(allowed)

    # --- function --------------------------------------------------------------------------
    def _function(self, args: ServerlessApiArgs, origin: pulumi.Output[str]) -> None:
        name, s = self._name, args
        function_name = f"{name}-api"
        topic = pulumi.Output.from_input(args.events_topic_arn) if args.events_topic_arn is not None else None
        key = pulumi.Output.from_input(args.events_key_arn) if topic is not None and args.events_key_arn is not None else None
        statements = pulumi.Output.all(
            self.table.arn,
            topic if topic is not None else pulumi.Output.from_input(""),
            key if key is not None else pulumi.Output.from_input(""),
        ).apply(lambda a: self._statements(a[0], a[1] or None, a[2] or None))
        if args.grants:
            statements = pulumi.Output.all(statements, *(g.statements for g in args.grants)).apply(
                lambda parts: [st for part in parts for st in part])
        env: dict[str, pulumi.Input[str]] = {"TABLE_NAME": self.table.name, "ALLOWED_ORIGIN": origin}
        for grant in args.grants:
            env.update(grant.environment)
        if topic is not None:
            env["EVENTS_TOPIC_ARN"] = topic
        self.api_function = LambdaFunction(
            function_name,
            LambdaFunctionArgs(
                # Only the modules (no __pycache__ or local files): the same code hash on every machine.
                code=package_handler(args.function_dir.parent, "api", handler_module="handler"),
                handler=HANDLER,
                region=args.region,
                statements=statements,
                environment=env,
                description="Subscriptions API (API Gateway REST proxy)",
                role_description=f"{function_name}: its log group, its table"
                                 + (", its events topic and key" if args.events_topic_arn else ""),
                memory_size=s.memory_size,
                timeout=s.timeout,
                architecture=ARCHITECTURE,
                log_retention_days=s.log_retention_days,
                tracing=s.tracing,
                powertools_layer_version=s.powertools_layer_version,
                moved=Moved(parent=self),
            ),
            opts=self._child,
        )
        self.function, self.role, self.log_group = self.api_function.function, self.api_function.role, self.api_function.log_group
        self.function_name = self.function.name
        self.cors_origin = origin
        self.function_arn = self.function.arn
        self.role_name = self.role.name

    @staticmethod
    def _statements(table_arn: str, topic_arn: str | None, key_arn: str | None) -> list[dict]:
        statements = [
            # GetItem: reads and the idempotent path; PutItem: conditional create; DeleteItem:
            # undo a create whose event could not be published.
            statement("Subscribers", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], [table_arn]),
        ]
        if topic_arn:
            statements.append(statement("Events", ["sns:Publish"], [topic_arn]))
            if key_arn:
                # The topic is SSE-KMS: SNS encrypts the published message with a data key
                # from this key, on the publisher's behalf.
                statements.append(statement("EventsKey", ["kms:GenerateDataKey", "kms:Decrypt"], [key_arn]))
        return statements

    # --- REST API --------------------------------------------------------------------------
    def _rest_api(self, args: ServerlessApiArgs, origin: pulumi.Output[str]) -> None:
        name, s = self._name, args
        self.api = aws.apigateway.RestApi(
            f"{name}-rest", name=f"{name}-rest", description="Subscriptions API",
            endpoint_configuration={"types": "REGIONAL"}, opts=self._child,
        )
        proxy = aws.apigateway.Resource(
            f"{name}-proxy", rest_api=self.api.id, parent_id=self.api.root_resource_id, path_part="{proxy+}",
            opts=self._child,
        )
        # Reading a subscriber returns personal data: only IAM principals (SigV4) may. The
        # explicit resources take precedence over {proxy+}; their ANY keeps the other methods
        # (the site's POST, preflights) going to the function as before.
        subscribers = aws.apigateway.Resource(
            f"{name}-subscribers", rest_api=self.api.id, parent_id=self.api.root_resource_id,
            path_part="subscribers", opts=self._child,
        )
        subscriber = aws.apigateway.Resource(
            f"{name}-subscriber", rest_api=self.api.id, parent_id=subscribers.id, path_part="{email}",
            opts=self._child,
        )
        routes = [("root", self.api.root_resource_id, "ANY", "NONE"), ("proxy", proxy.id, "ANY", "NONE"),
                  ("subscribers", subscribers.id, "ANY", "NONE"), ("subscriber", subscriber.id, "ANY", "NONE"),
                  ("subscriber-get", subscriber.id, "GET", "AWS_IAM")]
        wiring: list[pulumi.Resource] = []
        for suffix, resource_id, http_method, authorization in routes:
            method = aws.apigateway.Method(
                f"{name}-{suffix}" + ("-any" if http_method == "ANY" else ""), rest_api=self.api.id,
                resource_id=resource_id, http_method=http_method, authorization=authorization, opts=self._child,
            )
            integration = aws.apigateway.Integration(
                f"{name}-{suffix}-lambda", rest_api=self.api.id, resource_id=resource_id,
                http_method=method.http_method, type="AWS_PROXY", integration_http_method="POST",
                uri=self.function.invoke_arn, opts=self._child,
            )
            wiring += [method, integration]
        # The gateway answers some requests itself (throttled, too large, Lambda failed):
        # without CORS headers there the browser would only report an opaque network error.
        quoted = origin.apply(lambda o: f"'{o}'")
        for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
            wiring.append(aws.apigateway.Response(
                f"{name}-{kind.lower().replace('_', '-')}", rest_api_id=self.api.id, response_type=kind,
                response_parameters={
                    "gatewayresponse.header.Access-Control-Allow-Origin": quoted,
                    "gatewayresponse.header.Access-Control-Allow-Headers": f"'{CORS_HEADERS}'",
                },
                response_templates={"application/json": '{"error": $context.error.messageString}'},
                opts=self._child,
            ))
        deployment = aws.apigateway.Deployment(
            f"{name}-deployment", rest_api=self.api.id, description=f"{name} {args.stage_name}",
            # A REST API serves a snapshot: redeploy whenever the wiring changes.
            triggers={"wiring": pulumi.Output.all(origin, *[r.id for r in wiring]).apply(
                lambda parts: hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest())},
            opts=pulumi.ResourceOptions(parent=self, depends_on=wiring),
        )
        depends: list[pulumi.Resource] = []
        if args.manage_api_gateway_account:
            depends.append(self._api_gateway_account())
        self.access_logs = aws.cloudwatch.LogGroup(
            f"{name}-access-logs", name=f"/aws/apigateway/{name}-rest/{args.stage_name}",
            retention_in_days=s.log_retention_days, opts=self._child,
        )
        self.stage = aws.apigateway.Stage(
            f"{name}-stage", rest_api=self.api.id, deployment=deployment.id, stage_name=args.stage_name,
            access_log_settings={"destination_arn": self.access_logs.arn, "format": ACCESS_LOG_FORMAT},
            xray_tracing_enabled=s.tracing,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        aws.apigateway.MethodSettings(
            f"{name}-throttling", rest_api=self.api.id, stage_name=self.stage.stage_name, method_path="*/*",
            settings={
                "throttling_rate_limit": s.throttling.rate_limit,
                "throttling_burst_limit": s.throttling.burst_limit,
                "metrics_enabled": True,
                "logging_level": "ERROR",
                "data_trace_enabled": False,  # full request logging would write e-mail addresses to logs
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        aws.lambda_.Permission(
            f"{name}-invoke", action="lambda:InvokeFunction", function=self.function.name,
            principal="apigateway.amazonaws.com",
            # Only this API, only through its stage (any method, any path).
            source_arn=pulumi.Output.concat(self.api.execution_arn, "/", self.stage.stage_name, "/*/*"),
            opts=self._child,
        )
        self.api_url = self.stage.invoke_url.apply(lambda url: url.rstrip("/") + "/")
        self.rest_api_id = self.api.id
        self.rest_api_name = self.api.name
        self.stage_name = self.stage.stage_name
        self.stage_arn = self.stage.arn  # what a WAF web ACL is associated with

    def _api_gateway_account(self) -> aws.apigateway.Account:
        name = self._name
        role = aws.iam.Role(
            f"{name}-apigw-logs-role",
            description="API Gateway writes access and execution logs to CloudWatch",
            assume_role_policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                               "Action": "sts:AssumeRole"}],
            }),
            opts=self._child,
        )
        # The AWS managed policy for exactly this purpose: API Gateway names its log groups
        # itself (API-Gateway-Execution-Logs_<id>/<stage>), per API, so no narrower ARN exists.
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-apigw-logs-policy", role=role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
            opts=self._child,
        )
        return aws.apigateway.Account(
            f"{name}-apigw-account", cloudwatch_role_arn=role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )

    # --- website content ---------------------------------------------------------------------
    def _site_objects(self, site_dir: Path) -> None:
        name = self._name
        after_policy = pulumi.ResourceOptions(parent=self, depends_on=[self.bucket_policy])
        self.site_objects = []
        for path in site_files(site_dir):
            key = path.relative_to(site_dir).as_posix()
            self.site_objects.append(aws.s3.BucketObjectv2(
                f"{name}-site-{key.replace('/', '-')}", bucket=self.bucket.id, key=key,
                source=pulumi.FileAsset(str(path)), content_type=content_type(path),
                cache_control="no-cache" if key.endswith(".html") else "public, max-age=300",
                opts=after_policy,
            ))
        # Generated at deploy time from the stage URL: the site never hard-codes the API.
        self.site_objects.append(aws.s3.BucketObjectv2(
            f"{name}-site-config-js", bucket=self.bucket.id, key="config.js",
            content=self.api_url.apply(config_js), content_type=CONTENT_TYPES[".js"],
            cache_control="no-cache", opts=after_policy,
        ))
