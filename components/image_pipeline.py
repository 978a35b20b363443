"""WebImagePipeline: the course's "Prebaking" as an EC2 Image Builder pipeline.

Recipe = AWS's Amazon Linux 2023 parent image (the instance type's architecture) plus one
component that does at build time what the web tier's bootstrap does at boot (install and
enable Apache on the app port, answer the health path). The build runs in a private subnet
with IMDSv2 and an egress-only security group; the distribution writes the new AMI id into
an SSM parameter, which `platformctl release --ami baked` reads and pins in stack config.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .blocks.security_group import Rule, security_group
from .ec2_instances import architecture

# Image Builder's managed Amazon Linux 2023 images; x.x.x = the newest version at each build.
PARENT_IMAGE = "arn:{partition}:imagebuilder:{region}:aws:image/amazon-linux-2023-{arch}/x.x.x"
BUILDER_POLICIES = ("AmazonSSMManagedInstanceCore", "EC2InstanceProfileForImageBuilder")


def build_commands(port: int, health_path: str) -> list[str]:
    """The bootstrap's slow part, baked: packages installed and the server enabled at build time."""
    health_file = "/var/www/html" + (health_path if health_path != "/" else "/index.html")
    return [
        "dnf install -y httpd",
        f"sed -i 's/^Listen 80$/Listen {port}/' /etc/httpd/conf/httpd.conf",
        f"mkdir -p \"$(dirname '{health_file}')\" && [ -f '{health_file}' ] || echo ok > '{health_file}'",
        "systemctl enable httpd",
    ]


def component_document(port: int, health_path: str) -> str:
    return json.dumps({  # YAML is a superset of JSON: Image Builder accepts this document as is
        "schemaVersion": 1.0,
        "description": "Apache for the cloud-platform web tier (prebaked bootstrap)",
        "phases": [
            {"name": "build", "steps": [{"name": "InstallWebServer", "action": "ExecuteBash",
                                         "inputs": {"commands": build_commands(port, health_path)}}]},
            {"name": "test", "steps": [{"name": "WebServerEnabled", "action": "ExecuteBash",
                                        "inputs": {"commands": ["systemctl is-enabled httpd", "rpm -q httpd"]}}]},
        ],
    })


def content_version(*parts: str) -> str:
    """Image Builder versions are immutable per name: a changed document gets a new patch version."""
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return f"1.0.{int(digest[:7], 16)}"


@dataclass
class WebImagePipelineArgs:
    """Inputs of WebImagePipeline."""

    vpc_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    """A private subnet with a way out (NAT or endpoints) for packages and Image Builder's SSM agent."""
    region: str
    instance_type: str
    app_port: int
    health_path: str
    parameter_name: str
    """SSM parameter the distribution writes the new image id into."""
    schedule: str = ""
    """Image Builder cron expression; empty: builds only when started (`aws imagebuilder start-image-pipeline-execution`)."""


class WebImagePipeline(pulumi.ComponentResource):
    pipeline_arn: pulumi.Output[str]
    parameter_name: str

    def __init__(self, name: str, args: WebImagePipelineArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:web:ImagePipeline", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        partition = aws.get_partition(opts=pulumi.InvokeOptions(parent=self)).partition
        arch = architecture(args.instance_type)
        self.parameter_name = args.parameter_name

        role = aws.iam.Role(
            f"{name}-role",
            description=f"{name}: Image Builder build instances",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            opts=child,
        )
        for policy in BUILDER_POLICIES:
            aws.iam.RolePolicyAttachment(f"{name}-{policy}", role=role.name,
                                         policy_arn=f"arn:{partition}:iam::aws:policy/{policy}", opts=child)
        profile = aws.iam.InstanceProfile(f"{name}-profile", role=role.name, opts=child)
        group = security_group(
            f"{name}-sg", f"{name}: build instances, no inbound", args.vpc_id, child, rule_prefix=name,
            egress={"https": Rule("HTTPS out: packages, SSM, Image Builder", 443, cidr="0.0.0.0/0"),
                    "http": Rule("HTTP out: package mirrors", 80, cidr="0.0.0.0/0")},
        )

        document = component_document(args.app_port, args.health_path)
        component = aws.imagebuilder.Component(
            f"{name}-web-server",
            name=f"{name}-web-server",
            platform="Linux",
            version=content_version(document),
            data=document,
            description="Apache on the app port, health path answered",
            opts=child,
        )
        parent_image = PARENT_IMAGE.format(partition=partition, region=args.region, arch=arch)
        recipe = aws.imagebuilder.ImageRecipe(
            f"{name}-recipe",
            name=f"{name}-recipe",
            parent_image=parent_image,
            version=content_version(parent_image, document),
            components=[aws.imagebuilder.ImageRecipeComponentArgs(component_arn=component.arn)],
            block_device_mappings=[aws.imagebuilder.ImageRecipeBlockDeviceMappingArgs(
                device_name="/dev/xvda",
                ebs=aws.imagebuilder.ImageRecipeBlockDeviceMappingEbsArgs(
                    volume_type="gp3", encrypted="true", delete_on_termination="true"),
            )],
            opts=child,
        )
        infrastructure = aws.imagebuilder.InfrastructureConfiguration(
            f"{name}-infra",
            name=f"{name}-infra",
            instance_profile_name=profile.name,
            instance_types=[args.instance_type],
            subnet_id=args.subnet_id,
            security_group_ids=[group.id],
            terminate_instance_on_failure=True,
            instance_metadata_options=aws.imagebuilder.InfrastructureConfigurationInstanceMetadataOptionsArgs(
                http_tokens="required", http_put_response_hop_limit=1),
            opts=child,
        )
        distribution = aws.imagebuilder.DistributionConfiguration(
            f"{name}-distribution",
            name=f"{name}-distribution",
            distributions=[aws.imagebuilder.DistributionConfigurationDistributionArgs(
                region=args.region,
                ami_distribution_configuration=aws.imagebuilder.DistributionConfigurationDistributionAmiDistributionConfigurationArgs(
                    name=f"{name}-{{{{ imagebuilder:buildDate }}}}",
                    ami_tags={"Name": name, "BakedBy": "cloud-platform"},
                ),
                ssm_parameter_configurations=[
                    aws.imagebuilder.DistributionConfigurationDistributionSsmParameterConfigurationArgs(
                        parameter_name=args.parameter_name, data_type="aws:ec2:image")
                ],
            )],
            opts=child,
        )
        pipeline = aws.imagebuilder.ImagePipeline(
            f"{name}-pipeline",
            name=f"{name}-pipeline",
            description="Prebaked web tier images (docs/blue-green.md)",
            image_recipe_arn=recipe.arn,
            infrastructure_configuration_arn=infrastructure.arn,
            distribution_configuration_arn=distribution.arn,
            image_tests_configuration=aws.imagebuilder.ImagePipelineImageTestsConfigurationArgs(image_tests_enabled=True),
            schedule=aws.imagebuilder.ImagePipelineScheduleArgs(schedule_expression=args.schedule)
            if args.schedule else None,
            opts=child,
        )
        self.pipeline_arn = pipeline.arn
        self.register_outputs({"pipelineArn": self.pipeline_arn, "parameterName": self.parameter_name})
