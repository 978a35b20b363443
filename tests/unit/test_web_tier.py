"""ScalingWebTier under the recording mock: network isolation, blue/green wiring, hardening."""

from __future__ import annotations

import base64
import json

import pytest

from components.ec2_instances import architecture
from components.settings import SettingsError

SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
ASG = "aws:autoscaling/group:Group"
TG = "aws:lb/targetGroup:TargetGroup"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
LISTENER = "aws:lb/listener:Listener"
ALB = "aws:lb/loadBalancer:LoadBalancer"
COLOURS = ("blue", "green")


def plans(dev_plan, prod_plan):
    return {"dev": dev_plan, "prod": prod_plan}


def web_config(plan):
    from offline.stacks import stack_config

    return json.loads(stack_config(plan.stack)["cloud-platform:web"])


def one(plan, type_, suffix):
    found = [r for r in plan.mocks.of_type(type_) if r.name.endswith(suffix)]
    assert len(found) == 1, (type_, suffix, [r.name for r in plan.mocks.of_type(type_)])
    return found[0]


def app_listener(plan):
    """The listener that forwards to the colours: HTTPS:443 where the stack has a certificate (prod), else HTTP:80."""
    [listener] = [r for r in plan.mocks.of_type(LISTENER) if r.id == plan.outputs["listenerArn"]]
    return listener


def network_subnets(plan, tier):
    return {s.id for s in plan.mocks.of_type("aws:ec2/subnet:Subnet")
            if s.inputs["tags"]["Tier"] == tier and "-peer-" not in s.name}


def opens(rule: dict, port: int) -> bool:
    protocol = str(rule.get("ipProtocol", rule.get("protocol", "tcp")))
    if protocol in ("-1", "all"):
        return True
    low, high = rule.get("fromPort", 0), rule.get("toPort", 65535)
    return low <= port <= high


def ingress_rules(plan):
    """Every ingress rule of the stack, whatever resource carries it."""
    rules = []
    for r in plan.mocks.resources:
        if r.type in (SG, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
            rules += [(r.name, rule) for rule in r.inputs.get("ingress") or []]
        elif r.type == INGRESS:
            rules.append((r.name, r.inputs))
        elif r.type == LEGACY_RULE and r.inputs.get("type") == "ingress":
            rules.append((r.name, r.inputs))
    return rules


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_rule_anywhere_opens_ssh_or_rdp(stack, dev_plan, prod_plan):
    plan = plans(dev_plan, prod_plan)[stack]
    rules = ingress_rules(plan)
    assert len(rules) >= 2  # the scan saw the web tier's rules
    for name, rule in rules:
        assert not opens(rule, 22), name
        assert not opens(rule, 3389), name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_instance_sg_ingress_only_from_alb_sg_on_app_port(stack, dev_plan, prod_plan):
    plan = plans(dev_plan, prod_plan)[stack]
    alb_sg, instance_sg = one(plan, SG, "-web-alb-sg"), one(plan, SG, "-web-instance-sg")
    assert not instance_sg.inputs.get("ingress")
    rules = [r for r in plan.mocks.of_type(INGRESS) if r.inputs["securityGroupId"] == instance_sg.id]
    # The peering probe's rule (peer VPC CIDR, app port) is the only CIDR rule: tests/unit/test_peering.py.
    peer = [r for r in rules if plan.mocks.component_of(r).type == "cloud-platform:network:PeeringProbe"]
    rules = [r for r in rules if r not in peer]
    assert [(r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"], r.inputs["toPort"]) for r in rules] == [
        (alb_sg.id, web_config(plan)["appPort"], web_config(plan)["appPort"])
    ]
    assert all("cidrIpv4" not in r.inputs and "cidrIpv6" not in r.inputs for r in rules)
    assert [(r.inputs["cidrIpv4"], r.inputs["fromPort"]) for r in peer] == (
        [("10.30.0.0/16", web_config(plan)["appPort"])] if stack == "prod" else [])
    # every launch template puts its instances in that group and nothing else
    templates = [lt for lt in plan.mocks.of_type(LT) if plan.mocks.component_of(lt).type.endswith(":ScalingWebTier")]
    assert len(templates) == 2  # blue and green (dev's Spot NAT has a template of its own, not the web tier's)
    for lt in templates:
        assert lt.inputs["vpcSecurityGroupIds"] == [instance_sg.id]
        assert "keyName" not in lt.inputs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_alb_egress_only_to_the_app_ports_of_its_targets(stack, dev_plan, prod_plan):
    plan = plans(dev_plan, prod_plan)[stack]
    alb_sg, instance_sg = one(plan, SG, "-web-alb-sg"), one(plan, SG, "-web-instance-sg")
    app_port = web_config(plan).get("appPort", 8080)
    targets = {r.id: r.inputs["port"] for r in plan.mocks.of_type(TG)}
    egress = [r for r in plan.mocks.of_type(EGRESS) if r.inputs["securityGroupId"] == alb_sg.id]
    # Never a CIDR, only the groups of its targets, each on the port its target groups use.
    assert egress and all("cidrIpv4" not in e.inputs and "cidrIpv6" not in e.inputs for e in egress)
    assert all(e.inputs["fromPort"] == e.inputs["toPort"] and e.inputs["toPort"] in targets.values() for e in egress)
    [to_instances] = [e for e in egress if e.inputs["referencedSecurityGroupId"] == instance_sg.id]
    assert (to_instances.inputs["ipProtocol"], to_instances.inputs["fromPort"]) == ("tcp", app_port)
    assert to_instances.name.endswith("-web-alb-out-app")
    # It keeps the URN of the rule it narrows (`-alb-out-vpc`): updated in place, not recreated.
    assert to_instances.urn.replace("-out-app", "-out-vpc") in to_instances.aliases


def test_alb_sg_is_http_only_without_certificate_and_https_with(dev_plan, plan_with):
    alb_sg = one(dev_plan, SG, "-web-alb-sg")
    ports = sorted(r.inputs["fromPort"] for r in dev_plan.mocks.of_type(INGRESS)
                   if r.inputs["securityGroupId"] == alb_sg.id)
    assert ports == [80]
    cert = "arn:aws:acm:eu-west-1:123456789012:certificate/0b5c8a57-6f6e-4d3c-9a5e-2d7f9d7d1e11"
    plan = plan_with("dev", {"cloud-platform:web": {"certificateArn": cert}})
    alb_sg = one(plan, SG, "-web-alb-sg")
    ports = sorted(r.inputs["fromPort"] for r in plan.mocks.of_type(INGRESS) if r.inputs["securityGroupId"] == alb_sg.id)
    assert ports == [80, 443]
    http, https = one(plan, LISTENER, "-web-http"), one(plan, LISTENER, "-web-https")
    assert http.inputs["defaultActions"][0]["type"] == "redirect"
    assert http.inputs["defaultActions"][0]["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
    assert https.inputs["certificateArn"] == cert and https.inputs["sslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert https.inputs["defaultActions"][0]["type"] == "forward"
    assert plan.outputs["listenerArn"] == https.id


def test_certificate_from_the_program_turns_on_https(build):
    """The hook for certificates the program issues (ACM for the `domain` setting): an Output
    in the args, not a literal in config, still gives the redirect and the HTTPS listener."""
    import pulumi

    from components.web_tier import ScalingWebTier
    from components.web_tier_args import ScalingWebTierArgs

    issued = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    mocks = build(lambda: ScalingWebTier("w", ScalingWebTierArgs(
        vpc_id="vpc-1",
        public_subnet_ids=["subnet-a", "subnet-b"], private_subnet_ids=["subnet-c", "subnet-d"],
        certificate_arn=pulumi.Output.from_input(issued),
    )))
    listeners = {r.name: r.inputs for r in mocks.of_type(LISTENER)}
    assert listeners["w-https"]["certificateArn"] == issued and listeners["w-https"]["port"] == 443
    assert listeners["w-http"]["defaultActions"][0]["redirect"]["protocol"] == "HTTPS"
    assert sorted(r.inputs["fromPort"] for r in mocks.of_type(INGRESS) if r.name.startswith("w-alb-in")) == [80, 443]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_listener_weights_equal_config(stack, dev_plan, prod_plan):
    plan = plans(dev_plan, prod_plan)[stack]
    listener = app_listener(plan)
    forward = listener.inputs["defaultActions"][0]["forward"]
    tg_ids = {c: one(plan, TG, f"-web-{c}").id for c in COLOURS}
    weights = {next(c for c, i in tg_ids.items() if i == g["arn"]): g["weight"] for g in forward["targetGroups"]}
    assert weights == web_config(plan)["traffic"]
    assert plan.outputs["trafficWeights"] == weights
    assert plan.outputs["listenerArn"] == listener.id


def test_listener_weights_follow_an_override(plan_with):
    plan = plan_with("dev", {"cloud-platform:web": {"traffic": {"blue": 90, "green": 10}, "green": {"minSize": 1, "desiredCapacity": 1}}})
    groups = one(plan, LISTENER, "-web-http").inputs["defaultActions"][0]["forward"]["targetGroups"]
    by_arn = {g["arn"]: g["weight"] for g in groups}
    assert by_arn == {one(plan, TG, "-web-blue").id: 90, one(plan, TG, "-web-green").id: 10}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_colour_has_own_template_group_and_target_group(stack, dev_plan, prod_plan):
    plan = plans(dev_plan, prod_plan)[stack]
    config = web_config(plan)
    private = network_subnets(plan, "private")
    for colour in COLOURS:
        asg, tg, lt = one(plan, ASG, f"-{colour}-asg"), one(plan, TG, f"-web-{colour}"), one(plan, LT, f"-{colour}-lt")
        assert asg.inputs["targetGroupArns"] == [tg.id]
        assert asg.inputs["launchTemplate"]["id"] == lt.id
        assert asg.inputs["launchTemplate"]["version"] == "1"  # the concrete latest version
        assert set(asg.inputs["vpcZoneIdentifiers"]) == private  # only private, and all of them
        assert asg.inputs["healthCheckType"] == "ELB" and asg.inputs["healthCheckGracePeriod"] > 0
        assert asg.inputs["instanceRefresh"]["strategy"] == "Rolling"
        sizes = config[colour]
        assert (asg.inputs["minSize"], asg.inputs["maxSize"], asg.inputs["desiredCapacity"]) == (
            sizes["minSize"], sizes["maxSize"], sizes["desiredCapacity"]
        )
        assert tg.inputs["healthCheck"]["path"] == config["healthCheckPath"]
        assert tg.inputs["deregistrationDelay"] == config["deregistrationDelay"]
        assert plan.outputs["targetGroupArns"][colour] == tg.id
        assert plan.outputs["asgNames"][colour] == asg.outputs["name"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_alb_public_hardened(stack, dev_plan, prod_plan):
    plan = plans(dev_plan, prod_plan)[stack]
    alb = one(plan, ALB, "-web-alb")
    assert set(alb.inputs["subnets"]) == network_subnets(plan, "public")
    assert alb.inputs["internal"] is False
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["securityGroups"] == [one(plan, SG, "-web-alb-sg").id]
    assert alb.inputs["enableDeletionProtection"] is (stack == "prod")
    assert plan.outputs["albDnsName"] == alb.outputs["dnsName"]


def test_prod_access_logs_go_to_a_locked_bucket(prod_plan, dev_plan):
    mocks = prod_plan.mocks
    alb = one(prod_plan, ALB, "-web-alb")
    bucket = one(prod_plan, "aws:s3/bucket:Bucket", "-web-alb-logs")
    assert alb.inputs["accessLogs"] == {"bucket": bucket.outputs["bucket"], "prefix": "alb", "enabled": True}
    block = one(prod_plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "-web-alb-logs-access")
    assert all(block.inputs[k] is True for k in
               ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    sse = one(prod_plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
              "-web-alb-logs-encryption")
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    policy = json.loads(one(prod_plan, "aws:s3/bucketPolicy:BucketPolicy", "-web-alb-logs-policy").inputs["policy"])
    delivery = next(s for s in policy["Statement"] if s["Sid"] == "LogDelivery")
    assert delivery["Principal"] == {"AWS": "arn:aws:iam::156460612806:root"}  # ELB account of eu-west-1
    assert delivery["Resource"] == f"{bucket.outputs['arn']}/alb/AWSLogs/123456789012/*"
    assert bucket.retain_on_delete is True and bucket.protect is True
    # The block took these resources over from the web tier: each keeps its old URN as an alias.
    web = next(r for r in mocks.resources if r.type == "cloud-platform:web:ScalingWebTier")
    for part in mocks.descendants(mocks.by_urn(bucket.parent)):
        assert f"{web.urn.split('::')[2]}${part.type}::{bucket.name}" in " ".join(part.aliases), part.name
    assert any(c[0] == "aws:elb/getServiceAccount:getServiceAccount" for c in mocks.calls)
    # dev switches access logs off: no bucket at all
    assert not dev_plan.mocks.of_type("aws:s3/bucket:Bucket") or all(
        "-web-" not in b.name for b in dev_plan.mocks.of_type("aws:s3/bucket:Bucket"))
    assert "accessLogs" not in one(dev_plan, ALB, "-web-alb").inputs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_launch_templates_imdsv2_encrypted_gp3_tagged_for_backup(stack, dev_plan, prod_plan):
    plan = plans(dev_plan, prod_plan)[stack]
    profile = one(plan, "aws:iam/instanceProfile:InstanceProfile", "-web-instance-profile")
    for colour in COLOURS:
        lt = one(plan, LT, f"-{colour}-lt")
        assert lt.inputs["metadataOptions"]["httpTokens"] == "required"
        assert lt.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
        (root,) = lt.inputs["blockDeviceMappings"]
        assert root["ebs"]["encrypted"] == "true" and root["ebs"]["volumeType"] == "gp3"
        volume = next(t for t in lt.inputs["tagSpecifications"] if t["resourceType"] == "volume")
        assert "Backup" not in volume["tags"] and volume["tags"]["Colour"] == colour
        assert lt.inputs["iamInstanceProfile"]["arn"] == profile.outputs["arn"]
        script = base64.b64decode(lt.inputs["userData"]).decode()
        version = web_config(plan)[colour]["version"]
        assert "dnf install -y httpd" in script and f"COLOUR={colour}" in script and f"VERSION={version}" in script
        assert "systemctl enable --now httpd" in script
        assert "/var/www/html/health" in script  # the configured health check path is served


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_elb_names_fit_the_32_character_limit(stack, dev_plan, prod_plan):
    plan = plans(dev_plan, prod_plan)[stack]
    web = plan.mocks.of_type("cloud-platform:web:ScalingWebTier")[0]
    for r in [x for x in plan.mocks.of_type(ALB) + plan.mocks.of_type(TG) if plan.mocks.component_of(x) == web]:
        # AWS appends 26 characters to a prefix of at most 6; a full name would need <= 32
        assert "name" not in r.inputs and 1 <= len(r.inputs["namePrefix"]) <= 6, r.name


def test_instance_role_is_ssm_only(dev_plan):
    role = one(dev_plan, "aws:iam/role:Role", "-web-instance-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    attachments = [a for a in dev_plan.mocks.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                   if a.inputs["role"] == role.outputs["name"]]
    assert [a.inputs["policyArn"] for a in attachments] == ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]
    assert not [p for p in dev_plan.mocks.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.outputs["name"]]


def test_default_image_is_al2023_lookup_and_prebaked_skips_bootstrap(dev_plan, plan_with):
    params = [c[1]["name"] for c in dev_plan.mocks.calls if c[0] == "aws:ssm/getParameter:getParameter"]
    assert params and set(params) == {"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"}  # t4g: Graviton
    ami = "ami-0123456789abcdef0"
    plan = plan_with("dev", {"cloud-platform:web": {"green": {"amiId": ami, "bootstrap": False}}})
    green, blue = one(plan, LT, "-green-lt"), one(plan, LT, "-blue-lt")
    assert green.inputs["imageId"] == ami and "userData" not in green.inputs
    assert blue.inputs["imageId"].startswith("ami-") and blue.inputs["imageId"] != ami
    assert plan.outputs["webReleases"]["green"] == {"version": "1.1.0", "amiId": ami}


def test_graviton_types_get_the_arm64_image():
    assert architecture("t4g.micro") == "arm64" and architecture("c6gn.large") == "arm64"
    assert architecture("t3.micro") == "x86_64" and architecture("m7i-flex.large") == "x86_64"
    assert architecture("g5.xlarge") == "x86_64"


@pytest.mark.parametrize(("metric", "expected"), [("cpu", "ASGAverageCPUUtilization"), ("requests", "ALBRequestCountPerTarget")])
def test_target_tracking_per_colour(metric, expected, plan_with):
    plan = plan_with("dev", {"cloud-platform:web": {"scaling": {"metric": metric, "target": 70}}})
    alb = one(plan, ALB, "-web-alb")
    for colour in COLOURS:
        policy = one(plan, "aws:autoscaling/policy:Policy", f"-{colour}-scaling")
        asg, tg = one(plan, ASG, f"-{colour}-asg"), one(plan, TG, f"-web-{colour}")
        assert policy.inputs["autoscalingGroupName"] == asg.outputs["name"]
        config = policy.inputs["targetTrackingConfiguration"]
        assert config["targetValue"] == 70
        spec = config["predefinedMetricSpecification"]
        assert spec["predefinedMetricType"] == expected
        if metric == "requests":
            assert spec["resourceLabel"] == f"{alb.outputs['arnSuffix']}/{tg.outputs['arnSuffix']}"


def test_stickiness_from_config(prod_plan, dev_plan):
    for plan, enabled in ((prod_plan, True), (dev_plan, False)):
        for colour in COLOURS:
            assert one(plan, TG, f"-web-{colour}").inputs["stickiness"]["enabled"] is enabled
        forward = app_listener(plan).inputs["defaultActions"][0]["forward"]
        assert forward["stickiness"]["enabled"] is enabled


def test_web_disabled_builds_nothing(plan_with):
    plan = plan_with("dev", {"cloud-platform:web": {"enabled": False}})
    assert not [r for r in plan.resources if r.type.startswith("cloud-platform:web")]
    assert not [a for a in plan.mocks.of_type(ALB) if "-web-" in a.name] and "albDnsName" not in plan.outputs


def test_invalid_web_setting_fails_before_any_resource(plan_with):
    with pytest.raises(SettingsError, match=r"^cloud-platform:web.blue.minSize must be <= maxSize \(got 3 > 2\)$"):
        plan_with("dev", {"cloud-platform:web": {"blue": {"minSize": 3, "maxSize": 2, "desiredCapacity": 2}}})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_scaling_owns_desired_capacity_after_creation(stack, dev_plan, prod_plan):
    # Otherwise every `up` (each cutover step too) would reset what target tracking scaled to.
    plan = plans(dev_plan, prod_plan)[stack]
    for colour in ("blue", "green"):
        assert one(plan, ASG, f"-{colour}-asg").ignore_changes == ["desiredCapacity"]


RULE = "aws:lb/listenerRule:ListenerRule"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_header_matched_test_rule_per_colour_on_the_app_listener(stack, dev_plan, prod_plan):
    plan = plans(dev_plan, prod_plan)[stack]
    rollout = web_config(plan).get("rollout", {})
    header = rollout.get("testHeader", "X-Colour")
    base = rollout.get("testRulePriority", 10)
    listener = app_listener(plan)
    for offset, colour in enumerate(COLOURS):
        rule = one(plan, RULE, f"-web-test-{colour}")
        assert rule.inputs["listenerArn"] == listener.outputs["arn"]
        assert rule.inputs["priority"] == base + offset
        assert rule.inputs["conditions"] == [{"httpHeader": {"httpHeaderName": header, "values": [colour]}}]
        assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": one(plan, TG, f"-web-{colour}").outputs["arn"]}]


def test_test_rules_can_be_limited_to_source_cidrs(plan_with):
    plan = plan_with("dev", {"cloud-platform:web": {"rollout": {"testSourceCidrs": ["203.0.113.0/24"]}}})
    rule = one(plan, RULE, "-web-test-green")
    assert {"sourceIp": {"values": ["203.0.113.0/24"]}} in rule.inputs["conditions"]


def test_prod_live_colour_runs_its_pinned_image_and_only_the_idle_one_looks_up(prod_plan):
    blue_ami = web_config(prod_plan)["blue"]["amiId"]
    assert one(prod_plan, LT, "-blue-lt").inputs["imageId"] == blue_ami
    assert prod_plan.outputs["webReleases"]["blue"]["amiId"] == blue_ami
    lookups = [c for c in prod_plan.mocks.calls if c[0] == "aws:ssm/getParameter:getParameter"
               and "al2023" in c[1]["name"]]
    assert len(lookups) == 1  # green's (idle); blue never asks for "latest"
