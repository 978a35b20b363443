"""The architecture graph of an offline plan: nodes, nested groups and edges.

Built once from the plan and rendered by `diagram_mermaid` and `diagram_drawio`, so both
formats show the same picture. Groups nest region -> component -> VPC -> AZ. Only resources
a reader would draw become nodes (VPC, subnets, NAT, IGW, endpoints, ALB, target groups,
ASGs, ECS services, APIs, functions, tables, buckets, topics, queues...). Glue resources
(listeners, subscriptions, event source mappings, integrations, routes) become edges, and
IAM, rules and associations are left out. Every edge comes from an id/ARN in some input.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from offline.plan import Plan
from offline.planindex import PlanIndex
from offline.recording_mock import Recorded

# type -> (kind, title) of the resources that become nodes.
NODE_TYPES = {
    "aws:ec2/vpc:Vpc": ("vpc", "VPC"),
    "aws:ec2/subnet:Subnet": ("subnet", "subnet"),
    "aws:ec2/natGateway:NatGateway": ("nat", "NAT gateway"),
    "aws:ec2/internetGateway:InternetGateway": ("igw", "Internet gateway"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("endpoint", "endpoint"),
    "aws:lb/loadBalancer:LoadBalancer": ("alb", "ALB"),
    "aws:lb/targetGroup:TargetGroup": ("tg", "Target group"),
    "aws:autoscaling/group:Group": ("asg", "Auto Scaling group"),
    "aws:ec2/instance:Instance": ("instance", "EC2 instance"),
    "aws:ecs/service:Service": ("ecs", "ECS service"),
    "awsx:ecs:FargateService": ("ecs", "ECS service"),  # awsx: the mock sees only the component
    "aws:ecr/repository:Repository": ("ecr", "ECR repository"),
    "aws:apigateway/restApi:RestApi": ("api", "API Gateway"),
    "aws:lambda/function:Function": ("lambda", "Lambda"),
    "aws:dynamodb/table:Table": ("table", "DynamoDB table"),
    "aws:s3/bucketV2:BucketV2": ("bucket", "S3 bucket"),
    "aws:s3/bucket:Bucket": ("bucket", "S3 bucket"),
    "aws:cloudfront/distribution:Distribution": ("cdn", "CloudFront"),
    "aws:sns/topic:Topic": ("topic", "SNS topic"),
    "aws:sqs/queue:Queue": ("queue", "SQS queue"),
    "aws:sfn/stateMachine:StateMachine": ("sfn", "Step Functions"),
    "aws:backup/vault:Vault": ("vault", "Backup vault"),
}
# Order of nodes inside a group: entry points first, then what they call.
KIND_ORDER = [
    "vpc",
    "igw",
    "endpoint",
    "subnet",
    "nat",
    "cdn",
    "alb",
    "api",
    "tg",
    "asg",
    "instance",
    "ecs",
    "ecr",
    "topic",
    "queue",
    "lambda",
    "sfn",
    "table",
    "bucket",
    "vault",
    "alarms",
]
ALARM_TYPES = {"aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm"}
# Kinds whose relation is containment (drawn as groups), never as edges.
CONTAINERS = {"vpc", "subnet"}
# References that point against the flow of requests: the target group sends to the ASG.
FLIPPED = {("asg", "tg"), ("ecs", "tg"), ("instance", "tg")}


@dataclass
class Group:
    id: str
    label: str
    kind: str  # region | component | vpc | az
    parent: str | None


@dataclass
class Node:
    id: str
    label: str  # lines separated by "\n"
    kind: str
    group: str
    urn: str = ""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass
class Graph:
    stack: str
    groups: list[Group] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def children(self, group_id: str | None) -> tuple[list[Group], list[Node]]:
        return ([g for g in self.groups if g.parent == group_id], [n for n in self.nodes if n.group == group_id])


# Mermaid keywords cannot be node ids.
RESERVED = {"end", "subgraph", "graph", "flowchart", "style", "class", "classDef", "click", "linkStyle", "default", "direction"}


def safe_id(text: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "n"
    ident = ident if ident[0].isalpha() else f"n_{ident}"
    return f"{ident}_" if ident in RESERVED else ident


class _Builder:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.index = PlanIndex(plan)
        self.graph = Graph(stack=plan.stack)
        self.prefix = f"cloud-platform-{plan.stack}-"
        self.node_of: dict[str, Node] = {}  # urn -> node
        self.kind_of: dict[str, str] = {}
        self._ids: set[str] = set()
        self._groups: dict[tuple, Group] = {}
        self._edges: dict[tuple[str, str], Edge] = {}
        self.dlqs: set[str] = set()

    # --- ids and groups ------------------------------------------------------------------
    def short(self, name: str) -> str:
        for prefix in (self.prefix, "cloud-platform-"):
            if name.startswith(prefix):
                return name[len(prefix) :]
        return name

    def unique(self, base: str, kind: str = "") -> str:
        """A valid, readable id; a clash (an ASG named like its target group) gets the kind appended."""
        ident = safe_id(base)
        if ident in self._ids and kind:
            ident = safe_id(f"{base}_{kind}")
        candidate, n = ident, 2
        while candidate in self._ids:
            candidate, n = f"{ident}_{n}", n + 1
        self._ids.add(candidate)
        return candidate

    def group(self, key: tuple, label: str, kind: str, parent: str | None, base: str) -> str:
        if key not in self._groups:
            g = Group(self.unique(base), label, kind, parent)
            self._groups[key] = g
            self.graph.groups.append(g)
        return self._groups[key].id

    def component_group(self, r: Recorded) -> str:
        region = self.index.region(r)
        home = region == self.plan.mocks.default_region
        region_group = self.group(
            ("region", region), f"{region} ({'home' if home else 'peer'} region)", "region", None, f"region_{region}"
        )
        component = self.index.component(r)
        if component is None:
            return self.group(("component", region, ""), "stack", "component", region_group, f"stack_{region}")
        kind = component.type.rsplit(":", 1)[-1]
        return self.group(
            ("component", region, component.urn),
            f"{self.short(component.name)} · {kind}",
            "component",
            region_group,
            f"{self.short(component.name)}_{region}" if not home else self.short(component.name),
        )

    # --- nodes -------------------------------------------------------------------------
    def add_node(self, r: Recorded, kind: str, label: str, group: str) -> Node:
        node = Node(self.unique(self.short(r.name), kind), label, kind, group, r.urn)
        self.graph.nodes.append(node)
        self.node_of[r.urn] = node
        self.kind_of[r.urn] = kind
        return node

    def build(self) -> Graph:
        custom = [*self.index.custom, *(r for r in self.index.awsx if r.type in NODE_TYPES)]
        for r in custom:
            if r.type == "aws:sqs/queue:Queue":
                for path, target in self.index.references(r, "redrivePolicy"):
                    if "deadLetterTargetArn" in path:
                        self.dlqs.add(target.urn)
        vpcs = [r for r in custom if r.type == "aws:ec2/vpc:Vpc"]
        for vpc in vpcs:
            self.vpc_group(vpc)
        for r in custom:
            spec = NODE_TYPES.get(r.type)
            if spec is None or r.urn in self.node_of:
                continue
            kind, title = spec
            if kind == "instance" and (r.inputs.get("tags") or {}).get("Role") == "nat":
                kind = "nat"  # the dev NAT instance sits where a NAT gateway would
            self.add_node(r, kind, self.label(r, kind, title), self.placement(r, kind))
        self.alarms(custom)
        self.edges(custom)
        # Registration order depends on the async engine; sorted output keeps committed diagrams stable.
        rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
        self.graph.groups.sort(key=lambda g: (g.kind != "region" or "home" not in g.label, g.label, g.id))
        self.graph.nodes.sort(key=lambda n: (rank.get(n.kind, len(rank)), n.id))
        self.graph.edges = sorted(self._edges.values(), key=lambda e: (e.source, e.target))
        return self.graph

    def vpc_group(self, vpc: Recorded) -> None:
        parent = self.component_group(vpc)
        cidr = vpc.inputs.get("cidrBlock", "")
        gid = self.group(("vpc", vpc.urn), f"VPC {cidr}", "vpc", parent, f"{self.short(vpc.name)}_group")
        self.add_node(vpc, "vpc", f"VPC\n{cidr}", gid)

    def az_group(self, vpc_group: str, vpc: Recorded, az: str) -> str:
        return self.group(("az", vpc.urn, az), az, "az", vpc_group, f"{self.short(vpc.name)}_{az}")

    def placement(self, r: Recorded, kind: str) -> str:
        """VPC-bound network resources go into their VPC (and AZ); the rest into their component."""
        if kind in ("subnet", "nat", "igw", "endpoint"):
            subnet = self.index.first(r, "subnetId", type_="aws:ec2/subnet:Subnet") if kind == "nat" else r
            vpc = self.index.first(subnet if kind == "nat" and subnet else r, "vpcId", type_="aws:ec2/vpc:Vpc")
            if vpc is not None and ("vpc", vpc.urn) in self._groups:
                vpc_group = self._groups[("vpc", vpc.urn)].id
                az = (
                    (subnet.inputs.get("availabilityZone") if subnet is not None else None) if kind in ("subnet", "nat") else None
                )
                return self.az_group(vpc_group, vpc, az) if az else vpc_group
        return self.component_group(r)

    def label(self, r: Recorded, kind: str, title: str) -> str:
        i = r.inputs
        short = self.short(r.name)
        if kind == "subnet":
            tier = (i.get("tags") or {}).get("Tier") or ("public" if "public" in r.name else "private")
            return f"{tier} subnet\n{i.get('cidrBlock', '')}"
        if kind == "nat" and r.type == "aws:ec2/instance:Instance":
            return f"NAT instance\n{i.get('instanceType', '')}"
        if kind == "nat":
            return "NAT gateway\n+ Elastic IP"
        if kind == "endpoint":
            service = str(i.get("serviceName", "")).rsplit(".", 1)[-1]
            return f"{service} {str(i.get('vpcEndpointType') or 'Gateway').lower()} endpoint"
        if kind == "alb":
            scheme = "internal" if i.get("internal") else "internet-facing"
            return f"ALB\n{short}\n{scheme}"
        if kind == "tg":
            return f"Target group\n{short}\n{i.get('protocol', '')}:{i.get('port', '')}".rstrip(":")
        if kind == "asg":
            template = self.index.first(
                r, "launchTemplate", "mixedInstancesPolicy", type_="aws:ec2/launchTemplate:LaunchTemplate"
            )
            itype = template.inputs.get("instanceType", "?") if template else "?"
            desired = i.get("desiredCapacity", i.get("minSize"))
            return f"Auto Scaling group\n{short}\n{desired} x {itype} ({i.get('minSize')}-{i.get('maxSize')})"
        if kind == "ecs":
            task = self.index.first(r, "taskDefinition", type_="aws:ecs/taskDefinition:TaskDefinition")
            size = f" {task.inputs.get('cpu')} CPU / {task.inputs.get('memory')} MB" if task else ""
            spot = any(
                s.get("capacityProvider") == "FARGATE_SPOT" and s.get("weight") for s in i.get("capacityProviderStrategies") or []
            )
            return f"ECS service\n{short}\n{i.get('desiredCount', 1)} tasks{size}{' (Spot)' if spot else ''}"
        if kind == "lambda":
            arch = ",".join(i.get("architectures") or ["x86_64"])
            return f"Lambda\n{short}\n{i.get('memorySize', 128)} MB {arch}"
        if kind == "queue" and r.urn in self.dlqs:
            return f"SQS DLQ\n{short}"
        if kind == "table":
            return f"DynamoDB\n{short}\n{i.get('billingMode', 'PROVISIONED')}"
        return f"{title}\n{short}"

    def alarms(self, custom: list[Recorded]) -> None:
        grouped: dict[str, list[Recorded]] = defaultdict(list)
        for r in custom:
            if r.type in ALARM_TYPES:
                grouped[self.component_group(r)].append(r)
        for group_id, alarms in grouped.items():
            node = Node(
                self.unique(f"{group_id}_alarms"),
                f"CloudWatch alarms\n{len(alarms)} alarm{'s' if len(alarms) > 1 else ''}",
                "alarms",
                group_id,
            )
            self.graph.nodes.append(node)
            for alarm in alarms:
                self.node_of[alarm.urn] = node
                self.kind_of[alarm.urn] = "alarms"

    # --- edges -------------------------------------------------------------------------
    def edge(self, source: Recorded | None, target: Recorded | None, label: str = "", dashed: bool = False) -> None:
        a = self.node_of.get(source.urn) if source else None
        b = self.node_of.get(target.urn) if target else None
        if a is None or b is None or a.id == b.id:
            return
        self._edges.setdefault((a.id, b.id), Edge(a.id, b.id, label, dashed))

    def edges(self, custom: list[Recorded]) -> None:
        idx = self.index
        routes_by_table: dict[str, list[Recorded]] = defaultdict(list)
        subnets_by_table: dict[str, list[Recorded]] = defaultdict(list)
        for r in custom:
            t = r.type
            if t == "aws:ec2/route:Route":
                table = idx.first(r, "routeTableId")
                if table:
                    routes_by_table[table.urn].append(r)
            elif t == "aws:ec2/routeTableAssociation:RouteTableAssociation":
                table, subnet = idx.first(r, "routeTableId"), idx.first(r, "subnetId")
                if table and subnet:
                    subnets_by_table[table.urn].append(subnet)
            elif t in ("aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule"):
                lb = idx.first(r, "loadBalancerArn")
                if lb is None:
                    listener = idx.first(r, "listenerArn")
                    lb = idx.first(listener, "loadBalancerArn") if listener else None
                port = r.inputs.get("port")
                label = f"{r.inputs.get('protocol', '')}:{port}" if port else ""
                for key in ("defaultActions", "actions"):
                    for path, tg in idx.references(r, key):
                        if tg.type == "aws:lb/targetGroup:TargetGroup":
                            weight = _weight_at(r.inputs, path)
                            self.edge(lb, tg, f"{label} w{weight}".strip() if weight is not None else label)
            elif t == "aws:autoscaling/attachment:Attachment":
                self.edge(idx.first(r, "lbTargetGroupArn"), idx.first(r, "autoscalingGroupName"))
            elif t == "aws:sns/topicSubscription:TopicSubscription":
                self.edge(idx.first(r, "topic"), idx.first(r, "endpoint"), str(r.inputs.get("protocol", "")))
            elif t == "aws:lambda/eventSourceMapping:EventSourceMapping":
                self.edge(idx.first(r, "eventSourceArn"), idx.first(r, "functionName"), "batch")
            elif t == "aws:apigateway/integration:Integration":
                self.edge(idx.first(r, "restApi"), idx.first(r, "uri"), "proxy")
            elif t == "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig":
                function = idx.first(r, "functionName")
                for path, dest in idx.references(r, "destinationConfig"):
                    self.edge(function, dest, "on success" if "onSuccess" in path else "on failure", dashed=True)
            elif t == "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
                self.edge(idx.first(r, "vpcId"), idx.first(r, "peerVpcId"), "peering", dashed=True)
            elif r.urn in self.node_of:
                self.direct_edges(r)
        # Egress: subnets whose route table sends 0.0.0.0/0 to a NAT or internet gateway.
        for table_urn, routes in routes_by_table.items():
            for route in routes:
                if route.inputs.get("destinationCidrBlock") != "0.0.0.0/0":
                    continue
                gateway = idx.first(route, "natGatewayId", "networkInterfaceId", "gatewayId")
                for subnet in subnets_by_table.get(table_urn, []):
                    self.edge(subnet, gateway, "0.0.0.0/0", dashed=True)

    def direct_edges(self, r: Recorded) -> None:
        kind = self.kind_of[r.urn]
        if kind in CONTAINERS or kind in ("nat", "igw", "endpoint"):
            return
        refs = list(self.index.references(r))
        if kind == "ecs":  # the image lives on the task definition
            task = self.index.first(r, "taskDefinition", type_="aws:ecs/taskDefinition:TaskDefinition")
            refs += [(path, t) for path, t in self.index.references(task)] if task else []
        for path, target in refs:
            target_kind = self.kind_of.get(target.urn)
            if target_kind is None or target_kind in CONTAINERS or target_kind in ("nat", "igw", "endpoint"):
                continue
            if (kind, target_kind) in FLIPPED:
                self.edge(target, r)
            elif "deadLetter" in path:
                self.edge(r, target, "DLQ", dashed=True)
            elif target_kind == "ecr":
                self.edge(target, r, "image", dashed=True)
            elif kind == "alarms":
                # Dimensions name what is watched; only the actions are edges (alarm -> topic).
                if path.split(".")[0].split("[")[0] in ("alarmActions", "okActions", "insufficientDataActions"):
                    self.edge(r, target, "notify", dashed=True)
            else:
                self.edge(r, target)


def _weight_at(inputs: dict, path: str) -> int | None:
    """The `weight` next to a target group ARN inside a forward action, if any."""
    node: object = inputs
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path)[:-1]:
        if part.startswith("["):
            node = node[int(part[1:-1])] if isinstance(node, list) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node.get("weight") if isinstance(node, dict) else None


def build_graph(plan: Plan) -> Graph:
    return _Builder(plan).build()
