"""`.github/scripts/commit-stack-config.sh`: release and cutover jobs commit the stack file
back to main (directly, or through a merged pull request), against a real git origin."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import ROOT
from tests.delivery.workflows import BIN, COMMIT_SCRIPT


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
