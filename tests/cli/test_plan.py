"""`python -m platformctl plan`: in-process through the real entry point (`cli` fixture), and in a
subprocess where the process boundary is what is tested (`python -m`, CLOUD_PLATFORM_ROOT)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def platformctl(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "platformctl", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, **kw)


def test_plan_json_prod_is_complete_and_ids_resolve(cli):
    code, out, err = cli("plan", "--stack", "prod", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["stack"] == "prod"
    resources = doc["resources"]
    for r in resources:
        assert set(r) >= {"urn", "type", "name", "id", "parent", "provider", "inputs"}
    ids = {r["id"] for r in resources if r["id"]}
    subnets = [r for r in resources if r["type"] == "aws:ec2/subnet:Subnet"]
    assert subnets and all(s["inputs"]["vpcId"] in ids for s in subnets)
    accepter = next(r for r in resources if r["type"].endswith("VpcPeeringConnectionAccepter"))
    assert accepter["provider"]["region"] == "eu-central-1"
    assert accepter["provider"]["name"] == "cloud-platform-prod-peer"
    providers = [r for r in resources if r["type"] == "pulumi:providers:aws"]
    assert all(p["provider"] is None for p in providers)


def test_plan_tree_groups_by_component_with_counts(cli, dev_plan):
    code, out, err = cli("plan", "--stack", "dev")
    assert code == 0, err
    assert "cloud-platform:network:NetworkingBase  cloud-platform-dev-network" in out
    assert "aws:ec2/vpc:Vpc  cloud-platform-dev-network-vpc" in out
    assert out.strip().splitlines()[-1].split() == [str(sum(1 for r in dev_plan.resources if r.custom)), "total"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["plan", "--stack", "staging"], "error: unknown stack 'staging' (known: "),
        (["plan", "--stack", "../etc"], "error: invalid stack name '../etc'"),
        (["plan", "--stack", "dev", "--format", "xml"], "error: Invalid value for '--format'"),
        (["plan"], "error: Missing option '--stack'"),
        (["deploy"], "error: No such command 'deploy'"),
    ],
)
def test_bad_arguments_exit_non_zero_with_one_line(args, message, cli):
    code, out, err = cli(*args)
    assert code == 2
    assert out == ""
    assert err.startswith(message)
    assert len(err.strip().splitlines()) == 1


def test_invalid_config_is_one_line(tmp_path):
    (tmp_path / "__main__.py").symlink_to(ROOT / "__main__.py")
    (tmp_path / "components").symlink_to(ROOT / "components")
    text = (ROOT / "Pulumi.dev.yaml").read_text().replace("azCount: 2", "azCount: 9")
    (tmp_path / "Pulumi.broken.yaml").write_text(text)
    env = {**os.environ, "CLOUD_PLATFORM_ROOT": str(tmp_path)}
    result = platformctl("plan", "--stack", "broken", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: cloud-platform:networking.azCount must be <= 6 (got 9)"
