"""The GitHub Actions workflows: lint-clean, keyless, least privilege, only real stacks and commands."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml

from offline.stacks import known_stacks
from platformctl.cli import app
from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
# Commands other component areas add to platformctl (web tier: cutover, status). Exempt ONLY
# while absent from the app on this branch; once merged they are checked like any other.
EXPECTED_FROM_OTHER_AREAS: set[str] = set()
OIDC_ACTION = "aws-actions/configure-aws-credentials@"
PULUMI_ACTION = "pulumi/actions@"
STICKY_COMMENT = "marocchino/sticky-pull-request-comment@"
PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"]


def load(name: str) -> dict:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def all_workflows() -> dict[str, dict]:
    return {p.name: load(p.name) for p in sorted(WORKFLOWS.glob("*.y*ml"))}


def steps(doc: dict):
    for job_id, job in doc["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, job, step


def uses(step: dict, action: str) -> bool:
    return str(step.get("uses", "")).startswith(action)


def test_the_three_workflows_exist():
    assert set(all_workflows()) == {"pull-request.yml", "deploy.yml", "cutover.yml"}


def test_actionlint_is_clean():
    exe, shellcheck = BIN / "actionlint", BIN / "shellcheck"
    assert exe.exists(), "actionlint missing: pip install -r requirements-dev.txt"
    files = [str(p) for p in sorted(WORKFLOWS.glob("*.yml"))]
    result = subprocess.run([str(exe), "-no-color", f"-shellcheck={shellcheck}", *files],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_long_lived_aws_keys_anywhere():
    pattern = re.compile(r"aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID", re.I)
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / ".github").rglob("*") if p.is_file() and pattern.search(p.read_text())]
    assert offenders == []


def test_aws_credentials_only_through_oidc_roles_in_jobs_that_may_mint_tokens():
    seen = 0
    for name, doc in all_workflows().items():
        for job_id, job, step in steps(doc):
            if uses(step, OIDC_ACTION):
                seen += 1
                with_ = step["with"]
                assert "vars.AWS_ROLE_ARN_" in str(with_["role-to-assume"]) or "matrix.role" in with_["role-to-assume"]
                assert with_["aws-region"] == "eu-west-1"
                assert job["permissions"].get("id-token") == "write", f"{name}:{job_id}"
    assert seen >= 4


def test_permissions_are_minimal_per_job():
    allowed = {"contents": "read", "id-token": "write", "pull-requests": "write"}
    for name, doc in all_workflows().items():
        assert doc["permissions"] == {}, f"{name}: default token permissions must be empty"
        for job_id, job in doc["jobs"].items():
            perms = job["permissions"]
            assert all(allowed.get(k) == v for k, v in perms.items()), f"{name}:{job_id} {perms}"
            comments = any((uses(s, PULUMI_ACTION) and s.get("with", {}).get("comment-on-pr"))
                           or uses(s, STICKY_COMMENT) for s in job.get("steps", []))
            assert ("pull-requests" in perms) == comments, f"{name}:{job_id}: pull-requests: write only where it comments"
            mints = any(uses(s, OIDC_ACTION) for s in job.get("steps", []))
            assert ("id-token" in perms) == mints, f"{name}:{job_id}: id-token only where AWS is assumed"


PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+(\.\d+){0,2}\s*$")


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version():
    """A tag can be moved to other code; a commit cannot. The comment says which release it is."""
    pinned = set()
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.match(r"^\s*(-\s+)?uses:", line):
                match = PINNED.match(line)
                assert match, f"{path.name}:{number}: not pinned to a commit SHA with '# vX.Y.Z': {line.strip()}"
                pinned.add((match.group(1), match.group(2)))
    # One commit per action across all workflows: upgrades happen everywhere at once.
    actions = [action for action, _ in pinned]
    assert len(actions) == len(set(actions)), sorted(pinned)
    assert {"actions/checkout", "aws-actions/configure-aws-credentials", "pulumi/actions"} <= set(actions)


def test_pulumi_tokens_are_per_stack_and_previews_only_read():
    """Previews get the read-only token; each deploy gets its own stack's token (docs/security.md)."""
    preview = load("pull-request.yml")["jobs"]["preview"]
    [pulumi] = [s for s in preview["steps"] if uses(s, PULUMI_ACTION)]
    assert pulumi["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN_PREVIEW }}"
    jobs = load("deploy.yml")["jobs"]
    for job_id, stack in (("up-dev", "DEV"), ("up-prod", "PROD")):
        [up] = [s for s in jobs[job_id]["steps"] if uses(s, PULUMI_ACTION)]
        assert up["env"]["PULUMI_ACCESS_TOKEN"] == f"${{{{ secrets.PULUMI_ACCESS_TOKEN_{stack} }}}}"
    text = "".join(p.read_text() for p in WORKFLOWS.glob("*.yml"))
    assert "secrets.PULUMI_ACCESS_TOKEN }}" not in text  # no one token for every stack


def test_pull_requests_assume_only_preview_roles():
    preview = load("pull-request.yml")["jobs"]["preview"]
    roles = {m["stack"]: m["role"] for m in preview["strategy"]["matrix"]["include"]}
    assert roles == {s: f"${{{{ vars.AWS_ROLE_ARN_{s.upper()}_PREVIEW }}}}" for s in ("dev", "prod")}
    bootstrap = yaml.safe_load((ROOT / "bootstrap" / "Pulumi.bootstrap.yaml").read_text())
    config = bootstrap["config"]["cloud-platform-bootstrap:roles"]
    for stack in ("dev", "prod"):
        assert config[f"{stack}-preview"] == {"access": "preview", "pullRequests": True}


def test_pull_request_previews_dev_and_prod_with_comments_without_refresh():
    doc = load("pull-request.yml")
    assert set(doc["on"]) == {"pull_request"}
    assert doc["concurrency"]["cancel-in-progress"] is False and "github.head_ref" in doc["concurrency"]["group"]
    preview = doc["jobs"]["preview"]
    assert preview["needs"] == "test"
    assert [m["stack"] for m in preview["strategy"]["matrix"]["include"]] == ["dev", "prod"]
    [pulumi] = [s for s in preview["steps"] if uses(s, PULUMI_ACTION)]
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["comment-on-pr"] is True
    # A refresh reads every object of the site bucket: a data-plane read the preview role lacks.
    assert pulumi["with"]["refresh"] is False and pulumi["with"]["work-dir"] == "."
    summary = [s for s in preview["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
    assert summary and "platformctl plan --stack" in summary[0]["run"]
    test_steps = doc["jobs"]["test"]["steps"]
    python = [s for s in test_steps if uses(s, "actions/setup-python@")][0]["with"]
    assert python["python-version"] == "3.11" and python["cache"] == "pip"
    assert any(s.get("run") == "make test" for s in test_steps)


def test_pull_request_reports_check_and_cost_difference_against_the_base():
    report = load("pull-request.yml")["jobs"]["report"]
    assert "id-token" not in report["permissions"]  # offline: no AWS role
    checkout = [s for s in report["steps"] if uses(s, "actions/checkout@")][0]
    assert checkout["with"]["fetch-depth"] == 0
    script = "\n".join(s.get("run", "") for s in report["steps"])
    [base] = [s for s in report["steps"] if "BASE_REF" in s.get("env", {})]
    assert base["env"]["BASE_REF"] == "${{ github.base_ref }}" and "origin/${BASE_REF}" in base["run"]
    for command in ("cost --stack \"${stack}\" --format json", "--compare-to", "check --stack \"${stack}\""):
        assert command in script
    [comment] = [s for s in report["steps"] if uses(s, STICKY_COMMENT)]
    assert comment["with"]["path"] == "cost-comment.md" and "cost-comment.md" in script


def test_deploy_goes_dev_then_approved_prod_one_deployment_per_stack():
    doc = load("deploy.yml")
    assert doc["on"] == {"push": {"branches": ["main"]}}
    jobs = doc["jobs"]
    assert jobs["up-dev"]["needs"] == "test" and jobs["up-prod"]["needs"] == "up-dev"
    assert jobs["up-prod"]["environment"] == "prod" and "environment" not in jobs["up-dev"]
    for job_id, stack in (("up-dev", "dev"), ("up-prod", "prod")):
        assert jobs[job_id]["concurrency"] == {"group": f"deploy-{stack}", "cancel-in-progress": False}
        [pulumi] = [s for s in jobs[job_id]["steps"] if uses(s, PULUMI_ACTION)]
        assert pulumi["with"]["command"] == "up"
        assert pulumi["with"]["stack-name"] == f"${{{{ vars.PULUMI_ORG }}}}/{PROJECT}/{stack}"
        [oidc] = [s for s in jobs[job_id]["steps"] if uses(s, OIDC_ACTION)]
        assert oidc["with"]["role-to-assume"] == f"${{{{ vars.AWS_ROLE_ARN_{stack.upper()} }}}}"


def test_cutover_is_manual_in_the_stacks_environment_sharing_the_deploy_lock():
    doc = load("cutover.yml")
    inputs = doc["on"]["workflow_dispatch"]["inputs"]
    assert inputs["stack"]["type"] == "choice" and inputs["colour"]["options"] == ["blue", "green"]
    assert inputs["steps"] == {**inputs["steps"], "type": "string", "default": "10,50,100"}
    job = doc["jobs"]["cutover"]
    assert job["environment"] == "${{ inputs.stack }}"
    assert job["concurrency"] == {"group": "deploy-${{ inputs.stack }}", "cancel-in-progress": False}
    run = next(s for s in job["steps"] if "platformctl cutover" in s.get("run", ""))
    assert run["env"] == {**run["env"], "STACK": "${{ inputs.stack }}", "COLOUR": "${{ inputs.colour }}", "STEPS": "${{ inputs.steps }}"}
    assert "--yes" in run["run"]


def test_no_expressions_inside_run_scripts():
    """Inputs, branch names and matrix values reach scripts through env:, never spliced into the shell."""
    for name, doc in all_workflows().items():
        for job_id, _, step in steps(doc):
            assert "${{" not in step.get("run", ""), f"{name}:{job_id}: {step.get('name', step['run'][:40])}"


def stacks_referenced(doc: dict) -> set[str]:
    found: set[str] = set()
    dispatch = (doc["on"] or {}).get("workflow_dispatch") or {}
    found.update((dispatch.get("inputs") or {}).get("stack", {}).get("options", []))
    for job in doc["jobs"].values():
        for entry in job.get("strategy", {}).get("matrix", {}).get("include", []):
            found.add(entry["stack"])
        group = (job.get("concurrency") or {}).get("group", "")
        if re.fullmatch(r"deploy-[\w.-]+", group):
            found.add(group.removeprefix("deploy-"))
        for step in job.get("steps", []):
            stack_name = str(step.get("with", {}).get("stack-name", ""))
            if stack_name:
                org, project, stack = stack_name.split("/")
                assert project == PROJECT, stack_name
                if "${{" not in stack:
                    found.add(stack)
                else:
                    assert stack in ("${{ matrix.stack }}", "${{ inputs.stack }}"), stack_name
    return found


def test_workflows_reference_only_stacks_that_exist():
    stacks = set(known_stacks())
    referenced = set().union(*(stacks_referenced(doc) for doc in all_workflows().values()))
    assert {"dev", "prod"} <= referenced
    assert referenced - stacks == set(), f"no Pulumi.<stack>.yaml for {referenced - stacks}"


def platformctl_calls() -> list[list[str]]:
    calls = []
    for doc in all_workflows().values():
        for _, _, step in steps(doc):
            for line in step.get("run", "").splitlines():
                if "platformctl" in line:
                    words = shlex.split(line.split("platformctl", 1)[1].split(">>")[0])
                    calls.append(words)
    return calls


def test_workflows_use_only_platformctl_commands_and_options_that_exist():
    cli = typer.main.get_command(app)
    calls = platformctl_calls()
    assert {c[0] for c in calls} >= {"plan", "cutover"}
    missing = set()
    for words in calls:
        command = cli.commands.get(words[0])
        if command is None:
            missing.add(words[0])
            continue
        options = {o for p in command.params for o in p.opts}
        used = {w.split("=")[0] for w in words[1:] if w.startswith("-")}
        assert used <= options, f"platformctl {words[0]}: unknown options {used - options}"
    assert missing <= EXPECTED_FROM_OTHER_AREAS, f"workflows call platformctl commands that do not exist: {missing}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_role_variables_exist_in_bootstrap_outputs(stack):
    """Every vars.AWS_ROLE_ARN_* a workflow reads is one the bootstrap program exports."""
    bootstrap = yaml.safe_load((ROOT / "bootstrap" / "Pulumi.bootstrap.yaml").read_text())
    roles = bootstrap["config"]["cloud-platform-bootstrap:roles"]
    exported = {f"AWS_ROLE_ARN_{k.upper().replace('-', '_')}" for k in roles}
    text = "".join(p.read_text() for p in WORKFLOWS.glob("*.yml"))
    used = set(re.findall(r"vars\.(AWS_ROLE_ARN_\w+)", text))
    assert f"AWS_ROLE_ARN_{stack.upper()}" in used
    assert used <= exported, used - exported


def test_every_preview_and_up_enforces_the_policy_pack():
    pulumi = [(name, job_id, job, step) for name, doc in all_workflows().items()
              for job_id, job, step in steps(doc) if uses(step, PULUMI_ACTION)]
    runs = [(name, job_id, step) for name, job_id, _, step in pulumi if "command" in step.get("with", {})]
    assert len(runs) == 3  # preview (matrix), up dev, up prod
    for name, job_id, step in runs:
        assert step["with"]["policyPacks"] == "policy", f"{name}:{job_id}"
    assert (ROOT / "policy" / "PulumiPolicy.yaml").is_file()
    # The pack runs in ../.venv (PulumiPolicy.yaml): every job that runs Pulumi (cutover's `up`
    # through the Automation API included) installs its requirements there.
    for name, job_id, job, _ in pulumi:
        installs = " ".join(s.get("run", "") for s in job["steps"])
        assert "-r policy/requirements.txt" in installs, f"{name}:{job_id}"
