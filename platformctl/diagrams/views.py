"""Views of the architecture graph: the whole plan in one picture, or one diagram per area.

Every view nests nodes by where they really are. Region -> VPC -> (availability zone -> subnet)
for what lives in one subnet; resources spread over several subnets (an ALB over the public
subnets, an ASG or ECS service over the private ones) sit in a box naming those subnets; what
lives outside any VPC sits in its component's box. The network view draws each zone as a
column (a, b, c in order) with its subnets, and every resource with a network interface in a
subnet (NAT, ALB, instances of an ASG, Fargate tasks, Lambda ENIs) inside that subnet.
Area views draw nodes owned by other areas only as dashed references at the end of an edge.
"""

from __future__ import annotations

from dataclasses import replace

from .graph import Edge, Graph, Group, Node, safe_id

# area -> (title, Mermaid direction). One diagram each, narrow enough for GitHub's page width.
AREAS = {
    "network": ("Network: regions, VPCs, availability zones and subnets", "TB"),
    "web": ("Web tier and containers: load balancer, target groups, instances, tasks", "TB"),
    "apps": ("Serverless API, OCR and messaging", "TB"),
    "backup": ("Backups and alarms", "TB"),
    "edge": ("Edge: DNS, certificates, CDN, site bucket, WAF", "LR"),
}
KIND_AREAS = {
    "vpc": "network", "subnet": "network", "nat": "network", "igw": "network", "endpoint": "network",
    "cdn": "edge", "dns": "edge", "cert": "edge", "waf": "edge", "logs": "edge", "files": "edge",
    "vault": "backup", "backupplan": "backup",
}
COMPONENT_AREAS = {
    "ScalingWebTier": "web", "ContainerService": "web", "Backups": "backup", "Alarms": "backup",
    "Certificates": "edge", "EdgeProtection": "edge", "NetworkingBase": "network", "CrossRegionPeering": "network",
    "PeeringProbe": "network",  # drawn as its ENIs in the peer subnets
}
# Kinds that run in subnets: drawn inside each of their subnets in the network view.
RESIDENTS = {"alb": "ALB node", "asg": "EC2 instances", "ecs": "ECS tasks", "lambda": "Lambda ENI", "instance": "EC2"}


def assign_areas(graph: Graph) -> None:
    sources: dict[str, set[str]] = {}
    kinds = {n.id: n.kind for n in graph.nodes}
    for e in graph.edges:
        sources.setdefault(e.target, set()).add(kinds[e.source])
    for n in graph.nodes:
        n.area = KIND_AREAS.get(n.kind) or COMPONENT_AREAS.get(n.component_type, "apps")
        if n.kind == "bucket" and sources.get(n.id, set()) & {"cdn", "files"}:
            n.area = "edge"  # the site bucket belongs with what serves and fills it


class _Boxes:
    """Groups created on first use, in a stable order."""

    def __init__(self, graph: Graph, source: Graph):
        self.graph, self.source = graph, source
        self.by_key: dict[tuple, str] = {}

    def get(self, key: tuple, label: str, kind: str, parent: str | None, ident: str) -> str:
        if key not in self.by_key:
            self.by_key[key] = ident
            self.graph.groups.append(Group(ident, label, kind, parent))
        return self.by_key[key]

    def region(self, region: str) -> str:
        role = "home" if region == self.source.home else "peer"
        return self.get(("region", region), f"{region} ({role} region)", "region", None, _gid("region", region))

    def vpc(self, node: Node) -> str:
        vpc = self.source.node(node.vpc)
        cidr = vpc.label.split("\n")[-1]
        return self.get(("vpc", vpc.id), f"VPC {cidr}", "vpc", self.region(vpc.region), f"{vpc.id}_box")

    def zone(self, vpc_node: Node, zone: str) -> str:
        return self.get(("az", vpc_node.vpc, zone), zone, "az", self.vpc(vpc_node), _gid(vpc_node.vpc, zone))

    def placed(self, node: Node) -> str:
        """The box a node belongs in (logical views)."""
        if node.vpc:
            subnets = [self.source.node(s) for s in node.subnets]
            if node.kind == "subnet":
                return self.zone(node, node.zone)
            if len(subnets) == 1:
                return self.zone(node, subnets[0].zone)
            if subnets:
                tiers = sorted({s.tier for s in subnets})
                zones = sorted({s.zone for s in subnets})
                text = f"{' + '.join(tiers)} subnets {zones[0]}{''.join(', ' + z[-1] for z in zones[1:])}"
                return self.get(("tier", node.vpc, tuple(zones), tuple(tiers)), text, "tier", self.vpc(node),
                                _gid(node.vpc, *tiers, *(z[-1] for z in zones)))
            return self.vpc(node)
        if not node.component:
            return self.region(node.region)
        title = f"{node.component} · {node.component_type}"
        ident = node.component if node.region == self.source.home else _gid(node.component, node.region)
        return self.get(("component", node.region, node.component), title, "component", self.region(node.region), ident)


def full(graph: Graph) -> Graph:
    """The whole plan as one diagram (`plan --format mermaid|drawio`)."""
    view = Graph(graph.stack, graph.home, f"cloud-platform {graph.stack}", "LR")
    boxes = _Boxes(view, graph)
    for n in _ordered(graph.nodes):
        view.nodes.append(replace(n, group=boxes.placed(n)))
    view.edges = list(graph.edges)
    view.groups.sort(key=_group_order)
    return view


def area(graph: Graph, name: str) -> Graph:
    """One area's nodes, in their boxes, with the edges that touch them; other ends as references."""
    if name == "network":
        return network(graph)
    title, direction = AREAS[name]
    view = Graph(graph.stack, graph.home, title, direction)
    boxes = _Boxes(view, graph)
    mine = {n.id for n in graph.nodes if n.area == name}
    owner = {n.id: n.area for n in graph.nodes}
    # What the edge area points at (DNS, certificates, WAF) is drawn there, not again on its targets' diagrams.
    edges = [e for e in graph.edges if e.source in mine or (e.target in mine and owner[e.source] != "edge")]
    touched = {e.source for e in edges} | {e.target for e in edges}
    for n in _ordered(graph.nodes):
        if n.id in mine:
            # The edge is global (CloudFront, Route 53) or spread over components: no component boxes there.
            view.nodes.append(replace(n, group=boxes.placed(n) if name != "edge" else boxes.region(n.region)))
        elif n.id in touched and n.kind != "vpc":
            short = f"{n.label.split(chr(10))[0]}\n{n.name}"
            view.nodes.append(replace(n, label=short, group=boxes.region(n.region), ref=True))
    kept = {n.id for n in view.nodes}
    view.edges = [e for e in edges if e.source in kept and e.target in kept]
    view.groups.sort(key=_group_order)
    return view


def network(graph: Graph) -> Graph:
    """Zones as rows in order; in each subnet its default route, NAT and every resident."""
    title, direction = AREAS["network"]
    view = Graph(graph.stack, graph.home, title, direction)
    boxes = _Boxes(view, graph)
    routes = {e.source: graph.node(e.target) for e in graph.edges if e.label == "0.0.0.0/0"}
    for vpc in _ordered([n for n in graph.nodes if n.kind == "vpc"]):
        top = [replace(n, group=boxes.vpc(n)) for n in _ordered(graph.nodes) if n.kind == "igw" and n.vpc == vpc.id]
        bottom = [replace(n, group=boxes.vpc(n)) for n in _ordered(graph.nodes) if n.kind == "endpoint" and n.vpc == vpc.id]
        subnets = sorted((n for n in graph.nodes if n.kind == "subnet" and n.vpc == vpc.id),
                         key=lambda s: (s.zone, s.tier != "public", s.id))
        view.nodes += top
        columns: dict[str, list[str]] = {}
        for subnet in subnets:
            stack = _subnet_stack(graph, boxes, subnet, routes.get(subnet.id))
            view.nodes += stack
            columns.setdefault(subnet.zone, []).extend(s.id for s in stack)
        view.nodes += bottom
        # One invisible chain per VPC: internet gateway, zone a (public subnet, then private), zone b, ...,
        # gateway endpoints. Top to bottom is dagre's rank order, the one order it guarantees (the order
        # of boxes side by side within a rank is a heuristic), so the zones are rows a, b, c.
        chain = [n.id for n in top] + [i for column in columns.values() for i in column] + [n.id for n in bottom]
        view.edges += [Edge(a, b, invisible=True) for a, b in zip(chain, chain[1:], strict=False)]
    for e in graph.edges:
        if e.label == "peering":
            view.edges.append(Edge(boxes.vpc(graph.node(e.source)), boxes.vpc(graph.node(e.target)), "peering", True))
    view.groups.sort(key=_group_order)
    return view


def _subnet_stack(graph: Graph, boxes: _Boxes, subnet: Node, gateway: Node | None) -> list[Node]:
    zone = boxes.zone(subnet, subnet.zone)
    cidr = subnet.label.split("\n")[-1]
    box = boxes.get(("subnet", subnet.id), f"{subnet.tier} {cidr}", "subnet", zone, f"{subnet.id}_box")
    if gateway is None:
        via = "no default\nroute"
    elif gateway.kind == "nat":
        via = f"0.0.0.0/0 → NAT\nin {gateway_zone(graph, gateway)}"
    else:
        via = "0.0.0.0/0 →\ninternet gateway"
    stack = [Node(f"{subnet.id}_route", via, "route", box, region=subnet.region)]
    for n in _ordered(graph.nodes):
        if subnet.id in n.subnets and n.kind == "nat":
            stack.append(replace(n, group=box, shape="route"))
        elif subnet.id in n.subnets and n.kind in RESIDENTS:
            stack.append(replace(n, id=f"{n.id}_{subnet.id}", label=f"{RESIDENTS[n.kind]}\n{n.name}", group=box,
                                 shape="route"))
    return stack


def gateway_zone(graph: Graph, gateway: Node) -> str:
    zones = [graph.node(s).zone for s in gateway.subnets]
    return zones[0] if zones else "?"


def areas(graph: Graph) -> dict[str, Graph]:
    """Every area with at least one node of its own, in AREAS order."""
    assign_areas(graph)
    found = {n.area for n in graph.nodes}
    return {name: area(graph, name) for name in AREAS if name in found}


def _gid(*parts: str) -> str:
    return safe_id("_".join(parts))


KIND_ORDER = ["vpc", "igw", "endpoint", "subnet", "route", "nat", "dns", "cert", "waf", "cdn", "files", "alb", "api",
              "tg", "asg", "instance", "ecs", "ecr", "topic", "queue", "lambda", "sfn", "table", "bucket", "logs",
              "backupplan", "vault", "alarms"]


def _ordered(nodes: list[Node]) -> list[Node]:
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return sorted(nodes, key=lambda n: (rank.get(n.kind, len(rank)), n.id))


def _group_order(g: Group) -> bool:
    """Home region first; everything else in the order it was created (zones a, b, c; public before private)."""
    return g.kind == "region" and "(home region)" not in g.label
