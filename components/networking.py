"""NetworkingBase: one VPC with public and private subnets over N availability zones.

Modelled on terraform-aws-modules/vpc: compute lives in private subnets, public subnets
hold only load balancers and NAT gateways, and gateway endpoints let private subnets
reach S3 and DynamoDB (package mirrors included) without paying for a NAT gateway.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .alarms import AlarmTargets
from .nat_instance import Nat, nat_security_group, on_demand_nat, spot_nat
from .settings.base import NAMESPACE, SettingsError
from .settings.networking import subnet_cidrs


@dataclass(frozen=True)
class AddressPlanArgs:
    """How one VPC is cut into subnets: 2 x az_count subnets of /subnet_prefix, and its egress."""

    cidr: str = "10.0.0.0/16"
    az_count: int = 2
    subnet_prefix: int = 20
    nat_strategy: str = "none"
    """none (gateway endpoints only), instance (one NAT instance), single or per_az NAT gateways."""
    nat_instance_type: str = "t4g.nano"
    nat_instance_market: str = "on-demand"
    """on-demand (one instance, EC2 recovers it) or spot (a Spot Auto Scaling group of one)."""


@dataclass
class NetworkingBaseArgs:
    """Inputs of NetworkingBase.

    The address plan is plain data, not `pulumi.Input`: the number of subnets, route
    tables and NAT gateways is decided in Python, before any resource exists.
    """

    plan: AddressPlanArgs
    """CIDR, AZ count, subnet size and NAT strategy."""
    region: str
    """Region the provider of this component targets (for endpoint service names)."""
    flow_log_retention_days: int | None = 30
    """Retention of the VPC flow log group; None disables flow logs."""
    flow_log_traffic_type: str = "ALL"
    az_count_key: str = "networking.azCount"
    """Setting that chose `plan.az_count`, named when the region has fewer zones."""


class NetworkingBase(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    availability_zones: list[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    public_route_table_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkingBaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:network:NetworkingBase", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        plan = args.plan

        zones = aws.get_availability_zones(state="available", opts=pulumi.InvokeOptions(parent=self))
        if len(zones.names) < plan.az_count:
            # A config mistake, reported like every other one (one line, exit 2 in platformctl).
            raise SettingsError(
                f"{NAMESPACE}:{args.az_count_key} must be <= {len(zones.names)} in region {args.region}, which "
                f"offers {', '.join(zones.names)} (got {plan.az_count})"
            )
        self.availability_zones = list(zones.names[: plan.az_count])
        self.vpc_cidr = plan.cidr

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=plan.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{name}-vpc"},
            opts=self._child,
        )
        self.vpc_id = self.vpc.id
        # Managing the default SG with no rules strips AWS's allow-all-within-group default
        # (CIS 5.4 / FSBP EC2.2): anything that needs traffic gets its own group.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            # Tag values allow letters, numbers, spaces and _.:/=+-@ only (no parentheses or commas).
            tags={"Name": f"{name}-default-sg unused - no rules"},
            opts=self._child,
        )

        public_cidrs, private_cidrs = subnet_cidrs(plan)
        self._public_tier(public_cidrs)
        self.nat_instance_id: pulumi.Output[str] | None = None
        self.nat_group_name: pulumi.Output[str] | None = None
        if plan.nat_strategy == "instance":
            nat = self._nat_instance(plan.nat_instance_type, plan.nat_instance_market, public_cidrs[0])
            self.nat_instance_id, self.nat_group_name = nat.instance_id, nat.group_name
            nat_ids, target = [nat.network_interface_id], "network_interface_id"
        else:
            nat_ids, target = self._nat_gateways(plan.nat_strategy), "nat_gateway_id"
        self._private_tier(private_cidrs, nat_ids, target)
        self._gateway_endpoints(args.region)
        if args.flow_log_retention_days is not None:
            self._flow_logs(args.flow_log_retention_days, args.flow_log_traffic_type)

        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "vpcCidr": self.vpc_cidr,
                "availabilityZones": self.availability_zones,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "publicRouteTableIds": self.public_route_table_ids,
                "privateRouteTableIds": self.private_route_table_ids,
            }
        )

    def alarm_targets(self) -> AlarmTargets:
        """The on-demand NAT instance, the one single instance nothing else replaces, or the Spot
        NAT's group of one (none with NAT gateways)."""
        nat, group = self.nat_instance_id, self.nat_group_name
        return AlarmTargets(instances=[("nat", nat)] if nat is not None else [],
                            groups=[("nat", group)] if group is not None else [])

    def _suffix(self, az: str) -> str:
        return az[-1]  # eu-west-1a -> a: stable names that still say which zone

    def _public_tier(self, cidrs: list[str]) -> None:
        name = self._name
        self.igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": f"{name}-igw"}, opts=self._child
        )
        table = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=self.vpc.id, tags={"Name": f"{name}-public"}, opts=self._child
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=self.igw.id,
            opts=self._child,
        )
        self.public_route_table_ids = [table.id]
        self.public_subnets: list[aws.ec2.Subnet] = []
        for az, cidr in zip(self.availability_zones, cidrs, strict=True):
            s = self._suffix(az)
            subnet = aws.ec2.Subnet(
                f"{name}-public-{s}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=az,
                # Nothing we run gets a public IP by accident; ALBs and NAT use their own.
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-public-{s}", "Tier": "public"},
                opts=self._child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{s}", subnet_id=subnet.id, route_table_id=table.id, opts=self._child
            )
            self.public_subnets.append(subnet)
        self.public_subnet_ids = [s.id for s in self.public_subnets]

    def _nat_gateways(self, strategy: str) -> list[pulumi.Output[str]]:
        """One NAT per AZ (`per_az`), one shared (`single`) or none (dev: endpoints only)."""
        count = {"none": 0, "single": 1, "per_az": len(self.public_subnets)}[strategy]
        nat_ids = []
        for az, subnet in list(zip(self.availability_zones, self.public_subnets, strict=True))[:count]:
            s = self._suffix(az)
            eip = aws.ec2.Eip(
                f"{self._name}-nat-{s}", domain="vpc", tags={"Name": f"{self._name}-nat-{s}"}, opts=self._child
            )
            nat = aws.ec2.NatGateway(
                f"{self._name}-nat-{s}",
                allocation_id=eip.id,
                subnet_id=subnet.id,
                tags={"Name": f"{self._name}-nat-{s}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.igw]),
            )
            nat_ids.append(nat.id)
        return nat_ids

    def _nat_instance(self, instance_type: str, market: str, subnet_cidr: str) -> Nat:
        """One small EC2 instance doing NAT (natStrategy `instance`): egress for about $7/month
        on-demand, ~$5 as Spot (components/nat_instance.py).

        A NAT gateway costs ~$33/month before traffic and interface endpoints ~$8/month each
        per AZ; for dev, one instance that masquerades the VPC's traffic is enough. It is a
        single point of failure and scales with its instance type, hence prod uses gateways.
        """
        name = f"{self._name}-nat"
        group = nat_security_group(name, self.vpc.id, self.vpc_cidr, self)
        subnet = self.public_subnets[0]
        if market == "spot":
            return spot_nat(name, instance_type, subnet, subnet_cidr, group, self.vpc_cidr, self.igw, self)
        return on_demand_nat(name, instance_type, subnet, group, self.vpc_cidr, self.igw, self)

    def _private_tier(self, cidrs: list[str], nat_ids: list[pulumi.Output[str]], target: str) -> None:
        name = self._name
        self.private_subnet_ids = []
        self.private_route_table_ids = []
        for index, (az, cidr) in enumerate(zip(self.availability_zones, cidrs, strict=True)):
            s = self._suffix(az)
            subnet = aws.ec2.Subnet(
                f"{name}-private-{s}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-private-{s}", "Tier": "private"},
                opts=self._child,
            )
            # A table per AZ even without NAT: switching strategy later changes routes, not tables.
            table = aws.ec2.RouteTable(
                f"{name}-private-rt-{s}", vpc_id=self.vpc.id, tags={"Name": f"{name}-private-{s}"}, opts=self._child
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{s}", subnet_id=subnet.id, route_table_id=table.id, opts=self._child
            )
            if nat_ids:
                # per_az: the NAT in this AZ, so losing one AZ never cuts egress of another.
                aws.ec2.Route(
                    f"{name}-private-default-{s}",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    **{target: nat_ids[index % len(nat_ids)]},
                    opts=self._child,
                )
            self.private_subnet_ids.append(subnet.id)
            self.private_route_table_ids.append(table.id)

    def _gateway_endpoints(self, region: str) -> None:
        # Gateway endpoints are free; they keep S3/DynamoDB traffic (and dnf's S3-hosted
        # Amazon Linux mirrors) off the NAT and let no-NAT stacks still install packages.
        for service in ("s3", "dynamodb"):
            aws.ec2.VpcEndpoint(
                f"{self._name}-{service}-endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=self.private_route_table_ids,
                tags={"Name": f"{self._name}-{service}"},
                opts=self._child,
            )

    def _flow_logs(self, retention_days: int, traffic_type: str) -> None:
        name = self._name
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/vpc/{name}/flow-logs",
            retention_in_days=retention_days,
            opts=self._child,
        )
        identity = aws.get_caller_identity(opts=pulumi.InvokeOptions(parent=self))
        role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            # Confused-deputy guard: only flow logs of this account may assume it.
                            "Condition": {"StringEquals": {"aws:SourceAccount": identity.account_id}},
                        }
                    ],
                }
            ),
            opts=self._child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogStream",
                                    "logs:PutLogEvents",
                                    "logs:DescribeLogStreams",
                                ],
                                "Resource": [arn, f"{arn}:*"],
                            },
                            {
                                # AWS's documented flow-log set; DescribeLogGroups lists, so it
                                # names the region's log groups, not one group.
                                "Effect": "Allow",
                                "Action": ["logs:DescribeLogGroups"],
                                "Resource": arn.split(":log-group:")[0] + ":log-group:*",
                            },
                        ],
                    }
                )
            ),
            opts=self._child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type=traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{name}-flow-log"},
            opts=self._child,
        )
