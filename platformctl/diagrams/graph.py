"""The diagram model: nodes, nested groups and edges, shared by every view and renderer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Group:
    id: str
    label: str
    kind: str  # region | component | vpc | az | subnet | tier
    parent: str | None


@dataclass
class Node:
    id: str
    label: str  # lines separated by "\n"
    kind: str
    group: str | None = None
    name: str = ""  # the resource's name without the stack prefix
    urn: str = ""
    region: str = ""
    component: str = ""  # name of the nearest cloud-platform component ("" at stack level)
    component_type: str = ""  # its type's last part, e.g. ScalingWebTier
    area: str = ""  # which area diagram owns the node (see views.AREAS)
    vpc: str = ""  # id of the VPC node the resource lives in
    subnets: tuple[str, ...] = ()  # ids of the subnet nodes it is placed in (ALB, ASG, ECS service, NAT...)
    zone: str = ""  # availability zone of a subnet
    tier: str = ""  # public | private, of a subnet
    ref: bool = False  # drawn in another area's diagram; here only as the end of an edge
    shape: str = ""  # another kind's shape (network view: residents as plain boxes)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False
    invisible: bool = False  # layout only: keeps stacked boxes in order, never drawn


@dataclass
class Graph:
    stack: str
    home: str = ""  # the stack's home region (its provider's default)
    title: str = ""
    direction: str = "LR"
    groups: list[Group] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def children(self, group_id: str | None) -> tuple[list[Group], list[Node]]:
        return ([g for g in self.groups if g.parent == group_id], [n for n in self.nodes if n.group == group_id])

    def node(self, ident: str) -> Node:
        return next(n for n in self.nodes if n.id == ident)


# Mermaid keywords cannot be node ids.
RESERVED = {"end", "subgraph", "graph", "flowchart", "style", "class", "classDef", "click", "linkStyle", "default", "direction"}


def safe_id(text: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "n"
    ident = ident if ident[0].isalpha() else f"n_{ident}"
    return f"{ident}_" if ident in RESERVED else ident
