"""Regression tests of the review defects (issue 13 item 3): each failed before its fix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from components.blocks import package_handler
from components.container_args import APP_DIR
from components.packaging import content_hash
from components.serverless import ServerlessApi
from components.serverless_args import FUNCTION_DIR, ServerlessApiArgs
from components.settings.serverless import ServerlessSettings

ROOT = Path(__file__).resolve().parents[2]
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


@pytest.fixture(params=["dev", "prod"])
def plan(request, dev_plan, prod_plan):
    return {"dev": dev_plan, "prod": prod_plan}[request.param]


def named(plan, type_, suffix):
    found = [r for r in plan.mocks.of_type(type_) if r.name.endswith(suffix)]
    assert len(found) == 1, (type_, suffix, [r.name for r in plan.mocks.of_type(type_)])
    return found[0]


# --- CloudFront: no minimum_protocol_version with the default certificate ----------------------

def test_cloudfront_default_certificate_sends_no_minimum_protocol_version(plan_with):
    plan = plan_with("dev", {"cloud-platform:serverless": {"hosting": "cloudfront"}})  # no domain: default certificate
    (cdn,) = plan.mocks.of_type("aws:cloudfront/distribution:Distribution")
    certificate = cdn.inputs["viewerCertificate"]
    # CloudFront ignores (and reports back nothing for) the minimum version on *.cloudfront.net:
    # sending it makes every `up` show a diff.
    assert certificate == {"cloudfrontDefaultCertificate": True}


# --- request-count scaling waits for the listener -------------------------------------------

def test_request_count_scaling_policies_depend_on_the_listener(prod_plan):
    from offline.stacks import stack_config

    web = json.loads(stack_config("prod")["cloud-platform:web"])
    assert web["scaling"]["metric"] == "requests"
    listener_arn = prod_plan.outputs.get("listenerArn")
    (listener,) = [r for r in prod_plan.mocks.of_type("aws:lb/listener:Listener")
                   if r.outputs["arn"] == listener_arn or (listener_arn is None and r.name.endswith("-web-http"))]
    for colour in ("blue", "green"):
        policy = named(prod_plan, "aws:autoscaling/policy:Policy", f"-web-{colour}-scaling")
        # ALBRequestCountPerTarget needs the target group attached to the ALB (through the listener).
        assert listener.urn in policy.dependencies, policy.dependencies


# --- the account-wide API Gateway logging role is a setting ------------------------------------

def test_api_gateway_account_is_managed_by_exactly_the_stack_that_says_so(dev_plan, prod_plan, plan_with):
    account = "aws:apigateway/account:Account"
    assert dev_plan.mocks.of_type(account) == []
    (managed,) = prod_plan.mocks.of_type(account)
    role = [r for r in prod_plan.mocks.of_type("aws:iam/role:Role") if r.outputs["arn"] == managed.inputs["cloudwatchRoleArn"]]
    assert len(role) == 1
    turned_on = plan_with("dev", {"cloud-platform:serverless": {"manageApiGatewayAccount": True}})
    assert len(turned_on.mocks.of_type(account)) == 1
    assert ServerlessSettings(enabled=True).manage_api_gateway_account is False


# --- container image tag: content hash of app/ --------------------------------------------------

def test_image_tag_is_the_content_hash_of_app_not_the_commit(dev_plan):
    (image,) = dev_plan.mocks.of_type("docker-build:index:Image")
    tag = f"0.1.0-{content_hash(APP_DIR)}"
    assert [t.rsplit(":", 1)[1] for t in image.inputs["tags"]] == [tag]
    assert image.inputs["buildArgs"] == {"APP_VERSION": tag}


def test_app_content_hash_ignores_caches_and_follows_content(tmp_path):
    copy = tmp_path / "app"
    shutil.copytree(APP_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    assert content_hash(copy) == content_hash(APP_DIR)
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "server.cpython-312.pyc").write_bytes(b"\x00local")
    assert content_hash(copy) == content_hash(APP_DIR)
    (copy / "server.py").write_text((copy / "server.py").read_text() + "\n# changed\n")
    assert content_hash(copy) != content_hash(APP_DIR)


# --- workflows create missing stacks; cutover/status open <org>/cloud-platform/<stack> ---------

@pytest.mark.parametrize("workflow", ["deploy.yml", "pull-request.yml"])
def test_workflow_pulumi_steps_create_a_missing_stack(workflow):
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / workflow).read_text())["jobs"]
    steps = [s for job in jobs.values() for s in job.get("steps", []) if "pulumi/actions" in s.get("uses", "")
             and (s.get("with") or {}).get("command")]
    assert steps
    for step in steps:
        assert step["with"].get("upsert") is True, step


@pytest.mark.parametrize("org,expected", [("acme", "acme/cloud-platform/dev"), ("", "dev"), (None, "dev")])
def test_cutover_and_status_open_the_org_qualified_stack(monkeypatch, org, expected):
    from platformctl.web_stack import qualified_stack_name

    if org is None:
        monkeypatch.delenv("PULUMI_ORG", raising=False)
    else:
        monkeypatch.setenv("PULUMI_ORG", org)
    assert qualified_stack_name("dev") == expected
    assert qualified_stack_name("other/cloud-platform/dev") == "other/cloud-platform/dev"


# --- flow-log role: AWS's documented set ----------------------------------------------------------

def test_flow_log_role_has_the_describe_actions(plan):
    policies = [r for r in plan.mocks.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.endswith("-flow-logs")]
    assert policies
    for policy in policies:
        actions = {a for s in json.loads(policy.inputs["policy"])["Statement"] for a in s["Action"]}
        assert {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"} <= actions


# --- SSE-S3 rules carry no bucket key ---------------------------------------------------------------

def test_sse_s3_rules_have_no_bucket_key(plan):
    rules = [rule for config in plan.mocks.of_type(SSE) for rule in config.inputs["rules"]]
    s3_rules = [r for r in rules if r["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"]
    assert s3_rules
    assert all("bucketKeyEnabled" not in r for r in s3_rules), s3_rules


# --- API function archive: only what runs, same hash everywhere -------------------------------------

def test_api_archive_holds_only_the_handler_modules(plan):
    (function,) = [f for f in plan.mocks.of_type("aws:lambda/function:Function") if f.name.endswith("-serverless-api")]
    assets = function.inputs["code"].assets
    assert sorted(assets) == sorted(f"api/{p.name}" for p in FUNCTION_DIR.glob("*.py"))


def test_stray_local_files_do_not_change_the_api_package(tmp_path):
    clean = tmp_path / "clean" / "api"
    shutil.copytree(FUNCTION_DIR, clean, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dirty = tmp_path / "dirty" / "api"
    shutil.copytree(clean, dirty)
    (dirty / "__pycache__").mkdir()
    (dirty / "__pycache__" / "handler.cpython-312.pyc").write_bytes(b"\x00\x01")
    (dirty / ".env").write_text("SECRET=local\n")
    (dirty / "notes.txt").write_text("scratch\n")
    assert sorted(package_handler(dirty.parent, "api", "handler").assets) == sorted(package_handler(clean.parent, "api", "handler").assets)


def test_api_function_is_built_from_the_python_package(build, tmp_path):
    function_dir = tmp_path / "api"
    shutil.copytree(FUNCTION_DIR, function_dir)
    (function_dir / "__pycache__").mkdir(exist_ok=True)
    (function_dir / "__pycache__" / "x.pyc").write_bytes(b"\x00")
    mocks = build(lambda: ServerlessApi("t", ServerlessApiArgs(
        stage_name="test", region="eu-west-1", function_dir=function_dir)))
    (function,) = mocks.of_type("aws:lambda/function:Function")
    assert all(name.startswith("api/") and name.endswith(".py") for name in function.inputs["code"].assets)


# --- backups: state only, failures only ---------------------------------------------------------------

def test_web_tier_volumes_are_not_selected_for_backup(plan):
    for template in plan.mocks.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        for spec in template.inputs.get("tagSpecifications", []):
            assert "Backup" not in spec["tags"], (template.name, spec)


def test_backup_notifications_fire_on_failures_only(prod_plan):
    assert prod_plan.mocks.of_type("aws:backup/vaultNotifications:VaultNotifications") == []
    (rule,) = [r for r in prod_plan.mocks.of_type("aws:cloudwatch/eventRule:EventRule") if r.name.endswith("-backup-failed")]
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["source"] == ["aws.backup"]
    assert set(pattern["detail-type"]) == {"Backup Job State Change", "Copy Job State Change", "Restore Job State Change"}
    states = {s for alternative in pattern["detail"]["$or"] for values in alternative.values() for s in values}
    assert "COMPLETED" not in states and {"FAILED", "ABORTED", "EXPIRED"} <= states
    (target,) = [t for t in prod_plan.mocks.of_type("aws:cloudwatch/eventTarget:EventTarget") if t.inputs["rule"] == rule.outputs["name"]]
    (topic,) = [t for t in prod_plan.mocks.of_type("aws:sns/topic:Topic")
                if prod_plan.mocks.component_of(t).type == "cloud-platform:guardrails:Alarms"]
    assert target.inputs["arn"] == topic.outputs["arn"]
    (topic_policy,) = [p for p in prod_plan.mocks.of_type("aws:sns/topicPolicy:TopicPolicy") if p.inputs["arn"] == topic.outputs["arn"]]
    publishers = {s["Sid"]: s for s in json.loads(topic_policy.inputs["policy"])["Statement"]}["ServicesPublish"]
    assert "events.amazonaws.com" in publishers["Principal"]["Service"]
