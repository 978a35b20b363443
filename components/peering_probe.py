"""PeeringProbe: proves that traffic crosses the cross-region peering.

A small Lambda in the peer VPC's private subnets opens TCP connections to private endpoints
at home (the web instances on their app port) and times them; `platformctl peering-check`
invokes it. Security groups cannot reference each other across regions, so both sides
admit the other VPC's CIDR, on the crossing ports only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from .blocks import LambdaFunction, LambdaFunctionArgs, Rule, add_rules, package_handler, security_group
from .networking import NetworkingBase

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"


@dataclass
class HomeEndpoint:
    """A private endpoint at home the probe calls across the peering."""

    label: str
    security_group_id: pulumi.Input[str]
    """Group of the endpoint: it gets an ingress rule from the peer CIDR."""
    port: int


@dataclass
class PeeringProbeArgs:
    home: NetworkingBase
    peer: NetworkingBase
    peer_provider: aws.Provider
    peer_region: str
    endpoints: list[HomeEndpoint] = field(default_factory=list)
    log_retention_days: int = 14


class PeeringProbe(pulumi.ComponentResource):
    function_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: PeeringProbeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:network:PeeringProbe", name, None, opts)
        home, peer = args.home, args.peer
        at_home = pulumi.ResourceOptions(parent=self)
        on_peer = pulumi.ResourceOptions(parent=self, provider=args.peer_provider)

        for endpoint in args.endpoints:
            add_rules(f"{name}-{endpoint.label}", endpoint.security_group_id, at_home, ingress={
                "from-peer": Rule(f"tcp/{endpoint.port} from the peer VPC over the peering", endpoint.port,
                                  cidr=peer.vpc_cidr)})
        group = security_group(
            f"{name}-sg", "Peering probe: out to the home VPC on the crossing ports only", peer.vpc_id, on_peer,
            egress={f"home-{port}": Rule(f"tcp/{port} to the home VPC over the peering", port, cidr=home.vpc_cidr)
                    for port in sorted({e.port for e in args.endpoints})},
            rule_prefix=name,
        )
        function = LambdaFunction(
            name,
            LambdaFunctionArgs(
                code=package_handler(FUNCTIONS_DIR, "peering_probe"),
                handler="peering_probe.app.lambda_handler",
                region=args.peer_region,
                description="Times TCP connections from the peer VPC to private endpoints at home",
                role_description="Peering probe Lambda: its log group and VPC network interfaces, nothing else",
                architecture="arm64",
                timeout=60,
                log_retention_days=args.log_retention_days,
                vpc_config=aws.lambda_.FunctionVpcConfigArgs(subnet_ids=peer.private_subnet_ids,
                                                             security_group_ids=[group.id]),
            ),
            opts=pulumi.ResourceOptions(parent=self, providers={"aws": args.peer_provider}),
        )
        self.function_name = function.name
        self.security_group_id = group.id
        self.register_outputs({"functionName": self.function_name, "securityGroupId": self.security_group_id})
