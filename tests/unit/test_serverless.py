"""ServerlessApi under the recording mock: least privilege, scoping, hosting per stack."""

from __future__ import annotations

import json

import pytest

from components.serverless import ServerlessApi
from components.serverless_args import ServerlessApiArgs
from components.serverless_site import config_js, site_files

TABLE = "aws:dynamodb/table:Table"
FUNCTION = "aws:lambda/function:Function"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:cloud-platform-test-events"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-4000-8000-000000000000"


def ours(plan_or_mocks, type_):
    mocks = getattr(plan_or_mocks, "mocks", plan_or_mocks)
    return [r for r in mocks.of_type(type_)
            if (c := mocks.component_of(r)) is not None and c.type == "cloud-platform:serverless:ServerlessApi"]


def one(plan, type_):
    found = ours(plan, type_)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def api_policy(plan) -> dict:
    (policy,) = [p for p in ours(plan, ROLE_POLICY) if p.name.endswith("-api-policy")]
    return json.loads(policy.inputs["policy"])


@pytest.fixture(params=["dev", "prod"])
def plan(request, dev_plan, prod_plan):
    return {"dev": dev_plan, "prod": prod_plan}[request.param]


def test_role_policy_names_only_this_table_and_log_group(plan):
    table, fn = one(plan, TABLE), one(plan, FUNCTION)
    log_group = next(g for g in ours(plan, "aws:cloudwatch/logGroup:LogGroup") if g.name.endswith("-api-logs"))
    role = next(r for r in ours(plan, "aws:iam/role:Role") if r.outputs["arn"] == fn.inputs["role"])
    statements = api_policy(plan)["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["Subscribers"]["Resource"] == [table.outputs["arn"]]
    assert sorted(by_sid["Subscribers"]["Action"]) == ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"]
    assert by_sid["OwnLogGroup"]["Resource"] == [log_group.outputs["arn"] + ":*"]
    topics = [t.outputs["arn"] for t in plan.mocks.of_type("aws:sns/topic:Topic") if t.name.endswith("-messaging-events")]
    if topics:  # messaging enabled: sns:Publish on exactly its events topic, the key it is encrypted with
        assert topics[0] in json.dumps(by_sid["Events"]["Resource"])
        (topic,) = [t for t in plan.mocks.of_type("aws:sns/topic:Topic") if t.name.endswith("-messaging-events")]
        key_arn = topic.inputs["kmsMasterKeyId"]
        if key_arn == "alias/aws/sns":  # AWS managed (dev): its key policy admits the account's callers via SNS
            assert "EventsKey" not in by_sid
        else:
            assert key_arn in {k.outputs["arn"] for k in plan.mocks.of_type("aws:kms/key:Key")}
            assert by_sid["EventsKey"] == {"Sid": "EventsKey", "Effect": "Allow",
                                           "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": [key_arn]}
    else:
        assert "Events" not in by_sid and "EventsKey" not in by_sid
    for s in statements:
        if "*" in s["Resource"]:  # only X-Ray, which has no resource-level permissions
            assert s["Sid"] == "Tracing" and all(a.startswith("xray:") for a in s["Action"])
        assert "*" not in json.dumps(s["Action"])
    policy = next(p for p in ours(plan, ROLE_POLICY) if p.name.endswith("-api-policy"))
    assert policy.inputs["role"] == role.id
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_permission_scoped_to_this_api_and_stage(plan):
    fn, api, stage = one(plan, FUNCTION), one(plan, "aws:apigateway/restApi:RestApi"), one(plan, "aws:apigateway/stage:Stage")
    perm = one(plan, "aws:lambda/permission:Permission")
    assert perm.inputs["principal"] == "apigateway.amazonaws.com"
    assert perm.inputs["action"] == "lambda:InvokeFunction"
    assert perm.inputs["function"] == fn.outputs["name"]
    assert perm.inputs["sourceArn"] == f"{api.outputs['executionArn']}/{stage.inputs['stageName']}/*/*"


def test_function_runtime_layer_logs_and_env(plan):
    s = {"dev": (256, 10, 7, "PassThrough"), "prod": (512, 10, 365, "Active")}[plan.stack]
    fn, table = one(plan, FUNCTION), one(plan, TABLE)
    assert (fn.inputs["runtime"], fn.inputs["architectures"]) == ("python3.12", ["arm64"])
    assert fn.inputs["handler"] == "api.handler.lambda_handler"
    assert (fn.inputs["memorySize"], fn.inputs["timeout"]) == s[:2]
    assert fn.inputs["tracingConfig"]["mode"] == s[3]
    # The handler's Powertools Tracer records only when X-Ray tracing is on.
    traced = fn.inputs["environment"]["variables"]["POWERTOOLS_TRACE_DISABLED"] == "false"
    assert traced is (s[3] == "Active")
    assert fn.inputs["layers"] == [
        "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:27"]
    assert fn.inputs["environment"]["variables"]["TABLE_NAME"] == table.outputs["name"]
    group = next(g for g in ours(plan, "aws:cloudwatch/logGroup:LogGroup") if g.name.endswith("-api-logs"))
    assert group.inputs["name"] == f"/aws/lambda/{fn.inputs['name']}"
    assert group.inputs["retentionInDays"] == s[2]
    assert fn.inputs["loggingConfig"]["logGroup"] == group.inputs["name"]
    assert group.urn in fn.dependencies
    code = fn.inputs["code"]
    assert "api/handler.py" in code.assets and all(a.path.endswith(f"functions/{n}") for n, a in code.assets.items())


def test_proxy_integration_on_root_greedy_path_and_the_subscriber_routes(plan):
    fn, api = one(plan, FUNCTION), one(plan, "aws:apigateway/restApi:RestApi")
    resources = {r.inputs["pathPart"]: r for r in ours(plan, "aws:apigateway/resource:Resource")}
    assert set(resources) == {"{proxy+}", "subscribers", "{email}"}
    root = api.outputs["rootResourceId"]
    assert resources["{proxy+}"].inputs["parentId"] == resources["subscribers"].inputs["parentId"] == root
    assert resources["{email}"].inputs["parentId"] == resources["subscribers"].id
    integrations = ours(plan, "aws:apigateway/integration:Integration")
    for i in integrations:
        assert (i.inputs["type"], i.inputs["integrationHttpMethod"]) == ("AWS_PROXY", "POST")
        assert i.inputs["uri"] == fn.outputs["invokeArn"]
    methods = {(m.inputs["resourceId"], m.inputs["httpMethod"]): m.inputs["authorization"]
               for m in ours(plan, "aws:apigateway/method:Method")}
    assert {(i.inputs["resourceId"], i.inputs["httpMethod"]) for i in integrations} == set(methods)
    email = resources["{email}"].id
    # Reading a subscriber (personal data) needs SigV4; every other route stays open to the site.
    assert methods == {
        (root, "ANY"): "NONE", (resources["{proxy+}"].id, "ANY"): "NONE",
        (resources["subscribers"].id, "ANY"): "NONE", (email, "ANY"): "NONE", (email, "GET"): "AWS_IAM",
    }


def test_stage_throttling_access_logs_and_gateway_cors(plan):
    rate, burst, origin = {"dev": (20, 40, "'*'"), "prod": (100, 200, None)}[plan.stack]
    stage = one(plan, "aws:apigateway/stage:Stage")
    assert stage.inputs["stageName"] == plan.stack
    access = next(g for g in ours(plan, "aws:cloudwatch/logGroup:LogGroup") if g.name.endswith("-access-logs"))
    assert stage.inputs["accessLogSettings"]["destinationArn"] == access.outputs["arn"]
    assert json.loads(stage.inputs["accessLogSettings"]["format"])["requestId"] == "$context.requestId"
    if plan.stack == "prod":  # manageApiGatewayAccount: the stage waits for the account's logging role
        account = one(plan, "aws:apigateway/account:Account")
        assert account.urn in stage.dependencies
    else:
        assert ours(plan, "aws:apigateway/account:Account") == []
    settings = one(plan, "aws:apigateway/methodSettings:MethodSettings")
    assert settings.inputs["methodPath"] == "*/*"
    assert (settings.inputs["settings"]["throttlingRateLimit"], settings.inputs["settings"]["throttlingBurstLimit"]) == (rate, burst)
    responses = {r.inputs["responseType"]: r.inputs for r in ours(plan, "aws:apigateway/response:Response")}
    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    site_origin = "'" + plan.outputs["siteUrl"].rstrip("/") + "'"
    for r in responses.values():
        assert r["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == (origin or site_origin)
        assert "Content-Type" in r["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Headers"]


def test_table_on_demand_encrypted_and_tagged_for_backup(plan):
    table = one(plan, TABLE)
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST" and table.inputs["hashKey"] == "email"
    # KMS always; prod names its own key (tests/unit/test_personal_data.py), dev the AWS managed one.
    assert table.inputs["serverSideEncryption"]["enabled"] is True
    assert table.inputs["tags"]["Backup"] == "true" and table.inputs["tags"]["DataClass"] == "personal"


def test_prod_cloudfront_private_bucket_and_protected_table(prod_plan):
    table = one(prod_plan, TABLE)
    assert table.inputs["pointInTimeRecovery"]["enabled"] is True
    assert table.protect and table.retain_on_delete and table.inputs["deletionProtectionEnabled"] is True
    bucket = one(prod_plan, "aws:s3/bucket:Bucket")
    access = one(prod_plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert access.inputs["bucket"] == bucket.id
    assert all(access.inputs[k] is True for k in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"))
    assert ours(prod_plan, "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration") == []
    cdn = one(prod_plan, "aws:cloudfront/distribution:Distribution")
    oac = one(prod_plan, "aws:cloudfront/originAccessControl:OriginAccessControl")
    (origin,) = cdn.inputs["origins"]
    assert origin["domainName"] == bucket.outputs["bucketRegionalDomainName"]
    assert origin["originAccessControlId"] == oac.id
    assert (oac.inputs["signingBehavior"], oac.inputs["originAccessControlOriginType"]) == ("always", "s3")
    assert cdn.inputs["defaultCacheBehavior"]["viewerProtocolPolicy"] == "redirect-to-https"
    assert cdn.inputs["defaultRootObject"] == "index.html"
    statement, tls = json.loads(one(prod_plan, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])["Statement"]
    assert (tls["Effect"], tls["Action"], tls["Condition"]) == ("Deny", "s3:*", {"Bool": {"aws:SecureTransport": "false"}})
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert statement["Action"] == "s3:GetObject" and statement["Resource"] == bucket.outputs["arn"] + "/*"
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceArn": cdn.outputs["arn"]}}
    # The site's own name (the domain setting; docs/security.md) is the site URL and its CORS origin.
    assert prod_plan.outputs["siteUrl"] == f"https://{cdn.inputs['aliases'][0]}/"
    # allowedOrigin: site -> the API only answers CORS for the site's origin
    env = one(prod_plan, FUNCTION).inputs["environment"]["variables"]
    assert env["ALLOWED_ORIGIN"] == "https://cloud-platform.example.org"


def test_dev_s3_website_with_get_object_only_policy(dev_plan):
    table = one(dev_plan, TABLE)
    assert table.inputs["pointInTimeRecovery"]["enabled"] is False and not table.protect
    website = one(dev_plan, "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration")
    assert website.inputs["indexDocument"] == {"suffix": "index.html"}
    assert dev_plan.outputs["siteUrl"] == f"http://{website.outputs['websiteEndpoint']}/"
    assert ours(dev_plan, "aws:cloudfront/distribution:Distribution") == []
    access = one(dev_plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert access.inputs["blockPublicAcls"] is True and access.inputs["blockPublicPolicy"] is False
    bucket = one(dev_plan, "aws:s3/bucket:Bucket")
    statement, tls = json.loads(one(dev_plan, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])["Statement"]
    assert (statement["Principal"], statement["Action"]) == ("*", "s3:GetObject")
    # The website endpoint speaks HTTP only: anonymous GETs are spared, everything else needs TLS.
    assert (tls["Effect"], tls["NotAction"], tls["Condition"]) == ("Deny", "s3:GetObject", {"Bool": {"aws:SecureTransport": "false"}})
    assert statement["Resource"] == bucket.outputs["arn"] + "/*"


def test_site_uploaded_with_types_and_generated_config(plan):
    objects = {o.inputs["key"]: o for o in ours(plan, OBJECT)}
    assert set(objects) == {"index.html", "app.js", "style.css", "ocr.html", "ocr.js", "config.js"}
    assert objects["index.html"].inputs["contentType"].startswith("text/html")
    assert objects["app.js"].inputs["contentType"].startswith("text/javascript")
    assert objects["style.css"].inputs["contentType"].startswith("text/css")
    config = objects["config.js"].inputs
    assert "source" not in config  # generated, not the local placeholder
    assert config["content"] == config_js(plan.outputs["apiUrl"])
    stage = one(plan, "aws:apigateway/stage:Stage")
    assert plan.outputs["apiUrl"] == stage.outputs["invokeUrl"] + "/"
    assert f'"apiUrl": "{stage.outputs["invokeUrl"]}"' in config["content"]
    policy = one(plan, "aws:s3/bucketPolicy:BucketPolicy")
    assert all(policy.urn in o.dependencies for o in objects.values())
    assert plan.outputs["tableName"] == one(plan, TABLE).outputs["name"]


def test_events_topic_adds_publish_on_that_topic_only(build):
    mocks = build(lambda: ServerlessApi("t", ServerlessApiArgs(
        stage_name="test", region="eu-central-1",
        events_topic_arn=TOPIC_ARN, events_key_arn=KEY_ARN, manage_api_gateway_account=False)))
    by_sid = {s["Sid"]: s for s in api_policy(mocks)["Statement"]}
    assert by_sid["Events"] == {"Sid": "Events", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": [TOPIC_ARN]}
    # The topic is SSE-KMS: publishing needs the key, and only that key.
    assert by_sid["EventsKey"] == {"Sid": "EventsKey", "Effect": "Allow",
                                   "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": [KEY_ARN]}
    assert "Tracing" not in by_sid
    fn = one(mocks, FUNCTION)
    assert fn.inputs["environment"]["variables"]["EVENTS_TOPIC_ARN"] == TOPIC_ARN
    assert fn.inputs["layers"][0].startswith("arn:aws:lambda:eu-central-1:017000801446:layer:")
    assert ours(mocks, "aws:apigateway/account:Account") == []


def test_two_instances_do_not_collide(build):
    def program():
        for n in ("a", "b"):
            ServerlessApi(n, ServerlessApiArgs(stage_name="test",
                                               region="eu-west-1", manage_api_gateway_account=False))
    mocks = build(program)
    names = [(r.type, r.name) for r in mocks.resources]  # a block shares its name with the resource it stands for
    assert len(names) == len(set(names))
    policies = [json.loads(p.inputs["policy"]) for p in mocks.of_type(ROLE_POLICY)]
    tables = {t.outputs["arn"] for t in mocks.of_type(TABLE)}
    assert {p["Statement"][1]["Resource"][0] for p in policies} == tables and len(tables) == 2


def test_site_files_skip_the_placeholder(tmp_path):
    (tmp_path / "index.html").write_text("x")
    (tmp_path / "config.js").write_text("x")
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "logo.svg").write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in site_files(tmp_path)] == ["img/logo.svg", "index.html"]
