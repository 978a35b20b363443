"""`platformctl --help` and usage errors stay cheap: the heavy libraries load only in the
commands that use them. A fresh interpreter is what is tested (sys.modules), hence the subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.conftest import ROOT

# Each of these costs 10 ms to 1.5 s at import; none is needed to parse arguments or print help
# (pydantic is not listed: typer itself converts some parameter types with it).
HEAVY = ("pulumi", "pulumi_aws", "boto3", "botocore", "moto", "components", "policy", "yaml")

PROBE = """
import json, sys
from platformctl.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted({m.split('.')[0] for m in sys.modules})}), file=sys.stderr)
"""


def modules_after(*args: str) -> tuple[int, set[str], str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    *messages, report = done.stderr.strip().splitlines()
    result = json.loads(report)
    return result["code"], set(result["modules"]), done.stdout + "\n".join(messages)


def test_help_and_usage_errors_import_no_heavy_library():
    for args, code in ((["--help"], 0), (["cutover", "--help"], 0), (["plan"], 2), (["cost", "--format", "x"], 2)):
        exit_code, loaded, output = modules_after(*args)
        assert exit_code == code, (args, output)
        assert loaded.isdisjoint(HEAVY), (args, sorted(loaded & set(HEAVY)))


def test_every_command_is_listed_in_the_help():
    _, _, output = modules_after("--help")
    for command in ("plan", "cost", "check", "docs", "cutover", "status", "sandbox", "latency"):
        assert f"\n  {command} " in output, command


def test_commands_use_public_typer_and_annotated_options():
    modules = sorted((ROOT / "platformctl").rglob("*.py"))
    assert ROOT / "platformctl" / "commands" / "plans.py" in modules
    for module in modules:
        text = module.read_text()
        assert "typer._" not in text and "import click" not in text and "from click" not in text, module.name
        assert "= typer.Option(" not in text and "= typer.Argument(" not in text, f"{module.name}: use Annotated"


def test_command_modules_declare_options_as_evaluated_annotations():
    """String annotations (the `__future__` import) make typer evaluate every option again at start-up."""
    for module in sorted((ROOT / "platformctl" / "commands").glob("*.py")):
        assert not re.search(r"^from __future__ import annotations", module.read_text(), re.M), module.name
