"""What every EC2 instance of the platform shares: the Amazon Linux 2023 image, the SSM role."""

from __future__ import annotations

import json
import re

import pulumi
import pulumi_aws as aws

# Current Amazon Linux 2023 images, published by AWS as public SSM parameters.
AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
# Graviton families carry a "g" among the attributes after the generation digit (t4g, c6gn, x2gd).
_GRAVITON = re.compile(r"^[a-z]+\d[a-z-]*g[a-z-]*\.")
SSM_CORE_POLICY = "arn:{partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"


def architecture(instance_type: str) -> str:
    return "arm64" if _GRAVITON.match(instance_type) else "x86_64"


def latest_al2023(instance_type: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    """The newest AL2023 image for the type's architecture.

    "Latest" moves when AWS publishes a new image, and a new image replaces what uses it:
    pin an AMI id where that must not happen under you.
    """
    parameter = AL2023_PARAMETER.format(arch=architecture(instance_type))
    return aws.ssm.get_parameter(name=parameter, opts=pulumi.InvokeOptions(parent=parent)).value


def ssm_instance_profile(name: str, purpose: str, parent: pulumi.Resource) -> aws.iam.InstanceProfile:
    """A role with only AmazonSSMManagedInstanceCore: Session Manager instead of SSH keys."""
    child = pulumi.ResourceOptions(parent=parent)
    partition = aws.get_partition(opts=pulumi.InvokeOptions(parent=parent)).partition
    role = aws.iam.Role(
        f"{name}-instance-role",
        description=f"{purpose}: SSM Session Manager instead of SSH keys",
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
        opts=child,
    )
    aws.iam.RolePolicyAttachment(
        f"{name}-instance-ssm",
        role=role.name,
        policy_arn=SSM_CORE_POLICY.format(partition=partition),
        opts=child,
    )
    return aws.iam.InstanceProfile(f"{name}-instance-profile", role=role.name, opts=child)
