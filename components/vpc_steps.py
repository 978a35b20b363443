"""Steps of the program in the VPC: networking (and its peer), the web tier, the peering probe
and the container service (each reads what the previous ones put on the `Platform`)."""

from __future__ import annotations

import pulumi

from .container import ContainerService
from .container_args import ContainerServiceArgs, SharedLoadBalancer
from .container_registry import image_tag
from .image_pipeline import WebImagePipeline, WebImagePipelineArgs
from .networking import AddressPlanArgs, NetworkingBase, NetworkingBaseArgs
from .peering import CrossRegionPeering, CrossRegionPeeringArgs
from .peering_probe import HomeEndpoint, PeeringProbe, PeeringProbeArgs
from .platform import Platform, args_from
from .providers import aws_provider
from .web_tier import ScalingWebTier
from .web_tier_args import ScalingWebTierArgs


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
