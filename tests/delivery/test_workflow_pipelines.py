"""What each workflow runs: pull-request previews and reports, deploys dev then prod, releases
and cutovers that commit the stack file, the drift check; only real stacks and commands."""

from __future__ import annotations

import re
import shlex

import pytest
import typer

from offline.stacks import known_stacks
from platformctl.cli import app
from tests.conftest import ROOT
from tests.delivery.workflows import (
    COMMIT_SCRIPT,
    OIDC_ACTION,
    PROJECT,
    PULUMI_ACTION,
    STICKY_COMMENT,
    all_workflows,
    load,
    steps,
    uses,
)

# Commands other component areas add to platformctl (web tier: cutover, status). Exempt ONLY
# while absent from the app on this branch; once merged they are checked like any other.
EXPECTED_FROM_OTHER_AREAS: set[str] = set()


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
        [pulumi] = [s for s in jobs[job_id]["steps"] if uses(s, PULUMI_ACTION) and "with" in s]
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


def test_every_preview_and_up_enforces_the_policy_pack():
    pulumi = [(name, job_id, job, step) for name, doc in all_workflows().items()
              for job_id, job, step in steps(doc) if uses(step, PULUMI_ACTION)]
    runs = [(name, job_id, step) for name, job_id, _, step in pulumi if "command" in step.get("with", {})]
    assert len(runs) == 4  # preview (matrix), up dev, up prod, drift preview (matrix)
    for name, job_id, step in runs:
        assert step["with"]["policyPacks"] == "policy", f"{name}:{job_id}"
    assert (ROOT / "policy" / "PulumiPolicy.yaml").is_file()
    # The pack runs in ../.venv (PulumiPolicy.yaml): every job that runs Pulumi (cutover's `up`
    # through the Automation API included) installs its requirements there.
    for name, job_id, job, _ in pulumi:
        installs = " ".join(s.get("run", "") for s in job["steps"])
        assert "-r policy/requirements.txt" in installs, f"{name}:{job_id}"


def commit_step(job: dict) -> dict:
    [step] = [s for s in job["steps"] if COMMIT_SCRIPT in s.get("run", "")]
    return step


@pytest.mark.parametrize(("name", "job_id", "command"), [("cutover.yml", "cutover", "cutover"),
                                                         ("release.yml", "release", "release")])
def test_release_and_cutover_commit_the_stack_file_under_the_deploy_lock(name, job_id, command):
    job = load(name)["jobs"][job_id]
    assert job["environment"] == "${{ inputs.stack }}"
    assert job["concurrency"] == {"group": "deploy-${{ inputs.stack }}", "cancel-in-progress": False}
    names = [s.get("name", s.get("uses", "")) for s in job["steps"]]
    run_at = next(i for i, s in enumerate(job["steps"]) if f"platformctl {command}" in s.get("run", ""))
    commit = commit_step(job)
    assert job["steps"].index(commit) > run_at, names
    # After a failure too: a rollback that could not finish leaves a file that says what runs.
    assert commit["if"] == "${{ !cancelled() }}"
    assert commit["env"]["CONFIG_COMMIT_MODE"] == "${{ vars.CONFIG_COMMIT_MODE || 'push' }}"
    assert commit["env"]["STACK"] == "${{ inputs.stack }}" and "${STACK}" in commit["run"]
    if name == "release.yml":
        assert "platformctl retire" in job["steps"][run_at]["run"]


def test_deploy_refuses_when_the_listener_differs_from_the_file_before_it_deploys():
    jobs = load("deploy.yml")["jobs"]
    for job_id, stack in (("up-dev", "dev"), ("up-prod", "prod")):
        job_steps = jobs[job_id]["steps"]
        guard = next(i for i, s in enumerate(job_steps) if "--expect-no-drift" in s.get("run", ""))
        up = next(i for i, s in enumerate(job_steps) if s.get("with", {}).get("command") == "up")
        install = next(i for i, s in enumerate(job_steps) if uses(s, PULUMI_ACTION) and "with" not in s)
        assert install < guard < up
        assert job_steps[guard]["run"] == f".venv/bin/python -m platformctl status --stack {stack} --expect-no-drift"
        checkout = next(s for s in job_steps if uses(s, "actions/checkout@"))
        assert checkout["with"]["ref"] == "main"  # a release/cutover commit that landed while waiting


def test_drift_is_a_scheduled_refresh_preview_expecting_no_changes_per_stack():
    doc = load("drift.yml")
    assert doc["on"]["schedule"] and "workflow_dispatch" in doc["on"]
    job = doc["jobs"]["drift"]
    assert {m["stack"] for m in job["strategy"]["matrix"]["include"]} == {"dev", "prod"}
    assert job["concurrency"] == {"group": "deploy-${{ matrix.stack }}", "cancel-in-progress": False}
    [preview] = [s for s in job["steps"] if uses(s, PULUMI_ACTION)]
    assert preview["with"]["command"] == "preview"
    assert preview["with"]["refresh"] is True and preview["with"]["expect-no-changes"] is True
