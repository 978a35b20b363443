"""The scanner's input: offline plans converted to Terraform plan JSON (tools/judge/convert.py),
and the list of findings explained by design (tools/judge/explained.yaml). `make judge` runs
checkov on them; these tests keep the conversion and the explanations honest without checkov."""

from __future__ import annotations

import fnmatch

import pytest
import yaml

from tools.judge.convert import convert, tf_type
from tools.judge.run import HERE, Finding, explanation

EXPLAINED = yaml.safe_load((HERE / "explained.yaml").read_text())


@pytest.fixture(scope="module")
def tfplans(dev_plan, prod_plan):
    return {"dev": convert(dev_plan), "prod": convert(prod_plan)}


def planned(tfplan, kind):
    return [r for r in tfplan["planned_values"]["root_module"]["resources"] if r["type"] == kind]


def expressions(tfplan, address):
    return next(r["expressions"] for r in tfplan["configuration"]["root_module"]["resources"] if r["address"] == address)


@pytest.mark.parametrize("token, kind", [
    ("aws:s3/bucket:Bucket", "aws_s3_bucket"),
    ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws_s3_bucket_public_access_block"),
    ("aws:ec2/vpc:Vpc", "aws_vpc"),
    ("aws:ec2/flowLog:FlowLog", "aws_flow_log"),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws_vpc_security_group_ingress_rule"),
    ("aws:lb/loadBalancer:LoadBalancer", "aws_lb"),
    ("aws:lb/targetGroup:TargetGroup", "aws_lb_target_group"),
    ("aws:apigateway/restApi:RestApi", "aws_api_gateway_rest_api"),
    ("aws:cloudwatch/logGroup:LogGroup", "aws_cloudwatch_log_group"),
    ("aws:wafv2/webAclAssociation:WebAclAssociation", "aws_wafv2_web_acl_association"),
    ("cloud-platform:web:ScalingWebTier", None),
    ("pulumi:providers:aws", None),
])
def test_types_are_the_terraform_twins(token, kind):
    assert tf_type(token) == kind


def test_every_aws_resource_is_converted_once(prod_plan, tfplans):
    custom = [r for r in prod_plan.resources if r.custom and r.type.startswith("aws:")]
    addresses = [r["address"] for r in tfplans["prod"]["planned_values"]["root_module"]["resources"]]
    assert len(addresses) == len(custom) == len(set(addresses))


def test_repeated_blocks_get_terraforms_singular_names(tfplans):
    (lifecycle, *_) = planned(tfplans["prod"], "aws_s3_bucket_lifecycle_configuration")
    assert lifecycle["values"]["rule"][0]["abort_incomplete_multipart_upload"] == {"days_after_initiation": 7}
    (acl,) = planned(tfplans["prod"], "aws_wafv2_web_acl")
    names = [r["statement"].get("managed_rule_group_statement", {}).get("name") for r in acl["values"]["rule"]]
    assert "AWSManagedRulesKnownBadInputsRuleSet" in names
    (repo,) = planned(tfplans["prod"], "aws_ecr_repository")
    assert repo["values"]["encryption_configuration"][0]["encryption_type"] == "KMS"


def test_tag_keys_keep_their_case(tfplans):
    (group,) = [g for g in planned(tfplans["prod"], "aws_lb_target_group") if g["name"].endswith("_web_blue")]
    assert group["values"]["tags"]["Colour"] == "blue"


def test_ids_and_arns_become_references_also_in_nested_blocks(tfplans):
    (service,) = planned(tfplans["prod"], "aws_ecs_service")
    network = expressions(tfplans["prod"], service["address"])["network_configuration"][0]
    assert "aws_security_group.cloud_platform_prod_container_tasks" in network["security_groups"]["references"]
    (sse, *_) = planned(tfplans["prod"], "aws_s3_bucket_server_side_encryption_configuration")
    refs = expressions(tfplans["prod"], sse["address"])["bucket"]["references"]
    assert refs[1].startswith("aws_s3_bucket.") and refs[0] == f"{refs[1]}.id"


@pytest.mark.parametrize("entry", EXPLAINED, ids=lambda e: f"{e['check']}:{e['resources'][0]}")
def test_each_explanation_is_complete_and_names_resources_that_exist(entry, tfplans):
    assert set(entry) <= {"check", "resources", "stacks", "why"} and entry["why"].strip()
    stacks = entry.get("stacks", list(tfplans))
    assert set(stacks) <= set(tfplans)
    addresses = [r["address"] for s in stacks for r in tfplans[s]["planned_values"]["root_module"]["resources"]]
    for pattern in entry["resources"]:
        assert fnmatch.filter(addresses, pattern), f"{entry['check']}: {pattern} matches no resource of {stacks}"


def test_an_explanation_applies_only_to_its_check_stack_and_resources():
    entry = {"check": "CKV_AWS_2", "resources": ["aws_lb_listener.*_web_http"], "stacks": ["dev"], "why": "x"}
    hit = Finding("dev", "CKV_AWS_2", "aws_lb_listener.cloud_platform_dev_web_http", "")
    assert explanation(hit, [entry]) is entry
    assert explanation(Finding("prod", hit.check, hit.resource, ""), [entry]) is None
    assert explanation(Finding("dev", "CKV_AWS_103", hit.resource, ""), [entry]) is None
    assert explanation(Finding("dev", hit.check, "aws_lb.cloud_platform_dev_web_alb", ""), [entry]) is None
