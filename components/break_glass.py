"""BreakGlassRole: the one identity the backup vault policies let delete recovery points.

Created by `bootstrap/` (account level, like the CI roles), named by the platform stacks'
`backup.breakGlassRoleName`. People of this account assume it, and only with MFA signed in
recently (`aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge`), for at most
`maxSessionSeconds`. No CI role can: web identity sessions carry no MFA, and the deploy roles'
IAM policy denies them every IAM action on it. It lives at path `/`, because the vault
policies compare `aws:PrincipalArn` with `arn:<partition>:iam::<account>:role/<name>`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

# What recovery-point deletion takes: AWS Backup's own actions, and the services' own backups
# (EBS snapshots and DynamoDB backups behind the recovery points that Backup does not fully manage).
RECOVERY_POINT_ACTIONS = ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle",
                          "backup:DescribeRecoveryPoint", "backup:ListRecoveryPointsByBackupVault",
                          "backup:DescribeBackupVault"]


@dataclass
class BreakGlassRoleArgs:
    role_name: str
    """The role's name (path /); the platform stacks' `backup.breakGlassRoleName`."""
    max_session_seconds: int = 3600
    """Longest session; IAM's shortest possible maximum is one hour."""
    mfa_max_age_seconds: int = 3600
    """The MFA sign-in must be at most this old when the role is assumed."""


def break_glass_trust(partition: str, account: str, mfa_max_age_seconds: int) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "PeopleOfThisAccountWithMfa",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                      "NumericLessThan": {"aws:MultiFactorAuthAge": str(mfa_max_age_seconds)}},
    }]}


def recovery_point_policy(partition: str, account: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "RecoveryPoints", "Effect": "Allow", "Action": RECOVERY_POINT_ACTIONS,
         "Resource": [f"arn:{partition}:backup:*:{account}:backup-vault:*",
                      f"arn:{partition}:backup:*:{account}:recovery-point:*"]},
        {"Sid": "FindVaults", "Effect": "Allow", "Action": "backup:ListBackupVaults", "Resource": "*"},
        {"Sid": "SnapshotsBehindRecoveryPoints", "Effect": "Allow", "Action": "ec2:DeleteSnapshot",
         "Resource": f"arn:{partition}:ec2:*::snapshot/*"},
        {"Sid": "TableBackupsBehindRecoveryPoints", "Effect": "Allow", "Action": "dynamodb:DeleteBackup",
         "Resource": f"arn:{partition}:dynamodb:*:{account}:table/*/backup/*"},
    ]}


class BreakGlassRole(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: BreakGlassRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:delivery:BreakGlassRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        account = aws.get_caller_identity(opts=invoke).account_id
        partition = aws.get_partition(opts=invoke).partition
        role = aws.iam.Role(
            name,
            name=args.role_name,
            path="/",
            description="Break glass: the only role that may delete or re-lifecycle backup recovery points (MFA)",
            assume_role_policy=json.dumps(break_glass_trust(partition, account, args.mfa_max_age_seconds)),
            max_session_duration=args.max_session_seconds,
            opts=child,
        )
        aws.iam.RolePolicy(f"{name}-recovery-points", role=role.id,
                           policy=json.dumps(recovery_point_policy(partition, account)), opts=child)
        self.role_arn = role.arn
        self.register_outputs({"roleArn": self.role_arn})
