"""The plan-wide pass (offline/plan_rules.py): rules AWS enforces between resources at create time.

Each row is a small program that breaks (or, as a control, keeps) one rule; a broken rule
rejects the plan with one `URN: problem` line naming both resources.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pulumi
import pulumi_aws as aws
import pytest

from offline import plan_rules
from offline.provider_rules import PlanRejectedError
from tests.conftest import error_of

ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def central() -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(provider=aws.Provider("central", region="eu-central-1"))


def vpc(name: str, cidr: str = "10.0.0.0/16", opts=None) -> aws.ec2.Vpc:
    return aws.ec2.Vpc(name, cidr_block=cidr, opts=opts)


def subnet(name: str, network, cidr: str, zone: str = "eu-west-1a", opts=None) -> aws.ec2.Subnet:
    return aws.ec2.Subnet(name, vpc_id=network.id, cidr_block=cidr, availability_zone=zone, opts=opts)


def function(name: str, timeout: int) -> aws.lambda_.Function:
    return aws.lambda_.Function(name, role="arn:aws:iam::123456789012:role/fn", runtime="python3.12",
                                handler="app.handler", timeout=timeout, code=pulumi.AssetArchive({}))


def alb(name: str, subnets, **kwargs) -> aws.lb.LoadBalancer:
    return aws.lb.LoadBalancer(name, name_prefix="lb-", load_balancer_type="application",
                               subnets=[s.id for s in subnets], **kwargs)


def two_zone_alb(network, name: str = "lb", base: str = "10.0") -> aws.lb.LoadBalancer:
    return alb(name, [subnet(f"{name}-a", network, f"{base}.1.0/24"),
                      subnet(f"{name}-b", network, f"{base}.2.0/24", "eu-west-1b")])


# --- programs: each breaks one rule --------------------------------------------------------
def subnet_outside_vpc():
    subnet("outside", vpc("home"), "10.1.0.0/24")


def subnets_overlap():
    network = vpc("home")
    subnet("first", network, "10.0.0.0/20")
    subnet("second", network, "10.0.8.0/24", "eu-west-1b")


def zone_of_another_region():
    subnet("misplaced", vpc("home"), "10.0.0.0/24", zone="eu-central-1a")


def iam_roles_same_name_across_regions():
    aws.iam.Role("first-role", name="app-runner", assume_role_policy=ROLE_POLICY)
    aws.iam.Role("second-role", name="App-Runner", assume_role_policy=ROLE_POLICY, opts=central())


def log_groups_same_name():
    aws.cloudwatch.LogGroup("first-logs", name="/app/api", retention_in_days=7)
    aws.cloudwatch.LogGroup("second-logs", name="/app/api", retention_in_days=30)


def buckets_same_name_across_regions():
    aws.s3.Bucket("first-bucket", bucket="cloud-platform-site")
    aws.s3.Bucket("second-bucket", bucket="cloud-platform-site", opts=central())


def tables_same_name():
    for logical in ("first-table", "second-table"):
        aws.dynamodb.Table(logical, name="subscribers", hash_key="id", billing_mode="PAY_PER_REQUEST",
                           attributes=[{"name": "id", "type": "S"}])


def queues_same_name_other_attributes():
    aws.sqs.Queue("first-queue", name="jobs", visibility_timeout_seconds=30)
    aws.sqs.Queue("second-queue", name="jobs", visibility_timeout_seconds=60)


def topics_same_name_other_attributes():
    aws.sns.Topic("first-topic", name="events")
    aws.sns.Topic("second-topic", name="events", kms_master_key_id="alias/aws/sns")


def security_groups_same_name_in_one_vpc():
    network = vpc("home")
    aws.ec2.SecurityGroup("first-sg", name="app", description="app", vpc_id=network.id)
    aws.ec2.SecurityGroup("second-sg", name="app", description="app", vpc_id=network.id)


def peering_overlapping_vpcs():
    home, peer = vpc("home", "10.0.0.0/16"), vpc("peer", "10.0.128.0/17", central())
    aws.ec2.VpcPeeringConnection("link", vpc_id=home.id, peer_vpc_id=peer.id, peer_region="eu-central-1")


def group_of_another_vpc():
    lb_sg = aws.ec2.SecurityGroup("lb-sg", description="lb", vpc_id=vpc("edge", "10.1.0.0/16").id)
    app_sg = aws.ec2.SecurityGroup("app-sg", description="app", vpc_id=vpc("home").id)
    aws.vpc.SecurityGroupIngressRule("app-from-lb", security_group_id=app_sg.id, referenced_security_group_id=lb_sg.id,
                                     ip_protocol="tcp", from_port=80, to_port=80)


def alb_in_one_zone():
    network = vpc("home")
    alb("lb", [subnet("lb-a", network, "10.0.1.0/24")])


def alb_two_subnets_one_zone():
    network = vpc("home")
    alb("lb", [subnet("lb-a", network, "10.0.1.0/24"), subnet("lb-a2", network, "10.0.2.0/24"),
               subnet("lb-b", network, "10.0.3.0/24", "eu-west-1b")])


def listener_to_target_group_of_another_vpc():
    lb = two_zone_alb(vpc("home"))
    tg = aws.lb.TargetGroup("other-tg", name_prefix="tg-", port=80, protocol="HTTP", vpc_id=vpc("other", "10.1.0.0/16").id)
    aws.lb.Listener("http", load_balancer_arn=lb.arn, port=80, protocol="HTTP",
                    default_actions=[{"type": "forward", "target_group_arn": tg.arn}])


def listener_rule_to_target_group_of_another_vpc():
    network = vpc("home")
    lb = two_zone_alb(network)
    own = aws.lb.TargetGroup("own-tg", name_prefix="tg-", port=80, protocol="HTTP", vpc_id=network.id)
    other = aws.lb.TargetGroup("other-tg", name_prefix="tg-", port=80, protocol="HTTP",
                               vpc_id=vpc("other", "10.1.0.0/16").id)
    listener = aws.lb.Listener("http", load_balancer_arn=lb.arn, port=80, protocol="HTTP",
                               default_actions=[{"type": "forward", "target_group_arn": own.arn}])
    aws.lb.ListenerRule("canary", listener_arn=listener.arn, priority=10,
                        conditions=[{"path_pattern": {"values": ["/canary"]}}],
                        actions=[{"type": "forward", "forward": {"target_groups": [
                            {"arn": own.arn, "weight": 90}, {"arn": other.arn, "weight": 10}]}}])


def _service(name: str, tg, opts=None) -> aws.ecs.Service:
    return aws.ecs.Service(name, cluster="arn:aws:ecs:eu-west-1:123456789012:cluster/c", task_definition="app:1",
                           desired_count=1, launch_type="FARGATE",
                           load_balancers=[{"target_group_arn": tg.arn, "container_name": "app", "container_port": 80}],
                           opts=opts)


def service_behind_no_listener():
    tg = aws.lb.TargetGroup("app-tg", name_prefix="tg-", port=80, protocol="HTTP", target_type="ip",
                            vpc_id=vpc("home").id)
    _service("app-service", tg)


def service_not_after_its_listener():
    network = vpc("home")
    tg = aws.lb.TargetGroup("app-tg", name_prefix="tg-", port=80, protocol="HTTP", target_type="ip", vpc_id=network.id)
    aws.lb.Listener("http", load_balancer_arn=two_zone_alb(network).arn, port=80, protocol="HTTP",
                    default_actions=[{"type": "forward", "target_group_arn": tg.arn}])
    _service("app-service", tg)


def queue_shorter_than_function():
    queue = aws.sqs.Queue("jobs", visibility_timeout_seconds=30)
    worker = function("worker", timeout=60)
    aws.lambda_.EventSourceMapping("worker-esm", event_source_arn=queue.arn, function_name=worker.arn)


def queue_default_visibility_shorter_than_function():
    queue = aws.sqs.Queue("jobs")
    worker = function("worker", timeout=31)
    aws.lambda_.EventSourceMapping("worker-esm", event_source_arn=queue.arn, function_name=worker.name)


def fifo_queue_with_standard_dlq():
    dlq = aws.sqs.Queue("jobs-dlq")
    aws.sqs.Queue("jobs", fifo_queue=True, name="jobs.fifo",
                  redrive_policy=dlq.arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5})))


def redrive_resource_to_fifo_dlq():
    dlq = aws.sqs.Queue("jobs-dlq", fifo_queue=True, name="jobs-dlq.fifo")
    queue = aws.sqs.Queue("jobs")
    aws.sqs.RedrivePolicy("jobs-redrive", queue_url=queue.id, redrive_policy=dlq.arn.apply(
        lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5})))


def dlq_in_another_region():
    dlq = aws.sqs.Queue("jobs-dlq", opts=central())
    aws.sqs.Queue("jobs", redrive_policy=dlq.arn.apply(
        lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5})))


BROKEN = [
    # (program, names the line must hold, words of the problem)
    (subnet_outside_vpc, ["outside", "home"], "not inside"),
    (subnets_overlap, ["second", "first", "home"], "overlaps"),
    (zone_of_another_region, ["misplaced", "eu-central-1a", "eu-west-1"], "not a zone of region"),
    (iam_roles_same_name_across_regions, ["second-role", "first-role"], "account-wide"),
    (log_groups_same_name, ["second-logs", "first-logs"], "already taken"),
    (buckets_same_name_across_regions, ["second-bucket", "first-bucket"], "global"),
    (tables_same_name, ["second-table", "first-table"], "already taken"),
    (queues_same_name_other_attributes, ["second-queue", "first-queue"], "already taken"),
    (topics_same_name_other_attributes, ["second-topic", "first-topic"], "already taken"),
    (security_groups_same_name_in_one_vpc, ["second-sg", "first-sg"], "in VPC"),
    (peering_overlapping_vpcs, ["link", "home", "peer"], "overlapping CIDR"),
    (group_of_another_vpc, ["app-from-lb", "lb-sg", "edge", "app-sg", "home"], "different networks"),
    (alb_in_one_zone, ["lb", "lb-a"], "at least two"),
    (alb_two_subnets_one_zone, ["lb", "lb-a2", "lb-a"], "one subnet per availability zone"),
    (listener_to_target_group_of_another_vpc, ["http", "other-tg", "LoadBalancer 'lb'"], "load balancer's VPC"),
    (listener_rule_to_target_group_of_another_vpc, ["canary", "other-tg", "LoadBalancer 'lb'"], "load balancer's VPC"),
    (service_behind_no_listener, ["app-service", "app-tg"], "no listener or listener rule"),
    (service_not_after_its_listener, ["app-service", "Listener 'http'", "app-tg"], "is not ordered after"),
    (queue_shorter_than_function, ["worker-esm", "jobs", "worker"], "30 s is less than"),
    (queue_default_visibility_shorter_than_function, ["worker-esm", "jobs", "worker"], "30 s is less than"),
    (fifo_queue_with_standard_dlq, ["::jobs:", "jobs-dlq"], "FIFO queue but its dead-letter queue"),
    (redrive_resource_to_fifo_dlq, ["jobs-redrive", "jobs-dlq"], "standard queue but its dead-letter queue"),
    (dlq_in_another_region, ["::jobs:", "jobs-dlq", "eu-central-1"], "one region"),
]


@pytest.mark.parametrize(("program", "names", "problem"), BROKEN, ids=[row[0].__name__ for row in BROKEN])
def test_a_broken_rule_rejects_the_plan_with_one_line_naming_both_resources(build, program, names, problem):
    with pytest.raises(PlanRejectedError) as info:
        build(program)
    assert len(info.value.problems) == 1, info.value.problems
    line = str(info.value)
    assert "\n" not in line and line.startswith("urn:pulumi:test::cloud-platform::")
    assert problem in line
    for name in names:
        assert name in line


# --- controls: the same shapes within the rules pass ----------------------------------------
def subnet_in_secondary_block():
    network = vpc("home")
    aws.ec2.VpcIpv4CidrBlockAssociation("more", vpc_id=network.id, cidr_block="10.1.0.0/16")
    subnet("in-secondary", network, "10.1.0.0/24")


def names_apart():
    aws.cloudwatch.LogGroup("first-logs", name="/app/api")
    aws.cloudwatch.LogGroup("second-logs", name="/app/api", opts=central())  # log groups are regional
    aws.sqs.Queue("first-queue", name="jobs", visibility_timeout_seconds=30)
    aws.sqs.Queue("second-queue", name="jobs", visibility_timeout_seconds=30)  # CreateQueue returns the same queue
    aws.sns.Topic("first-topic", name="events", tags={"team": "a"})
    aws.sns.Topic("second-topic", name="events", opts=central())  # another region
    aws.ec2.SecurityGroup("first-sg", name="app", description="app", vpc_id=vpc("home").id)
    aws.ec2.SecurityGroup("second-sg", name="app", description="app", vpc_id=vpc("other", "10.1.0.0/16").id)
    aws.iam.Role("first-role", assume_role_policy=ROLE_POLICY)  # autonames: random suffixes
    aws.iam.Role("second-role", assume_role_policy=ROLE_POLICY, opts=central())


def group_of_a_peered_vpc():
    home, edge = vpc("home"), vpc("edge", "10.1.0.0/16")
    aws.ec2.VpcPeeringConnection("link", vpc_id=home.id, peer_vpc_id=edge.id, auto_accept=True)
    lb_sg = aws.ec2.SecurityGroup("lb-sg", description="lb", vpc_id=edge.id)
    app_sg = aws.ec2.SecurityGroup("app-sg", description="app", vpc_id=home.id)
    aws.vpc.SecurityGroupIngressRule("app-from-lb", security_group_id=app_sg.id, referenced_security_group_id=lb_sg.id,
                                     ip_protocol="tcp", from_port=80, to_port=80)


def web_within_the_rules():
    network = vpc("home")
    lb = two_zone_alb(network)
    tg = aws.lb.TargetGroup("tg", name_prefix="tg-", port=80, protocol="HTTP", vpc_id=network.id)
    listener = aws.lb.Listener("http", load_balancer_arn=lb.arn, port=80, protocol="HTTP",
                               default_actions=[{"type": "forward", "target_group_arn": tg.arn}])
    _service("app-service", tg, pulumi.ResourceOptions(depends_on=[listener]))


def worker_within_the_rules():
    dlq = aws.sqs.Queue("jobs-dlq", fifo_queue=True, name="jobs-dlq.fifo")
    queue = aws.sqs.Queue("jobs", fifo_queue=True, name="jobs.fifo", visibility_timeout_seconds=60,
                          redrive_policy=dlq.arn.apply(lambda a: json.dumps({"deadLetterTargetArn": a, "maxReceiveCount": 5})))
    worker = function("worker", timeout=60)
    aws.lambda_.EventSourceMapping("worker-esm", event_source_arn=queue.arn, function_name=worker.arn)


KEPT = [subnet_in_secondary_block, names_apart, group_of_a_peered_vpc, web_within_the_rules, worker_within_the_rules]


@pytest.mark.parametrize("program", KEPT, ids=[p.__name__ for p in KEPT])
def test_resources_within_the_rules_pass(build, program):
    assert plan_rules.problems(build(program).resources, "eu-west-1") == []


@pytest.mark.parametrize("stack", ["dev", "prod", "local"])
def test_shipped_stacks_keep_every_cross_resource_rule(stack):
    from tests.harness import shipped_plan

    plan = shipped_plan(stack)
    assert plan_rules.problems(plan.resources, plan.mocks.default_region) == []


def test_the_shipped_prod_plan_is_actually_judged(prod_plan):
    """The rules find their partners in prod (not vacuously true): every subnet its VPC, the ALB its
    subnets, each event source mapping its queue and function."""
    ix = plan_rules.Index(prod_plan.resources, prod_plan.mocks.default_region)
    assert all(ix.get(s.inputs["vpcId"], plan_rules.VPC) for s in ix.of(plan_rules.SUBNET))
    assert all(len(plan_rules._lb_subnets(ix, lb)) >= 2 for lb in ix.of(plan_rules.LOAD_BALANCER))
    mappings = ix.of("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mappings and all(ix.get(m.inputs["eventSourceArn"], plan_rules.QUEUE)
                            and plan_rules._function(ix, m.inputs["functionName"]) for m in mappings)


def test_a_cross_resource_problem_fails_platformctl_plan_with_one_line(cli, monkeypatch):
    """A program bug that puts both public subnets into one zone passes every per-resource rule,
    but CreateLoadBalancer refuses the ALB: exit 1 and one `error:` line, no traceback."""
    import components.networking as networking
    import offline.plan as engine

    monkeypatch.setattr(networking.aws, "get_availability_zones",
                        lambda **_: SimpleNamespace(names=["eu-west-1a", "eu-west-1a"]))
    planned = engine.run_offline  # plan for real: no overrides, but not the session's cached plan
    monkeypatch.setattr(engine, "run_offline", lambda stack: planned(stack, {}))
    code, out, err = cli("plan", "--stack", "dev", "--format", "json")
    assert (code, out) == (1, "")
    assert err.startswith("error: urn:pulumi:dev::cloud-platform::cloud-platform:web:ScalingWebTier$aws:lb/")
    assert "eu-west-1a" in err and len(err.strip().splitlines()) == 1


def test_settings_refuse_a_load_balancer_in_one_zone_before_the_plan():
    assert error_of(networking={"enabled": True, "azCount": 1}, web={"enabled": True}) == (
        "cloud-platform:networking.azCount must be >= 2 when web or container is enabled (got 1): "
        "an application load balancer needs subnets in two availability zones")
