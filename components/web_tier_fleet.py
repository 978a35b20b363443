"""ScalingWebTier's fleets: per colour a launch template, an auto scaling group and its
target-tracking policy.

Every resource here is a direct child of the ScalingWebTier component (its `parent`), so the
URNs are those the component had when it created them itself.
"""

from __future__ import annotations

import base64

import pulumi
import pulumi_aws as aws

from .ec2_instances import latest_al2023
from .web_bootstrap import bootstrap_script
from .web_tier_args import FleetArgs, ScalingWebTierArgs


def image_id(fleet: FleetArgs, instance_type: str, parent: pulumi.Resource) -> pulumi.Input[str]:
    if fleet.ami_id:
        return fleet.ami_id
    # Settings allow this only for an idle colour (with requirePinnedImages): a new image
    # rolls the fleet, which is harmless at weight 0; `platformctl release` pins the id.
    return latest_al2023(instance_type, parent)


def _user_data(colour: str, fleet: FleetArgs, s: ScalingWebTierArgs) -> str | None:
    if fleet.user_data is not None:
        script = fleet.user_data
    elif fleet.bootstrap:
        script = bootstrap_script(colour, fleet.version, s.app_port, s.health_check_path)
    else:
        return None  # prebaked image: it starts its own web server
    return base64.b64encode(script.encode()).decode()


def launch_template(
    name: str, colour: str, fleet: FleetArgs, s: ScalingWebTierArgs, image: pulumi.Input[str],
    profile: aws.iam.InstanceProfile, instance_security_group_id: pulumi.Input[str], parent: pulumi.Resource,
) -> aws.ec2.LaunchTemplate:
    """`name` is the colour's (`<component>-<colour>`)."""
    labels = {**s.tags, "Name": name, "Colour": colour, "Version": fleet.version}
    return aws.ec2.LaunchTemplate(
        f"{name}-lt",
        description=f"{name}: {fleet.version}",
        image_id=image,
        instance_type=s.instance_type,
        iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
        vpc_security_group_ids=[instance_security_group_id],
        user_data=_user_data(colour, fleet, s),
        update_default_version=True,
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled",
            http_tokens="required",  # IMDSv2 only
            http_put_response_hop_limit=1,  # credentials never leave the instance
            instance_metadata_tags="enabled",
        ),
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda",  # root device of Amazon Linux 2023
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_type="gp3", encrypted="true", delete_on_termination="true"
                ),
            )
        ],
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="instance", tags=labels),
            # Not selected for AWS Backup: instances are disposable (rebuilt from the image or
            # user data); the backups hold state only (tables, queues' data).
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="volume", tags=labels),
        ],
        tags={"Name": f"{name}-lt", "Colour": colour},
        opts=pulumi.ResourceOptions(parent=parent),
    )


def auto_scaling_group(
    name: str, colour: str, fleet: FleetArgs, s: ScalingWebTierArgs, template: aws.ec2.LaunchTemplate,
    tg: aws.lb.TargetGroup, parent: pulumi.Resource,
) -> aws.autoscaling.Group:
    """`name` is the colour's (`<component>-<colour>`)."""
    tags = {**s.tags, "Name": name, "Colour": colour, "Version": fleet.version}
    return aws.autoscaling.Group(
        f"{name}-asg",
        min_size=fleet.min_size,
        max_size=fleet.max_size,
        desired_capacity=fleet.desired_capacity,
        vpc_zone_identifiers=s.private_subnet_ids,
        target_group_arns=[tg.arn],
        health_check_type="ELB",
        health_check_grace_period=s.health_check_grace_period,
        # The concrete version, not "$Latest": a new template version must show up as a
        # change of the group, or the instance refresh below would never start.
        launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
            id=template.id, version=template.latest_version.apply(str)
        ),
        instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(
            strategy="Rolling",
            preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
                # Launch before terminate: capacity never drops below desired during a refresh.
                min_healthy_percentage=100,
                max_healthy_percentage=200,
                instance_warmup=str(s.health_check_grace_period),
                auto_rollback=True,
            ),
        ),
        enabled_metrics=[
            "GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity",
            "GroupInServiceInstances", "GroupTotalInstances",
        ],
        tags=[aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=True) for k, v in tags.items()],
        # Target tracking moves desired capacity; `up` must not reset it. Changing
        # minSize/maxSize still moves desired into the new range (AWS does that itself).
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["desiredCapacity"]),
    )


def scaling_policy(
    name: str, s: ScalingWebTierArgs, asg: aws.autoscaling.Group, tg: aws.lb.TargetGroup,
    alb_arn_suffix: pulumi.Input[str], listener: aws.lb.Listener, parent: pulumi.Resource,
) -> aws.autoscaling.Policy:
    """`name` is the colour's (`<component>-<colour>`)."""
    scaling = s.scaling
    if scaling.metric == "cpu":
        metric = aws.autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
            predefined_metric_type="ASGAverageCPUUtilization"
        )
    else:
        metric = aws.autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
            predefined_metric_type="ALBRequestCountPerTarget",
            resource_label=pulumi.Output.concat(alb_arn_suffix, "/", tg.arn_suffix),
        )
    return aws.autoscaling.Policy(
        f"{name}-scaling",
        autoscaling_group_name=asg.name,
        policy_type="TargetTrackingScaling",
        target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
            predefined_metric_specification=metric, target_value=scaling.target
        ),
        # AWS rejects ALBRequestCountPerTarget for a target group no listener forwards to yet.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[listener]),
    )
