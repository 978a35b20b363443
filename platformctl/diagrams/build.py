"""The architecture graph of an offline plan: nodes with their placement, and edges.

Only resources a reader would draw become nodes (VPC, subnets, NAT, IGW, endpoints, ALB, target
groups, ASGs, ECS services, APIs, functions, tables, buckets, topics, queues, vaults, the backup
plan, DNS names, certificates, the WAF...). Glue resources (listeners, subscriptions, event source
mappings, integrations, routes, copy actions, uploads, log deliveries) become edges; IAM and
policies are left out. Every edge comes from an id/ARN/name in some input, and every node carries
where it lives (region, component, VPC, subnets), so `views` can nest it into the right boxes.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict

from offline.plan import Plan
from offline.planindex import PlanIndex
from offline.recording_mock import Recorded

from .graph import Edge, Graph, Node, safe_id
from .labels import label, tier

# type -> kind of the resources that become nodes.
NODE_TYPES = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "endpoint",
    "aws:lb/loadBalancer:LoadBalancer": "alb",
    "aws:lb/targetGroup:TargetGroup": "tg",
    "aws:autoscaling/group:Group": "asg",
    "aws:ec2/instance:Instance": "instance",
    "aws:ecs/service:Service": "ecs",
    "awsx:ecs:FargateService": "ecs",  # awsx: the mock sees only the component
    "aws:ecr/repository:Repository": "ecr",
    "aws:apigateway/restApi:RestApi": "api",
    "aws:lambda/function:Function": "lambda",
    "aws:dynamodb/table:Table": "table",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:cloudfront/distribution:Distribution": "cdn",
    "aws:sns/topic:Topic": "topic",
    "aws:sqs/queue:Queue": "queue",
    "aws:sfn/stateMachine:StateMachine": "sfn",
    "aws:backup/vault:Vault": "vault",
    "aws:backup/plan:Plan": "backupplan",
    "aws:wafv2/webAcl:WebAcl": "waf",
    "aws:acm/certificate:Certificate": "cert",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": "logs",
}
# Tagged Role=nat, drawn where a NAT gateway would be: the on-demand NAT instance, or the Spot NAT's
# fixed interface (the private routes' target; its group of one is not drawn).
NAT_NODES = ("aws:ec2/instance:Instance", "aws:ec2/networkInterface:NetworkInterface")
ALARM_TYPES = {"aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm"}
# Kinds drawn as boxes or by placement; a reference to them is containment, never an edge.
PLACED = {"vpc", "subnet", "nat", "igw", "endpoint"}
# References that point against the flow: the target group sends to the ASG, the certificate serves CloudFront.
FLIPPED = {("asg", "tg"), ("ecs", "tg"), ("instance", "tg"), ("cdn", "cert")}
# Where a resource names the subnets it runs in.
SUBNET_INPUTS = ("subnets", "vpcZoneIdentifiers", "networkConfiguration", "vpcConfig", "subnetId")
# An EventBridge rule's event source -> the kinds of node that emit those events.
EVENT_SOURCES = {"aws.backup": ("backupplan",)}


def _nat_role(tags: object) -> bool:
    """Tagged Role=nat: a dict of tags, or an ASG's list of {key, value}."""
    if isinstance(tags, dict):
        return tags.get("Role") == "nat"
    return isinstance(tags, list) and any(isinstance(t, dict) and (t.get("key"), t.get("value")) == ("Role", "nat")
                                          for t in tags)


class _Builder:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.index = PlanIndex(plan)
        self.graph = Graph(stack=plan.stack, home=plan.mocks.default_region)
        self.prefix = f"cloud-platform-{plan.stack}-"
        self.node_of: dict[str, Node] = {}  # urn -> node
        self._ids: set[str] = set()
        self._edges: dict[tuple[str, str], Edge] = {}
        self.dlqs: set[str] = set()

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

    def add_node(self, r: Recorded | None, kind: str, text: str, base: str = "", owner: Recorded | None = None) -> Node:
        owner = owner or r
        component = self.index.component(owner) if owner else None
        node = Node(
            self.unique(base or self.short(r.name), kind),
            text,
            kind,
            name=base or self.short(r.name),
            urn=r.urn if r else "",
            region=self.index.region(owner) if owner else self.plan.mocks.default_region,
            component=self.short(component.name) if component else "",
            component_type=component.type.rsplit(":", 1)[-1] if component else "",
        )
        self.graph.nodes.append(node)
        if r is not None:
            self.node_of[r.urn] = node
        return node

    def build(self) -> Graph:
        custom = [*self.index.custom, *(r for r in self.index.awsx if r.type in NODE_TYPES)]
        for r in custom:
            if r.type == "aws:sqs/queue:Queue":
                for path, target in self.index.references(r, "redrivePolicy"):
                    if "deadLetterTargetArn" in path:
                        self.dlqs.add(target.urn)
            elif r.type == "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig":
                # A queue an asynchronous function's failures go to is its dead-letter queue.
                self.dlqs |= {d.urn for path, d in self.index.references(r, "destinationConfig")
                              if "onFailure" in path and d.type == "aws:sqs/queue:Queue"}
        for r in custom:
            kind = NODE_TYPES.get(r.type)
            if _nat_role(r.inputs.get("tags")):
                kind = "nat" if r.type in NAT_NODES else None
            if kind is not None:
                self.add_node(r, kind, label(r, kind, self.short(r.name), self.index, r.urn in self.dlqs))
        for r in custom:
            if r.urn in self.node_of:
                self.place(r, self.node_of[r.urn])
        self.alarms(custom)
        self.uploads(custom)
        self.dns(custom)
        self.edges(custom)
        self.graph.nodes.sort(key=lambda n: n.id)
        self.graph.edges = sorted(self._edges.values(), key=lambda e: (e.source, e.target))
        return self.graph

    def place(self, r: Recorded, node: Node) -> None:
        """The VPC and subnets a resource lives in, from its own inputs."""
        subnets = [t for key in SUBNET_INPUTS for _, t in self.index.references(r, key) if t.type == "aws:ec2/subnet:Subnet"]
        node.subnets = tuple(dict.fromkeys(self.node_of[s.urn].id for s in subnets if s.urn in self.node_of))
        holder = subnets[0] if subnets else r
        vpc = r if node.kind == "vpc" else self.index.first(holder, "vpcId", type_="aws:ec2/vpc:Vpc")
        node.vpc = self.node_of[vpc.urn].id if vpc is not None and vpc.urn in self.node_of else ""
        if node.kind == "subnet":
            node.zone, node.tier = str(r.inputs.get("availabilityZone", "")), tier(r)

    def alarms(self, custom: list[Recorded]) -> None:
        grouped: dict[str, list[Recorded]] = defaultdict(list)
        for r in custom:
            if r.type in ALARM_TYPES:
                grouped[self.index.component_name(r)].append(r)
        for alarms in grouped.values():
            count = f"{len(alarms)} alarm{'s' if len(alarms) > 1 else ''}"
            owner = alarms[0]
            component = self.index.component(owner)
            node = self.add_node(None, "alarms", f"CloudWatch alarms\n{count}",
                                 f"{self.short(component.name) if component else 'stack'}_alarms", owner)
            for alarm in alarms:
                self.node_of[alarm.urn] = node

    def uploads(self, custom: list[Recorded]) -> None:
        """Objects the program uploads into a bucket: one 'files' node per bucket, edge 'upload'."""
        by_bucket: dict[str, list[Recorded]] = defaultdict(list)
        buckets: dict[str, Recorded] = {}
        for r in custom:
            if r.type in ("aws:s3/bucketObjectv2:BucketObjectv2", "aws:s3/bucketObject:BucketObject"):
                bucket = self.index.first(r, "bucket")
                if bucket is not None and bucket.urn in self.node_of:
                    by_bucket[bucket.urn].append(r)
                    buckets[bucket.urn] = bucket
        for urn, objects in by_bucket.items():
            paths = [getattr(o.inputs.get("source"), "path", "") for o in objects]  # FileAsset
            folders = sorted({posixpath.basename(posixpath.dirname(str(p))) for p in paths if p})
            where = ", ".join(f + "/" for f in folders) + (" + generated" if "" in paths else "")
            files = self.add_node(None, "files", f"files {where}\n{len(objects)} objects",
                                  f"{self.node_of[urn].id}_files", buckets[urn])
            self._edges.setdefault((files.id, self.node_of[urn].id), Edge(files.id, self.node_of[urn].id, "upload"))

    def dns(self, custom: list[Recorded]) -> None:
        """Alias records (not validation CNAMEs): one node per name, edge to what it points at."""
        names: dict[str, list[Recorded]] = defaultdict(list)
        for r in custom:
            if r.type == "aws:route53/record:Record" and r.inputs.get("aliases"):
                names[str(r.inputs.get("name", ""))].append(r)
        for name, records in sorted(names.items()):
            types = ", ".join(sorted(str(r.inputs.get("type", "")) for r in records))
            node = self.add_node(records[0], "dns", f"Route 53\n{name}\n{types}", f"dns_{name}")
            for r in records:
                self.node_of[r.urn] = node
                self.edge(r, self.index.first(r, "aliases"))

    # --- edges -------------------------------------------------------------------------
    def edge(self, source: Recorded | None, target: Recorded | None, text: str = "", dashed: bool = False) -> None:
        a = self.node_of.get(source.urn) if source else None
        b = self.node_of.get(target.urn) if target else None
        if a is None or b is None or a.id == b.id:
            return
        self._edges.setdefault((a.id, b.id), Edge(a.id, b.id, text, dashed))

    def edges(self, custom: list[Recorded]) -> None:
        idx = self.index
        for r in custom:
            t = r.type
            if t in ("aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule"):
                self.listener_edges(r)
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
                    # Drawn like a redrive to a DLQ (dashed, the node says "DLQ"); other targets are named.
                    text = "on success" if "onSuccess" in path else "" if dest.urn in self.dlqs else "on failure"
                    self.edge(function, dest, text, dashed=True)
            elif t == "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
                self.edge(idx.first(r, "vpcId"), idx.first(r, "peerVpcId"), "peering", dashed=True)
            elif t == "aws:s3/bucketNotification:BucketNotification":
                for _, target in idx.references(r, "queues"):
                    self.edge(idx.first(r, "bucket"), target, "new object")
            elif t == "aws:cloudwatch/logDelivery:LogDelivery":
                # Source and destination share a name (and so an id): find the source by its name input.
                source = next((x for x in custom if x.type.endswith("logDeliverySource:LogDeliverySource")
                               and x.inputs.get("name") == r.inputs.get("deliverySourceName")), None)
                self.edge(idx.first(source, "resourceArn") if source else None, idx.first(r, "deliveryDestinationArn"),
                          "access logs", dashed=True)
            elif t == "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration":
                bucket = self.node_of.get(getattr(idx.first(r, "bucket"), "urn", ""))
                if bucket is not None:
                    bucket.label = bucket.label.replace("S3 bucket", "S3 website bucket", 1)
            elif t == "aws:wafv2/webAclAssociation:WebAclAssociation":
                target = idx.first(r, "resourceArn")
                if target is not None and target.type == "aws:apigateway/stage:Stage":
                    target = idx.first(target, "restApi")
                self.edge(idx.first(r, "webAclArn"), target, dashed=True)
            elif t == "aws:cloudwatch/eventTarget:EventTarget":
                self.event_edges(r)
            elif t == "aws:backup/reportPlan:ReportPlan":
                bucket = idx.first(r, "reportDeliveryChannel")
                for plan in self.same_region(r, "backupplan"):
                    self.edge(plan, bucket, "reports", dashed=True)
            elif t == "aws:backup/selection:Selection":
                self.selection_edges(r, custom)
            elif t == "aws:backup/plan:Plan":
                self.backup_edges(r)
            elif r.urn in self.node_of:
                self.direct_edges(r)
        self.route_edges(custom)

    def listener_edges(self, r: Recorded) -> None:
        idx = self.index
        lb = idx.first(r, "loadBalancerArn")
        listener = r if lb is not None else idx.first(r, "listenerArn")
        lb = lb or (idx.first(listener, "loadBalancerArn") if listener else None)
        port = r.inputs.get("port")
        text = f"{r.inputs.get('protocol', '')}:{port}" if port else ""
        for key in ("defaultActions", "actions"):
            for path, tg in idx.references(r, key):
                if tg.type == "aws:lb/targetGroup:TargetGroup":
                    weight = _weight_at(r.inputs, path)
                    self.edge(lb, tg, f"{text} w{weight}".strip() if weight is not None else text)
        self.edge(idx.first(r, "certificateArn"), lb, dashed=True)

    def event_edges(self, r: Recorded) -> None:
        rule = self.index.first(r, "rule")
        pattern = str(rule.inputs.get("eventPattern", "")) if rule else ""
        sources = re.findall(r'"source":\s*\[([^\]]*)\]', pattern)
        kinds = {k for s in re.findall(r'"([^"]+)"', ",".join(sources)) for k in EVENT_SOURCES.get(s, ())}
        for kind in sorted(kinds):
            for source in self.same_region(r, kind):
                self.edge(source, self.index.first(r, "arn"), "failed jobs" if "FAILED" in pattern else "events", dashed=True)

    def same_region(self, r: Recorded, kind: str) -> list[Recorded]:
        region = self.index.region(r)
        return [x for x in self.index.custom if self.node_of.get(x.urn) is not None
                and self.node_of[x.urn].kind == kind and self.index.region(x) == region]

    def backup_edges(self, r: Recorded) -> None:
        """Plan -> its vault (rule names on the edge); that vault -> each copy destination."""
        rules = r.inputs.get("rules") or []
        for path, vault in self.index.references(r, "rules"):
            if vault.type != "aws:backup/vault:Vault":
                continue
            if "copyActions" in path:
                home = self.index.resolve(_at(r.inputs, re.sub(r"\.copyActions.*", ".targetVaultName", path)))
                self.edge(home, vault, "copy", dashed=True)
            else:
                names = [str(rule.get("ruleName", "")) for rule in rules if isinstance(rule, dict)]
                self.edge(r, vault, ", ".join(n for n in names if n))

    def selection_edges(self, r: Recorded, custom: list[Recorded]) -> None:
        """Resources picked by the selection's tags -> the plan (what gets backed up)."""
        plan = self.index.first(r, "planId")
        wanted = {(str(t.get("key")), str(t.get("value"))) for t in r.inputs.get("selectionTags") or []}
        for x in custom:
            tags = x.inputs.get("tags")
            if x.urn in self.node_of and isinstance(tags, dict) and wanted & {(k, str(v)) for k, v in tags.items()}:
                self.edge(x, plan, dashed=True)

    def route_edges(self, custom: list[Recorded]) -> None:
        """Subnets whose route table sends 0.0.0.0/0 to a NAT or internet gateway."""
        routes: dict[str, list[Recorded]] = defaultdict(list)
        subnets: dict[str, list[Recorded]] = defaultdict(list)
        for r in custom:
            table = self.index.first(r, "routeTableId")
            if table is None:
                continue
            if r.type == "aws:ec2/route:Route" and r.inputs.get("destinationCidrBlock") == "0.0.0.0/0":
                routes[table.urn].append(r)
            elif r.type == "aws:ec2/routeTableAssociation:RouteTableAssociation":
                subnets[table.urn] += [s for s in [self.index.first(r, "subnetId")] if s]
        for table_urn, found in routes.items():
            for route in found:
                gateway = self.index.first(route, "natGatewayId", "networkInterfaceId", "gatewayId")
                for subnet in subnets.get(table_urn, []):
                    self.edge(subnet, gateway, "0.0.0.0/0", dashed=True)

    def direct_edges(self, r: Recorded) -> None:
        node = self.node_of[r.urn]
        kind = node.kind
        if kind in PLACED:
            return
        refs = list(self.index.references(r))
        if kind == "ecs":  # the image lives on the task definition
            task = self.index.first(r, "taskDefinition", type_="aws:ecs/taskDefinition:TaskDefinition")
            refs += list(self.index.references(task)) if task else []
        for path, target in refs:
            target_node = self.node_of.get(target.urn)
            if target_node is None or target_node.kind in PLACED:
                continue
            if (kind, target_node.kind) in FLIPPED:
                self.edge(target, r, dashed=target_node.kind == "cert")
            elif "deadLetter" in path:
                self.edge(r, target, dashed=True)  # the target's label says DLQ
            elif target_node.kind == "ecr":
                self.edge(target, r, "image", dashed=True)
            elif kind == "cdn":
                self.edge(r, target, "OAC" if "originAccessControlId" in str(r.inputs.get("origins")) else "origin")
            elif kind == "alb" and path.startswith("accessLogs"):
                self.edge(r, target, "access logs", dashed=True)
            elif kind == "alarms":
                # Dimensions name what is watched; only the actions are edges (alarm -> topic).
                if path.split(".")[0].split("[")[0] in ("alarmActions", "okActions", "insufficientDataActions"):
                    self.edge(r, target, "notify", dashed=True)
            elif kind not in ("backupplan", "waf", "logs", "dns", "cert"):
                self.edge(r, target)


def _at(inputs: dict, path: str) -> object:
    node: object = inputs
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            node = node[int(part[1:-1])] if isinstance(node, list) and int(part[1:-1]) < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def _weight_at(inputs: dict, path: str) -> int | None:
    """The `weight` next to a target group ARN inside a forward action, if any."""
    holder = _at(inputs, path.rsplit(".", 1)[0]) if "." in path else None
    return holder.get("weight") if isinstance(holder, dict) else None


def build_graph(plan: Plan) -> Graph:
    """Nodes and edges of the whole plan, ungrouped: `views` nests them (full picture or per area)."""
    return _Builder(plan).build()
