"""`make docs` output is committed and current; the generator replaces only its marked blocks."""

from __future__ import annotations

import pytest
import yaml

from platformctl import docs
from tests.conftest import ROOT


def test_committed_diagrams_and_readme_blocks_are_current(dev_plan, prod_plan):
    outdated = docs.stale({"dev": dev_plan, "prod": prod_plan})
    assert not outdated, f"generated docs are stale ({', '.join(outdated)}): run make docs"


def test_doc_pages_embed_both_diagrams_and_the_totals():
    diagrams = (ROOT / "docs" / "diagrams.md").read_text()
    for stack in docs.STACKS:
        block = diagrams.split(f"<!-- diagram:{stack}:start -->")[1].split(f"<!-- diagram:{stack}:end -->")[0]
        fences = [part.split("```")[0] for part in block.split("```mermaid\n")[1:]]
        files = sorted((ROOT / "docs" / "diagrams").glob(f"{stack}-*.mmd"))
        assert len(fences) == len(files) >= 4  # one diagram per area, each also a file
        assert sorted(fences) == sorted(f.read_text() for f in files)
    totals = (ROOT / "docs" / "cost.md").read_text().split("<!-- cost:totals:start -->")[1].split("<!-- cost:totals:end -->")[0]
    assert "| **dev** | **total**" in totals and "| **prod** | **total**" in totals


def test_write_regenerates_into_a_project_copy(tmp_path, dev_plan, prod_plan):
    (tmp_path / "docs").mkdir()
    for page in ("diagrams.md", "settings.md"):
        (tmp_path / "docs" / page).write_text((ROOT / "docs" / page).read_text())
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    text = (ROOT / "docs" / "cost.md").read_text()
    stale_page = text.replace("<!-- cost:totals:start -->\n", "<!-- cost:totals:start -->\nold figures\n")
    (tmp_path / "docs" / "cost.md").write_text(stale_page)
    plans = {"dev": dev_plan, "prod": prod_plan}
    assert "docs/cost.md" in docs.stale(plans, root=tmp_path)
    written = docs.write(plans, root=tmp_path)
    assert {p.name for p in written} == {"cost.md", "dev.drawio", "prod.drawio"} | {
        p.name for p in (ROOT / "docs" / "diagrams").glob("*.mmd")}
    assert (tmp_path / "docs" / "cost.md").read_text() == text
    assert docs.stale(plans, root=tmp_path) == []


def test_missing_marker_is_named():
    with pytest.raises(docs.DocsError, match=r"README.md has no <!-- cost:totals:start --> \.\.\. <!-- cost:totals:end --> block"):
        docs.replace_blocks("no markers here", {"cost:totals": "x"})


def test_every_setting_is_documented_with_its_meaning():
    from components.settings import Settings
    from platformctl.settings_docs import rows, sections

    page = (ROOT / "docs" / "settings.md").read_text()
    found = list(rows(Settings))
    assert len(found) > 100
    undocumented = [r.key for r in found if not r.description]
    assert undocumented == [], "settings without a docstring (their meaning in docs/settings.md)"
    assert [r.key for r in found if f"| `{r.key}` |" not in page] == []
    schema = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert set(schema) == {f"cloud-platform:{key}" for key in sections()}
    assert all(entry["description"] for entry in schema.values())


def test_pulumi_yaml_keeps_everything_but_the_config_schema():
    text = (ROOT / "Pulumi.yaml").read_text()
    regenerated = docs.pulumi_yaml(text.replace("cloud-platform:owner:", "cloud-platform:ownerStale:"))
    assert regenerated == text
    with pytest.raises(docs.DocsError, match="Pulumi.yaml has no top-level config: section"):
        docs.pulumi_yaml("name: x\n")
