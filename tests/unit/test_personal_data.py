"""Issue 16.4b: the subscribers' personal data under customer managed keys in prod, nowhere else decryptable."""

from __future__ import annotations

import json
from fnmatch import fnmatch

from components.settings import SettingsError, parse_settings
from offline.stacks import merge_overrides, stack_config
from tests.unit.test_key_policies import ACCOUNT, ROOT, assert_account_only_administers

KEY, TABLE, GROUP, ROLE = ("aws:kms/key:Key", "aws:dynamodb/table:Table", "aws:cloudwatch/logGroup:LogGroup",
                           "aws:iam/role:Role")
DYNAMODB = "dynamodb.eu-west-1.amazonaws.com"
PERSONAL_GROUPS = {"serverless": ["/aws/lambda/cloud-platform-prod-serverless-api",
                                  "/aws/apigateway/cloud-platform-prod-serverless-rest/prod"],
                   "messaging": ["/aws/lambda/cloud-platform-prod-messaging-worker",
                                 "/aws/lambda/cloud-platform-prod-messaging-notifier"]}


def _one(plan, type_, suffix):
    (found,) = [r for r in plan.mocks.of_type(type_) if r.name.endswith(suffix)]
    return found


def _statements(key) -> dict[str, dict]:
    return {st["Sid"]: st for st in json.loads(key.inputs["policy"])["Statement"]}


def _groups(plan) -> dict[str, object]:
    return {g.inputs["name"]: g for g in plan.mocks.of_type(GROUP)}


def test_prod_subscriber_table_uses_the_data_key_only_the_api_role_may_use_through_dynamodb(prod_plan):
    key, table = _one(prod_plan, KEY, "-serverless-data-key"), _one(prod_plan, TABLE, "-serverless-subscribers")
    # Same URN (protected; an SSE change is an in-place update), now under the component's key.
    assert table.protect and table.inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key.outputs["arn"]}
    assert table.inputs["tags"]["DataClass"] == "personal" and key.protect and key.inputs["enableKeyRotation"]
    statements = _statements(key)
    assert_account_only_administers(statements)
    use, grants = statements["ApiRoleThroughDynamoDb"], statements["ApiRoleThroughDynamoDbGrants"]
    roles = [r.outputs["arn"] for r in prod_plan.mocks.of_type(ROLE)]
    for st in (use, grants):
        assert st["Condition"]["StringEquals"] == {"kms:ViaService": [DYNAMODB], "kms:CallerAccount": ACCOUNT}
        (pattern,) = st["Condition"]["ArnLike"]["aws:PrincipalArn"]
        # The pattern names exactly the API function's role, no other role of the stack.
        assert [arn for arn in roles if fnmatch(arn, pattern)] == [_one(prod_plan, ROLE, "-serverless-api-role").outputs["arn"]]
    deploys = statements["DeploysGrantToTheTable"]
    assert deploys["Principal"] == {"AWS": [ROOT]} and set(deploys["Action"]) == {
        "kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
    assert deploys["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_prod_api_role_is_granted_the_data_key_on_its_exact_arn(prod_plan):
    key = _one(prod_plan, KEY, "-serverless-data-key")
    policy = _one(prod_plan, "aws:iam/rolePolicy:RolePolicy", "-serverless-api-policy")
    (grant,) = [st for st in json.loads(policy.inputs["policy"])["Statement"] if st["Sid"] == "SubscribersKey"]
    assert grant["Resource"] == [key.outputs["arn"]] and "kms:Decrypt" in grant["Action"]
    assert all("*" not in action for action in grant["Action"])


def test_prod_personal_data_log_groups_are_encrypted_and_logs_may_use_only_their_keys(prod_plan):
    groups = _groups(prod_plan)
    for component, key_suffix in (("serverless", "-serverless-data-key"), ("messaging", "-messaging-key")):
        key = _one(prod_plan, KEY, key_suffix)
        for name in PERSONAL_GROUPS[component]:
            assert groups[name].inputs["kmsKeyId"] == key.outputs["arn"], name
        logs = _statements(key)["LogsForTheseLogGroups"]
        assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
        assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": [
            groups[name].outputs["arn"] for name in PERSONAL_GROUPS[component]]}}
    # Logs without personal data stay on CloudWatch's own encryption (no key fee, no key policy to keep).
    assert "kmsKeyId" not in groups["/aws/lambda/cloud-platform-prod-ocr-worker"].inputs


def test_dev_stays_on_aws_managed_encryption(dev_plan):
    table = _one(dev_plan, TABLE, "-serverless-subscribers")
    assert table.inputs["serverSideEncryption"] == {"enabled": True}
    assert [k for k in dev_plan.mocks.of_type(KEY) if "data-key" in k.name] == []
    assert not any(g.inputs.get("kmsKeyId") for g in dev_plan.mocks.of_type(GROUP))


def test_messaging_log_encryption_needs_the_components_key():
    config = merge_overrides(stack_config("dev"), {"cloud-platform:messaging": {"encryptLogs": True,
                                                                              "encryption": "aws-managed"}})
    try:
        parse_settings(config, "dev")
    except SettingsError as exc:
        assert str(exc).startswith("cloud-platform:messaging.encryptLogs needs encryption customer-key"), str(exc)
        assert "\n" not in str(exc)
    else:
        raise AssertionError("encryptLogs with aws-managed encryption was accepted")
