"""The NAT instance of natStrategy `instance`, on-demand or as a Spot Auto Scaling group of one.

on-demand: one EC2 instance; the private routes point at its primary network interface and
EC2's automatic recovery moves it to healthy hardware keeping that interface.

spot: the fck-nat "HA mode" pattern. A fixed network interface (source/destination check off)
is the private routes' target; an Auto Scaling group of one Spot instance attaches it as its
second interface at boot and masquerades out of its own primary interface (the one public
IPv4 address). An interruption or a failed status check terminates the instance, the group
launches another, and it takes the same interface over: routes never change, nothing to
recover by hand. Egress pauses for the replacement's boot (a few minutes).
"""

from __future__ import annotations

import base64
import ipaddress
import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .ec2_instances import latest_al2023, ssm_instance_profile

ROLE_TAG = {"Role": "nat"}


def nat_script(vpc_cidr: str) -> str:
    """User data turning Amazon Linux 2023 into a NAT for the VPC (forwarding + masquerade)."""
    return f"""#!/bin/bash
set -euo pipefail
dnf install -y iptables-services
echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf
sysctl -p /etc/sysctl.d/90-nat.conf
systemctl enable --now iptables
uplink=$(ip route show default | awk '{{print $5; exit}}')
iptables -F FORWARD
iptables -t nat -A POSTROUTING -o "$uplink" -s {vpc_cidr} -j MASQUERADE
service iptables save
"""


def nat_up_script(vpc_cidr: str, subnet_cidr: str, eni_id: str) -> str:
    """/usr/local/sbin/nat-up of the Spot NAT, run at every boot: attach the fixed interface, send
    the VPC's return traffic back through it, masquerade the rest out of the primary interface.

    The VPC router is the subnet's first address + 1. Replies must leave through the fixed
    interface: the primary one keeps its source/destination check and its security group lets
    only HTTP(S) out. Amazon Linux 2023 names each interface also by its ENI id (altname). No
    firewall service runs: FORWARD accepts, and the rules are set here at each boot.
    """
    router = ipaddress.IPv4Network(subnet_cidr).network_address + 1
    return f"""#!/bin/bash
set -euo pipefail
token=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)
meta() {{ curl -sf -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"; }}
region=$(meta placement/region)
instance=$(meta instance-id)
# The interface stays attached to a terminating predecessor for a while: retry until it is ours.
until ip link show dev {eni_id} >/dev/null 2>&1; do
  aws ec2 attach-network-interface --region "$region" --instance-id "$instance" \\
    --device-index 1 --network-interface-id {eni_id} || sleep 10
  sleep 2
done
sysctl -w net.ipv4.ip_forward=1
ip route replace {vpc_cidr} via {router} dev {eni_id}
iptables -P FORWARD ACCEPT
iptables -F FORWARD
iptables -t nat -C POSTROUTING -s {vpc_cidr} ! -d {vpc_cidr} -j MASQUERADE 2>/dev/null \\
  || iptables -t nat -A POSTROUTING -s {vpc_cidr} ! -d {vpc_cidr} -j MASQUERADE
"""


def spot_nat_script(vpc_cidr: str, subnet_cidr: str, eni_id: str) -> str:
    """User data of the Spot NAT: install nat-up (`nat_up_script`) as a systemd unit run at every boot."""
    return f"""#!/bin/bash
set -euo pipefail
# The iptables tools only: no firewall service (its default ruleset rejects forwarded packets).
dnf install -y iptables-nft
cat > /usr/local/sbin/nat-up <<'EOF'
{nat_up_script(vpc_cidr, subnet_cidr, eni_id)}EOF
chmod 0755 /usr/local/sbin/nat-up
cat > /etc/systemd/system/nat-up.service <<'EOF'
[Unit]
Description=NAT through the fixed network interface
Wants=network-online.target
After=network-online.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/nat-up
RemainAfterExit=yes
[Install]
WantedBy=multi-user.target
EOF
systemctl daemon-reload
systemctl enable --now nat-up
"""


@dataclass
class Nat:
    """What the network needs from its NAT: the route target and what the alarms watch."""

    network_interface_id: pulumi.Output[str]
    """Target of every private table's 0.0.0.0/0 route."""
    instance_id: pulumi.Output[str] | None = None
    """The on-demand instance (status-check alarms recover or reboot it)."""
    group_name: pulumi.Output[str] | None = None
    """The Spot group of one (an alarm pages when it has no instance in service)."""


def nat_security_group(name: str, vpc_id: pulumi.Input[str], vpc_cidr: str, parent: pulumi.Resource) -> aws.ec2.SecurityGroup:
    return aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=vpc_id,
        description="NAT instance: forwards HTTP(S) from inside the VPC only",
        # Only what private workloads need outside (ECR, CloudWatch Logs, SSM, package
        # mirrors): HTTP(S) from the VPC; nothing reaches the instance itself from outside.
        ingress=[aws.ec2.SecurityGroupIngressArgs(
            protocol="tcp", from_port=port, to_port=port, cidr_blocks=[vpc_cidr], description=f"{port} from the VPC")
            for port in (80, 443)],
        # Egress filters the forwarded traffic too: only HTTP(S) leaves, as it came in. DNS
        # (Route 53 Resolver at VPC+2) and time sync (169.254.169.123) are not filtered by SGs.
        egress=[aws.ec2.SecurityGroupEgressArgs(
            protocol="tcp", from_port=port, to_port=port, cidr_blocks=["0.0.0.0/0"], description=f"{port} to the internet")
            for port in (80, 443)],
        tags={"Name": f"{name}-sg"},
        opts=pulumi.ResourceOptions(parent=parent),
    )


def on_demand_nat(name: str, instance_type: str, subnet: aws.ec2.Subnet, group: aws.ec2.SecurityGroup, vpc_cidr: str,
                  igw: aws.ec2.InternetGateway, parent: pulumi.Resource) -> Nat:
    nat = aws.ec2.Instance(
        f"{name}-instance",
        ami=latest_al2023(instance_type, parent),
        instance_type=instance_type,
        subnet_id=subnet.id,
        associate_public_ip_address=True,
        source_dest_check=False,  # it forwards packets that are not addressed to it
        vpc_security_group_ids=[group.id],
        iam_instance_profile=ssm_instance_profile(name, f"{name} (NAT instance)", parent).name,
        user_data=nat_script(vpc_cidr),
        user_data_replace_on_change=True,
        metadata_options=aws.ec2.InstanceMetadataOptionsArgs(
            http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1),
        root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(volume_type="gp3", volume_size=8, encrypted=True),
        # Simplified automatic recovery: on a failed system status check EC2 moves the instance
        # to healthy hardware keeping its id, ENI (the private routes' target) and public IP.
        maintenance_options=aws.ec2.InstanceMaintenanceOptionsArgs(auto_recovery="default"),
        tags={"Name": f"{name}-instance", **ROLE_TAG},
        # A newer AL2023 image must not replace (and cut the egress of) the NAT on a routine
        # `up`; patch it through SSM, or taint/replace it on purpose.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[igw], ignore_changes=["ami"]),
    )
    return Nat(network_interface_id=nat.primary_network_interface_id, instance_id=nat.id)


def spot_nat(name: str, instance_type: str, subnet: aws.ec2.Subnet, subnet_cidr: str, group: aws.ec2.SecurityGroup,
             vpc_cidr: str, igw: aws.ec2.InternetGateway, parent: pulumi.Resource) -> Nat:
    child = pulumi.ResourceOptions(parent=parent)
    eni = aws.ec2.NetworkInterface(
        f"{name}-eni",
        subnet_id=subnet.id,
        security_groups=[group.id],
        source_dest_check=False,  # it receives and sends packets addressed to and from others
        description=f"{name}: private routes' target, attached by the Spot NAT instance at boot",
        tags={"Name": f"{name}-eni", **ROLE_TAG},
        opts=child,
    )
    profile = ssm_instance_profile(name, f"{name} (Spot NAT instance)", parent)
    template = aws.ec2.LaunchTemplate(
        f"{name}-lt",
        description=f"{name}: Spot NAT instance of a group of one",
        image_id=latest_al2023(instance_type, parent),
        instance_type=instance_type,
        iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
        # The primary interface carries the one public IPv4 address; with a network interface
        # here, its security groups must be set on it, not on the template (AWS refuses both).
        network_interfaces=[aws.ec2.LaunchTemplateNetworkInterfaceArgs(
            device_index=0, associate_public_ip_address="true", delete_on_termination="true",
            security_groups=[group.id])],
        user_data=eni.id.apply(lambda eni_id: base64.b64encode(
            spot_nat_script(vpc_cidr, subnet_cidr, eni_id).encode()).decode()),
        update_default_version=True,
        # AWS advises standard credits for T4g/T3 Spot: unlimited bills surplus credits.
        credit_specification=aws.ec2.LaunchTemplateCreditSpecificationArgs(cpu_credits="standard"),
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1),
        block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name="/dev/xvda",  # root device of Amazon Linux 2023
            ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                volume_type="gp3", volume_size=8, encrypted="true", delete_on_termination="true"))],
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="instance", tags={"Name": f"{name}-spot", **ROLE_TAG}),
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="volume", tags={"Name": f"{name}-spot"}),
        ],
        tags={"Name": f"{name}-lt"},
        opts=child,
    )
    asg = aws.autoscaling.Group(
        f"{name}-asg",
        min_size=1,
        max_size=1,
        desired_capacity=1,
        vpc_zone_identifiers=[subnet.id],  # the fixed interface's zone: it attaches only there
        health_check_type="EC2",  # a failed status check replaces the instance
        mixed_instances_policy=aws.autoscaling.GroupMixedInstancesPolicyArgs(
            instances_distribution=aws.autoscaling.GroupMixedInstancesPolicyInstancesDistributionArgs(
                on_demand_base_capacity=0,
                on_demand_percentage_above_base_capacity=0,
                spot_allocation_strategy="price-capacity-optimized",
            ),
            launch_template=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateArgs(
                launch_template_specification=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecificationArgs(
                    launch_template_id=template.id, version=template.latest_version.apply(str)),
                overrides=[aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateOverrideArgs(instance_type=instance_type)],
            ),
        ),
        enabled_metrics=["GroupInServiceInstances"],  # the alarm's metric (group metrics are free)
        tags=[aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=True)
              for k, v in {"Name": f"{name}-spot", **ROLE_TAG}.items()],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[igw]),
    )
    _attach_policy(name, profile, eni, asg, parent)
    return Nat(network_interface_id=eni.id, group_name=asg.name)


def _attach_policy(name: str, profile: aws.iam.InstanceProfile, eni: aws.ec2.NetworkInterface,
                   asg: aws.autoscaling.Group, parent: pulumi.Resource) -> None:
    """AttachNetworkInterface authorises on the interface and on the instance: the one interface
    by ARN, instances only of this group (the tag Auto Scaling puts on what it launches)."""
    region = aws.get_region_output(opts=pulumi.InvokeOptions(parent=parent)).region
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=parent)).account_id
    aws.iam.RolePolicy(
        f"{name}-attach-eni",
        role=profile.role,
        policy=pulumi.Output.all(eni.arn, region, account, asg.name).apply(lambda a: json.dumps({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "TheNatInterface", "Effect": "Allow", "Action": ["ec2:AttachNetworkInterface"],
                 "Resource": [a[0]]},
                {"Sid": "OnInstancesOfTheGroup", "Effect": "Allow", "Action": ["ec2:AttachNetworkInterface"],
                 "Resource": [f"arn:aws:ec2:{a[1]}:{a[2]}:instance/*"],
                 "Condition": {"StringEquals": {"aws:ResourceTag/aws:autoscaling:groupName": a[3]}}},
            ],
        })),
        opts=pulumi.ResourceOptions(parent=parent),
    )
