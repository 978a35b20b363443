"""Mermaid `flowchart` text of a diagram view (docs/diagrams.md, `plan --format mermaid`)."""

from __future__ import annotations

from .graph import Graph, Group

# kind -> (open, close) of the Mermaid node shape.
SHAPES = {
    "vpc": ("[", "]"), "subnet": ("[", "]"), "nat": ("{{", "}}"), "igw": ("((", "))"), "endpoint": ("([", "])"),
    "alb": ("{{", "}}"), "tg": ("[", "]"), "asg": ("[[", "]]"), "instance": ("[", "]"), "ecs": ("[[", "]]"),
    "ecr": ("[(", ")]"), "api": ("[/", "/]"), "lambda": ("(", ")"), "table": ("[(", ")]"), "bucket": ("[(", ")]"),
    "cdn": ("((", "))"), "topic": (">", "]"), "queue": ("[[", "]]"), "sfn": ("(", ")"), "vault": ("[(", ")]"),
    "alarms": ("[/", "\\]"), "backupplan": ("[", "]"), "dns": ("([", "])"), "cert": ("[", "]"), "waf": ("{{", "}}"),
    "logs": ("[(", ")]"), "files": ("[", "]"), "route": ("[", "]"),
}
STYLES = {
    "network": ("vpc", "subnet", "nat", "igw", "endpoint", "route", "fill:#e8f1fb,stroke:#4a7ebb"),
    "compute": ("alb", "tg", "asg", "instance", "ecs", "ecr", "fill:#fdf0e2,stroke:#d9822b"),
    "serverless": ("api", "lambda", "sfn", "cdn", "fill:#f3e8fb,stroke:#8e44ad"),
    "data": ("table", "bucket", "vault", "backupplan", "files", "logs", "fill:#e6f5ea,stroke:#2e8b57"),
    "messaging": ("topic", "queue", "fill:#fbe9ec,stroke:#c0392b"),
    "edge": ("dns", "cert", "waf", "fill:#fff8d6,stroke:#b7950b"),
    "ops": ("alarms", "fill:#f2f2f2,stroke:#777"),
}
REF_STYLE = "fill:#ffffff,stroke:#999,stroke-dasharray:4,color:#555"


def _text(label: str) -> str:
    return '"' + label.replace('"', "#quot;").replace("\n", "<br/>") + '"'


def render(graph: Graph) -> str:
    lines = [f"flowchart {graph.direction}"]

    def emit(group: Group | None, depth: int) -> None:
        groups, nodes = graph.children(group.id if group else None)
        pad = "  " * depth
        for node in nodes:
            left, right = SHAPES.get(node.shape or node.kind, ("[", "]"))
            lines.append(f"{pad}{node.id}{left}{_text(node.label)}{right}")
        for sub in groups:
            lines.append(f"{pad}subgraph {sub.id}[{_text(sub.label)}]")
            emit(sub, depth + 1)
            lines.append(f"{pad}end")

    emit(None, 1)
    for edge in graph.edges:
        arrow = "~~~" if edge.invisible else "-.->" if edge.dashed else "-->"
        label = f"|{_text(edge.label)}|" if edge.label and not edge.invisible else ""
        lines.append(f"  {edge.source} {arrow}{label} {edge.target}")
    for style, (*members, css) in STYLES.items():
        used = [n.id for n in graph.nodes if n.kind in members and not n.ref]
        if used:
            lines.append(f"  classDef {style} {css}")
            lines.append(f"  class {','.join(used)} {style}")
    refs = [n.id for n in graph.nodes if n.ref]
    if refs:
        lines.append(f"  classDef ref {REF_STYLE}")
        lines.append(f"  class {','.join(refs)} ref")
    return "\n".join(lines) + "\n"
