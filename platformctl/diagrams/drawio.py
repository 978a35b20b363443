"""draw.io (`mxfile`) XML of a diagram Graph: open it in diagrams.net, the course's drawing tool.

Groups become containers laid out as nested boxes (children in rows that wrap), nodes get a
style per kind, edges keep their labels. The output is deterministic (no timestamps), so the
committed `.drawio` files only change when the stack does.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 (we only write XML)

from .graph import Graph, Group, Node

NODE_W, NODE_H, GAP, HEADER, PAD, ROW_WIDTH = 170, 64, 24, 30, 16, 1100

STYLES = {
    "vpc": "rounded=1;fillColor=#dae8fc;strokeColor=#6c8ebf;",
    "subnet": "rounded=0;fillColor=#dae8fc;strokeColor=#6c8ebf;",
    "nat": "shape=hexagon;perimeter=hexagonPerimeter2;fillColor=#dae8fc;strokeColor=#6c8ebf;",
    "igw": "ellipse;fillColor=#dae8fc;strokeColor=#6c8ebf;",
    "endpoint": "rounded=1;arcSize=50;fillColor=#dae8fc;strokeColor=#6c8ebf;",
    "alb": "shape=hexagon;perimeter=hexagonPerimeter2;fillColor=#ffe6cc;strokeColor=#d79b00;",
    "tg": "rounded=0;fillColor=#ffe6cc;strokeColor=#d79b00;",
    "asg": "shape=process;fillColor=#ffe6cc;strokeColor=#d79b00;",
    "instance": "rounded=0;fillColor=#ffe6cc;strokeColor=#d79b00;",
    "ecs": "shape=process;fillColor=#ffe6cc;strokeColor=#d79b00;",
    "ecr": "shape=cylinder3;fillColor=#ffe6cc;strokeColor=#d79b00;",
    "api": "shape=parallelogram;perimeter=parallelogramPerimeter;fillColor=#e1d5e7;strokeColor=#9673a6;",
    "lambda": "rounded=1;arcSize=40;fillColor=#e1d5e7;strokeColor=#9673a6;",
    "sfn": "rounded=1;fillColor=#e1d5e7;strokeColor=#9673a6;",
    "cdn": "ellipse;fillColor=#e1d5e7;strokeColor=#9673a6;",
    "table": "shape=cylinder3;fillColor=#d5e8d4;strokeColor=#82b366;",
    "bucket": "shape=cylinder3;fillColor=#d5e8d4;strokeColor=#82b366;",
    "vault": "shape=cylinder3;fillColor=#d5e8d4;strokeColor=#82b366;",
    "topic": "shape=step;perimeter=stepPerimeter;fillColor=#f8cecc;strokeColor=#b85450;",
    "queue": "shape=process;fillColor=#f8cecc;strokeColor=#b85450;",
    "alarms": "shape=note;fillColor=#f5f5f5;strokeColor=#666666;",
    "backupplan": "rounded=0;fillColor=#d5e8d4;strokeColor=#82b366;",
    "files": "shape=document;fillColor=#d5e8d4;strokeColor=#82b366;",
    "logs": "shape=cylinder3;fillColor=#d5e8d4;strokeColor=#82b366;",
    "dns": "rounded=1;arcSize=50;fillColor=#fff2cc;strokeColor=#d6b656;",
    "cert": "rounded=0;fillColor=#fff2cc;strokeColor=#d6b656;",
    "waf": "shape=hexagon;perimeter=hexagonPerimeter2;fillColor=#fff2cc;strokeColor=#d6b656;",
}
GROUP_STYLE = {
    "region": "swimlane;fillColor=none;strokeColor=#232f3e;fontStyle=1;",
    "component": "swimlane;fillColor=none;strokeColor=#879196;dashed=1;",
    "vpc": "swimlane;fillColor=none;strokeColor=#8c4fff;",
    "az": "swimlane;fillColor=none;strokeColor=#147eba;dashed=1;",
    "tier": "swimlane;fillColor=none;strokeColor=#147eba;",
}


class _Layout:
    """Sizes bottom-up, positions top-down: each container stacks its children in wrapping rows."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.size: dict[str, tuple[int, int]] = {}
        self.pos: dict[str, tuple[int, int]] = {}

    def items(self, group_id: str | None) -> list[Group | Node]:
        groups, nodes = self.graph.children(group_id)
        return [*nodes, *groups]

    def measure(self, item: Group | Node) -> tuple[int, int]:
        if isinstance(item, Node):
            self.size[item.id] = (NODE_W, NODE_H)
            return self.size[item.id]
        width, height = self.arrange(self.items(item.id), PAD, HEADER + PAD)
        self.size[item.id] = (max(width + PAD, NODE_W + 2 * PAD), height + PAD)
        return self.size[item.id]

    def arrange(self, items: list[Group | Node], x0: int, y0: int) -> tuple[int, int]:
        x, y, row_h, width = x0, y0, 0, x0
        for item in items:
            w, h = self.measure(item)
            if x > x0 and x + w > ROW_WIDTH:
                x, y, row_h = x0, y + row_h + GAP, 0
            self.pos[item.id] = (x, y)
            x += w + GAP
            row_h = max(row_h, h)
            width = max(width, x - GAP)
        return width, y + row_h


def render(graph: Graph) -> str:
    layout = _Layout(graph)
    layout.arrange(layout.items(None), 20, 20)
    mxfile = ET.Element("mxfile", host="platformctl", type="device")
    diagram = ET.SubElement(mxfile, "diagram", id=f"cloud-platform-{graph.stack}", name=f"{graph.stack}")
    model = ET.SubElement(diagram, "mxGraphModel", grid="1", gridSize="10", page="0", arrows="1", connect="1")
    root = ET.SubElement(model, "root")
    ET.SubElement(root, "mxCell", id="0")
    ET.SubElement(root, "mxCell", id="1", parent="0")

    def cell(id_: str, value: str, style: str, parent: str, vertex: bool = True) -> ET.Element:
        attrs = {"id": id_, "value": value, "style": style, "parent": parent}
        attrs["vertex" if vertex else "edge"] = "1"
        return ET.SubElement(root, "mxCell", attrs)

    def geometry(element: ET.Element, id_: str) -> None:
        (x, y), (w, h) = layout.pos[id_], layout.size[id_]
        ET.SubElement(element, "mxGeometry", x=str(x), y=str(y), width=str(w), height=str(h), **{"as": "geometry"})

    def emit(group_id: str | None) -> None:
        groups, nodes = graph.children(group_id)
        for g in groups:
            style = GROUP_STYLE.get(g.kind, GROUP_STYLE["component"]) + "container=1;collapsible=0;"
            geometry(cell(g.id, g.label, style, group_id or "1"), g.id)
            emit(g.id)
        for n in nodes:
            geometry(cell(n.id, n.label, "whiteSpace=wrap;html=0;" + STYLES.get(n.kind, ""), group_id or "1"), n.id)

    emit(None)
    for i, e in enumerate(graph.edges):
        style = "edgeStyle=orthogonalEdgeStyle;rounded=1;html=0;" + ("dashed=1;" if e.dashed else "")
        element = cell(f"e{i}", e.label, style, "1", vertex=False)
        element.set("source", e.source)
        element.set("target", e.target)
        ET.SubElement(element, "mxGeometry", relative="1", **{"as": "geometry"})
    ET.indent(mxfile)
    return ET.tostring(mxfile, encoding="unicode") + "\n"
