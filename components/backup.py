"""Backups: AWS Backup vault + plan selecting every resource tagged Backup=true.

Course seed project "Auto Backup and Reliability of Servers": daily and weekly recovery
points of the web tier's EBS volumes and the DynamoDB table, kept for a configured number
of days, encrypted with a customer managed key and copied to the peer region when the
stack has one (a regional outage then does not take the backups with it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .backup_evidence import AuditArgs, RestoreTestingArgs, audit_reports, restore_testing
from .blocks.kms import key_policy, use_through, via_service

SELECTION_TAG = ("Backup", "true")
# Failures only. The vault's SNS notifications cannot say that (BACKUP_JOB_COMPLETED fires
# for every success, BACKUP_JOB_FAILED is deprecated), so an EventBridge rule picks the
# failed, aborted and expired jobs. Backup and copy jobs report `state`, restore jobs `status`.
FAILED_STATES = ["FAILED", "ABORTED", "EXPIRED"]
FAILED_JOBS_PATTERN = {
    "source": ["aws.backup"],
    "detail-type": ["Backup Job State Change", "Copy Job State Change", "Restore Job State Change"],
    "detail": {"$or": [{"state": FAILED_STATES}, {"status": FAILED_STATES}]},
}
# What the vault access policy reserves for the break-glass role (the policy-pack control checks the same).
PROTECTED_ACTIONS = ("backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle")
MANAGED_POLICIES = {
    "backup": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "restore": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
}


@dataclass
class BackupsArgs:
    """Inputs of Backups: schedules, retention, the copy to the peer region, protection."""

    daily_retention_days: int = 35
    weekly_retention_days: int = 90
    daily_schedule: str = "cron(0 3 * * ? *)"
    """AWS cron expression (UTC)."""
    weekly_schedule: str = "cron(0 4 ? * SUN *)"
    start_window_minutes: int = 60
    completion_window_minutes: int = 480
    copy_to_peer: bool = True
    """Copy every recovery point to a vault in the peer region (needs `peer_provider`)."""
    protect_vault: bool = False
    """Protect and retain the vaults (prod)."""
    vault_lock: bool = False
    """Compliance-mode Vault Lock on every vault (home and peer copy)."""
    lock_changeable_for_days: int = 3
    lock_min_retention_days: int = 7
    lock_max_retention_days: int = 36500
    break_glass_role_name: str | None = None
    """The only role that may delete recovery points or change their lifecycle (vault access policy)."""
    peer_provider: aws.Provider | None = None
    """Provider of the peer region; with `copy_to_peer` a copy vault is created there."""
    notification_topic_arn: pulumi.Input[str] | None = None
    """SNS topic (the Alarms ops topic) for failed backup, copy and restore jobs of the home vault."""
    peer_region: str | None = None
    """Region of `peer_provider` (the audit framework checks that copies go there)."""
    restore_testing: RestoreTestingArgs = field(default_factory=RestoreTestingArgs)
    audit: AuditArgs = field(default_factory=AuditArgs)


class Backups(pulumi.ComponentResource):
    vault_name: pulumi.Output[str]
    vault_arn: pulumi.Output[str]
    plan_id: pulumi.Output[str]
    peer_vault_arn: pulumi.Output[str] | None
    peer_vault_name: pulumi.Output[str] | None
    reports_bucket: pulumi.Output[str] | None

    def __init__(self, name: str, args: BackupsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:guardrails:Backups", name, None, opts)
        s = args
        invoke = pulumi.InvokeOptions(parent=self)
        self._account = aws.get_caller_identity(opts=invoke).account_id
        self._partition = aws.get_partition(opts=invoke).partition
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=s.protect_vault, retain_on_delete=s.protect_vault)

        # The service role comes first: the vault keys' policies name it (KMS refuses unknown principals).
        role = self._role(name, child)
        vault = self._vault(name, "", role.arn, stateful)
        self.vault_name, self.vault_arn = vault.name, vault.arn
        self._lock(name, "", vault, s, stateful)
        self.peer_vault_arn = self.peer_vault_name = None
        if s.copy_to_peer and args.peer_provider is not None:
            peer_opts = pulumi.ResourceOptions.merge(stateful, pulumi.ResourceOptions(provider=args.peer_provider))
            peer_vault = self._vault(name, "-peer", role.arn, peer_opts)
            self.peer_vault_arn, self.peer_vault_name = peer_vault.arn, peer_vault.name
            # Copies are recovery points too: the same lock and the same deny policy in the other region.
            self._lock(name, "-peer", peer_vault, s, peer_opts)

        if args.notification_topic_arn is not None:
            failed = aws.cloudwatch.EventRule(
                f"{name}-failed",
                description=f"{name}: failed, aborted or expired backup, copy and restore jobs",
                event_pattern=json.dumps(FAILED_JOBS_PATTERN),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-failed", rule=failed.name, arn=args.notification_topic_arn, opts=child,
            )

        rules = [
            self._rule("daily", s.daily_schedule, s.daily_retention_days, s, vault),
            self._rule("weekly", s.weekly_schedule, s.weekly_retention_days, s, vault),
        ]
        plan = aws.backup.Plan(f"{name}-plan", name=f"{name}-plan", rules=rules, opts=child)
        self.plan_id = plan.id

        key, value = SELECTION_TAG
        aws.backup.Selection(
            f"{name}-tagged",
            name=f"{name}-tagged",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            selection_tags=[aws.backup.SelectionSelectionTagArgs(type="STRINGEQUALS", key=key, value=value)],
            opts=child,
        )
        if s.restore_testing.enabled:
            restore_testing(name, s.restore_testing, vault.arn, role.arn, SELECTION_TAG, child)
        self.reports_bucket = None
        if s.audit.enabled:
            peer_region = args.peer_region if self.peer_vault_arn is not None else None
            self.reports_bucket = audit_reports(name, s.audit, s.restore_testing, s.daily_retention_days,
                                                peer_region, SELECTION_TAG, s.protect_vault, self)
        self.register_outputs({"vaultName": self.vault_name, "vaultArn": self.vault_arn, "planId": self.plan_id,
                               "peerVaultArn": self.peer_vault_arn})

    def _role(self, name: str, opts: pulumi.ResourceOptions) -> aws.iam.Role:
        """The role AWS Backup runs backup, copy and restore jobs as."""
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps({
                "Version": "2012-10-17",
                # Only for this account's backup jobs (confused-deputy guard).
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"},
                               "Action": "sts:AssumeRole",
                               "Condition": {"StringEquals": {"aws:SourceAccount": self._account}}}],
            }),
            opts=opts,
        )
        for purpose, arn in MANAGED_POLICIES.items():
            aws.iam.RolePolicyAttachment(f"{name}-{purpose}", role=role.name, policy_arn=arn, opts=opts)
        return role

    def _vault(self, name: str, suffix: str, role_arn: pulumi.Output[str],
               opts: pulumi.ResourceOptions) -> aws.backup.Vault:
        key_opts = pulumi.ResourceOptions(parent=self, provider=opts.provider)
        # Only the backup role, only through AWS Backup in the vault's region, may use the key
        # (backup, copy into this vault, restore); the account administers it.
        region = aws.get_region_output(opts=pulumi.InvokeOptions(parent=self, provider=opts.provider)).region
        policy = pulumi.Output.all(role_arn, region).apply(lambda a: key_policy(
            self._partition, self._account,
            *use_through("BackupRoleThroughBackup", [a[0]], [via_service("backup", a[1])], self._account)))
        key = aws.kms.Key(
            f"{name}{suffix}-key",
            description=f"{name}{suffix}: recovery points in the backup vault",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy,
            opts=key_opts,
        )
        aws.kms.Alias(f"{name}{suffix}-key", name=f"alias/{name}{suffix}", target_key_id=key.id, opts=key_opts)
        return aws.backup.Vault(f"{name}{suffix}-vault", name=f"{name}{suffix}-vault", kms_key_arn=key.arn, opts=opts)

    def _lock(self, name: str, suffix: str, vault: aws.backup.Vault, s: BackupsArgs,
              opts: pulumi.ResourceOptions) -> None:
        """Recovery points no deploy role can delete: Vault Lock (compliance mode) and a deny-all vault policy."""
        if s.vault_lock:
            aws.backup.VaultLockConfiguration(
                f"{name}{suffix}-vault-lock",
                backup_vault_name=vault.name,
                changeable_for_days=s.lock_changeable_for_days,  # set: compliance mode, immutable after these days
                min_retention_days=s.lock_min_retention_days,
                max_retention_days=s.lock_max_retention_days,
                opts=opts,
            )
        if s.break_glass_role_name is not None:
            break_glass = f"arn:{self._partition}:iam::{self._account}:role/{s.break_glass_role_name}"
            aws.backup.VaultPolicy(
                f"{name}{suffix}-vault-policy",
                backup_vault_name=vault.name,
                policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                    "Sid": "OnlyBreakGlassDeletes",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": list(PROTECTED_ACTIONS),
                    "Resource": "*",
                    "Condition": {"ArnNotEquals": {"aws:PrincipalArn": break_glass}},
                }]}),
                opts=opts,
            )

    def _rule(self, label: str, schedule: str, days: int, s: BackupsArgs,
              vault: aws.backup.Vault) -> aws.backup.PlanRuleArgs:
        copies = None
        if self.peer_vault_arn is not None:
            copies = [aws.backup.PlanRuleCopyActionArgs(
                destination_vault_arn=self.peer_vault_arn,
                lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=days),
            )]
        return aws.backup.PlanRuleArgs(
            rule_name=label,
            target_vault_name=vault.name,
            schedule=schedule,
            start_window=s.start_window_minutes,
            completion_window=s.completion_window_minutes,
            lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=days),
            recovery_point_tags={"BackupRule": label},
            copy_actions=copies,
        )
