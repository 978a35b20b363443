"""`python -m platformctl check`: exit codes, formats and one-line errors, as a user runs it."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from policy.registry import all_policies
from tests.conftest import ROOT


def test_check_dev_passes_with_summary(cli):
    code, out, err = cli("check", "--stack", "dev")
    assert code == 0, err
    assert out.strip().splitlines()[-1].startswith("PASS check dev: ")


def test_check_prod_json(cli):
    code, out, err = cli("check", "--stack", "prod", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["stack"] == "prod" and doc["passed"] is True and doc["mandatory"] == 0
    assert doc["policies"] >= 20 and doc["resources"] > 50


@pytest.fixture
def broken_root(tmp_path):
    """A copy of the project's stack files where dev has flow logs off and SSH-style mistakes."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    doc = yaml.safe_load((tmp_path / "Pulumi.dev.yaml").read_text())
    doc["config"]["cloud-platform:networking"]["flowLogs"]["enabled"] = False
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(doc))
    return tmp_path


def test_broken_variant_exits_1_naming_the_control(broken_root, cli, monkeypatch):
    monkeypatch.setattr("offline.stacks.ROOT", broken_root)
    code, out, err = cli("check", "--stack", "dev")
    assert code == 1, out + err
    assert "vpc-flow-logs" in out and "EC2.6" in out
    assert out.strip().splitlines()[-1].startswith(f"FAIL check dev: {len(all_policies())} policies")
    assert out.strip().endswith("violation(s) [vpc-flow-logs x1 (mandatory)]")


def test_broken_variant_json(broken_root, cli, monkeypatch):
    monkeypatch.setattr("offline.stacks.ROOT", broken_root)
    code, out, _ = cli("check", "--stack", "dev", "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["passed"] is False
    assert [v["policy"] for v in doc["violations"] if v["enforcement"] == "mandatory"] == ["vpc-flow-logs"]


@pytest.mark.parametrize("args,message", [
    (["check", "--stack", "staging"], "error: unknown stack 'staging' (known: "),
    (["check", "--stack", "dev", "--format", "xml"], "error: Invalid value for '--format'"),
    (["check"], "error: Missing option '--stack'"),
])
def test_bad_arguments_are_one_line_exit_2(args, message, cli):
    code, _, err = cli(*args)
    assert code == 2
    assert err.startswith(message) and len(err.strip().splitlines()) == 1


def test_invalid_compliance_setting_is_one_line(broken_root, cli, monkeypatch):
    doc = yaml.safe_load((broken_root / "Pulumi.dev.yaml").read_text())
    doc["config"]["cloud-platform:compliance"] = {"enforcement": {"vpc-flow-logz": "advisory"}}
    (broken_root / "Pulumi.dev.yaml").write_text(yaml.safe_dump(doc))
    monkeypatch.setattr("offline.stacks.ROOT", broken_root)
    code, _, err = cli("check", "--stack", "dev")
    assert code == 2
    assert err.startswith("error: cloud-platform:compliance.enforcement names unknown policies vpc-flow-logz")
    assert len(err.strip().splitlines()) == 1
