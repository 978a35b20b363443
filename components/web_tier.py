"""ScalingWebTier: one internet-facing ALB in front of a blue and a green auto scaling group.

The course's "Raw server with scaling", "Load balancer" and "Deployment strategies"
hands-ons, built the way terraform-aws-modules/alb + autoscaling would: instances only in
private subnets and reachable only from the ALB's security group, no SSH (SSM Session
Manager instead), IMDSv2, encrypted gp3 root volumes. Each colour has its own launch
template, ASG and target group; the listener splits traffic between the two target groups
by the weights in stack config, which is what `platformctl cutover` shifts.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .alarms import AlarmTargets
from .blocks import HardenedBucket, HardenedBucketArgs, LogDelivery, Moved
from .ec2_instances import ssm_instance_profile
from .web_tier_args import COLOURS, ScalingWebTierArgs
from .web_tier_fleet import auto_scaling_group, image_id, launch_template, scaling_policy
from .web_tier_listeners import listeners


class ScalingWebTier(pulumi.ComponentResource):
    alb_arn: pulumi.Output[str]
    alb_arn_suffix: pulumi.Output[str]
    alb_dns_name: pulumi.Output[str]
    alb_zone_id: pulumi.Output[str]
    alb_security_group_id: pulumi.Output[str]
    listener_arn: pulumi.Output[str]
    instance_security_group_id: pulumi.Output[str]
    target_group_arns: dict[str, pulumi.Output[str]]
    target_group_arn_suffixes: dict[str, pulumi.Output[str]]
    asg_names: dict[str, pulumi.Output[str]]
    image_ids: dict[str, pulumi.Output[str]]
    weights: dict[str, int]

    def __init__(self, name: str, args: ScalingWebTierArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:web:ScalingWebTier", name, None, opts)
        self._name = name
        self._args = args
        self._s = s = args
        self._certificate = args.certificate_arn or None
        self._child = pulumi.ResourceOptions(parent=self)
        self.weights = s.traffic.as_dict()

        self._security_groups()
        profile = ssm_instance_profile(name, f"{name} instances", self)
        logs_bucket = self._access_logs_bucket() if s.access_logs.enabled else None
        self._load_balancer(logs_bucket)

        self.target_group_arns, self.target_group_arn_suffixes, self.asg_names, self.image_ids = {}, {}, {}, {}
        target_groups, asgs = {}, {}
        for colour in COLOURS:
            tg = target_groups[colour] = self._target_group(colour)
            self.target_group_arns[colour] = tg.arn
            self.target_group_arn_suffixes[colour] = tg.arn_suffix
            fleet = s.colour(colour)
            image = image_id(fleet, s.instance_type, self)
            self.image_ids[colour] = pulumi.Output.from_input(image)
            template = launch_template(f"{name}-{colour}", colour, fleet, s, image, profile,
                                       self.instance_security_group_id, self)
            asg = asgs[colour] = auto_scaling_group(f"{name}-{colour}", colour, fleet, s, template, tg, self)
            self.asg_names[colour] = asg.name
        listener = listeners(name, s, self._certificate, self.alb_arn, self.weights, target_groups, self)
        self.listener_arn = listener.arn
        for colour in COLOURS:
            scaling_policy(f"{name}-{colour}", s, asgs[colour], target_groups[colour], self.alb_arn_suffix,
                           listener, self)

        self.register_outputs(
            {
                "albArn": self.alb_arn,
                "albArnSuffix": self.alb_arn_suffix,
                "albDnsName": self.alb_dns_name,
                "albSecurityGroupId": self.alb_security_group_id,
                "listenerArn": self.listener_arn,
                "instanceSecurityGroupId": self.instance_security_group_id,
                "targetGroupArns": self.target_group_arns,
                "asgNames": self.asg_names,
                "imageIds": self.image_ids,
                "weights": self.weights,
            }
        )

    def alarm_targets(self) -> AlarmTargets:
        """Its load balancer and each colour's target group."""
        return AlarmTargets(load_balancers=[(self.alb_arn_suffix, dict(self.target_group_arn_suffixes))])

    # --- network access -------------------------------------------------------------
    def _security_groups(self) -> None:
        name, s = self._name, self._s
        alb_sg = aws.ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=self._args.vpc_id,
            description=f"{name} load balancer: HTTP(S) from the internet",
            tags={"Name": f"{name}-alb"},
            opts=self._child,
        )
        instance_sg = aws.ec2.SecurityGroup(
            f"{name}-instance-sg",
            vpc_id=self._args.vpc_id,
            description=f"{name} instances: app port from the load balancer only",
            tags={"Name": f"{name}-instances"},
            opts=self._child,
        )
        # Standalone rule resources (not inline blocks) so other components can add rules to
        # these groups without Pulumi fighting over them.
        public_ports = [80, 443] if self._certificate is not None else [80]
        for port in public_ports:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-alb-in-{port}",
                security_group_id=alb_sg.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4="0.0.0.0/0",
                description=f"HTTP{'S' if port == 443 else ''} from the internet",
                opts=self._child,
            )
        # Only the instances' app port; a service sharing this ALB adds its own rule to its tasks.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-out-app",
            security_group_id=alb_sg.id,
            ip_protocol="tcp",
            from_port=s.app_port,
            to_port=s.app_port,
            referenced_security_group_id=instance_sg.id,
            description="App port to the web instances only",
            opts=pulumi.ResourceOptions.merge(
                self._child, pulumi.ResourceOptions(aliases=[pulumi.Alias(name=f"{name}-alb-out-vpc")])),
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-instance-in-app",
            security_group_id=instance_sg.id,
            ip_protocol="tcp",
            from_port=s.app_port,
            to_port=s.app_port,
            referenced_security_group_id=alb_sg.id,
            description="App port from the load balancer only",
            opts=self._child,
        )
        for port, why in ((443, "HTTPS out: SSM, package repositories, AWS APIs"), (80, "HTTP out: package mirrors")):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-instance-out-{port}",
                security_group_id=instance_sg.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4="0.0.0.0/0",
                description=why,
                opts=self._child,
            )
        self.alb_security_group_id = alb_sg.id
        self.instance_security_group_id = instance_sg.id

    # --- load balancer -------------------------------------------------------------
    def _access_logs_bucket(self) -> aws.s3.Bucket:
        name, s = self._name, self._s
        invoke = pulumi.InvokeOptions(parent=self)
        account = aws.get_caller_identity(opts=invoke).account_id
        # Regions launched before August 2022 deliver ALB logs from an AWS-owned account.
        elb_account = aws.elb.get_service_account(opts=invoke).arn
        logs = f"{name}-alb-logs"
        # Access logs are audit evidence: where the ALB is protected, so is its log bucket.
        # Versioned so a deleted or overwritten log object stays recoverable until the
        # lifecycle expires it. ALB log delivery writes SSE-S3 (AES256) only, not SSE-KMS.
        bucket = HardenedBucket(logs, HardenedBucketArgs(
            force_destroy=not s.deletion_protection,
            protect=s.deletion_protection,
            expire_days=s.access_logs.retention_days,
            log_delivery=LogDelivery(principal=elb_account, key_prefix=f"alb/AWSLogs/{account}/"),
            # These resources were created before the block, every one named like the bucket.
            moved=Moved(parent=self, names={part: logs for part in (
                "ownership", "access", "encryption", "versioning", "lifecycle", "policy")}),
        ), opts=self._child)
        self._logs_policy = bucket.policy
        return bucket.bucket

    def _load_balancer(self, logs_bucket: aws.s3.Bucket | None) -> None:
        name, s = self._name, self._s
        access_logs = None
        depends = []
        if logs_bucket is not None:
            access_logs = aws.lb.LoadBalancerAccessLogsArgs(bucket=logs_bucket.bucket, prefix="alb", enabled=True)
            depends = [self._logs_policy]  # AWS checks write access when logging is switched on
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            # ALB and target group names are limited to 32 characters, too short for
            # `cloud-platform-prod-web-green` plus Pulumi's random suffix; a short prefix
            # with AWS's unique suffix keeps replacements collision-free. `Name` tags say the rest.
            name_prefix="web-",
            load_balancer_type="application",
            internal=False,
            subnets=self._args.public_subnet_ids,
            security_groups=[self.alb_security_group_id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=s.deletion_protection,
            access_logs=access_logs,
            tags={"Name": f"{name}-alb"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        self._alb = alb
        self.alb_arn = alb.arn
        self.alb_arn_suffix = alb.arn_suffix
        self.alb_dns_name = alb.dns_name
        self.alb_zone_id = alb.zone_id

    def _target_group(self, colour: str) -> aws.lb.TargetGroup:
        s = self._s
        return aws.lb.TargetGroup(
            f"{self._name}-{colour}",
            name_prefix=f"{colour}-"[:6],
            vpc_id=self._args.vpc_id,
            port=s.app_port,
            protocol="HTTP",
            target_type="instance",
            deregistration_delay=s.deregistration_delay,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                path=s.health_check_path,
                protocol="HTTP",
                port="traffic-port",
                matcher="200-399",
                interval=15,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            stickiness=aws.lb.TargetGroupStickinessArgs(
                type="lb_cookie",
                enabled=s.stickiness.enabled,
                cookie_duration=s.stickiness.duration_seconds,
            ),
            tags={"Name": f"{self._name}-{colour}", "Colour": colour},
            opts=self._child,
        )
