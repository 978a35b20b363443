"""PeeringProbe: proves that traffic crosses the cross-region peering.

A small Lambda in the peer VPC's private subnets opens TCP connections to private endpoints
at home (the web instances on their app port) and times them; `platformctl peering-check`
invokes it. Security groups cannot reference each other across regions, so both sides
admit the other VPC's CIDR, on the crossing ports only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from .lambda_runtime import RUNTIME
from .networking import NetworkingBase

PROBE_DIR = Path(__file__).resolve().parent.parent / "functions" / "peering_probe"
# ENI management for a function in a VPC; AWS grants these on "*" only (AWSLambdaVPCAccessExecutionRole).
VPC_ACCESS_ACTIONS = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
                      "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]


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
    endpoints: list[HomeEndpoint] = field(default_factory=list)
    log_retention_days: int = 14


class PeeringProbe(pulumi.ComponentResource):
    function_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: PeeringProbeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:network:PeeringProbe", name, None, opts)
        home, peer = args.home, args.peer
        ports = sorted({e.port for e in args.endpoints})
        at_home = pulumi.ResourceOptions(parent=self)
        on_peer = pulumi.ResourceOptions(parent=self, provider=args.peer_provider)

        for endpoint in args.endpoints:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{endpoint.label}-from-peer",
                security_group_id=endpoint.security_group_id,
                ip_protocol="tcp",
                from_port=endpoint.port,
                to_port=endpoint.port,
                cidr_ipv4=peer.vpc_cidr,
                description=f"tcp/{endpoint.port} from the peer VPC over the peering",
                opts=at_home,
            )
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=peer.vpc_id,
            description="Peering probe: out to the home VPC on the crossing ports only",
            tags={"Name": f"{name}-sg"},
            opts=on_peer,
        )
        for port in ports:
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-to-home-{port}",
                security_group_id=group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4=home.vpc_cidr,
                description=f"tcp/{port} to the home VPC over the peering",
                opts=on_peer,
            )

        function_name = f"{name}"
        logs = aws.cloudwatch.LogGroup(f"{name}-logs", name=f"/aws/lambda/{function_name}",
                                       retention_in_days=args.log_retention_days, opts=on_peer)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
        role = aws.iam.Role(
            f"{name}-role",
            description="Peering probe Lambda: its log group and VPC network interfaces, nothing else",
            assume_role_policy=account.apply(lambda a: json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": a}}}],
            })),
            opts=on_peer,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=logs.arn.apply(lambda arn: json.dumps({
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "OwnLogGroup", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                     "Resource": [f"{arn}:*"]},
                    {"Sid": "VpcNetworkInterfaces", "Effect": "Allow", "Action": VPC_ACCESS_ACTIONS, "Resource": "*"},
                ],
            })),
            opts=on_peer,
        )
        function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description="Times TCP connections from the peer VPC to private endpoints at home",
            runtime=RUNTIME,
            architectures=["arm64"],
            handler="peering_probe.app.lambda_handler",
            code=pulumi.AssetArchive({f"peering_probe/{f.name}": pulumi.FileAsset(str(f))
                                      for f in sorted(PROBE_DIR.glob("*.py"))}),
            role=role.arn,
            timeout=60,
            memory_size=128,
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(subnet_ids=peer.private_subnet_ids,
                                                         security_group_ids=[group.id]),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=logs.name),
            # Lambda checks the role's ENI permissions when the function is created in a VPC.
            opts=pulumi.ResourceOptions(parent=self, provider=args.peer_provider, depends_on=[logs, policy]),
        )
        self.function_name = function.name
        self.security_group_id = group.id
        self.register_outputs({"functionName": self.function_name, "securityGroupId": self.security_group_id})
