"""`make docs` (`python -m platformctl docs`): everything generated from the offline plans.

Writes docs/diagrams/<stack>-<area>.mmd (one Mermaid diagram per area) and <stack>.drawio
for the shipped stacks and rewrites the blocks
between `<!-- <name>:start -->` and `<!-- <name>:end -->` markers in the doc pages that hold
them (BLOCK_PAGES): the Mermaid diagrams in docs/diagrams.md, the cost totals and the
explained lines above $5 in docs/cost.md. `stale()` regenerates in memory
and names what differs from the committed files (the test and `docs --check` use it).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import yaml

from offline import plan as engine
from offline.plan import Plan
from offline.stacks import ROOT

from . import settings_docs
from .cost import EXPLAIN, Estimate, above_minimum, estimate, money
from .diagrams.build import build_graph
from .diagrams.drawio import render as render_drawio
from .diagrams.mermaid import render as render_mermaid
from .diagrams.views import areas, full

STACKS = ("dev", "prod")
EXPLAIN_ABOVE = 5.0
# Which page (relative to the project root) holds each generated block, by block-name prefix.
BLOCK_PAGES = {"diagram": "docs/diagrams.md", "cost": "docs/cost.md", "settings": "docs/settings.md"}


class DocsError(Exception):
    pass


def _plans(plans: Mapping[str, Plan] | None) -> dict[str, Plan]:
    plans = dict(plans or {})
    for stack in STACKS:
        if stack not in plans:
            plans[stack] = engine.run_offline(stack)  # looked up per call, as the commands do
    return plans


def totals_block(estimates: dict[str, Estimate]) -> str:
    rows = ["| stack | component | resources | monthly (USD) |", "|---|---|---:|---:|"]
    for stack, est in estimates.items():
        for component, amount in est.by_component.items():
            rows.append(f"| {stack} | {component} | {est.resource_counts.get(component, 0)} | {money(amount)} |")
        unpriced = f", {len(est.unpriced)} unpriced" if est.unpriced else ""
        rows.append(
            f"| **{stack}** | **total** (fixed {money(est.basis_total('fixed'))} + usage "
            f"{money(est.basis_total('usage'))}{unpriced}) | {sum(est.resource_counts.values())} | "
            f"**{money(est.total)}** |"
        )
    return "\n".join(rows)


def explained_block(estimates: dict[str, Estimate]) -> str:
    rows = ["| stack | line | monthly | why |", "|---|---|---:|---|"]
    for stack, est in estimates.items():
        same: dict[tuple, list[float]] = defaultdict(list)
        for line in est.lines:
            if line.monthly > EXPLAIN_ABOVE:
                same[(line.kind, line.item, line.region, line.monthly)].append(line.monthly)
        if not same:
            rows.append(f"| {stack} | (no line above {money(EXPLAIN_ABOVE)}) | | |")
        for (kind, item, region, amount), hits in sorted(same.items(), key=lambda kv: (-kv[0][3] * len(kv[1]), kv[0])):
            count = f"{len(hits)} × " if len(hits) > 1 else ""
            rows.append(f"| {stack} | {item} ({region}) | {count}{money(amount)} | {EXPLAIN.get(kind, kind)} |")
    return "\n".join(rows)


def goal_block(est: Estimate) -> str:
    found = above_minimum(est)
    if not found:
        return (
            f"dev fixed cost {money(est.basis_total('fixed'))}/month: nothing above the minimum "
            "(no NAT gateway or interface endpoint, at most one ALB, smallest single instances, Fargate Spot only)."
        )
    return "\n".join([f"dev fixed cost {money(est.basis_total('fixed'))}/month; avoidable:", ""] + [f"- {f}" for f in found])


def generate(plans: Mapping[str, Plan] | None = None, root: Path = ROOT) -> dict[Path, str]:
    """Path -> full new content of every generated file (the doc pages with blocks included)."""
    plans = _plans(plans)
    files: dict[Path, str] = {}
    blocks: dict[str, str] = {}
    estimates = {}
    for stack in STACKS:
        graph = build_graph(plans[stack])
        files[root / "docs" / "diagrams" / f"{stack}.drawio"] = render_drawio(full(graph))
        sections = []
        for name, view in areas(graph).items():
            mermaid = render_mermaid(view)
            files[root / "docs" / "diagrams" / f"{stack}-{name}.mmd"] = mermaid
            sections.append(f"#### {stack}: {view.title}\n\n```mermaid\n{mermaid}```")
        blocks[f"diagram:{stack}"] = "\n\n".join(sections)
        estimates[stack] = estimate(plans[stack])
    blocks["cost:totals"] = totals_block(estimates)
    blocks["cost:explained"] = explained_block(estimates)
    blocks["cost:dev-goal"] = goal_block(estimates["dev"])
    blocks["settings:reference"] = settings_docs.reference()
    files[root / "Pulumi.yaml"] = pulumi_yaml((root / "Pulumi.yaml").read_text())
    for page in sorted(set(BLOCK_PAGES.values())):
        mine = {name: body for name, body in blocks.items() if BLOCK_PAGES[name.split(":")[0]] == page}
        files[root / page] = replace_blocks((root / page).read_text(), mine, page)
    return files


def pulumi_yaml(text: str) -> str:
    """Pulumi.yaml with its `config:` schema regenerated from the settings models (the last section)."""
    head, found, _ = text.partition("\nconfig:\n")
    if not found:
        raise DocsError("Pulumi.yaml has no top-level config: section")
    config = yaml.safe_dump(settings_docs.pulumi_yaml_config(), sort_keys=False, width=110, allow_unicode=True)
    note = "  # Generated by `make docs` from components/settings (field docstrings); every key is validated at start-up.\n"
    return head + "\nconfig:\n" + note + "".join(f"  {line}\n" for line in config.splitlines())


def replace_blocks(text: str, blocks: dict[str, str], page: str = "README.md") -> str:
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- {re.escape(name)}:start -->\n)(.*?)(<!-- {re.escape(name)}:end -->)", re.DOTALL)
        if not pattern.search(text):
            raise DocsError(f"{page} has no <!-- {name}:start --> ... <!-- {name}:end --> block")
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(3), text)
    return text


def write(plans: Mapping[str, Plan] | None = None, root: Path = ROOT) -> list[Path]:
    written = []
    for path, content in generate(plans, root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text() != content:
            path.write_text(content)
            written.append(path)
    return written


def stale(plans: Mapping[str, Plan] | None = None, root: Path = ROOT) -> list[str]:
    return [
        str(path.relative_to(root))
        for path, content in generate(plans, root).items()
        if not path.is_file() or path.read_text() != content
    ]
