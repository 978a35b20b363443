"""ContainerService built directly under the recording mock: shared or own ALB, tasks and
their security groups, task definition, image and repository, roles, scaling, endpoints."""

from __future__ import annotations

import json

import pytest

from components.container_args import APP_DIR
from components.container_registry import image_tag
from components.packaging import content_hash
from components.settings.container import ContainerSettings
from tests.unit.container_builds import (
    ALB,
    EGRESS,
    IMAGE,
    INGRESS,
    LISTENER,
    PRIVATE,
    PUBLIC,
    REPO,
    RULE,
    SERVICE,
    SG,
    SHARED,
    TASKDEF,
    TG,
    built,
    container_def,
    make,
    one,
    role_policy,
    value,
)


# --- traffic: shared ALB vs own ALB ------------------------------------------------------
def test_shared_alb_gets_a_listener_rule_and_no_new_alb(build):
    mocks, svc = built(build, shared=SHARED)
    assert mocks.of_type(ALB) == [] and mocks.of_type(LISTENER) == []
    rule = one(mocks, RULE)
    tg = one(mocks, TG)
    assert rule.inputs["listenerArn"] == SHARED.listener_arn
    assert rule.inputs["priority"] == 100
    assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": tg.id}]
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/app", "/app/*"]}}]
    # the web tier's ALB SG may send to the tasks on the app port, and only that
    egress = [e for e in mocks.of_type(EGRESS) if e.inputs["securityGroupId"] == "sg-web-alb"]
    tasks = mocks.named("t-ctr-tasks")
    assert [(e.inputs["fromPort"], e.inputs["toPort"], e.inputs["referencedSecurityGroupId"]) for e in egress] == [
        (8080, 8080, tasks.id)
    ]
    assert value(svc.url) == "http://web-123.eu-west-1.elb.amazonaws.com/app/"
    assert value(svc.alb_arn_suffix) == "app/web/abc"


def test_host_header_rule_and_url(build):
    settings = ContainerSettings(enabled=True, path_patterns=[], host_header="app.example.com", listener_rule_priority=7)
    mocks, svc = built(build, settings=settings, shared=SHARED)
    rule = one(mocks, RULE)
    assert rule.inputs["priority"] == 7
    assert rule.inputs["conditions"] == [{"hostHeader": {"values": ["app.example.com"]}}]
    assert value(svc.url) == "http://app.example.com/"


def test_without_shared_alb_an_own_public_alb_forwards_to_the_service(build):
    mocks, svc = built(build)
    assert mocks.of_type(RULE) == []
    alb = one(mocks, ALB)
    assert alb.inputs["subnets"] == PUBLIC and alb.inputs["internal"] is False
    assert alb.inputs["dropInvalidHeaderFields"] is True
    alb_sg = next(s for s in mocks.of_type(SG) if s.name == "t-ctr-alb")
    assert alb.inputs["securityGroups"] == [alb_sg.id]
    http = [i for i in mocks.of_type(INGRESS) if i.inputs["securityGroupId"] == alb_sg.id]
    assert [(i.inputs["fromPort"], i.inputs["cidrIpv4"]) for i in http] == [(80, "0.0.0.0/0")]
    listener = one(mocks, LISTENER)
    assert listener.inputs["loadBalancerArn"] == alb.id and listener.inputs["port"] == 80
    assert listener.inputs["defaultActions"] == [{"type": "forward", "targetGroupArn": one(mocks, TG).id}]
    assert value(svc.url) == f"http://{alb.outputs['dnsName']}/app/"
    assert value(svc.alb_arn_suffix) == alb.outputs["arnSuffix"]


# --- service placement and security -----------------------------------------------------
@pytest.mark.parametrize("shared", [SHARED, None], ids=["shared-alb", "own-alb"])
def test_tasks_private_no_public_ip_ingress_only_from_alb_sg(build, shared):
    mocks, _ = built(build, shared=shared)
    service = one(mocks, SERVICE)
    tasks = mocks.named("t-ctr-tasks")
    net = service.inputs["networkConfiguration"]
    assert net["subnets"] == PRIVATE and net["assignPublicIp"] is False
    assert net["securityGroups"] == [tasks.id]
    assert "ingress" not in tasks.inputs  # rules are separate resources, listed below
    alb_sg = "sg-web-alb" if shared else next(s for s in mocks.of_type(SG) if s.name == "t-ctr-alb").id
    ingress = [i for i in mocks.of_type(INGRESS) if i.inputs["securityGroupId"] == tasks.id]
    assert [(i.inputs["fromPort"], i.inputs["toPort"], i.inputs.get("referencedSecurityGroupId"), i.inputs.get("cidrIpv4"))
            for i in ingress] == [(8080, 8080, alb_sg, None)]
    assert all(i.inputs["fromPort"] != 22 for i in mocks.of_type(INGRESS))
    tg = one(mocks, TG)
    assert service.inputs["loadBalancers"] == [{"targetGroupArn": tg.id, "containerName": "app", "containerPort": 8080}]
    assert tg.inputs["targetType"] == "ip" and tg.inputs["healthCheck"]["path"] == "/health"
    assert tg.inputs["vpcId"] == "vpc-test"
    # the service waits for the TG to be attached to a listener (ECS rejects a lone TG)
    attach = one(mocks, RULE if shared else LISTENER)
    assert attach.urn in service.dependencies


def test_deployment_safety_and_defaults(build):
    mocks, _ = built(build)
    service = one(mocks, SERVICE).inputs
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["healthCheckGracePeriodSeconds"] == 60
    assert service["enableExecuteCommand"] is False
    assert service["desiredCount"] == 1
    assert service["capacityProviderStrategies"] == [{"capacityProvider": "FARGATE", "weight": 1}]
    assert service["cluster"] == one(mocks, "aws:ecs/cluster:Cluster").id
    providers = one(mocks, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").inputs
    assert providers["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


@pytest.mark.parametrize(
    "share,strategy",
    [
        (100, [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]),
        (30, [{"capacityProvider": "FARGATE", "weight": 70, "base": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 30}]),
    ],
)
def test_spot_share_sets_capacity_strategy(build, share, strategy):
    mocks, _ = built(build, settings=ContainerSettings(enabled=True, spot_share=share))
    assert one(mocks, SERVICE).inputs["capacityProviderStrategies"] == strategy


def test_task_definition_fargate_non_root_read_only_logs(build):
    settings = ContainerSettings(enabled=True, cpu=1024, memory=3072, architecture="arm64", log_retention_days=14)
    mocks, _ = built(build, settings=settings)
    task = one(mocks, TASKDEF).inputs
    assert (task["cpu"], task["memory"]) == ("1024", "3072")
    assert task["networkMode"] == "awsvpc" and task["requiresCompatibilities"] == ["FARGATE"]
    assert task["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"}
    defn = container_def(mocks)
    assert defn["user"] == "10001:10001" and defn["readonlyRootFilesystem"] is True
    assert defn["linuxParameters"]["capabilities"]["drop"] == ["ALL"]
    group = one(mocks, "aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["retentionInDays"] == 14
    assert defn["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {"awslogs-group": group.inputs["name"], "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "app"},
    }
    env = {e["name"]: e["value"] for e in defn["environment"]}
    assert env == {"APP_ENVIRONMENT": "test", "APP_VERSION": "abc123def456", "APP_BASE_PATH": "/app", "PORT": "8080"}
    assert defn["healthCheck"]["command"] == ["CMD", "python", "/app/server.py", "--check"]
    # the task runs exactly the pushed image, by digest
    image = one(mocks, IMAGE)
    assert defn["image"] == image.outputs["ref"] and "@sha256:" in defn["image"]
    assert defn["image"].startswith(one(mocks, REPO).outputs["repositoryUrl"] + ":abc123def456@")


def test_image_build_inputs(build):
    mocks, svc = built(build, settings=ContainerSettings(enabled=True, architecture="arm64"), tag="0123456789ab")
    image = one(mocks, IMAGE).inputs
    repo = one(mocks, REPO)
    url = repo.outputs["repositoryUrl"]
    assert url == value(svc.repository_url)
    assert image["context"]["location"].endswith("/app") and image["platforms"] == ["linux/arm64"]
    assert image["tags"] == [f"{url}:0123456789ab"] and image["buildArgs"] == {"APP_VERSION": "0123456789ab"}
    # pushed by `up` (not built by previews, as before) to the repository's registry with an ECR token
    assert image["push"] is True and image["buildOnPreview"] is False
    # The ECR token makes the registries input a secret (kept encrypted in the state): Pulumi's
    # wire form of a secret, {<signature key>: <secret signature>, "value": ...}.
    assert image["registries"]["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"
    (registry,) = image["registries"]["value"]
    assert registry == {"address": url, "username": "AWS", "password": "mock-ecr-token"}
    token_calls = [c for c in mocks.calls if c[0] == "aws:ecr/getAuthorizationToken:getAuthorizationToken"]
    assert token_calls and all(c[1]["registryId"] == repo.outputs["registryId"] for c in token_calls), token_calls
    assert mocks.of_type(IMAGE)[0].parent == mocks.named("t-ctr").urn


def test_repository_scanning_lifecycle_and_dev_defaults(build):
    settings = ContainerSettings(enabled=True, ecr={"imageTagMutability": "MUTABLE", "forceDelete": True, "keepImages": 4})
    mocks, _ = built(build, settings=settings)
    repo = one(mocks, REPO)
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["imageTagMutability"] == "MUTABLE" and repo.inputs["forceDelete"] is True
    assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}]
    assert repo.protect is False
    policy = one(mocks, "aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs
    assert policy["repository"] == repo.outputs["name"]
    rules = json.loads(policy["policy"])["rules"]
    keep = rules[-1]  # the `any` rule must have the highest priority number
    assert keep["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 4}
    assert keep["action"] == {"type": "expire"} and keep["rulePriority"] == max(r["rulePriority"] for r in rules)


def test_protected_immutable_kms_repository(build):
    settings = ContainerSettings(enabled=True, ecr={"imageTagMutability": "IMMUTABLE", "protect": True, "encryption": "KMS"})
    mocks, _ = built(build, settings=settings)
    repo = one(mocks, REPO)
    key = one(mocks, "aws:kms/key:Key")
    assert repo.protect is True and key.protect is True and key.inputs["enableKeyRotation"] is True
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE" and repo.inputs["forceDelete"] is False
    assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": key.outputs["arn"]}]


# --- identity ------------------------------------------------------------------------
def test_execution_role_scoped_to_repo_and_log_group(build):
    mocks, _ = built(build)
    repo = one(mocks, REPO)
    group = one(mocks, "aws:cloudwatch/logGroup:LogGroup")
    statements = {s["Sid"]: s for s in role_policy(mocks, "t-ctr-execution")["Statement"]}
    assert statements["EcrToken"]["Action"] == "ecr:GetAuthorizationToken" and statements["EcrToken"]["Resource"] == "*"
    assert statements["PullThisRepository"]["Resource"] == repo.outputs["arn"]
    assert "*" not in "".join(statements["PullThisRepository"]["Action"])
    assert statements["WriteThisLogGroup"]["Resource"] == f"{group.outputs['arn']}:log-stream:*"
    assert set(statements) == {"EcrToken", "PullThisRepository", "WriteThisLogGroup"}
    task = one(mocks, TASKDEF).inputs
    roles = {r.name: r for r in mocks.of_type("aws:iam/role:Role")}
    assert task["executionRoleArn"] == roles["t-ctr-execution"].outputs["arn"]
    assert task["taskRoleArn"] == roles["t-ctr-task"].outputs["arn"]
    for role in roles.values():
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
        assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}


def test_task_role_has_no_permissions_unless_exec_is_on(build):
    mocks, _ = built(build)
    policies = [p.name for p in mocks.of_type("aws:iam/rolePolicy:RolePolicy")]
    assert policies == ["t-ctr-execution"]
    assert mocks.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []


def test_exec_on_grants_only_ssm_channels(build):
    mocks, _ = built(build, settings=ContainerSettings(enabled=True, enable_execute_command=True))
    assert one(mocks, SERVICE).inputs["enableExecuteCommand"] is True
    statement = role_policy(mocks, "t-ctr-task-exec")["Statement"]
    assert [a.split(":")[0] for s in statement for a in s["Action"]] == ["ssmmessages"] * 4


# --- scaling, cluster, endpoints -----------------------------------------------------------
def test_service_autoscaling_on_cpu(build):
    settings = ContainerSettings(enabled=True, desired_count=2, min_capacity=2, max_capacity=5, cpu_target_percent=55)
    mocks, _ = built(build, settings=settings)
    target = one(mocks, "aws:appautoscaling/target:Target")
    cluster = one(mocks, "aws:ecs/cluster:Cluster")
    service = one(mocks, SERVICE)
    assert target.inputs["resourceId"] == f"service/{cluster.outputs['name']}/{service.outputs['name']}"
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (2, 5)
    assert target.inputs["scalableDimension"] == "ecs:service:DesiredCount"
    policy = one(mocks, "aws:appautoscaling/policy:Policy").inputs
    assert policy["policyType"] == "TargetTrackingScaling"
    tracking = policy["targetTrackingScalingPolicyConfiguration"]
    assert tracking["targetValue"] == 55
    assert tracking["predefinedMetricSpecification"]["predefinedMetricType"] == "ECSServiceAverageCPUUtilization"


def test_container_insights_from_config(build):
    mocks, _ = built(build, settings=ContainerSettings(enabled=True, container_insights="enhanced"))
    assert one(mocks, "aws:ecs/cluster:Cluster").inputs["settings"] == [{"name": "containerInsights", "value": "enhanced"}]


def test_interface_endpoints_only_when_configured(build):
    mocks, _ = built(build, settings=ContainerSettings(enabled=True, interface_endpoints=True))
    endpoints = mocks.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert sorted(e.inputs["serviceName"] for e in endpoints) == [
        "com.amazonaws.eu-west-1.ecr.api", "com.amazonaws.eu-west-1.ecr.dkr", "com.amazonaws.eu-west-1.logs"]
    sg = next(s for s in mocks.of_type(SG) if s.name == "t-ctr-endpoints")
    for e in endpoints:
        assert e.inputs["subnetIds"] == PRIVATE and e.inputs["privateDnsEnabled"] is True
        assert e.inputs["securityGroupIds"] == [sg.id]
    rules = [i for i in mocks.of_type(INGRESS) if i.inputs["securityGroupId"] == sg.id]
    assert [(r.inputs["fromPort"], r.inputs["referencedSecurityGroupId"]) for r in rules] == [
        (443, mocks.named("t-ctr-tasks").id)]


def test_every_child_is_parented_and_named_after_the_component(build):
    mocks, _ = built(build)
    component = mocks.named("t-ctr")
    assert component.type == "cloud-platform:container:ContainerService"
    for r in mocks.descendants(component):
        assert r.name.startswith("t-ctr-"), r.name
    assert len(mocks.descendants(component)) == len([r for r in mocks.resources if r.urn != component.urn])


def test_image_tag_is_version_and_app_content_hash():
    tag = image_tag("1.2.3")
    assert tag == f"1.2.3-{content_hash(APP_DIR)}" and len(tag) == len("1.2.3-") + 12
    assert len(image_tag("v" * 115)) == 128  # the longest imageVersion still makes a valid tag


@pytest.mark.parametrize("shared", [None, SHARED])
def test_elb_names_fit_32_characters_under_the_shipped_component_name(build, shared):
    """Regression: autonamed from `cloud-platform-prod-container-tg` (+ 8) = 40 > 32, so `pulumi preview`
    failed on both stacks; a 4-character name_prefix + 26 generated characters fits."""
    mocks = build(lambda: make(shared=shared, name="cloud-platform-prod-container"))
    elb = mocks.of_type(TG) + mocks.of_type(ALB)
    assert len(elb) == (1 if shared else 2)
    for resource in elb:
        assert resource.inputs["namePrefix"] == "app-"
        assert resource.outputs["name"].startswith("app-") and len(resource.outputs["name"]) == 30
