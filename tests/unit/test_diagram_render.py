"""The committed area diagrams as GitHub shows them: Mermaid rendered in headless chromium.

Width at most MAX_WIDTH px (GitHub scales a wider SVG down to its page width, making it unreadable),
no two edge labels overlapping (nor a label over a node), zones a, b, c in order top to bottom. The whole-plan diagram
(`plan --format mermaid`) is rendered too, to show the width check fails where it should.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from platformctl.diagrams.build import build_graph
from platformctl.diagrams.mermaid import render
from platformctl.diagrams.views import full
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

MAX_WIDTH = 920  # GitHub's Markdown column is ~900-1000 px wide
MERMAID_JS = ROOT / "tools" / "mermaid" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
CHROMIUM = shutil.which("chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
MEASURE = """async (text) => {
  mermaid.initialize({startOnLoad: false});
  const {svg} = await mermaid.render('d' + Math.floor(Math.random() * 1e9), text);
  const host = document.getElementById('host');
  host.innerHTML = svg;
  const el = host.querySelector('svg');
  const box = e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
  return {
    width: el.viewBox.baseVal.width,
    labels: [...el.querySelectorAll('g.edgeLabel')].filter(e => e.textContent.trim()).map(e => [e.textContent, box(e)]),
    nodes: [...el.querySelectorAll('g.node')].map(e => [e.id, box(e)]),
    clusters: Object.fromEntries([...el.querySelectorAll('.cluster')].map(e => [e.id.split('-').slice(1).join('-'),
                                                                               box(e.querySelector('rect'))])),
  };
}"""


def overlapping(labels: list, others: list | None = None) -> list[tuple[str, str]]:
    """Pairs of (text, [x, y, w, h]) boxes that intersect: labels among themselves, or labels x others."""
    found = []
    for i, (a, (ax, ay, aw, ah)) in enumerate(labels):
        for b, (bx, by, bw, bh) in (labels[i + 1:] if others is None else others):
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                found.append((a, b))
    return found


@pytest.fixture(scope="module")
def measure():
    if CHROMIUM is None or not MERMAID_JS.is_file():
        pytest.skip("chromium or tools/mermaid/node_modules missing (.ci/run installs both)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True, timeout=30_000)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_content("<html><body><div id=host></div></body></html>")
            page.add_script_tag(path=str(MERMAID_JS))
            yield lambda text: page.evaluate(MEASURE, text)
        finally:
            browser.close()


COMMITTED = sorted((ROOT / "docs" / "diagrams").glob("*-*.mmd"))


@pytest.mark.parametrize("path", COMMITTED, ids=[p.stem for p in COMMITTED])
def test_area_diagram_fits_the_page_without_overlapping_labels(measure, path: Path):
    result = measure(path.read_text())
    assert 0 < result["width"] <= MAX_WIDTH, f"{path.name} is {result['width']:.0f} px wide"
    assert overlapping(result["labels"]) == []
    assert overlapping(result["labels"], result["nodes"]) == []  # no label over a box either


def test_zones_are_drawn_in_order(measure):
    clusters = measure((ROOT / "docs" / "diagrams" / "prod-network.mmd").read_text())["clusters"]
    tops = [clusters[f"network_vpc_eu_west_1{z}"][1] for z in "abc"]
    assert tops == sorted(tops) and len(set(tops)) == 3
    for zone in "abc":  # public subnet above the private one
        assert clusters[f"network_public_{zone}_box"][1] < clusters[f"network_private_{zone}_box"][1]


def test_the_checks_can_fail(measure, prod_plan):
    assert measure(render(full(build_graph(prod_plan))))["width"] > MAX_WIDTH  # why the docs split per area
    assert overlapping([("a", [0, 0, 40, 10]), ("b", [30, 5, 40, 10]), ("c", [100, 0, 5, 5])]) == [("a", "b")]
