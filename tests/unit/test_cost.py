"""Cost estimate of a plan: hand-computed figures, unpriced types, the JSON shape, stack goals."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from offline.plan import Plan
from platformctl import cost, costfacts
from platformctl.costdiff import markdown
from tests.unit import sample_platform

# A price table and usage profile with round numbers, so the expected figure can be worked out by hand.
PRICES = {
    "retrieved": "test",
    "regions": {
        "eu-west-1": {
            "alb": {"hour": 0.03, "lcuHour": 0.01},
            "natGateway": {"hour": 0.05, "perGb": 0.05},
            "publicIpv4": {"hour": 0.005},
            "ec2": {"t3.micro": 0.01},
        }
    },
}
USAGE = {"alb": {"averageLcu": 1}, "natGateway": {"gbProcessed": 10}, "ec2": {"defaultRootVolumeGb": 0}}


def plan_of(build, program, stack="test") -> Plan:
    return Plan(stack=stack, mocks=build(program), outputs={})


def test_known_plan_costs_the_hand_computed_figure(build):
    est = cost.estimate(plan_of(build, sample_platform.known_cost_platform), PRICES, USAGE)
    # NAT:  2 x (730 h x 0.05 + 10 GB x 0.05)           = 2 x 37.00 = 74.00
    # EIP:  2 x 730 h x 0.005                           =  7.30
    # ALB:  730 h x 0.03 = 21.90; LCU 1 x 730 x 0.01    =  7.30; 2 public IPv4 x 730 x 0.005 = 7.30
    # ASG:  desired 2 x 730 h x 0.01 (t3.micro)         = 14.60
    assert est.total == 132.40
    assert est.basis_total("fixed") == 124.10  # without the usage-profile lines: NAT GB 2 x 0.50, LCU 7.30
    assert est.by_component == {"n": 81.30, "w": 51.10}
    assert est.unpriced == []
    asg = [line for line in est.lines if line.name == "w-blue"]
    assert [(a.item, a.quantity, a.unitPrice, a.monthly) for a in asg] == [("EC2 t3.micro", 1460, 0.01, 14.6)]
    assert asg[0].note == "desired 2 (min 1, max 3)"


def test_same_plan_with_the_committed_eu_west_1_prices(build):
    # 2 x (730 x 0.048 + 5 GB x 0.048) + 2 x 3.65 + 730 x 0.0252 + 0.2 x 730 x 0.008 + 2 x 730 x 0.005 + 2 x 730 x 0.0114
    # + the AMI's root volume assumed 8 GB gp3 on both instances: 2 x 8 x 0.088
    # = 70.56 + 7.30 + 18.396 + 1.168 + 7.30 + 16.644 + 1.408 = 122.776 (update when eu.yaml or usage.yaml defaults change)
    est = cost.estimate(plan_of(build, sample_platform.known_cost_platform), usage=cost.load_usage("test"))
    assert est.total == 122.78
    assert [line.item for line in est.lines if line.kind == "ebs"] == ["EBS gp3 root (AMI default)"]


def test_fargate_uses_desired_count_task_size_and_spot_share(build):
    def program():
        _, vpc, _, private = sample_platform.network("n", "10.0.0.0/16", ["eu-west-1a"], nat=False)
        sample_platform.container("c", vpc, private, desired=4, spot_weight=3)

    prices = {"regions": {"eu-west-1": {"fargate": {"arm64": {"vcpuHour": 0.04, "gbHour": 0.004}, "spotDiscount": 0.7},
                                        "ecr": {"storageGbMonth": 0.1}}}}
    est = cost.estimate(plan_of(build, program), prices, {"ecr": {"storageGb": 0}})
    fargate = sum(line.monthly for line in est.lines if line.kind == "fargate")
    # 4 tasks of 0.25 vCPU / 0.5 GB ARM64, weights 1:3 -> 1 On-Demand, 3 Spot at 30 % of the price:
    # per task-month 730 x (0.25 x 0.04 + 0.5 x 0.004) = 8.76; 8.76 x (1 + 3 x 0.3) = 16.644
    assert fargate == pytest.approx(16.644, abs=1e-3)


def test_nat_instance_costs_hours_root_volume_and_its_public_address(build):
    def program():
        aws.ec2.Instance("nat", instance_type="t4g.nano", ami="ami-1", associate_public_ip_address=True,
                         root_block_device={"volume_type": "gp3", "volume_size": 10})
        aws.ec2.Instance("private", instance_type="t4g.nano", ami="ami-1")  # no public IP, AMI-default root

    prices = {"regions": {"eu-west-1": {"ec2": {"t4g.nano": 0.005}, "ebs": {"gp3GbMonth": 0.1},
                                        "publicIpv4": {"hour": 0.005}}}}
    est = cost.estimate(plan_of(build, program), prices, {"ec2": {"defaultRootVolumeGb": 8}})
    rows = {(line.name, line.item): line.monthly for line in est.lines}
    # nat: 730 h x 0.005 = 3.65; 10 GB x 0.1 = 1.00; IPv4 730 h x 0.005 = 3.65
    # private: 3.65 + 8 GB (assumed) x 0.1 = 0.80, no address
    assert rows == {("nat", "EC2 t4g.nano"): 3.65, ("nat", "EBS gp3 root"): 1.0, ("nat", "public IPv4 address"): 3.65,
                    ("private", "EC2 t4g.nano"): 3.65, ("private", "EBS gp3 root"): 0.8}
    assert est.total == 12.75
    assert cost.above_minimum(est) == []  # t4g.nano is as small as it gets


@pytest.mark.parametrize(
    "strategies,count,spot",
    [
        ([], 3, 0),
        ([{"capacityProvider": "FARGATE_SPOT", "weight": 1}], 3, 3),
        ([{"capacityProvider": "FARGATE", "base": 1, "weight": 0}, {"capacityProvider": "FARGATE_SPOT", "weight": 1}], 3, 2),
        ([{"capacityProvider": "FARGATE", "weight": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 1}], 2, 1),
    ],
)
def test_spot_share_follows_base_then_weights(strategies, count, spot):
    assert costfacts.spot_tasks(strategies, count) == spot


def test_unknown_types_are_reported_unpriced_and_free_types_are_not(build):
    def program():
        aws.rds.Instance("db", instance_class="db.t3.micro", engine="postgres", allocated_storage=20)
        aws.iam.Role("role", assume_role_policy="{}")
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        aws.ec2.RouteTable("rt", vpc_id=vpc.id)
        aws.autoscaling.Group("orphan", min_size=1, max_size=1, desired_capacity=1)  # no launch template
        peer = aws.Provider("far", region="ap-south-1")
        aws.ec2.NatGateway("far-nat", subnet_id="subnet-1", opts=pulumi.ResourceOptions(provider=peer))

    est = cost.estimate(plan_of(build, program), cost.load_prices(), cost.load_usage("test"))
    unpriced = {(u["type"], u["name"]): u["reason"] for u in est.unpriced}
    assert set(unpriced) == {("aws:rds/instance:Instance", "db"), ("aws:autoscaling/group:Group", "orphan"),
                             ("aws:ec2/natGateway:NatGateway", "far-nat")}
    assert unpriced[("aws:rds/instance:Instance", "db")] == "no price rule for this type"
    assert "instance type not found" in unpriced[("aws:autoscaling/group:Group", "orphan")]
    assert unpriced[("aws:ec2/natGateway:NatGateway", "far-nat")] == "no price natGateway.hour for ap-south-1"
    assert est.lines == []


def test_committed_price_table_prices_every_kind_in_both_regions(build):
    est = cost.estimate(plan_of(build, sample_platform.full_platform), usage=cost.load_usage("prod"))
    assert est.unpriced == []
    kinds = {line.kind for line in est.lines}
    assert kinds >= {"alb", "alb-ipv4", "nat", "eip", "ec2", "ebs", "fargate", "alarm", "kms", "backup", "apigateway",
                     "lambda", "dynamodb", "sqs", "sns", "s3", "cloudfront", "ecr", "peering"}
    prices = cost.load_prices()
    assert prices["retrieved"] and prices["source"]
    for region in ("eu-west-1", "eu-central-1"):
        ctx = cost.Context(None, prices, cost.load_usage("prod"))
        for itype in ("t3.micro", "t3.small", "t3.medium", "t3.large", "t4g.micro", "t4g.large", "m7g.large", "m6i.large"):
            assert ctx.price(region, "ec2", itype) > 0


def test_json_lines_add_up(build):
    est = cost.estimate(plan_of(build, sample_platform.full_platform), usage=cost.load_usage("dev"))
    doc = est.to_json()
    assert set(doc) >= {"stack", "currency", "hoursPerMonth", "lines", "byComponent", "total", "unpriced"}
    assert doc["currency"] == "USD" and doc["hoursPerMonth"] == 730
    for line in doc["lines"]:
        assert line["monthly"] == pytest.approx(line["quantity"] * line["unitPrice"], abs=1e-3)
    assert doc["total"] == pytest.approx(sum(line["monthly"] for line in doc["lines"]), abs=0.005)
    assert doc["total"] == pytest.approx(sum(doc["byComponent"].values()), abs=0.01 * len(doc["byComponent"]))
    assert doc["fixed"] + doc["usage"] == pytest.approx(doc["total"], abs=0.011)


def test_dev_meets_the_cost_goals(dev_plan):
    est = cost.estimate(dev_plan)
    kinds = [line.kind for line in est.lines]
    assert "nat" not in kinds and "eip" not in kinds, "dev must not pay for NAT gateways"
    assert "endpoint" not in kinds, "dev must use the free gateway endpoints only"
    assert len({line.name for line in est.lines if line.kind == "alb"}) <= 1, "dev shares one ALB"
    assert est.unpriced == []


def test_prod_prices_nat_per_az_and_the_peer_region_at_its_own_prices(prod_plan):
    est = cost.estimate(prod_plan)
    nat_hours = [line for line in est.lines if line.kind == "nat" and line.unit == "h"]
    assert len(nat_hours) == 3 and all(line.monthly == pytest.approx(730 * 0.048) for line in nat_hours)
    peer_logs = [line for line in est.lines if line.region == "eu-central-1" and line.item == "log ingestion"]
    assert peer_logs and peer_logs[0].unitPrice == 0.63
    assert est.unpriced == []


def test_compare_markdown_shows_counts_and_differences(build):
    head = cost.estimate(plan_of(build, sample_platform.known_cost_platform), PRICES, USAGE).to_json()
    base = {**head, "total": 100.0, "byComponent": {"n": 81.30}, "resourceCounts": {"n": 6},
            "lines": [line for line in head["lines"] if line["component"] == "n"]}
    text = markdown(head, base)
    assert "**Monthly estimate $132.40** (+$32.40 vs base $100.00" in text
    assert "| w | 3 | +3 | $51.10 | +$51.10 |" in text
    assert "| n | 7 | +1 | $81.30 | ±$0.00 |" in text  # VPC, 2 subnets, 2 EIPs, 2 NAT gateways
    assert "| `w-alb` | load balancer hours | $0.00 | $21.90 | +$21.90 |" in text


def test_awsx_components_are_reported_not_guessed(build):
    import pulumi_awsx as awsx

    def program():
        awsx.ecs.FargateService(  # never created by the platform: no rule, so reported, not guessed
            "svc", desired_count=2, network_configuration={"subnets": ["subnet-1"]},
            task_definition_args={"container": {"name": "app", "image": "nginx", "cpu": 512, "memory": 1024}})
        awsx.ecr.Image("img", repository_url="123456789012.dkr.ecr.eu-west-1.amazonaws.com/app", context="app")

    est = cost.estimate(plan_of(build, program), {"regions": {"eu-west-1": {}}}, {})
    assert est.lines == []
    assert sorted((u["type"], u["name"], u["reason"]) for u in est.unpriced) == [
        ("awsx:ecr:Image", "img", "no price rule for this type"),
        ("awsx:ecs:FargateService", "svc", "no price rule for this type")]


def test_above_minimum_names_each_avoidable_fixed_cost(build):
    def program():
        _, vpc, public, private = sample_platform.network("n", "10.0.0.0/16", ["eu-west-1a", "eu-west-1b"], nat=True)
        sample_platform.web("w", vpc, public, private, instance_type="t3.large", desired=1)
        sample_platform.web("w2", vpc, public, private, instance_type="t3.micro", desired=2)
        sample_platform.container("c", vpc, private, desired=1, spot_weight=0)

    found = cost.above_minimum(cost.estimate(plan_of(build, program), usage=cost.load_usage("dev")))
    text = "\n".join(found)
    assert "NAT gateway `n-nat-a`" in text and "NAT gateway `n-nat-b`" in text
    assert "EC2 t3.large x 1 `w-blue`" in text and "EC2 t3.micro x 2 `w2-blue`" in text
    assert "Fargate On-Demand `c-service`" in text
    assert "2 load balancers (w-alb, w2-alb): share one ALB" in text
    assert len(found) == 7  # 2 NATs (an ALB needs two zones), 2 ASGs, Fargate vCPU + memory, ALBs


def test_dev_has_nothing_above_the_minimum(dev_plan):
    assert cost.above_minimum(cost.estimate(dev_plan)) == []


def test_rules_name_only_types_the_platform_creates(dev_plan, prod_plan, on_demand_nat_plan):
    from tests.harness import shipped_plan

    plans = (dev_plan, prod_plan, shipped_plan("local"), on_demand_nat_plan)  # + the NAT instance's other market
    created = {r.type for plan in plans for r in plan.resources}
    rules = cost.load_rules()
    stale = sorted(t for t in [*rules["rules"], *rules["free"]] if t not in created)
    assert stale == [], f"prices/rules.yaml prices or frees types no stack creates: {stale}"
    for plan in (dev_plan, prod_plan):
        assert cost.estimate(plan).unpriced == []


def test_free_tier_credits_each_allowance_once_per_account(build):
    def program():
        for i in range(12):
            aws.cloudwatch.MetricAlarm(f"alarm-{i}", comparison_operator="GreaterThanThreshold", evaluation_periods=1,
                                       metric_name="Errors", namespace="AWS/Lambda", period=60, statistic="Sum",
                                       threshold=1)
        aws.sqs.Queue("a")
        aws.sqs.Queue("b")

    prices = {"regions": {"eu-west-1": {"cloudwatch": {"alarmMetricMonth": 0.1}, "sqs": {"standardPerMillion": 0.4}}}}
    usage = {"sqs": {"requests": 0, "unpolledRequests": 600_000}}  # nothing polls a or b
    plan = plan_of(build, program)
    listed = cost.estimate(plan, prices, usage)
    free = cost.estimate(plan, prices, usage, free_tier=True)
    # list: 12 alarms x 0.10 = 1.20; 2 queues x 0.6 M x 0.40 = 0.48
    assert listed.total == 1.68 and not listed.free_tier
    # free: 10 alarm metrics and 1 M requests per account -> 2 alarms (0.20) + 0.2 M requests (0.08)
    assert free.total == 0.28 and free.to_json()["freeTier"] is True
    credits = [line for line in free.lines if line.item.endswith("(free tier)")]
    assert sum(-c.quantity for c in credits if c.kind == "alarm") == 10
    assert sorted((c.name, -c.quantity) for c in credits if c.kind == "sqs") == [("a", 0.6), ("b", 0.4)]
    assert all(c.monthly == pytest.approx(c.quantity * c.unitPrice, abs=1e-4) for c in credits)


def test_queue_requests_follow_whether_a_lambda_polls_the_queue(build, dev_plan):
    def program():
        dlq = aws.sqs.Queue("dlq")
        jobs = aws.sqs.Queue("jobs", redrive_policy=dlq.arn.apply(
            lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3})))
        fn = aws.lambda_.Function("worker", role="arn:aws:iam::123456789012:role/w", runtime="python3.12",
                                  handler="app.handler", code=pulumi.AssetArchive({}))
        aws.lambda_.EventSourceMapping("worker-esm", event_source_arn=jobs.arn, function_name=fn.arn)

    prices = {"regions": {"eu-west-1": {"sqs": {"standardPerMillion": 0.4}}}}
    usage = {"sqs": {"requests": 300_000, "unpolledRequests": 10_000}}
    est = cost.estimate(plan_of(build, program), prices, usage)
    rows = {line.name: (line.quantity, line.note) for line in est.lines if line.kind == "sqs"}
    # jobs: its pollers' receives; the DLQ: only what lands in it.
    assert rows == {"jobs": (0.3, ""), "dlq": (0.01, "nothing polls it (dead letters, failure records)")}
    polled = {line.name.rsplit("-", 1)[-1] for line in cost.estimate(dev_plan).lines
              if line.kind == "sqs" and not line.note}
    assert polled == {"queue"}  # dev: the messaging and OCR queues; DLQs and the notifier's failures are not polled


def test_dev_floor_items_one_customer_key_and_alarms_within_the_free_tier(dev_plan, prod_plan):
    dev, prod = cost.estimate(dev_plan, free_tier=True), cost.estimate(prod_plan, free_tier=True)
    keys = lambda est: sorted(line.name for line in est.lines if line.item == "customer managed key")  # noqa: E731
    # The ops topic keeps its key: CloudWatch and EventBridge cannot publish to a topic under
    # alias/aws/sns. Messaging uses the AWS managed keys in dev, its own key in prod.
    assert keys(dev) == ["cloud-platform-dev-alarms-topic-key"]
    assert "cloud-platform-prod-messaging-key" in keys(prod)
    alarms = [line for line in dev.lines if line.kind == "alarm"]
    assert alarms and sum(line.monthly for line in alarms) == pytest.approx(0)
    assert sum(line.monthly for line in prod.lines if line.kind == "alarm") > 0
    # Rule texts are filled in completely (a nested brace once leaked into a note).
    assert not [line.note for line in dev.lines + prod.lines if "{" in line.note or "}" in line.note]


def test_cost_output_states_whether_the_free_tier_applies(cli):
    code, out, err = cli("cost", "--stack", "dev")
    assert code == 0, err
    assert "free tier: not applied (default: list prices; --free-tier" in out
    code, free, _ = cli("cost", "--stack", "dev", "--free-tier")
    assert "free tier: applied" in free
    assert _total(free) < _total(out)


def _total(table: str) -> float:
    return float(table.split("total $")[1].split("/month")[0].replace(",", ""))
