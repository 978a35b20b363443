"""Human views of an offline plan."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.tree import Tree

from offline.plan import Plan
from offline.recording_mock import Recorded


def _label(r: Recorded, plan: Plan) -> str:
    where = f" [{r.region}]" if r.region and r.region != plan.mocks.default_region else ""
    protected = " (protected)" if r.protect else ""
    return f"{r.type}  {r.name}{where}{protected}"


def tree(plan: Plan, console: Console) -> None:
    custom = [r for r in plan.resources if r.custom]
    root = Tree(f"stack {plan.stack}: {len(custom)} resources")
    nodes: dict[str, Tree] = {}
    for r in plan.resources:
        parent_node = nodes.get(r.parent or "", root)
        if r.custom:
            parent_node.add(_label(r, plan))
        else:
            count = sum(1 for d in plan.mocks.descendants(r) if d.custom)
            nodes[r.urn] = parent_node.add(f"[bold]{r.type}[/bold]  {r.name}  ({count} resources)")
    console.print(root)
    console.print()
    per_component = Counter(
        (plan.mocks.component_of(r).name if plan.mocks.component_of(r) else "(stack)") for r in custom
    )
    for name, count in sorted(per_component.items()):
        console.print(f"{count:5d}  {name}")
    console.print(f"{len(custom):5d}  total")
