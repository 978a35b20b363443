"""`platformctl cost` and `plan --format mermaid|drawio` as a user runs them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.cli.test_plan import platformctl
from tests.unit.test_diagram import check_mermaid


def test_cost_json_and_table_agree():
    result = platformctl("cost", "--stack", "prod", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["stack"] == "prod" and doc["currency"] == "USD" and doc["hoursPerMonth"] == 730
    assert doc["total"] > 0 and isinstance(doc["unpriced"], list)
    table = platformctl("cost", "--stack", "prod")
    assert table.returncode == 0, table.stderr
    assert f"total ${doc['total']:,.2f}/month" in table.stdout
    for component, amount in doc["byComponent"].items():
        assert f"{component}  ${amount:,.2f}/month" in table.stdout


def test_compare_to_prints_markdown(tmp_path):
    base = tmp_path / "base.json"
    assert platformctl("cost", "--stack", "dev", "--format", "json", "--output", str(base)).returncode == 0
    doc = json.loads(base.read_text())
    doc["total"] += 10
    base.write_text(json.dumps(doc))
    result = platformctl("cost", "--stack", "dev", "--compare-to", str(base))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("### Offline plan and cost: `dev`")
    assert "(−$10.00 vs base" in result.stdout
    assert "| component | resources | Δ resources | monthly | Δ monthly |" in result.stdout


def test_plan_mermaid_and_drawio(tmp_path):
    result = platformctl("plan", "--stack", "prod", "--format", "mermaid")
    assert result.returncode == 0, result.stderr
    parsed = check_mermaid(result.stdout)
    out = tmp_path / "prod.drawio"
    result = platformctl("plan", "--stack", "prod", "--format", "drawio", "--output", str(out))
    assert result.returncode == 0 and result.stdout == "", result.stderr
    cells = ET.parse(out).getroot().findall(".//mxCell")
    nodes = [c for c in cells if c.get("vertex") == "1" and "container=1" not in c.get("style")]
    assert len(nodes) == len(parsed["nodes"])


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["cost", "--stack", "dev", "--format", "csv"], 2, "error: Invalid value for '--format'"),
        (["cost", "--stack", "qa"], 2, "error: unknown stack 'qa'"),
        (["cost"], 2, "error: Missing option '--stack'"),
        (["cost", "--stack", "dev", "--output", "x.txt"], 2, "error: Invalid value for '--output'"),
        (["plan", "--stack", "dev", "--output", "x.txt"], 2, "error: Invalid value for '--output'"),
        (["cost", "--stack", "dev", "--compare-to", "/nonexistent/base.json"], 1, "error: cannot read /nonexistent/base.json"),
        (["plan", "--stack", "dev", "--format", "drawio", "-o", "/nonexistent/dir/x.drawio"], 1,
         "error: cannot write /nonexistent/dir/x.drawio"),
    ],
)
def test_bad_arguments_are_one_line(args, code, message):
    result = platformctl(*args)
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


def test_compare_to_rejects_a_file_that_is_not_a_cost_json(tmp_path):
    bad = tmp_path / "plan.json"
    bad.write_text('{"stack": "dev", "resources": []}')
    result = platformctl("cost", "--stack", "dev", "--compare-to", str(bad))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {bad} is not the output of `platformctl cost --format json`"


def test_docs_check_passes_on_the_committed_tree():
    result = platformctl("docs", "--check")
    assert result.returncode == 0, result.stderr
