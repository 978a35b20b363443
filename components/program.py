"""The stack program: settings in, components built, outputs exported.

`__main__.py` only calls `run()`; tests and the offline plan run the very same code. The steps
are in `vpc_steps.py`, `serverless_steps.py` and `edge_steps.py` (what they share: `platform.py`);
the guardrails, which watch and back up what the others built, come last and live here.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .alarms import Alarms, AlarmsArgs, AlarmTargets
from .backup import Backups, BackupsArgs
from .edge_steps import build_certificates, build_edge
from .platform import Guardrails, Platform, args_from
from .providers import aws_provider
from .serverless_steps import build_messaging, build_ocr, build_serverless
from .settings import Settings, load_settings
from .vpc_steps import build_container, build_networking, build_peering_probe, build_web


def alarm_targets(p: Platform) -> AlarmTargets:
    """What to alarm on: each built component names its own targets (absent ones add nothing)."""
    targets = AlarmTargets()
    for component in (p.network, p.web, p.container, p.messaging, p.serverless, p.ocr):
        if component is not None:
            targets.add(component.alarm_targets())
    return targets


def build_guardrails(p: Platform) -> None:
    """Backups and alarms over what the other steps built.

    The ops topic is built whenever alarms are enabled, even with nothing to alarm on yet:
    it is the stable address operators subscribe to, and costs nothing idle.
    """
    s = p.settings
    guardrails = p.guardrails = Guardrails()
    if s.alarms.enabled:
        guardrails.alarms = Alarms(
            f"{s.prefix}-alarms", args_from(s.alarms, AlarmsArgs, targets=alarm_targets(p)), opts=p.opts()
        )
        p.outputs["opsTopicArn"] = guardrails.alarms.topic_arn
    if s.backup.enabled:
        guardrails.backups = Backups(
            f"{s.prefix}-backup",
            args_from(
                s.backup, BackupsArgs,
                peer_provider=p.peer_provider,
                peer_region=s.networking.peer.region if p.peer_provider is not None else None,
                notification_topic_arn=guardrails.alarms.topic_arn if guardrails.alarms else None,
            ),
            opts=p.opts(),
        )
        b = guardrails.backups
        p.outputs["backupVaultName"] = b.vault_name
        # What `platformctl backup verify` reads: where recovery points must be, and how fresh.
        p.outputs["backupVerify"] = {
            "vaults": [{"region": s.region, "name": b.vault_name}] + (
                [{"region": s.networking.peer.region, "name": b.peer_vault_name}] if b.peer_vault_name is not None else []),
            "reportsBucket": b.reports_bucket,
        }


def role_boundary(path_and_name: str, provider: aws.Provider):
    """Every IAM role the stack creates gets the bootstrap's permissions boundary.

    The deploy roles may create and change roles only with it (bootstrap/, docs/security.md),
    so one role without it would fail `pulumi up` with AccessDenied. A transformation (run in
    this process, inherited by every child) rather than a stack transform, so the recording
    mock sees the result too.
    """
    identity = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider))
    arn = pulumi.Output.all(identity.arn, identity.account_id).apply(
        lambda a: f"arn:{a[0].split(':')[1]}:iam::{a[1]}:policy/{path_and_name}")

    def transformation(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.type_ != "aws:iam/role:Role":
            return None
        return pulumi.ResourceTransformationResult({**args.props, "permissions_boundary": arn}, args.opts)

    return transformation


# Each step reads what the previous ones put on the Platform; order matters.
STEPS = [build_networking, build_certificates, build_web, build_peering_probe, build_container, build_messaging, build_ocr,
         build_serverless, build_edge, build_guardrails]


def build(settings: Settings) -> Platform:
    platform = Platform(settings=settings, home=aws_provider(settings, settings.region, "home"))
    if settings.permissions_boundary:
        platform.transformations.append(role_boundary(settings.permissions_boundary, platform.home))
    for step in STEPS:
        step(platform)
    return platform


def run() -> Platform:
    settings = load_settings()  # raises SettingsError before any resource is registered
    platform = build(settings)
    for key, value in platform.outputs.items():
        pulumi.export(key, value)
    return platform
