"""The GitHub Actions workflows hold no deploy power they do not need: keyless OIDC roles,
minimal token permissions, actions pinned to commits, per-stack Pulumi tokens, lint-clean."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from tests.conftest import ROOT
from tests.delivery.workflows import (
    BIN,
    COMMIT_SCRIPT,
    OIDC_ACTION,
    PULUMI_ACTION,
    STICKY_COMMENT,
    WORKFLOWS,
    all_workflows,
    load,
    steps,
    uses,
)


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


def test_no_expressions_inside_run_scripts():
    """Inputs, branch names and matrix values reach scripts through env:, never spliced into the shell."""
    for name, doc in all_workflows().items():
        for job_id, _, step in steps(doc):
            assert "${{" not in step.get("run", ""), f"{name}:{job_id}: {step.get('name', step['run'][:40])}"
