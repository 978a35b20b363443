"""The building blocks under the recording mock: each secure default, each variant, the aliases."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.blocks import (
    HardenedBucket,
    HardenedBucketArgs,
    LambdaFunction,
    LambdaFunctionArgs,
    LogDelivery,
    Moved,
    Rule,
    Website,
    security_group,
    statement,
)
from offline.recording_mock import ACCOUNT

BUCKET = "aws:s3/bucket:Bucket"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-4000-8000-000000000000"


class Holder(pulumi.ComponentResource):
    """A component standing for the one that created the resources before the block existed."""

    def __init__(self, name: str, make):
        super().__init__("cloud-platform:test:Holder", name, None)
        make(self)


def only(mocks, type_):
    (found,) = mocks.of_type(type_)
    return found


def bucket_parts(mocks) -> dict[str, object]:
    return {r.type.split(":")[-1]: r for r in mocks.resources if r.type.startswith("aws:s3/")}


def policy_of(mocks) -> list[dict]:
    return json.loads(only(mocks, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])["Statement"]


def test_bucket_defaults_are_the_secure_ones(build):
    mocks = build(lambda: HardenedBucket("t-data", HardenedBucketArgs()))
    parts = bucket_parts(mocks)
    bucket = parts["Bucket"]
    assert bucket.inputs["forceDestroy"] is False and not bucket.protect
    access = parts["BucketPublicAccessBlock"].inputs
    assert all(access[k] is True for k in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"))
    assert parts["BucketOwnershipControls"].inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    (rule,) = parts["BucketServerSideEncryptionConfiguration"].inputs["rules"]
    assert rule == {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}  # no bucket key without KMS
    assert parts["BucketVersioning"].inputs["versioningConfiguration"] == {"status": "Enabled"}
    (life,) = parts["BucketLifecycleConfiguration"].inputs["rules"]
    assert life["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert life["noncurrentVersionExpiration"] == {"noncurrentDays": 30} and "expiration" not in life
    (tls,) = policy_of(mocks)
    assert tls["Effect"] == "Deny" and tls["Action"] == "s3:*"
    assert tls["Resource"] == [bucket.outputs["arn"], bucket.outputs["arn"] + "/*"]
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    for part in parts.values():
        if part is not bucket:
            assert part.inputs["bucket"] == bucket.id
    assert "BucketWebsiteConfiguration" not in parts
    assert parts["BucketPublicAccessBlock"].urn in parts["BucketPolicy"].dependencies


def test_bucket_with_a_key_uses_sse_kms_and_a_bucket_key(build):
    mocks = build(lambda: HardenedBucket("t-data", HardenedBucketArgs(kms_key_arn=KEY_ARN, expire_days=14, protect=True)))
    parts = bucket_parts(mocks)
    (rule,) = parts["BucketServerSideEncryptionConfiguration"].inputs["rules"]
    assert rule == {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN},
                    "bucketKeyEnabled": True}
    assert parts["BucketLifecycleConfiguration"].inputs["rules"][0]["expiration"] == {"days": 14}
    assert parts["Bucket"].protect and parts["Bucket"].retain_on_delete


def test_website_variant_is_public_read_only_and_spares_gets_from_tls(build):
    mocks = build(lambda: HardenedBucket("t-site", HardenedBucketArgs(website=Website(), force_destroy=True)))
    parts = bucket_parts(mocks)
    access = parts["BucketPublicAccessBlock"].inputs
    assert (access["blockPublicAcls"], access["ignorePublicAcls"]) == (True, True)
    assert (access["blockPublicPolicy"], access["restrictPublicBuckets"]) == (False, False)
    assert parts["BucketWebsiteConfiguration"].inputs["indexDocument"] == {"suffix": "index.html"}
    public, tls = policy_of(mocks)
    assert (public["Principal"], public["Action"], public["Resource"]) == ("*", "s3:GetObject", parts["Bucket"].outputs["arn"] + "/*")
    assert tls["NotAction"] == "s3:GetObject" and "Action" not in tls


def test_log_delivery_and_extra_statements(build):
    def extra(arn, reader):
        return [statement("Reader", ["s3:GetObject"], [f"{arn}/*"], Principal={"AWS": reader})]

    mocks = build(lambda: HardenedBucket("t-logs", HardenedBucketArgs(
        log_delivery=LogDelivery(principal="arn:aws:iam::156460612806:root", key_prefix="alb/AWSLogs/123456789012/"),
        statements=extra, statement_inputs=[pulumi.Output.from_input("arn:aws:iam::123456789012:role/reader")])))
    arn = only(mocks, BUCKET).outputs["arn"]
    delivery, reader, tls = policy_of(mocks)
    assert delivery["Principal"] == {"AWS": "arn:aws:iam::156460612806:root"}
    assert (delivery["Action"], delivery["Resource"]) == ("s3:PutObject", f"{arn}/alb/AWSLogs/123456789012/*")
    assert reader["Principal"] == {"AWS": "arn:aws:iam::123456789012:role/reader"} and reader["Resource"] == [f"{arn}/*"]
    assert tls["Sid"] == "DenyInsecureTransport"


def test_moved_bucket_aliases_every_child_to_its_old_parent_and_name(build):
    def make(holder):
        HardenedBucket("t-logs", HardenedBucketArgs(moved=Moved(parent=holder, names={"encryption": "t-logs"})),
                       opts=pulumi.ResourceOptions(parent=holder))

    mocks = build(lambda: Holder("t", make))
    holder = only(mocks, "cloud-platform:test:Holder")
    block = only(mocks, "cloud-platform:blocks:HardenedBucket")
    for r in mocks.resources:
        if r.type.startswith("aws:s3/"):
            assert r.parent == block.urn
            old = "t-logs" if r.type.endswith("EncryptionConfiguration") else r.name
            # (pulumi-aws adds its own type aliases, e.g. the bucket's former BucketV2 type)
            assert f"urn:pulumi:test::cloud-platform::cloud-platform:test:Holder${r.type}::{old}" in r.aliases
            assert r.urn == f"urn:pulumi:test::cloud-platform::cloud-platform:test:Holder$cloud-platform:blocks:HardenedBucket${r.type}::{r.name}"
    assert mocks.component_of(only(mocks, BUCKET)) == holder  # blocks are parts, not components


def function_args(**kwargs) -> LambdaFunctionArgs:
    base = dict(code=pulumi.AssetArchive({}), handler="fn.app.lambda_handler", region="eu-west-1")
    return LambdaFunctionArgs(**{**base, **kwargs})


def test_function_log_group_first_role_for_this_account_and_only_given_statements(build):
    table = "arn:aws:dynamodb:eu-west-1:123456789012:table/t"
    mocks = build(lambda: LambdaFunction("t-fn", function_args(
        statements=[statement("Table", ["dynamodb:GetItem"], [table])], log_retention_days=14,
        powertools_layer_version=27, environment={"TABLE": "t"})))
    fn, logs = only(mocks, "aws:lambda/function:Function"), only(mocks, "aws:cloudwatch/logGroup:LogGroup")
    role, policy = only(mocks, "aws:iam/role:Role"), only(mocks, "aws:iam/rolePolicy:RolePolicy")
    assert (logs.inputs["name"], logs.inputs["retentionInDays"]) == ("/aws/lambda/t-fn", 14)
    assert fn.inputs["name"] == "t-fn" and fn.inputs["loggingConfig"]["logGroup"] == "/aws/lambda/t-fn"
    assert logs.urn in fn.dependencies and policy.urn in fn.dependencies
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    own, given = json.loads(policy.inputs["policy"])["Statement"]
    assert own["Resource"] == [logs.outputs["arn"] + ":*"] and own["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert given["Resource"] == [table]
    assert fn.inputs["tracingConfig"] == {"mode": "PassThrough"}
    assert fn.inputs["layers"] == ["arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:27"]
    assert fn.inputs["environment"]["variables"] == {
        "POWERTOOLS_SERVICE_NAME": "t-fn", "POWERTOOLS_LOG_LEVEL": "INFO", "POWERTOOLS_TRACE_DISABLED": "true", "TABLE": "t"}
    assert "kmsKeyId" not in logs.inputs


def test_function_tracing_and_encrypted_logs(build):
    mocks = build(lambda: LambdaFunction("t-fn", function_args(tracing=True, log_kms_key_arn=KEY_ARN)))
    fn, logs = only(mocks, "aws:lambda/function:Function"), only(mocks, "aws:cloudwatch/logGroup:LogGroup")
    assert fn.inputs["tracingConfig"] == {"mode": "Active"} and "layers" not in fn.inputs
    assert fn.inputs["environment"]["variables"]["POWERTOOLS_TRACE_DISABLED"] == "false"
    assert logs.inputs["kmsKeyId"] == KEY_ARN
    statements = json.loads(only(mocks, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["OwnLogGroup", "Tracing"]


def test_security_group_named_rules_and_no_default_egress(build):
    mocks = build(lambda: security_group(
        "t-app-sg", "app", "vpc-1", pulumi.ResourceOptions(), rule_prefix="t-app",
        ingress={"https": Rule("HTTPS from the load balancer", 443, group="sg-lb")},
        egress={"dns": Rule("DNS", 53, protocol="udp", cidr="10.0.0.2/32")}))
    group = only(mocks, "aws:ec2/securityGroup:SecurityGroup")
    assert "egress" not in group.inputs and "ingress" not in group.inputs
    rule_in = only(mocks, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    rule_out = only(mocks, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert (rule_in.name, rule_in.inputs["referencedSecurityGroupId"], rule_in.inputs["fromPort"]) == ("t-app-in-https", "sg-lb", 443)
    assert (rule_out.name, rule_out.inputs["cidrIpv4"], rule_out.inputs["ipProtocol"]) == ("t-app-out-dns", "10.0.0.2/32", "udp")
    assert rule_in.inputs["securityGroupId"] == group.id


def test_a_rule_needs_exactly_one_peer():
    with pytest.raises(ValueError, match="give exactly one of cidr or group"):
        Rule("nowhere", 443).args("sg-1")


def test_renamed_rules_keep_their_urn_through_an_alias(build):
    mocks = build(lambda: security_group(
        "t-tasks", "tasks", "vpc-1", pulumi.ResourceOptions(),
        ingress={"app": Rule("app port", 8080, group="sg-lb")}, former_names={"app": "t-tasks-from-alb"}))
    rule = only(mocks, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.name == "t-tasks-in-app"
    assert rule.aliases == [f"urn:pulumi:test::cloud-platform::{rule.type}::t-tasks-from-alb"]
