"""Personal data (resources tagged DataClass=personal) under customer managed keys where the stack requires it."""

from __future__ import annotations

from ..model import Finding, Resource, is_unknown
from ..registry import Context, stack_policy
from .compute import function_log_group
from .types import DYNAMODB_TABLE, LAMBDA, LOG_GROUP

TAG, VALUE = "DataClass", "personal"


def _personal(r: Resource) -> bool:
    return str(r.tags.get(TAG, "")).lower() == VALUE


def _missing(value) -> bool:
    return not value and not is_unknown(value)


@stack_policy(
    "personal-data-encrypted",
    summary="Where compliance.requirePersonalDataKey is set (prod): DynamoDB tables tagged DataClass=personal are "
            "encrypted with a customer managed KMS key, and the log groups of functions tagged DataClass=personal "
            "(and log groups so tagged) are KMS-encrypted.",
    fix="set cloud-platform:serverless.encryption: customer-key and messaging.encryptLogs: true (the table's "
        "server_side_encryption.kms_key_arn and the log groups' kms_key_id then name the components' keys)",
    c5=("CRY-03", "CRY-04"), iso=("8.24", "5.34"),
)
def personal_data_encrypted(resources: list[Resource], ctx: Context):
    if not ctx.settings.require_personal_data_key:
        return
    groups = [r for r in resources if r.type == LOG_GROUP]
    for r in (r for r in resources if _personal(r)):
        if r.type == DYNAMODB_TABLE and _missing(r.get("serverSideEncryption", "kmsKeyArn")):
            yield Finding(f"table {r.physical_name} holds personal data but is not encrypted with a customer managed "
                          "key (serverSideEncryption.kmsKeyArn)", r)
        elif r.type == LAMBDA:
            group = function_log_group(r, groups)
            if group is None:
                if not is_unknown(r.props.get("name")):
                    yield Finding(f"function {r.physical_name} handles personal data but logs to a group the stack "
                                  "does not manage (not KMS-encrypted)", r)
            elif _missing(group.props.get("kmsKeyId")):
                yield Finding(f"log group {group.physical_name} of function {r.physical_name} (personal data) is not "
                              "KMS-encrypted (kmsKeyId)", group)
        elif r.type == LOG_GROUP and _missing(r.props.get("kmsKeyId")):
            yield Finding(f"log group {r.physical_name} holds personal data but is not KMS-encrypted (kmsKeyId)", r)
