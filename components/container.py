"""ContainerService: the `app/` image in ECR, run by an ECS Fargate service behind a load balancer.

The course's "Container with Amazon ECR" hands-ons (build, register, run elsewhere) as a
service: an ECR repository with scanning and a lifecycle policy, the image built from
`app/` and pushed by docker-build's `Image`, and a Fargate service in the private subnets.
Traffic reaches it through the web tier's ALB (its own target group behind a listener
rule, so an environment pays for one ALB) or, without a web tier, through an ALB of its own.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .alarms import AlarmTargets
from .blocks import Rule, add_rules, log_group, security_group
from .container_args import ContainerServiceArgs
from .container_iam import task_roles
from .container_registry import image, repository
from .container_task import CONTAINER_NAME, container_definitions


class ContainerService(pulumi.ComponentResource):
    repository_url: pulumi.Output[str]
    repository_name: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    image_uri: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    service_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]
    target_group_arn_suffixes: dict[str, pulumi.Output[str]]
    """The same, keyed like the web tier's ({"app": ...}), for Alarms."""
    alb_arn_suffix: pulumi.Input[str]
    log_group_name: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: ContainerServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:container:ContainerService", name, None, opts)
        self._name = name
        self._args = args
        self._cfg = args
        self._child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        account = aws.get_caller_identity(opts=invoke).account_id
        partition = aws.get_partition(opts=invoke).partition

        self.repository = repository(name, args.ecr, args.region, account, partition, self)
        self.repository_url = self.repository.repository_url
        self.repository_name = self.repository.name
        self.repository_arn = self.repository.arn
        self.image = image(name, args, self.repository, self)
        self.image_uri = self.image.ref
        self.log_group = log_group(f"{name}-logs", f"/ecs/{name}", self._cfg.log_retention_days, self._child)
        self.log_group_name = self.log_group.name
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[{"name": "containerInsights", "value": self._cfg.container_insights}],
            tags={"Name": f"{name}-cluster"},
            opts=self._child,
        )
        self.cluster_name = self.cluster.name
        self._capacity = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=self.cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            opts=self._child,
        )
        self._security_groups()
        if self._cfg.interface_endpoints:
            self._interface_endpoints()
        roles = task_roles(name, args.region, account, partition, self.repository.arn, self.log_group.arn,
                           args.enable_execute_command, self)
        self.execution_role, self.task_role = roles.execution, roles.task
        self._task_definition()
        self._traffic()
        self._service()
        self._autoscaling()

        self.register_outputs(
            {
                "repositoryUrl": self.repository_url,
                "repositoryName": self.repository_name,
                "imageUri": self.image_uri,
                "clusterName": self.cluster_name,
                "serviceName": self.service_name,
                "targetGroupArnSuffix": self.target_group_arn_suffix,
                "albArnSuffix": self.alb_arn_suffix,
                "url": self.url,
            }
        )

    def alarm_targets(self) -> AlarmTargets:
        """Its target group, on its own load balancer or the shared one."""
        return AlarmTargets(load_balancers=[(self.alb_arn_suffix, dict(self.target_group_arn_suffixes))])

    # --- network ----------------------------------------------------------------------
    def _security_groups(self) -> None:
        name, port = self._name, self._cfg.container_port
        shared = self._args.shared_load_balancer
        if shared is not None:
            alb_sg_id: pulumi.Input[str] = shared.security_group_id
        else:
            self.alb_sg = security_group(
                f"{name}-alb", f"{name} load balancer: HTTP from anywhere", self._args.vpc_id, self._child,
                ingress={"http": Rule("HTTP from the internet", 80, cidr="0.0.0.0/0")},  # noqa: S104 (public entry point)
                former_names={"http": f"{name}-alb-http"},
            )
            alb_sg_id = self.alb_sg.id
        self.alb_security_group_id = alb_sg_id
        # Tasks pull the image (ECR API, registry, S3 layers) and ship logs over HTTPS, through the
        # NAT gateway or the interface/gateway endpoints; those have no fixed addresses to list here.
        self.service_sg = security_group(
            f"{name}-tasks", f"{name} Fargate tasks: app port from the load balancer only", self._args.vpc_id, self._child,
            ingress={"app": Rule("app port from the load balancer", port, group=alb_sg_id)},
            egress={"https": Rule("HTTPS out: ECR, S3 layers, CloudWatch Logs", 443, cidr="0.0.0.0/0")},
            former_names={"app": f"{name}-tasks-from-alb", "https": f"{name}-tasks-https"},
        )
        self.security_group_id = self.service_sg.id
        # The ALB's own group may restrict egress (the web tier's does): open exactly the app port to the tasks.
        add_rules(
            f"{name}-alb", alb_sg_id, self._child,
            egress={"tasks": Rule(f"{name}: app port to the Fargate tasks", port, group=self.service_sg.id)},
            former_names={"tasks": f"{name}-alb-to-tasks"},
        )

    def _interface_endpoints(self) -> None:
        """ECR API, registry and Logs endpoints: tasks start in private subnets without a NAT (dev)."""
        name = self._name
        sg = security_group(
            f"{name}-endpoints", f"{name} interface endpoints: HTTPS from the tasks", self._args.vpc_id, self._child,
            ingress={"tasks": Rule("HTTPS from the Fargate tasks", 443, group=self.service_sg.id)},
            former_names={"tasks": f"{name}-endpoints-from-tasks"},
        )
        for service in ("ecr.api", "ecr.dkr", "logs"):
            aws.ec2.VpcEndpoint(
                f"{name}-vpce-{service.replace('.', '-')}",
                vpc_id=self._args.vpc_id,
                service_name=f"com.amazonaws.{self._args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=list(self._args.private_subnet_ids),
                security_group_ids=[sg.id],
                tags={"Name": f"{name}-{service}"},
                opts=self._child,
            )

    # --- compute --------------------------------------------------------------------
    def _task_definition(self) -> None:
        cfg = self._cfg
        self.task_definition = aws.ecs.TaskDefinition(
            f"{self._name}-task",
            family=self._name,
            cpu=str(cfg.cpu),
            memory=str(cfg.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": cfg.cpu_architecture},
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container_definitions=pulumi.Output.all(self.image_uri, self.log_group.name).apply(
                lambda a: container_definitions(self._args, a[0], a[1])
            ),
            opts=self._child,
        )

    # --- traffic --------------------------------------------------------------------
    def _traffic(self) -> None:
        name, cfg = self._name, self._cfg
        # ELB names are at most 32 characters: an autoname from `{name}-tg` (+ 8) is too long, so a
        # 4-character prefix (+ 26 generated by the provider) as the web tier does.
        self.target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            name_prefix="app-",
            vpc_id=self._args.vpc_id,
            target_type="ip",  # awsvpc tasks register by ENI address
            port=cfg.container_port,
            protocol="HTTP",
            deregistration_delay=30,
            health_check={
                "enabled": True,
                "path": "/health",
                "matcher": "200",
                "interval": 15,
                "timeout": 5,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            tags={"Name": f"{name}-tg"},
            opts=self._child,
        )
        self.target_group_arn_suffix = self.target_group.arn_suffix
        self.target_group_arn_suffixes = {"app": self.target_group_arn_suffix}
        forward = [{"type": "forward", "target_group_arn": self.target_group.arn}]
        shared = self._args.shared_load_balancer
        if shared is not None:
            conditions: list[dict] = []
            if cfg.path_patterns:
                conditions.append({"path_pattern": {"values": list(cfg.path_patterns)}})
            if cfg.host_header is not None:
                conditions.append({"host_header": {"values": [cfg.host_header]}})
            self._attachment: pulumi.Resource = aws.lb.ListenerRule(
                f"{name}-rule",
                listener_arn=shared.listener_arn,
                priority=cfg.listener_rule_priority,
                actions=forward,
                conditions=conditions,
                tags={"Name": f"{name}-rule"},
                opts=self._child,
            )
            self.alb_arn_suffix = shared.arn_suffix
            dns: pulumi.Input[str] = shared.dns_name
        else:
            self.alb = aws.lb.LoadBalancer(
                f"{name}-alb",
                name_prefix="app-",  # 32-character ELB limit, see the target group
                load_balancer_type="application",
                internal=False,
                subnets=list(self._args.public_subnet_ids),
                security_groups=[self.alb_security_group_id],
                drop_invalid_header_fields=True,
                idle_timeout=60,
                tags={"Name": f"{name}-alb"},
                opts=self._child,
            )
            self._attachment = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=self.alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=forward,
                opts=self._child,
            )
            self.alb_arn_suffix = self.alb.arn_suffix
            dns = self.alb.dns_name
        host = cfg.host_header
        base = cfg.base_path
        self.url = pulumi.Output.from_input(dns).apply(lambda d: f"http://{host or d}{base}/")

    def _capacity_strategy(self) -> list[dict]:
        spot = self._cfg.spot_share
        if spot == 0:
            return [{"capacity_provider": "FARGATE", "weight": 1}]
        if spot == 100:
            return [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]
        # A mix keeps the first task on regular Fargate, so a Spot reclaim never takes all of them.
        return [
            {"capacity_provider": "FARGATE", "weight": 100 - spot, "base": 1},
            {"capacity_provider": "FARGATE_SPOT", "weight": spot},
        ]

    def _service(self) -> None:
        cfg = self._cfg
        self.service = aws.ecs.Service(
            f"{self._name}-service",
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            desired_count=cfg.desired_count,
            capacity_provider_strategies=self._capacity_strategy(),
            platform_version="LATEST",
            network_configuration={
                "subnets": list(self._args.private_subnet_ids),
                "security_groups": [self.service_sg.id],
                "assign_public_ip": False,
            },
            load_balancers=[
                {
                    "target_group_arn": self.target_group.arn,
                    "container_name": CONTAINER_NAME,
                    "container_port": cfg.container_port,
                }
            ],
            health_check_grace_period_seconds=cfg.health_check_grace_seconds,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            enable_execute_command=cfg.enable_execute_command,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            wait_for_steady_state=False,
            opts=pulumi.ResourceOptions(
                parent=self,
                # ECS rejects a target group that no listener uses yet.
                depends_on=[self._attachment, self._capacity],
                # Autoscaling owns the running count after creation.
                ignore_changes=["desiredCount"],
            ),
        )
        self.service_name = self.service.name

    def _autoscaling(self) -> None:
        cfg = self._cfg
        target = aws.appautoscaling.Target(
            f"{self._name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", self.cluster.name, "/", self.service.name),
            min_capacity=cfg.min_capacity,
            max_capacity=cfg.max_capacity,
            opts=self._child,
        )
        aws.appautoscaling.Policy(
            f"{self._name}-cpu",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": cfg.cpu_target_percent,
                "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"},
                "scale_in_cooldown": 300,
                "scale_out_cooldown": 60,
            },
            opts=self._child,
        )
