"""Reading the GitHub Actions workflows: what the workflow tests share."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
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
