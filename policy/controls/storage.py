"""Data at rest: S3, EBS, DynamoDB, RDS, AWS Backup."""

from __future__ import annotations

from fnmatch import fnmatch

from ..model import Finding, Resource, as_json, is_unknown, truthy
from ..registry import Context, resource_policy, stack_policy
from .types import (
    BACKUP_SELECTION,
    BACKUP_VAULT,
    BACKUP_VAULT_LOCK,
    BACKUP_VAULT_POLICY,
    DYNAMODB_TABLE,
    EBS_VOLUME,
    INSTANCE,
    LAUNCH_TEMPLATE,
    RDS_CLUSTER,
    RDS_INSTANCE,
    S3_BUCKET,
    S3_PUBLIC_ACCESS_BLOCK,
    S3_SSE,
    S3_VERSIONING,
)


def _buckets(resources: list[Resource]) -> list[Resource]:
    return [r for r in resources if r.type in S3_BUCKET]


def _attached(resources: list[Resource], types, bucket: Resource) -> list[Resource]:
    types = (types,) if isinstance(types, str) else types
    return [r for r in resources if r.type in types and r.refers_to("bucket", bucket)]


@stack_policy(
    "s3-encryption",
    summary="Every S3 bucket has default server-side encryption configured (SSE-S3 or SSE-KMS).",
    fix="add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket (AES256 or aws:kms)",
    c5=("CRY-03",), iso=("8.24",), fsbp=("S3.4",),
)
def s3_encryption(resources: list[Resource], ctx: Context):
    for bucket in _buckets(resources):
        inline = bucket.get("serverSideEncryptionConfiguration", "rule", "applyServerSideEncryptionByDefault",
                            "sseAlgorithm")
        rules = [
            rule
            for sse in _attached(resources, S3_SSE, bucket)
            for rule in (as_json(sse.props.get("rules")) or [])
        ]
        algorithms = [((rule or {}).get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") for rule in rules]
        if not inline and not any(algorithms):
            yield Finding(f"bucket {bucket.physical_name} has no server-side encryption configuration", bucket)


@stack_policy(
    "s3-versioning",
    summary="S3 buckets have versioning enabled where compliance.requireVersioning is set (prod).",
    fix="add an aws.s3.BucketVersioning with versioning_configuration status Enabled",
    c5=("OPS-06",), iso=("8.13",), fsbp=("S3.14",),
)
def s3_versioning(resources: list[Resource], ctx: Context):
    if not ctx.settings.require_versioning:
        return
    for bucket in _buckets(resources):
        if truthy(bucket.get("versioning", "enabled")):
            continue
        statuses = [v.get("versioningConfiguration", "status") for v in _attached(resources, S3_VERSIONING, bucket)]
        if "Enabled" not in statuses:
            yield Finding(f"bucket {bucket.physical_name} has no versioning (status Enabled required)", bucket)


def public_bucket_allowed(bucket: Resource, ctx: Context) -> bool:
    if any(fnmatch(bucket.physical_name, p) or fnmatch(bucket.name, p) for p in ctx.settings.allowed_public_buckets):
        return True
    return ctx.settings.allow_website_tag and str(bucket.tags.get("Website", "")).lower() == "true"


PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


@stack_policy(
    "s3-public-access-blocked",
    summary="Every S3 bucket blocks public access (all four flags) unless it is an explicitly allowed "
            "website bucket (compliance.allowedPublicBuckets or tag Website=true).",
    fix="add an aws.s3.BucketPublicAccessBlock with all four flags true, or list the website bucket in "
        "cloud-platform:compliance.allowedPublicBuckets",
    c5=("COS-01", "OPS-12"), iso=("8.3", "8.12"), fsbp=("S3.8",),
)
def s3_public_access(resources: list[Resource], ctx: Context):
    for bucket in _buckets(resources):
        if public_bucket_allowed(bucket, ctx):
            continue
        blocks = _attached(resources, S3_PUBLIC_ACCESS_BLOCK, bucket)
        if not blocks:
            yield Finding(f"bucket {bucket.physical_name} has no public access block", bucket)
            continue
        missing = [f for f in PAB_FLAGS if not any(truthy(b.props.get(f)) or is_unknown(b.props.get(f)) for b in blocks)]
        if missing:
            yield Finding(f"bucket {bucket.physical_name} public access block leaves {', '.join(missing)} off", bucket)


@resource_policy(
    "ebs-encryption",
    types=(LAUNCH_TEMPLATE, EBS_VOLUME, INSTANCE),
    summary="EBS volumes are encrypted: launch template block devices, volumes and instance root devices.",
    fix="set block_device_mappings[].ebs.encrypted='true' (launch template) or encrypted=True (volume / root device)",
    c5=("CRY-03",), iso=("8.24",), fsbp=("EC2.3", "EC2.7"),
)
def ebs_encryption(r: Resource, ctx: Context):
    if r.type == EBS_VOLUME:
        if not truthy(r.props.get("encrypted")):
            yield "EBS volume is not encrypted"
        return
    if r.type == INSTANCE:
        root = r.get("rootBlockDevice", "encrypted")
        if not truthy(root) and not r.props.get("launchTemplate"):
            yield "instance root block device is not encrypted"
        for device in as_json(r.props.get("ebsBlockDevices")) or []:
            if not truthy((device or {}).get("encrypted")):
                yield f"instance EBS device {(device or {}).get('deviceName')} is not encrypted"
        return
    mappings = as_json(r.props.get("blockDeviceMappings")) or []
    if not mappings:
        yield "launch template has no block_device_mappings: the AMI's volumes are used unencrypted"
    for mapping in mappings:
        ebs = (mapping or {}).get("ebs") or {}
        if ebs and not truthy(ebs.get("encrypted")) and not is_unknown(ebs.get("encrypted")):
            yield f"launch template volume {(mapping or {}).get('deviceName')} is not encrypted"


@resource_policy(
    "dynamodb-encryption",
    types=(DYNAMODB_TABLE,),
    summary="DynamoDB tables use KMS server-side encryption (AWS managed or customer key), not the default owned key.",
    fix="set server_side_encryption={'enabled': True} (optionally kms_key_arn)",
    c5=("CRY-03", "CRY-04"), iso=("8.24",), fsbp=(),
)
def dynamodb_encryption(r: Resource, ctx: Context):
    if not truthy(r.get("serverSideEncryption", "enabled")):
        yield "table has no KMS server-side encryption (serverSideEncryption.enabled)"


@resource_policy(
    "dynamodb-pitr",
    types=(DYNAMODB_TABLE,),
    summary="DynamoDB tables have point-in-time recovery where compliance.requirePitr is set (prod).",
    fix="set point_in_time_recovery={'enabled': True}",
    c5=("OPS-06",), iso=("8.13",), fsbp=("DynamoDB.2",),
)
def dynamodb_pitr(r: Resource, ctx: Context):
    if ctx.settings.require_pitr and not truthy(r.get("pointInTimeRecovery", "enabled")):
        yield "table has no point-in-time recovery (pointInTimeRecovery.enabled)"


@resource_policy(
    "rds-encryption",
    types=(RDS_INSTANCE, RDS_CLUSTER),
    summary="RDS instances and clusters encrypt storage at rest.",
    fix="set storage_encrypted=True",
    c5=("CRY-03",), iso=("8.24",), fsbp=("RDS.3", "RDS.27"),
)
def rds_encryption(r: Resource, ctx: Context):
    if not truthy(r.props.get("storageEncrypted")):
        yield "database storage is not encrypted (storageEncrypted)"


@resource_policy(
    "rds-backups",
    types=(RDS_INSTANCE, RDS_CLUSTER),
    summary="RDS keeps automated backups (point-in-time restore) and deletion protection per stack settings.",
    fix="set backup_retention_period >= 7 and deletion_protection=True",
    c5=("OPS-06",), iso=("8.13",), fsbp=("RDS.11", "RDS.8"),
)
def rds_backups(r: Resource, ctx: Context):
    if ctx.settings.require_pitr and int(r.props.get("backupRetentionPeriod") or 0) < 7:
        yield f"backupRetentionPeriod is {r.props.get('backupRetentionPeriod') or 0} days (>= 7 required)"
    if ctx.settings.require_deletion_protection and not truthy(r.props.get("deletionProtection")):
        yield "deletionProtection is off"


@resource_policy(
    "backup-vault-encrypted",
    types=(BACKUP_VAULT,),
    summary="AWS Backup vaults encrypt recovery points with a customer managed KMS key.",
    fix="set kms_key_arn on the vault",
    c5=("CRY-03", "OPS-09"), iso=("8.13", "8.24"), fsbp=("Backup.1",),
)
def backup_vault_encrypted(r: Resource, ctx: Context):
    if not r.props.get("kmsKeyArn") and not is_unknown(r.props.get("kmsKeyArn")):
        yield "backup vault has no kmsKeyArn (customer managed key)"


RECOVERY_POINT_WRITES = ("backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle")
NEGATED_ARN_MATCH = ("ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike")


def _of_vault(r: Resource, vault: Resource) -> bool:
    return r.refers_to("backupVaultName", vault) or r.props.get("backupVaultName") == vault.physical_name


def _break_glass_only(condition) -> bool:
    """No condition, or only an exception for named principals (aws:PrincipalArn, no bare wildcard)."""
    if not condition:
        return True
    for operator, keys in condition.items():
        if operator not in NEGATED_ARN_MATCH or set(keys) != {"aws:PrincipalArn"}:
            return False
        values = keys["aws:PrincipalArn"]
        if any(v.strip() in ("*", "arn:*") for v in ([values] if isinstance(values, str) else values)):
            return False
    return True


def _denies_recovery_point_writes(policy: Resource) -> bool | None:
    document = policy.props.get("policy")
    if is_unknown(document):
        return None
    statements = (as_json(document) or {}).get("Statement") or []
    for st in [statements] if isinstance(statements, dict) else statements:
        actions = st.get("Action")
        actions = {actions} if isinstance(actions, str) else set(actions or [])
        if (st.get("Effect") == "Deny" and st.get("Principal") in ("*", {"AWS": "*"})
                and set(RECOVERY_POINT_WRITES) <= actions and _break_glass_only(st.get("Condition"))):
            return True
    return False


@stack_policy(
    "backup-vaults-immutable",
    summary="Where compliance.requireVaultLock is set (prod): every AWS Backup vault (the peer-region copy too) has "
            "a compliance-mode Vault Lock and a vault access policy denying DeleteRecoveryPoint and "
            "UpdateRecoveryPointLifecycle to every principal but a break-glass role.",
    fix="set cloud-platform:backup.vaultLock: true (lockChangeableForDays makes it compliance mode) and "
        "backup.breakGlassRoleName (the role bootstrap/ creates)",
    c5=("OPS-06", "OPS-09"), iso=("8.13", "5.15"), fsbp=("Backup.1",),
)
def backup_vaults_immutable(resources: list[Resource], ctx: Context):
    if not ctx.settings.require_vault_lock:
        return
    locks = [r for r in resources if r.type == BACKUP_VAULT_LOCK]
    policies = [r for r in resources if r.type == BACKUP_VAULT_POLICY]
    for vault in (r for r in resources if r.type == BACKUP_VAULT):
        name = vault.physical_name
        own_locks = [lock for lock in locks if _of_vault(lock, vault)]
        if not own_locks:
            yield Finding(f"backup vault {name} has no Vault Lock", vault)
        elif not any(lock.props.get("changeableForDays") or is_unknown(lock.props.get("changeableForDays"))
                     for lock in own_locks):
            yield Finding(f"backup vault {name} has a governance-mode Vault Lock (no changeableForDays): "
                          "anyone with the permission can remove it", vault)
        verdicts = [_denies_recovery_point_writes(p) for p in policies if _of_vault(p, vault)]
        if not any(v is not False for v in verdicts):  # None: not known before the update
            yield Finding(f"backup vault {name} has no vault access policy denying DeleteRecoveryPoint and "
                          "UpdateRecoveryPointLifecycle to all but a break-glass role", vault)


def _selects_tag(selection: Resource, key: str, value: str) -> bool:
    for condition in as_json(selection.props.get("selectionTags")) or []:
        condition = condition or {}
        if (condition.get("type") == "STRINGEQUALS" and condition.get("key") == key
                and str(condition.get("value")).lower() == value):
            return True
    return False


@stack_policy(
    "backup-coverage",
    summary="Where compliance.requireBackups is set, resources tagged Backup=true are selected by an AWS Backup "
            "plan (selection by tag Backup=true).",
    fix="enable cloud-platform:backup (Backups component: vault, plan, selection by tag Backup=true)",
    c5=("OPS-06", "OPS-07"), iso=("8.13",), fsbp=(),
)
def backup_coverage(resources: list[Resource], ctx: Context):
    if not ctx.settings.require_backups:
        return
    selections = [r for r in resources if r.type == BACKUP_SELECTION]
    if any(_selects_tag(s, "Backup", "true") for s in selections):
        return
    tagged = [r for r in resources if str(r.tags.get("Backup", "")).lower() == "true"]
    tagged += [r for r in resources if r.type == LAUNCH_TEMPLATE and _lt_volume_tagged(r)]
    if tagged:
        for r in tagged:
            yield Finding(f"{r.physical_name} is tagged Backup=true but no backup selection picks that tag up", r)
    else:
        yield Finding("compliance.requireBackups is set but the stack has no AWS Backup selection by tag Backup=true")


def _lt_volume_tagged(r: Resource) -> bool:
    for spec in as_json(r.props.get("tagSpecifications")) or []:
        spec = spec or {}
        if spec.get("resourceType") == "volume" and str((spec.get("tags") or {}).get("Backup", "")).lower() == "true":
            return True
    return False
