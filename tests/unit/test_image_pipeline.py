"""WebImagePipeline (EC2 Image Builder prebaking) under the recording mock, and its settings."""

from __future__ import annotations

import json

import pytest

from components.image_pipeline import component_document, content_version
from tests.conftest import error_of

IB = "aws:imagebuilder/{}"
PIPELINE = {"cloud-platform:web": {"imagePipeline": {"enabled": True, "schedule": "cron(0 4 ? * MON *)"}}}


@pytest.fixture(scope="module")
def baked_plan():
    from offline.plan import run_offline

    return run_offline("dev", PIPELINE)


def only(plan, kind: str):
    [resource] = plan.mocks.of_type(IB.format(kind))
    return resource


def test_off_by_default_in_the_shipped_stacks(dev_plan, prod_plan):
    for plan in (dev_plan, prod_plan):
        assert not [r for r in plan.mocks.resources if r.type.startswith("aws:imagebuilder/")]
        assert "bakedImageParameter" not in plan.outputs


def test_recipe_bakes_the_bootstrap_onto_amazon_linux_2023_of_the_right_architecture(baked_plan):
    component = only(baked_plan, "component:Component")
    document = json.loads(component.inputs["data"])
    build = document["phases"][0]["steps"][0]["inputs"]["commands"]
    assert build[0] == "dnf install -y httpd" and "systemctl enable httpd" in build
    assert any("/var/www/html/health" in c for c in build)  # dev's healthCheckPath
    assert component.inputs["platform"] == "Linux" and component.inputs["version"] == content_version(component.inputs["data"])
    recipe = only(baked_plan, "imageRecipe:ImageRecipe")
    # dev runs t4g (Graviton): the arm64 parent image, newest version at each build
    assert recipe.inputs["parentImage"] == "arn:aws:imagebuilder:eu-west-1:aws:image/amazon-linux-2023-arm64/x.x.x"
    assert recipe.inputs["components"] == [{"componentArn": component.outputs["arn"]}]
    ebs = recipe.inputs["blockDeviceMappings"][0]["ebs"]
    assert (ebs["encrypted"], ebs["volumeType"]) == ("true", "gp3")


def test_build_instances_are_private_imdsv2_no_inbound_ssm_only(baked_plan):
    infra = only(baked_plan, "infrastructureConfiguration:InfrastructureConfiguration")
    private = {s.id for s in baked_plan.mocks.of_type("aws:ec2/subnet:Subnet") if s.inputs["tags"]["Tier"] == "private"}
    assert infra.inputs["subnetId"] in private
    assert infra.inputs["instanceMetadataOptions"] == {"httpTokens": "required", "httpPutResponseHopLimit": 1}
    assert infra.inputs["terminateInstanceOnFailure"] is True and infra.inputs["instanceTypes"] == ["t4g.nano"]
    [group_id] = infra.inputs["securityGroupIds"]
    rules = [r for r in baked_plan.mocks.resources if r.type.startswith("aws:vpc/securityGroup")
             and r.inputs.get("securityGroupId") == group_id]
    assert {r.type.rsplit(":", 1)[1] for r in rules} == {"SecurityGroupEgressRule"}  # nothing comes in
    assert sorted(r.inputs["fromPort"] for r in rules) == [80, 443]
    profile = next(p for p in baked_plan.mocks.of_type("aws:iam/instanceProfile:InstanceProfile")
                   if p.outputs["name"] == infra.inputs["instanceProfileName"])
    policies = sorted(a.inputs["policyArn"].rsplit("/", 1)[1]
                      for a in baked_plan.mocks.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                      if a.inputs["role"] == profile.inputs["role"])
    assert policies == ["AmazonSSMManagedInstanceCore", "EC2InstanceProfileForImageBuilder"]


def test_distribution_publishes_the_image_id_where_release_reads_it(baked_plan):
    distribution = only(baked_plan, "distributionConfiguration:DistributionConfiguration")
    [target] = distribution.inputs["distributions"]
    assert target["region"] == "eu-west-1"
    assert target["ssmParameterConfigurations"] == [{"parameterName": "/cloud-platform-dev/web/baked-ami-id",
                                                     "dataType": "aws:ec2:image"}]
    assert baked_plan.outputs["bakedImageParameter"] == "/cloud-platform-dev/web/baked-ami-id"
    pipeline = only(baked_plan, "imagePipeline:ImagePipeline")
    assert pipeline.inputs["schedule"] == {"scheduleExpression": "cron(0 4 ? * MON *)"}
    assert pipeline.inputs["imageTestsConfiguration"]["imageTestsEnabled"] is True
    assert pipeline.inputs["distributionConfigurationArn"] == distribution.outputs["arn"]


def test_a_changed_build_gets_a_new_component_version():
    assert content_version(component_document(80, "/health")) != content_version(component_document(8080, "/health"))
    assert content_version(component_document(80, "/health")) == content_version(component_document(80, "/health"))


def test_bad_schedule_is_one_line():
    message = error_of(networking={"enabled": True}, web={"enabled": True, "imagePipeline": {"schedule": "weekly"}})
    assert message.startswith("cloud-platform:web.imagePipeline.schedule must match") and "\n" not in message
