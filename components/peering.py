"""CrossRegionPeering: the course project "Cross Region VPC".

The requester side lives in the home region, the accepter in the peer region through the
peer VPC's provider; every route table on each side gets a route to the other side's CIDR.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .networking import NetworkingBase


@dataclass
class CrossRegionPeeringArgs:
    home: NetworkingBase
    """The requesting VPC (home region, default provider of this component)."""
    peer: NetworkingBase
    """The accepting VPC in another region."""
    peer_region: str
    peer_provider: aws.Provider
    """Provider of the peer region: the accepter and the peer-side routes go through it."""


class CrossRegionPeering(pulumi.ComponentResource):
    connection_id: pulumi.Output[str]

    def __init__(self, name: str, args: CrossRegionPeeringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:network:CrossRegionPeering", name, None, opts)
        home, peer = args.home, args.peer
        connection = aws.ec2.VpcPeeringConnection(
            f"{name}-requester",
            vpc_id=home.vpc_id,
            peer_vpc_id=peer.vpc_id,
            peer_region=args.peer_region,
            # Inter-region peering cannot be auto-accepted by the requester.
            auto_accept=False,
            tags={"Name": f"{name}", "Side": "requester"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_peer = pulumi.ResourceOptions(parent=self, provider=args.peer_provider)
        accepter = aws.ec2.VpcPeeringConnectionAccepter(
            f"{name}-accepter",
            vpc_peering_connection_id=connection.id,
            auto_accept=True,
            tags={"Name": f"{name}", "Side": "accepter"},
            opts=on_peer,
        )
        self.connection_id = connection.id
        # Routes wait for the accepter: a route to a pending connection is rejected by EC2.
        after_accept = pulumi.ResourceOptions(parent=self, depends_on=[accepter])
        # DNS over the peering: a query from one side for a public DNS hostname of an instance on
        # the other side answers its private address, so traffic by name stays on the peering.
        # Inter-region, each side's option can only be set in that side's region, on an active
        # connection (hence the accepter's provider and the dependency).
        aws.ec2.PeeringConnectionOptions(
            f"{name}-requester-dns",
            vpc_peering_connection_id=accepter.id,
            requester=aws.ec2.PeeringConnectionOptionsRequesterArgs(allow_remote_vpc_dns_resolution=True),
            opts=after_accept,
        )
        aws.ec2.PeeringConnectionOptions(
            f"{name}-accepter-dns",
            vpc_peering_connection_id=accepter.id,
            accepter=aws.ec2.PeeringConnectionOptionsAccepterArgs(allow_remote_vpc_dns_resolution=True),
            opts=pulumi.ResourceOptions(parent=self, provider=args.peer_provider, depends_on=[accepter]),
        )
        self._routes(f"{name}-to-peer", home, peer.vpc_cidr, connection.id, after_accept)
        self._routes(
            f"{name}-to-home",
            peer,
            home.vpc_cidr,
            accepter.id,
            pulumi.ResourceOptions(parent=self, provider=args.peer_provider, depends_on=[accepter]),
        )
        self.register_outputs({"connectionId": self.connection_id})

    @staticmethod
    def _routes(prefix, side: NetworkingBase, destination: str, connection_id, opts) -> None:
        tiers = {"public": side.public_route_table_ids, "private": side.private_route_table_ids}
        for tier, table_ids in tiers.items():
            for index, table_id in enumerate(table_ids):
                aws.ec2.Route(
                    f"{prefix}-{tier}-{index}",
                    route_table_id=table_id,
                    destination_cidr_block=destination,
                    vpc_peering_connection_id=connection_id,
                    opts=opts,
                )
