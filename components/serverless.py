"""ServerlessApi: REST API -> Lambda -> DynamoDB, plus the static website that calls it.

The course's "First microservice" / "serverless website" / "add a database" hands-ons as
one component: the handler in `functions/api/` behind an API Gateway REST API (Lambda
proxy, throttled, access-logged, CORS also on the gateway's own 4XX/5XX answers), a
DynamoDB table, and `site/` in S3 — public website endpoint (dev, as in the course) or a
private bucket behind CloudFront with Origin Access Control (prod). The site learns the
API URL from a `config.js` generated at deploy time from the stage's invoke URL.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .alarms import AlarmTargets
from .blocks import LambdaFunction, LambdaFunctionArgs, Moved, package_handler, statement
from .blocks.kms import (
    PERSONAL_DATA_TAG,
    account_root,
    grants_through,
    key_policy,
    log_group_arn,
    logs_for,
    use_through,
    via_service,
)
from .serverless_args import ServerlessApiArgs
from .serverless_rest_api import access_log_group, rest_api
from .serverless_site import site_hosting, site_objects

# Graviton: the same requests for about 20 % less than x86_64.
ARCHITECTURE = "arm64"
HANDLER = "api.handler.lambda_handler"  # the archive holds the package as `api/`


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

        self._data_key(s)
        self._table(s)
        hosting = site_hosting(name, args, self)
        self.site, self.distribution, self.site_url = hosting.site, hosting.distribution, hosting.url
        self.bucket, self.bucket_policy = self.site.bucket, self.site.policy
        origin = self._cors_origin(s.allowed_origin)
        self._function(args, origin)
        self._rest_api(args, origin)
        self.site_objects = site_objects(name, args.site_dir, self.site, self.api_url, self)

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
    def _data_key(self, s: ServerlessApiArgs) -> None:
        """The subscribers' key: only the API role through DynamoDB, and CloudWatch Logs for the API's group.

        The role is created later (by the function block, after the table that needs this key),
        so the key policy names it by ARN pattern (its autoname `<name>-api-role-<hex>`), with the
        account root as principal; the role's own policy grants the key's use on its exact ARN.
        """
        self.data_key = None
        if s.encryption != "customer-key":
            return
        name, invoke = self._name, pulumi.InvokeOptions(parent=self)
        function = f"{name}-api"
        identity = aws.get_caller_identity_output(opts=invoke)
        parts = pulumi.Output.all(aws.get_partition_output(opts=invoke).partition,
                                  aws.get_region_output(opts=invoke).region, identity.account_id)

        def policy(a: list[str]) -> str:
            partition, region, account = a
            root, dynamodb = account_root(partition, account), via_service("dynamodb", region)
            return key_policy(
                partition, account,
                *use_through("ApiRoleThroughDynamoDb", [root], [dynamodb], account,
                             principal_patterns=[f"arn:{partition}:iam::{account}:role/{function}-role-*"]),
                # Deploys create and update the table with the key: DynamoDB creates its grant as the caller.
                grants_through("DeploysGrantToTheTable", [root], [dynamodb], account),
                logs_for(region, [log_group_arn(partition, region, account, group) for group in (
                    f"/aws/lambda/{function}", access_log_group(name, s.stage_name))]),
            )

        stateful = pulumi.ResourceOptions(parent=self, protect=s.protect, retain_on_delete=s.protect)
        self.data_key = aws.kms.Key(
            f"{name}-data-key",
            description=f"{name}: subscriber table and API logs (personal data)",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=parts.apply(policy),
            opts=stateful,
        )
        aws.kms.Alias(f"{name}-data-key", name=f"alias/{name}-data", target_key_id=self.data_key.key_id,
                      opts=self._child)

    def _table(self, s: ServerlessApiArgs) -> None:
        name = self._name
        self.table = aws.dynamodb.Table(
            f"{name}-subscribers",
            billing_mode="PAY_PER_REQUEST",
            hash_key="email",
            attributes=[{"name": "email", "type": "S"}],
            # KMS: the component's key (customer-key), else the AWS managed key, never the default owned key.
            server_side_encryption={"enabled": True,
                                    "kms_key_arn": self.data_key.arn if self.data_key is not None else None},
            point_in_time_recovery={"enabled": s.pitr},
            deletion_protection_enabled=s.protect,
            tags={"Name": f"{name}-subscribers", "Backup": "true", **PERSONAL_DATA_TAG},
            opts=pulumi.ResourceOptions(parent=self, protect=s.protect, retain_on_delete=s.protect),
        )
        self.table_name = self.table.name
        self.table_arn = self.table.arn

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
            self.data_key.arn if self.data_key is not None else pulumi.Output.from_input(""),
        ).apply(lambda a: self._statements(a[0], a[1] or None, a[2] or None, a[3] or None))
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
                log_kms_key_arn=self.data_key.arn if self.data_key is not None else None,
                tags=dict(PERSONAL_DATA_TAG),
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
    def _statements(table_arn: str, topic_arn: str | None, key_arn: str | None,
                    data_key_arn: str | None = None) -> list[dict]:
        statements = [
            # GetItem: reads and the idempotent path; PutItem: conditional create; DeleteItem:
            # undo a create whose event could not be published.
            statement("Subscribers", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], [table_arn]),
        ]
        if data_key_arn:
            # What DynamoDB needs of a table's customer key from the caller (the key policy adds:
            # only through DynamoDB).
            statements.append(statement("SubscribersKey", [
                "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey", "kms:CreateGrant"], [data_key_arn]))
        if topic_arn:
            statements.append(statement("Events", ["sns:Publish"], [topic_arn]))
            if key_arn:
                # The topic is SSE-KMS: SNS encrypts the published message with a data key
                # from this key, on the publisher's behalf.
                statements.append(statement("EventsKey", ["kms:GenerateDataKey", "kms:Decrypt"], [key_arn]))
        return statements

    # --- REST API --------------------------------------------------------------------------
    def _rest_api(self, args: ServerlessApiArgs, origin: pulumi.Output[str]) -> None:
        gateway = rest_api(self._name, args, self.function, origin, self,
                           self.data_key.arn if self.data_key is not None else None)
        self.api, self.stage, self.access_logs, self.api_url = gateway.api, gateway.stage, gateway.access_logs, gateway.url
        self.rest_api_id = self.api.id
        self.rest_api_name = self.api.name
        self.stage_name = self.stage.stage_name
        self.stage_arn = self.stage.arn  # what a WAF web ACL is associated with
