"""`platformctl cost` and `plan --format mermaid|drawio` through the real entry point, in-process."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.unit.test_diagram import check_mermaid


def test_cost_json_and_table_agree(cli):
    code, out, err = cli("cost", "--stack", "prod", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["stack"] == "prod" and doc["currency"] == "USD" and doc["hoursPerMonth"] == 730
    assert doc["total"] > 0 and isinstance(doc["unpriced"], list)
    code, table, err = cli("cost", "--stack", "prod")
    assert code == 0, err
    assert f"total ${doc['total']:,.2f}/month" in table
    for component, amount in doc["byComponent"].items():
        assert f"{component}  ${amount:,.2f}/month" in table


def test_compare_to_prints_markdown(tmp_path, cli):
    base = tmp_path / "base.json"
    assert cli("cost", "--stack", "dev", "--format", "json", "--output", str(base))[0] == 0
    doc = json.loads(base.read_text())
    doc["total"] += 10
    base.write_text(json.dumps(doc))
    code, out, err = cli("cost", "--stack", "dev", "--compare-to", str(base))
    assert code == 0, err
    assert out.startswith("### Offline plan and cost: `dev`")
    assert "(−$10.00 vs base" in out
    assert "| component | resources | Δ resources | monthly | Δ monthly |" in out


def test_plan_mermaid_and_drawio(tmp_path, cli):
    code, text, err = cli("plan", "--stack", "prod", "--format", "mermaid")
    assert code == 0, err
    parsed = check_mermaid(text)
    out = tmp_path / "prod.drawio"
    code, text, err = cli("plan", "--stack", "prod", "--format", "drawio", "--output", str(out))
    assert code == 0 and text == "", err
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
def test_bad_arguments_are_one_line(args, code, message, cli):
    exit_code, _, err = cli(*args)
    assert exit_code == code, err
    assert err.startswith(message)
    assert len(err.strip().splitlines()) == 1


def test_compare_to_rejects_a_file_that_is_not_a_cost_json(tmp_path, cli):
    bad = tmp_path / "plan.json"
    bad.write_text('{"stack": "dev", "resources": []}')
    code, _, err = cli("cost", "--stack", "dev", "--compare-to", str(bad))
    assert code == 1
    assert err.strip() == f"error: {bad} is not the output of `platformctl cost --format json`"


def test_docs_check_passes_on_the_committed_tree(cli):
    code, _, err = cli("docs", "--check")
    assert code == 0, err
