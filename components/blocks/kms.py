"""Key policies that separate administering a KMS key from using it.

AWS's default key policy gives the account root `kms:*`: any IAM policy in the account may then
grant decryption. Ours give the account only the administrative actions (so deploy roles can
still manage, rotate, tag and schedule deletion, and PutKeyPolicy keeps passing KMS's lockout
check), and use of the key (encrypt, decrypt, grants) only to named principals, only through
the service the key is for (`kms:ViaService`), only from this account (`kms:CallerAccount`).
In a key policy `"Resource": "*"` means "this key".
"""

from __future__ import annotations

import json
from typing import Any

# Resources holding personal data (subscribers' e-mail addresses) carry this tag; the policy pack's
# personal-data-encrypted control requires a customer managed key on them where the stack asks for it.
PERSONAL_DATA_TAG = {"DataClass": "personal"}

# No Encrypt/Decrypt/GenerateDataKey/ReEncrypt and no CreateGrant: an administrator cannot give
# itself use of the data (AWS's console default "Create*" would include CreateGrant).
ADMIN_ACTIONS = (
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants",
    "kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListResourceTags",
    "kms:PutKeyPolicy", "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:UpdateKeyDescription",
    "kms:EnableKey", "kms:DisableKey", "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:RotateKeyOnDemand",
    "kms:TagResource", "kms:UntagResource", "kms:RevokeGrant", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
)
USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
               "kms:RetireGrant")
# AWS services (Backup, ECR, DynamoDB) work with a key through grants they create for the resource;
# kms:GrantIsForAWSResource is in the request context of exactly these three actions.
GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")


def account_root(partition: str, account: str) -> str:
    return f"arn:{partition}:iam::{account}:root"


def via_service(service: str, region: str) -> str:
    """The `kms:ViaService` value of a service endpoint, e.g. backup.eu-west-1.amazonaws.com."""
    return f"{service}.{region}.amazonaws.com"


def use_through(sid: str, principals: list[str], services: list[str], account: str,
                grants: bool = True, principal_patterns: list[str] | None = None) -> list[dict[str, Any]]:
    """Use of the key by `principals`, only through `services` (ViaService values), only from this account.

    `principal_patterns` (with the account root as principal) names roles not created yet by
    ARN pattern (`aws:PrincipalArn`): KMS refuses a principal that does not exist.
    """
    only_through = _through(services, account, principal_patterns)
    statements = [{"Sid": sid, "Effect": "Allow", "Principal": {"AWS": principals}, "Action": list(USE_ACTIONS),
                   "Resource": "*", "Condition": only_through}]
    if grants:
        statements.append(grants_through(f"{sid}Grants", principals, services, account, principal_patterns))
    return statements


def grants_through(sid: str, principals: list[str], services: list[str], account: str,
                   principal_patterns: list[str] | None = None) -> dict[str, Any]:
    """Grants for AWS resources only (what a service creates for a table or repository), only through `services`."""
    return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": principals}, "Action": list(GRANT_ACTIONS),
            "Resource": "*", "Condition": {**_through(services, account, principal_patterns),
                                           "Bool": {"kms:GrantIsForAWSResource": "true"}}}


def _through(services: list[str], account: str, principal_patterns: list[str] | None) -> dict[str, Any]:
    condition: dict[str, Any] = {"StringEquals": {"kms:ViaService": sorted(services), "kms:CallerAccount": account}}
    if principal_patterns:
        condition["ArnLike"] = {"aws:PrincipalArn": principal_patterns}
    return condition


def logs_for(region: str, log_group_arns: list[str]) -> dict[str, Any]:
    """CloudWatch Logs encrypts and decrypts these log groups' events (and no other group's) with the key."""
    return {"Sid": "LogsForTheseLogGroups", "Effect": "Allow", "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*", "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arns}}}


def log_group_arn(partition: str, region: str, account: str, name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account}:log-group:{name}"


def key_policy(partition: str, account: str, *uses: dict[str, Any]) -> str:
    """The account administers the key; `uses` (statements) say who may use it, and how."""
    administer = {"Sid": "AccountAdministersKey", "Effect": "Allow",
                  "Principal": {"AWS": account_root(partition, account)}, "Action": list(ADMIN_ACTIONS), "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [administer, *uses]})
