"""`make judge`: convert the offline plans to Terraform plan JSON, run checkov on them, and
fail on any finding that is neither fixed nor explained in tools/judge/explained.yaml.

Reports explained entries that no longer match anything (fixed since), so the list shrinks
with the findings instead of hiding new ones.

usage: python -m tools.judge.run [--checkov PATH] [STACK ...]   (default: dev prod)
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from tools.judge.convert import convert

HERE = Path(__file__).resolve().parent
BUILD = HERE.parents[1] / "build" / "judge"


@dataclass(frozen=True)
class Finding:
    stack: str
    check: str
    resource: str
    title: str


def explanation(finding: Finding, explained: list[dict]) -> dict | None:
    for entry in explained:
        if entry["check"] != finding.check or finding.stack not in entry.get("stacks", [finding.stack]):
            continue
        if any(fnmatch.fnmatchcase(finding.resource, pattern) for pattern in entry["resources"]):
            return entry
    return None


def scan(stack: str, checkov: str) -> list[Finding]:
    from offline.plan import run_offline

    BUILD.mkdir(parents=True, exist_ok=True)
    plan_file = BUILD / f"{stack}.tfplan.json"
    plan_file.write_text(json.dumps(convert(run_offline(stack)), indent=1, default=str))
    # --skip-download: no network but the package registries; the bundled checks are enough.
    result = subprocess.run(
        [checkov, "-f", str(plan_file), "--framework", "terraform_plan", "--skip-download",
         "--compact", "--quiet", "-o", "json"],
        capture_output=True, text=True, check=False,
    )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        sys.exit(f"judge: checkov failed on {stack}: {result.stderr.strip().splitlines()[-1:]}")
    report = json.loads(result.stdout)
    report = report[0] if isinstance(report, list) else report
    return [Finding(stack, f["check_id"], f["resource"], f["check_name"])
            for f in report["results"]["failed_checks"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="*", default=["dev", "prod"])
    parser.add_argument("--checkov", default=str(HERE.parents[1] / ".venv-judge" / "bin" / "checkov"))
    args = parser.parse_args()
    explained = yaml.safe_load((HERE / "explained.yaml").read_text())
    findings = [f for stack in args.stacks for f in scan(stack, args.checkov)]
    used, open_findings = set(), []
    for finding in findings:
        entry = explanation(finding, explained)
        if entry is None:
            open_findings.append(finding)
        else:
            used.add(id(entry))
    for finding in open_findings:
        print(f"NOT EXPLAINED  {finding.stack}  {finding.check}  {finding.resource}  ({finding.title})")
    for entry in explained:
        if id(entry) not in used and set(entry.get("stacks", args.stacks)) & set(args.stacks):
            print(f"stale          {entry['check']}  {entry['resources']}: matches nothing any more, remove it")
    print(f"judge: {len(findings)} findings on {', '.join(args.stacks)}: "
          f"{len(findings) - len(open_findings)} explained by design, {len(open_findings)} not explained")
    return 1 if open_findings else 0


if __name__ == "__main__":
    sys.exit(main())
