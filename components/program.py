"""The stack program: settings in, components built, outputs exported.

`__main__.py` only calls `run()`; tests and the offline plan run the very same code.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, TypeVar

import pulumi
import pulumi_aws as aws

from .alarms import Alarms, AlarmsArgs, AlarmTargets
from .backup import Backups, BackupsArgs
from .container import ContainerService
from .container_args import ContainerServiceArgs, SharedLoadBalancer
from .container_registry import image_tag
from .image_pipeline import WebImagePipeline, WebImagePipelineArgs
from .messaging import Messaging
from .messaging_args import MessagingArgs
from .networking import AddressPlanArgs, NetworkingBase, NetworkingBaseArgs
from .peering import CrossRegionPeering, CrossRegionPeeringArgs
from .peering_probe import HomeEndpoint, PeeringProbe, PeeringProbeArgs
from .providers import aws_provider
from .settings import Settings, load_settings
from .settings.base import Section
from .web_tier import ScalingWebTier, ScalingWebTierArgs

A = TypeVar("A")

if TYPE_CHECKING:  # imported where built: only stacks with a serverless area (or a domain, WAF) pay for it
    from .edge import Certificates, EdgeProtection
    from .serverless import ServerlessApi
    from .text_extraction import TextExtraction


def args_from(section: Section, args_type: type[A], **inputs: object) -> A:
    """A component's plain args from its settings section: every args field the section has,
    by the same name (nested sections onto nested args), plus the `inputs` only the program
    knows (other components' outputs)."""
    values = {}
    for f in fields(args_type):
        if f.name in inputs or not hasattr(section, f.name):
            continue
        value = getattr(section, f.name)
        nested = nested_args(f)
        values[f.name] = args_from(value, nested) if nested is not None and isinstance(value, Section) else value
    return args_type(**values, **inputs)


def nested_args(f: Field) -> type | None:
    """The args type of a nested-args field (its default factory builds one), else None."""
    if f.default_factory is MISSING:
        return None
    made = f.default_factory()
    return type(made) if is_dataclass(made) else None


@dataclass
class Platform:
    """What one component hands to the next (later components add fields here)."""

    settings: Settings
    home: aws.Provider
    network: NetworkingBase | None = None
    peer_network: NetworkingBase | None = None
    peer_provider: aws.Provider | None = None
    peering: CrossRegionPeering | None = None
    web: ScalingWebTier | None = None
    container: ContainerService | None = None
    messaging: Messaging | None = None
    serverless: ServerlessApi | None = None
    ocr: TextExtraction | None = None
    guardrails: Guardrails | None = None
    certificates: Certificates | None = None
    edge: EdgeProtection | None = None
    outputs: dict[str, object] = field(default_factory=dict)
    transformations: list = field(default_factory=list)
    """Applied to every resource of every component (children inherit them): the permissions boundary."""

    def opts(self, **kwargs) -> pulumi.ResourceOptions:
        """Options for a top-level component in the home region."""
        return pulumi.ResourceOptions(providers={"aws": self.home}, transformations=self.transformations, **kwargs)


def build_networking(p: Platform) -> None:
    s = p.settings
    net = s.networking
    if not net.enabled:
        return
    flow_days = net.flow_logs.retention_days if net.flow_logs.enabled else None
    p.network = NetworkingBase(
        f"{s.prefix}-network",
        NetworkingBaseArgs(
            plan=args_from(net, AddressPlanArgs),
            region=s.region,
            flow_log_retention_days=flow_days,
            flow_log_traffic_type=net.flow_logs.traffic_type,
        ),
        opts=p.opts(),
    )
    p.outputs.update(
        vpcId=p.network.vpc_id,
        vpcCidr=p.network.vpc_cidr,
        availabilityZones=p.network.availability_zones,
        publicSubnetIds=p.network.public_subnet_ids,
        privateSubnetIds=p.network.private_subnet_ids,
        privateRouteTableIds=p.network.private_route_table_ids,
    )
    if net.peer is None or not net.peer.enabled:
        return
    peer_provider = p.peer_provider = aws_provider(s, net.peer.region, "peer")
    p.peer_network = NetworkingBase(
        f"{s.prefix}-peer-network",
        NetworkingBaseArgs(
            plan=args_from(net.peer, AddressPlanArgs),
            region=net.peer.region,
            flow_log_retention_days=flow_days,
            flow_log_traffic_type=net.flow_logs.traffic_type,
            az_count_key="networking.peer.azCount",
        ),
        opts=pulumi.ResourceOptions(providers={"aws": peer_provider}, transformations=p.transformations),
    )
    peering = p.peering = CrossRegionPeering(
        f"{s.prefix}-peering",
        CrossRegionPeeringArgs(
            home=p.network, peer=p.peer_network, peer_region=net.peer.region, peer_provider=peer_provider
        ),
        opts=p.opts(),
    )
    p.outputs.update(
        peerRegion=net.peer.region,
        peerVpcId=p.peer_network.vpc_id,
        peerVpcCidr=p.peer_network.vpc_cidr,
        peeringConnectionId=peering.connection_id,
    )


def build_web(p: Platform) -> None:
    """ScalingWebTier: ALB + blue/green auto scaling groups in the private subnets."""
    s = p.settings
    if not s.web.enabled or p.network is None:  # settings guarantee networking when web is on
        return
    p.web = web = ScalingWebTier(
        f"{s.prefix}-web",
        args_from(
            s.web, ScalingWebTierArgs,
            vpc_id=p.network.vpc_id,
            public_subnet_ids=p.network.public_subnet_ids,
            private_subnet_ids=p.network.private_subnet_ids,
            tags=s.tags,
            certificate_arn=p.certificates.web_certificate_arn if p.certificates else (s.web.certificate_arn or None),
        ),
        opts=p.opts(),
    )
    # platformctl cutover/status read these names; keep them stable.
    p.outputs.update(
        albDnsName=web.alb_dns_name,
        albArn=web.alb_arn,
        albArnSuffix=web.alb_arn_suffix,
        listenerArn=web.listener_arn,
        targetGroupArns=web.target_group_arns,
        targetGroupArnSuffixes=web.target_group_arn_suffixes,
        asgNames=web.asg_names,
        trafficWeights=web.weights,
        webReleases={
            colour: {"version": s.web.colour(colour).version, "amiId": web.image_ids[colour]}
            for colour in web.weights
        },
    )
    if s.web.image_pipeline.enabled:
        baked = WebImagePipeline(
            f"{s.prefix}-web-image",
            WebImagePipelineArgs(
                vpc_id=p.network.vpc_id,
                subnet_id=p.network.private_subnet_ids[0],
                region=s.region,
                instance_type=s.web.instance_type,
                app_port=s.web.app_port,
                health_path=s.web.health_check_path,
                parameter_name=f"/{s.prefix}/web/baked-ami-id",
                schedule=s.web.image_pipeline.schedule,
            ),
            opts=p.opts(),
        )
        # `platformctl release --ami baked` reads the newest baked image from here.
        p.outputs.update(bakedImageParameter=baked.parameter_name, imagePipelineArn=baked.pipeline_arn)


def build_peering_probe(p: Platform) -> None:
    """The probe in the peer VPC, calling the web instances at home across the peering."""
    if p.peering is None or p.peer_provider is None:
        return
    s = p.settings
    assert p.network is not None and p.peer_network is not None
    endpoints = []
    if p.web is not None:
        endpoints.append(HomeEndpoint("web", p.web.instance_security_group_id, s.web.app_port))
    probe = PeeringProbe(
        f"{s.prefix}-peering-probe",
        PeeringProbeArgs(home=p.network, peer=p.peer_network, peer_provider=p.peer_provider,
                         peer_region=s.networking.peer.region, endpoints=endpoints,
                         log_retention_days=s.networking.flow_logs.retention_days),
        opts=p.opts(),
    )
    # Everything `platformctl peering-check` needs to find the hops of the path.
    p.outputs["peeringCheck"] = {
        "connectionId": p.peering.connection_id,
        "homeRegion": s.region,
        "peerRegion": s.networking.peer.region,
        "homeVpcId": p.network.vpc_id,
        "peerVpcId": p.peer_network.vpc_id,
        "homeCidr": p.network.vpc_cidr,
        "peerCidr": p.peer_network.vpc_cidr,
        "probeFunctionName": probe.function_name,
        "probeSecurityGroupId": probe.security_group_id,
        "probeSubnetIds": p.peer_network.private_subnet_ids,
        "endpoints": [{"label": e.label, "securityGroupId": e.security_group_id, "port": e.port} for e in endpoints],
    }


def build_container(p: Platform) -> None:
    """ContainerService: ECR + Fargate, on the web tier's ALB when there is one."""
    s = p.settings
    if not s.container.enabled:
        return
    assert p.network is not None  # settings require networking for the container area
    shared = None
    if p.web is not None:
        # One ALB per environment: a listener rule on the web tier's app listener.
        shared = SharedLoadBalancer(
            listener_arn=p.web.listener_arn,
            security_group_id=p.web.alb_security_group_id,
            arn_suffix=p.web.alb_arn_suffix,
            dns_name=p.web.alb_dns_name,
        )
    p.container = ContainerService(
        f"{s.prefix}-container",
        args_from(
            s.container, ContainerServiceArgs,
            environment=s.environment,
            region=s.region,
            vpc_id=p.network.vpc_id,
            private_subnet_ids=p.network.private_subnet_ids,
            public_subnet_ids=p.network.public_subnet_ids,
            image_tag=image_tag(s.container.image_version),
            shared_load_balancer=shared,
        ),
        opts=p.opts(),
    )
    p.outputs.update(
        containerRepositoryUrl=p.container.repository_url,
        containerServiceName=p.container.service_name,
        containerUrl=p.container.url,
    )


def build_messaging(p: Platform) -> None:
    """Messaging: SNS topic, SQS queue + DLQ, notifier and worker Lambdas."""
    s = p.settings
    if not s.messaging.enabled:
        return
    m = p.messaging = Messaging(f"{s.prefix}-messaging", args_from(s.messaging, MessagingArgs), opts=p.opts())
    p.outputs.update(
        topicArn=m.topic_arn,
        queueUrl=m.queue_url,
        dlqUrl=m.dlq_url,
        # Read by `platformctl latency` (and handy for operators).
        outcomesTopicArn=m.outcomes_topic_arn,
        workerFunctionName=m.worker_function_name,
        notifierFunctionName=m.notifier_function_name,
        idempotencyTableName=m.idempotency_table_name,
    )
    if m.state_machine_arn is not None:
        p.outputs["latencyStateMachineArn"] = m.state_machine_arn


def build_ocr(p: Platform) -> None:
    """TextExtraction: upload bucket, queue, Textract worker; its routes go on the API built next."""
    s = p.settings
    if not s.ocr.enabled:
        return
    from .text_extraction import TextExtraction, TextExtractionArgs

    p.ocr = TextExtraction(
        f"{s.prefix}-ocr",
        args_from(
            s.ocr, TextExtractionArgs,
            region=s.region,
            events_topic_arn=p.messaging.topic_arn if p.messaging else None,
            events_key_arn=p.messaging.key_arn if p.messaging else None,
            powertools_layer_version=s.serverless.powertools_layer_version,
        ),
        opts=p.opts(),
    )
    p.outputs.update(
        ocrBucketName=p.ocr.bucket_name,
        ocrTableName=p.ocr.table_name,
        ocrQueueUrl=p.ocr.queue_url,
        ocrWorkerFunctionName=p.ocr.worker_function_name,
    )


def build_serverless(p: Platform) -> None:
    """ServerlessApi: API Gateway + Lambda + DynamoDB + website (publishes to Messaging's topic)."""
    s = p.settings
    if not s.serverless.enabled:
        return
    from .serverless import ServerlessApi
    from .serverless_args import ServerlessApiArgs

    p.serverless = ServerlessApi(
        f"{s.prefix}-serverless",
        args_from(
            s.serverless, ServerlessApiArgs,
            stage_name=s.environment,
            region=s.region,
            events_topic_arn=p.messaging.topic_arn if p.messaging else None,
            events_key_arn=p.messaging.key_arn if p.messaging else None,
            grants=[p.ocr.api_grant()] if p.ocr else [],
            site_domain=s.domain.name if s.domain else None,
            site_certificate_arn=p.certificates.site_certificate_arn if p.certificates else None,
        ),
        opts=p.opts(),
    )
    if p.ocr is not None:
        p.ocr.allow_uploads_from(p.serverless.cors_origin)
    p.outputs.update(
        apiUrl=p.serverless.api_url,
        siteUrl=p.serverless.site_url,
        tableName=p.serverless.table_name,
    )


@dataclass
class Guardrails:
    backups: Backups | None = None
    alarms: Alarms | None = None


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


def build_certificates(p: Platform) -> None:
    """ACM certificates of the `domain` setting, before the listener and the distribution use them."""
    s = p.settings
    if s.domain is None:
        return
    from .edge import Certificates, CertificatesArgs

    site = s.serverless.enabled and s.serverless.hosting == "cloudfront"
    p.certificates = Certificates(
        f"{s.prefix}-certificates", CertificatesArgs(domain=s.domain, site=site, web=s.web.enabled), opts=p.opts())


def build_edge(p: Platform) -> None:
    """DNS aliases of the `domain` setting and the WAF web ACL on the ALB and the API stage."""
    s = p.settings
    if s.domain is None and not s.waf.enabled:
        return
    from .edge import DistributionTarget, EdgeProtection, EdgeProtectionArgs, LoadBalancerTarget

    alb = LoadBalancerTarget(p.web.alb_arn, p.web.alb_dns_name, p.web.alb_zone_id) if p.web else None
    distribution = getattr(p.serverless, "distribution", None)
    p.edge = EdgeProtection(
        f"{s.prefix}-edge",
        EdgeProtectionArgs(
            domain=s.domain, waf=s.waf, load_balancer=alb,
            distribution=DistributionTarget(distribution.domain_name, distribution.hosted_zone_id) if distribution else None,
            api_stage_arn=p.serverless.stage_arn if p.serverless else None,
        ),
        opts=p.opts(),
    )
    if s.domain is not None:
        p.outputs["domainName"] = s.domain.name
        if p.web is not None:
            p.outputs["webUrl"] = f"https://{s.domain.web_name}/"
    if p.edge.web_acl_arn is not None:
        p.outputs["webAclArn"] = p.edge.web_acl_arn


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
