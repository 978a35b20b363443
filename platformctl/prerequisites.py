"""What a command needs beyond `requirements.txt`, said in one line when it is missing.

`plan`, `check`, `cost`, `docs` and `sandbox` run offline; `status`, `cutover`, `release`,
`retire`, `latency` and `smoke` (without --outputs) read or change a deployed stack through
the Pulumi CLI; `sandbox` and the tests need `requirements-dev.txt` (docs/deploy.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

PULUMI_CLI_INSTALL = "install the Pulumi CLI: curl -fsSL https://get.pulumi.com | sh (https://www.pulumi.com/docs/iac/download-install/)"
# Import name -> the requirements-dev.txt line that provides it.
DEV_PACKAGES = {
    "moto": "moto[server]",
    "aws_lambda_powertools": "aws-lambda-powertools",
    "playwright": "playwright",
    "werkzeug": "moto[server]",
    "flask": "moto[server]",
    "pytesseract": "pytesseract",
    "PIL": "pillow",
}


class PrerequisiteError(Exception):
    """A tool or package the command needs is missing (one line for the operator)."""


def pulumi_cli_missing(purpose: str) -> str | None:
    """The one-line instruction when the `pulumi` executable is not on PATH, else None."""
    if shutil.which("pulumi"):
        return None
    return f"{PULUMI_CLI_INSTALL}; {purpose}"


def qualified_stack_name(stack: str) -> str:
    """`<PULUMI_ORG>/cloud-platform/<stack>` when $PULUMI_ORG is set (as in the workflows),
    else the bare name (the backend's default organization). A qualified name is kept."""
    org = os.environ.get("PULUMI_ORG", "").strip()
    if "/" in stack or not org:
        return stack
    return f"{org}/cloud-platform/{stack}"


def pulumi_stack_outputs(stack: str) -> dict[str, Any]:
    """`pulumi stack output --json --show-secrets` of a deployed stack (Pulumi CLI and a login)."""
    missing = pulumi_cli_missing("or save `pulumi stack output --json` to a file and pass --outputs FILE")
    if missing:
        raise PrerequisiteError(missing)
    name = qualified_stack_name(stack)
    done = subprocess.run(["pulumi", "stack", "output", "--json", "--stack", name],
                          capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PrerequisiteError(f"pulumi stack output --stack {name} failed: {last[0]}")
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise PrerequisiteError(f"pulumi stack output --stack {name} printed no JSON object") from None
    if not isinstance(data, dict):
        raise PrerequisiteError(f"pulumi stack output --stack {name} printed no JSON object")
    return data


def missing_dev_package(exc: ModuleNotFoundError, command: str) -> str:
    """One line naming the package to install for an import the command could not make."""
    module = (exc.name or "").split(".")[0]
    package = DEV_PACKAGES.get(module, module or "?")
    return (f"{command} needs the development requirements: pip install -r requirements-dev.txt "
            f"(missing package: {package})")
