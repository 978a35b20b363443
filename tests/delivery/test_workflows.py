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
COMMIT_SCRIPT = ".github/scripts/commit-stack-config.sh"
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


def test_the_workflows_exist():
    assert set(all_workflows()) == {"pull-request.yml", "deploy.yml", "cutover.yml", "release.yml", "drift.yml"}


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
            # Only the jobs that commit the stack file back (release/cutover) may write contents.
            commits = any(COMMIT_SCRIPT in s.get("run", "") for s in job.get("steps", []))
            assert all((commits and k == "contents" and v == "write") or allowed.get(k) == v
                       for k, v in perms.items()), f"{name}:{job_id} {perms}"
            assert (perms.get("contents") == "write") == commits, f"{name}:{job_id}: contents: write only to commit"
            comments = any((uses(s, PULUMI_ACTION) and s.get("with", {}).get("comment-on-pr"))
                           or uses(s, STICKY_COMMENT) for s in job.get("steps", []))
            assert ("pull-requests" in perms) == (comments or commits), \
                f"{name}:{job_id}: pull-requests: write only where it comments or merges the stack file's PR"
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
        [up] = [s for s in jobs[job_id]["steps"] if uses(s, PULUMI_ACTION) and "with" in s]
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


def git(cwd, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repos(tmp_path):
    """A bare origin with main holding the stack files, and a CI-like clone of it."""
    origin, seed, clone = tmp_path / "origin.git", tmp_path / "seed", tmp_path / "clone"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp_path, "init", "-q", "-b", "main", str(seed))
    for stack in ("dev", "prod"):
        (seed / f"Pulumi.{stack}.yaml").write_text((ROOT / f"Pulumi.{stack}.yaml").read_text())
    (seed / "README.md").write_text("x\n")
    git(seed, "add", "-A")
    git(seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "seed")
    git(seed, "push", "-q", str(origin), "main")
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    return origin, seed, clone


def commit_config(clone, origin, *args: str, **env) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(["bash", str(ROOT / COMMIT_SCRIPT), *args], cwd=clone, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "REMOTE_URL": str(origin), **env})


def test_commit_script_pushes_only_the_stack_file_on_top_of_a_moved_main(repos):
    origin, seed, clone = repos
    # main moves while the cutover runs
    (seed / "README.md").write_text("y\n")
    git(seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "meanwhile")
    git(seed, "push", "-q", str(origin), "main")
    stack_file = clone / "Pulumi.prod.yaml"
    stack_file.write_text(stack_file.read_text().replace("      blue: 100\n      green: 0", "      blue: 0\n      green: 100"))
    (clone / "README.md").write_text("local noise\n")  # never committed
    result = commit_config(clone, origin, "prod", "cutover prod to green (run 7)")
    assert result.returncode == 0, result.stdout + result.stderr
    log = git(origin, "log", "--format=%s", "main")
    assert log.splitlines()[:2] == ["cutover prod to green (run 7)", "meanwhile"]
    assert git(origin, "show", "--name-only", "--format=", "main") == "Pulumi.prod.yaml"
    assert "green: 100" in git(origin, "show", "main:Pulumi.prod.yaml")


def test_commit_script_does_nothing_for_an_unchanged_file_and_refuses_an_unknown_mode(repos):
    origin, _, clone = repos
    result = commit_config(clone, origin, "dev", "release green of dev")
    assert result.returncode == 0 and "unchanged: nothing to commit" in result.stdout
    assert git(origin, "log", "--format=%s", "main") == "seed"
    result = commit_config(clone, origin, "dev", "x", CONFIG_COMMIT_MODE="merge")
    assert result.returncode == 2 and "CONFIG_COMMIT_MODE must be push or pull-request (got 'merge')" in result.stdout


def test_commit_script_in_pull_request_mode_pushes_a_branch_and_merges_its_pr(repos, tmp_path):
    origin, _, clone = repos
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "gh-calls"
    fake_gh = bin_dir / "gh"
    fake_gh.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n[ "$1" = pr ] && [ "$2" = create ] && echo https://pr/1\nexit 0\n')
    fake_gh.chmod(0o755)
    stack_file = clone / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "# changed\n")
    import os

    result = commit_config(clone, origin, "dev", "release green of dev", CONFIG_COMMIT_MODE="pull-request",
                           GITHUB_RUN_ID="42", PATH=f"{bin_dir}:{os.environ['PATH']}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# changed" in git(origin, "show", "stack-config/dev-42:Pulumi.dev.yaml")
    assert git(origin, "log", "--format=%s", "main") == "seed"  # main only through the merged PR
    lines = calls.read_text().splitlines()
    assert lines[0].startswith("pr create --base main --head stack-config/dev-42 --title release green of dev")
    assert lines[1] == "pr merge https://pr/1 --merge --delete-branch"


def test_commit_script_is_shellcheck_clean():
    result = subprocess.run([str(BIN / "shellcheck"), str(ROOT / COMMIT_SCRIPT)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout
