"""dev's Spot NAT (networking.natInstanceMarket: spot): a group of one that takes over a fixed
network interface, what AWS refuses in such launch templates and groups, and what it costs."""

from __future__ import annotations

import base64
import json
import subprocess

import pulumi_aws as aws
import pytest

from offline.provider_rules import PlanRejectedError, problems
from platformctl import cost
from tests.unit.test_cost import plan_of
from tests.unit.test_networking import default_route, home, private_tables

ENI = "aws:ec2/networkInterface:NetworkInterface"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
GROUP = "aws:autoscaling/group:Group"


def _nat(plan):
    (eni,) = home(plan, ENI)
    (group,) = [g for g in home(plan, GROUP) if {"key": "Role", "value": "nat", "propagateAtLaunch": True}
                in g.inputs["tags"]]
    (template,) = [t for t in home(plan, TEMPLATE) if t.id == group.inputs["mixedInstancesPolicy"]["launchTemplate"][
        "launchTemplateSpecification"]["launchTemplateId"]]
    return eni, group, template


def test_dev_routes_point_at_a_fixed_interface_a_spot_group_of_one_takes_over(dev_plan):
    eni, group, template = _nat(dev_plan)
    assert home(dev_plan, "aws:ec2/instance:Instance") == []
    public_a = [s for s in home(dev_plan, "aws:ec2/subnet:Subnet") if s.inputs["tags"]["Name"].endswith("public-a")][0]
    # The interface: in the public subnet of zone a, forwarding others' packets, behind the NAT group.
    assert eni.inputs["subnetId"] == public_a.id and eni.inputs["sourceDestCheck"] is False
    (sg,) = [g for g in home(dev_plan, "aws:ec2/securityGroup:SecurityGroup") if g.id in eni.inputs["securityGroups"]]
    assert [(r["fromPort"], r["cidrBlocks"]) for r in sg.inputs["ingress"]] == [(80, ["10.10.0.0/16"]), (443, ["10.10.0.0/16"])]
    assert [(r["fromPort"], r["cidrBlocks"]) for r in sg.inputs["egress"]] == [(80, ["0.0.0.0/0"]), (443, ["0.0.0.0/0"])]
    targets = {default_route(dev_plan, t)[0].inputs.get("networkInterfaceId") for t in private_tables(dev_plan)}
    assert targets == {eni.id}
    # The group: one Spot instance in the interface's zone (an interface attaches only there), replaced on failure.
    i = group.inputs
    assert (i["minSize"], i["maxSize"], i["desiredCapacity"], i["vpcZoneIdentifiers"]) == (1, 1, 1, [public_a.id])
    dist = i["mixedInstancesPolicy"]["instancesDistribution"]
    assert (dist["onDemandBaseCapacity"], dist["onDemandPercentageAboveBaseCapacity"]) == (0, 0)
    assert i["mixedInstancesPolicy"]["launchTemplate"]["overrides"] == [{"instanceType": "t4g.nano"}]
    # Its instances: the one public address on their own primary interface, IMDSv2, encrypted root, no key pair.
    t = template.inputs
    assert t["networkInterfaces"] == [{"deviceIndex": 0, "associatePublicIpAddress": "true",
                                       "deleteOnTermination": "true", "securityGroups": [sg.id]}]
    assert "vpcSecurityGroupIds" not in t and "keyName" not in t
    assert t["metadataOptions"]["httpTokens"] == "required" and t["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    assert t["creditSpecification"] == {"cpuCredits": "standard"}
    script = base64.b64decode(t["userData"]).decode()
    assert f"--network-interface-id {eni.id}" in script and "--device-index 1" in script
    # Replies to the VPC leave through the fixed interface (router = public subnet a + 1), the rest is masqueraded.
    assert f"ip route replace 10.10.0.0/16 via 10.10.0.1 dev {eni.id}" in script
    assert "-s 10.10.0.0/16 ! -d 10.10.0.0/16 -j MASQUERADE" in script
    assert "systemctl enable --now nat-up" in script  # on every boot, not only the first


def test_spot_nat_may_attach_only_its_interface_to_instances_of_its_group(dev_plan):
    eni, group, template = _nat(dev_plan)
    (profile,) = [p for p in dev_plan.mocks.of_type("aws:iam/instanceProfile:InstanceProfile")
                  if p.outputs["arn"] == template.inputs["iamInstanceProfile"]["arn"]]
    (policy,) = [p for p in dev_plan.mocks.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == profile.inputs["role"]]
    statements = json.loads(policy.inputs["policy"])["Statement"]
    assert [(s["Action"], s["Resource"], s.get("Condition")) for s in statements] == [
        (["ec2:AttachNetworkInterface"], [eni.outputs["arn"]], None),
        (["ec2:AttachNetworkInterface"], ["arn:aws:ec2:eu-west-1:123456789012:instance/*"],
         {"StringEquals": {"aws:ResourceTag/aws:autoscaling:groupName": group.outputs["name"]}}),
    ]


@pytest.mark.parametrize(("type_", "inputs", "problem"), [
    (TEMPLATE, {"vpcSecurityGroupIds": ["sg-1"], "networkInterfaces": [{"deviceIndex": 0}]}, "security groups must be set on it"),
    (TEMPLATE, {"networkInterfaces": [{"deviceIndex": 1, "associatePublicIpAddress": "true"}]}, "deviceIndex 0"),
    (TEMPLATE, {"networkInterfaces": [{"deviceIndex": 0, "associatePublicIpAddress": "true"}, {"deviceIndex": 1}]},
     "single network interface"),
    (GROUP, {"launchTemplate": {"id": "lt-1"}, "mixedInstancesPolicy": {"launchTemplate": {}}}, "takes one of them"),
    (GROUP, {"mixedInstancesPolicy": {"instancesDistribution": {"onDemandPercentageAboveBaseCapacity": 101}}}, "outside 0-100"),
    (GROUP, {"mixedInstancesPolicy": {"instancesDistribution": {"onDemandBaseCapacity": -1}}}, "negative"),
    (GROUP, {"mixedInstancesPolicy": {"instancesDistribution": {"spotAllocationStrategy": "cheapest"}}}, "not one of"),
])
def test_what_aws_refuses_in_templates_and_groups(type_, inputs, problem):
    (found,) = problems(type_, inputs)
    assert problem in found


def test_a_mixed_policy_template_must_not_request_spot_itself(build):
    def program():
        template = aws.ec2.LaunchTemplate("spot-lt", instance_type="t4g.nano", instance_market_options={"market_type": "spot"})
        aws.autoscaling.Group("spot-asg", min_size=1, max_size=1, availability_zones=["eu-west-1a"], mixed_instances_policy={
            "launch_template": {"launch_template_specification": {"launch_template_id": template.id}}})

    with pytest.raises(PlanRejectedError) as info:
        build(program)
    assert "spot-asg" in str(info.value) and "requests the spot market" in str(info.value)


def test_spot_share_public_address_and_interface_are_priced(build):
    def program():
        template = aws.ec2.LaunchTemplate("lt", instance_type="t4g.nano", network_interfaces=[
            {"device_index": 0, "associate_public_ip_address": "true", "security_groups": ["sg-1"]}])
        spec = {"launch_template_specification": {"launch_template_id": template.id}}
        aws.autoscaling.Group("nat", min_size=1, max_size=1, desired_capacity=1, availability_zones=["eu-west-1a"],
                              mixed_instances_policy={"launch_template": spec, "instances_distribution": {
                                  "on_demand_base_capacity": 0, "on_demand_percentage_above_base_capacity": 0}})
        # base 1 On-Demand, then 50 % of the other 2: 2 On-Demand, 1 Spot; no public address.
        private = aws.ec2.LaunchTemplate("private-lt", instance_type="t4g.nano")
        aws.autoscaling.Group("mixed", min_size=3, max_size=3, desired_capacity=3, availability_zones=["eu-west-1a"],
                              mixed_instances_policy={"launch_template": {"launch_template_specification": {
                                  "launch_template_id": private.id}}, "instances_distribution": {
                                  "on_demand_base_capacity": 1, "on_demand_percentage_above_base_capacity": 50}})
        aws.ec2.NetworkInterface("eni", subnet_id="subnet-1", source_dest_check=False)

    prices = {"regions": {"eu-west-1": {"ec2": {"t4g.nano": 0.01}, "ec2Spot": {"discount": 0.7},
                                        "publicIpv4": {"hour": 0.005}, "ebs": {"gp3GbMonth": 0.1}}}}
    est = cost.estimate(plan_of(build, program), prices, {"ec2": {"defaultRootVolumeGb": 0}})
    rows = {(line.name, line.item): line.monthly for line in est.lines}
    # nat: 730 h x 0.01 x (1 - 0.7) = 2.19 Spot; IPv4 730 x 0.005 = 3.65
    # mixed: 2 x 730 x 0.01 = 14.60 On-Demand; 1 x 730 x 0.003 = 2.19 Spot
    assert rows == {("nat", "EC2 Spot t4g.nano"): 2.19, ("nat", "public IPv4 addresses"): 3.65,
                    ("mixed", "EC2 t4g.nano"): 14.6, ("mixed", "EC2 Spot t4g.nano"): 2.19}
    assert est.unpriced == []  # the interface itself is free


def test_dev_within_its_floor_target_and_prod_keeps_its_nat_gateways(dev_plan, prod_plan, on_demand_nat_plan):
    from tools.bench.cost_floor import floor_estimate

    floor, _ = floor_estimate()
    dev, on_demand = (cost.estimate(p, free_tier=True) for p in (dev_plan, on_demand_nat_plan))
    nat = {line.item: line.monthly for line in dev.lines if line.name.endswith("nat-asg")}
    assert set(nat) == {"EC2 Spot t4g.nano", "public IPv4 addresses", "EBS gp3 /dev/xvda"}
    # The Spot instance is the only difference between the two markets: same address, same root volume.
    assert on_demand.total - dev.total == pytest.approx(730 * 0.0046 * 0.67, abs=0.02)
    assert dev.total <= 1.15 * floor, f"dev ${dev.total} is {dev.total / floor:.3f}x its floor ${floor}"
    assert not [line for line in cost.estimate(prod_plan).lines if line.name.endswith("nat-asg")]


STUBS = {
    # IMDSv2: a token, then the metadata paths the script asks for.
    "curl": 'case "$*" in *api/token*) echo tok;; *placement/region*) echo eu-west-1;; *instance-id*) echo i-0new;; esac',
    # The predecessor holds the interface for the first attempt; the second attaches it.
    "aws": 'echo "aws $*" >> "$LOG"; n=$(cat "$STATE/tries" 2>/dev/null || echo 0); echo $((n+1)) > "$STATE/tries"\n'
           '[ "$n" -ge 1 ] && touch "$STATE/attached"',
    "ip": 'if [ "$1" = link ]; then [ -e "$STATE/attached" ]; else echo "ip $*" >> "$LOG"; fi',
    "iptables": 'echo "iptables $*" >> "$LOG"; case "$*" in *" -C "*) grep -q MASQUERADE "$STATE/rules" 2>/dev/null;;'
                ' *" -A "*) echo "$*" >> "$STATE/rules";; esac',
    "sysctl": 'echo "sysctl $*" >> "$LOG"',
    "sleep": ":",
}


def _boot(script, tmp_path, state):
    bin_ = tmp_path / "bin"
    bin_.mkdir(exist_ok=True)
    for name, body in STUBS.items():
        (bin_ / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_ / name).chmod(0o755)
    log = tmp_path / "log"
    log.write_text("")
    env = {"PATH": f"{bin_}:/usr/bin:/bin", "LOG": str(log), "STATE": str(state)}
    subprocess.run(["bash", "-c", script], env=env, check=True, timeout=30)
    return log.read_text().splitlines()


def test_nat_up_takes_the_interface_over_and_is_safe_to_rerun_at_boot(tmp_path):
    from components.nat_instance import nat_up_script

    state = tmp_path / "state"
    state.mkdir()
    script = nat_up_script("10.10.0.0/16", "10.10.0.0/20", "eni-0fixed")
    first = _boot(script, tmp_path, state)
    attach = ("aws ec2 attach-network-interface --region eu-west-1 --instance-id i-0new --device-index 1 "
              "--network-interface-id eni-0fixed")
    assert first[:2] == [attach, attach]  # retried while the terminating predecessor still held it
    assert first[2:] == [
        "sysctl -w net.ipv4.ip_forward=1",
        "ip route replace 10.10.0.0/16 via 10.10.0.1 dev eni-0fixed",
        "iptables -P FORWARD ACCEPT", "iptables -F FORWARD",
        "iptables -t nat -C POSTROUTING -s 10.10.0.0/16 ! -d 10.10.0.0/16 -j MASQUERADE",
        "iptables -t nat -A POSTROUTING -s 10.10.0.0/16 ! -d 10.10.0.0/16 -j MASQUERADE",
    ]
    # A reboot: the interface is already attached, the route and forwarding come back, no second rule.
    again = _boot(script, tmp_path, state)
    assert not [line for line in again if line.startswith("aws ")]
    assert "ip route replace 10.10.0.0/16 via 10.10.0.1 dev eni-0fixed" in again
    assert [line for line in again if " -A " in line] == []


def test_an_unknown_market_is_one_line_naming_the_choices():
    from tests.conftest import error_of

    message = error_of(networking={"natStrategy": "instance", "natInstanceMarket": "reserved"})
    assert message.startswith("cloud-platform:networking.natInstanceMarket must be ")
    assert "'on-demand'" in message and "'spot'" in message and "reserved" in message and "\n" not in message
