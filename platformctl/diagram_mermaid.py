"""Mermaid `flowchart` text of a diagram Graph (README, `plan --format mermaid`)."""

from __future__ import annotations

from .diagram import Graph, Group

# kind -> (open, close) of the Mermaid node shape.
SHAPES = {
    "vpc": ("[", "]"), "subnet": ("[", "]"), "nat": ("{{", "}}"), "igw": ("((", "))"), "endpoint": ("([", "])"),
    "alb": ("{{", "}}"), "tg": ("[", "]"), "asg": ("[[", "]]"), "instance": ("[", "]"), "ecs": ("[[", "]]"),
    "ecr": ("[(", ")]"), "api": ("[/", "/]"), "lambda": ("(", ")"), "table": ("[(", ")]"), "bucket": ("[(", ")]"),
    "cdn": ("((", "))"), "topic": (">", "]"), "queue": ("[[", "]]"), "sfn": ("(", ")"), "vault": ("[(", ")]"),
    "alarms": ("[/", "\\]"),
}
STYLES = {
    "network": ("vpc", "subnet", "nat", "igw", "endpoint", "fill:#e8f1fb,stroke:#4a7ebb"),
    "compute": ("alb", "tg", "asg", "instance", "ecs", "ecr", "fill:#fdf0e2,stroke:#d9822b"),
    "serverless": ("api", "lambda", "sfn", "cdn", "fill:#f3e8fb,stroke:#8e44ad"),
    "data": ("table", "bucket", "vault", "fill:#e6f5ea,stroke:#2e8b57"),
    "messaging": ("topic", "queue", "fill:#fbe9ec,stroke:#c0392b"),
    "ops": ("alarms", "fill:#f2f2f2,stroke:#777"),
}


def _text(label: str) -> str:
    return '"' + label.replace('"', "#quot;").replace("\n", "<br/>") + '"'


def render(graph: Graph) -> str:
    lines = ["flowchart LR"]

    def emit(group: Group | None, depth: int) -> None:
        groups, nodes = graph.children(group.id if group else None)
        pad = "  " * depth
        for node in nodes:
            left, right = SHAPES.get(node.kind, ("[", "]"))
            lines.append(f"{pad}{node.id}{left}{_text(node.label)}{right}")
        for sub in groups:
            lines.append(f"{pad}subgraph {sub.id}[{_text(sub.label)}]")
            emit(sub, depth + 1)
            lines.append(f"{pad}end")

    emit(None, 1)
    for edge in graph.edges:
        arrow = "-.->" if edge.dashed else "-->"
        label = f"|{_text(edge.label)}|" if edge.label else ""
        lines.append(f"  {edge.source} {arrow}{label} {edge.target}")
    for style, (*members, css) in STYLES.items():
        used = [n.id for n in graph.nodes if n.kind in members]
        if used:
            lines.append(f"  classDef {style} {css}")
            lines.append(f"  class {','.join(used)} {style}")
    return "\n".join(lines) + "\n"
