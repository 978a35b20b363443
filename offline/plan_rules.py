"""What AWS rejects at create time BETWEEN resources: the plan-wide pass after the program ran.

`offline.provider_rules` and `offline.names` judge one registration at a time; these rules
need the whole plan (a subnet and its VPC, a listener and its target group's VPC, an event
source mapping and both its queue and function). Each is a function from the plan's `Index`
to `URN: problem` lines that name the other resource; the recording mock adds them to its
rejections (`RecordingMocks.raise_if_rejected`), so `platformctl plan` fails with one line.
A reference the plan does not hold (an id or ARN given as plain text) is not judged.

Sources, per rule (AWS error code in brackets):
- subnets: EC2 CreateSubnet — the CIDR lies in one of the VPC's CIDR blocks [InvalidSubnet.Range]
  and overlaps no other subnet of the VPC [InvalidSubnet.Conflict]; the zone is one of the
  region's [InvalidParameterValue].
- names: IAM CreateRole/CreatePolicy/CreateInstanceProfile, account-wide [EntityAlreadyExists];
  S3 CreateBucket, one namespace [BucketAlreadyOwnedByYou]; Lambda CreateFunction
  [ResourceConflictException]; Logs CreateLogGroup, DynamoDB CreateTable, KMS CreateAlias,
  ECR CreateRepository, Backup CreateBackupVault, per region [ResourceAlreadyExists/InUse,
  AlreadyExists, RepositoryAlreadyExists]; EC2 CreateSecurityGroup, per VPC [InvalidGroup.Duplicate];
  SQS CreateQueue, SNS CreateTopic, ELBv2 CreateLoadBalancer/CreateTargetGroup, per region, unless
  every setting matches (then the call returns the existing one) [QueueAlreadyExists,
  "Topic already exists with different attributes", DuplicateLoadBalancerName, DuplicateTargetGroupName].
- peering: VPC peering "invalid configurations" — no peering between overlapping CIDR blocks
  (the connection fails; terraform-provider-aws reports the failed state).
- security group references: EC2 AuthorizeSecurityGroupIngress/Egress — a referenced group of
  another VPC needs a same-region peering ["You have specified two resources that belong to
  different networks"].
- load balancers: ELBv2 CreateLoadBalancer — an application LB needs subnets in two zones, and
  no LB takes two subnets of one zone [ValidationError / InvalidConfigurationRequest];
  CreateListener/CreateRule — target groups in the load balancer's VPC [InvalidConfigurationRequest];
  ECS CreateService — its target group already forwarded to by a listener or rule ["The target group
  with targetGroupArn ... does not have an associated load balancer", InvalidParameterException].
- event source mappings: Lambda CreateEventSourceMapping — "Queue visibility timeout: N seconds
  is less than Function timeout: M seconds" [InvalidParameterValueException].
- dead-letter queues: SQS RedrivePolicy — the DLQ is the same type (FIFO/standard) as its source
  and in the same account and region [InvalidParameterValue].
- spot groups: Auto Scaling CreateAutoScalingGroup — a mixed instances policy's launch template does not
  ask for the spot market itself ["Incompatible launch template: You cannot use a launch template that
  is set to request Spot Instances (InstanceMarketOptions) when you configure an Auto Scaling group with
  a mixed instances policy"].
- log group keys: Logs CreateLogGroup with kmsKeyId — the key's policy lets logs.<region> use it
  for that group [AccessDeniedException].
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import provider_rules

if TYPE_CHECKING:
    from .recording_mock import Recorded

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
CIDR_ASSOCIATION = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"
PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KMS_KEY = "aws:kms/key:Key"

# Where a physical name must be unique ("vpc": per VPC id, "account": IAM, "partition": S3).
NAME_SCOPES = {
    "aws:iam/role:Role": "account",
    "aws:iam/policy:Policy": "account",
    "aws:iam/instanceProfile:InstanceProfile": "account",
    "aws:s3/bucket:Bucket": "partition",
    "aws:s3/bucketV2:BucketV2": "partition",
    FUNCTION: "region",
    LOG_GROUP: "region",
    "aws:dynamodb/table:Table": "region",
    "aws:kms/alias:Alias": "region",
    "aws:ecr/repository:Repository": "region",
    "aws:backup/vault:Vault": "region",
    QUEUE: "region",
    "aws:sns/topic:Topic": "region",
    LOAD_BALANCER: "region",
    TARGET_GROUP: "region",
    SECURITY_GROUP: "vpc",
}
NAME_PROPS = {"aws:s3/bucket:Bucket": "bucket", "aws:s3/bucketV2:BucketV2": "bucket"}
# Creates that hand back the existing resource when every setting matches (CreateQueue: attributes,
# CreateTopic: attributes and tags, CreateLoadBalancer/CreateTargetGroup: "the same settings"),
# with the inputs that are not such settings.
IDEMPOTENT_WHEN_EQUAL = {QUEUE: {"tags"}, "aws:sns/topic:Topic": set(), LOAD_BALANCER: set(), TARGET_GROUP: set()}
NOT_SETTINGS = {"tagsAll", "region"}


def who(r: Recorded) -> str:
    """How a problem line names the other resource: its type's class name and logical name."""
    return f"{r.type.rsplit(':', 1)[-1]} '{r.name}'"


@dataclass
class Index:
    """The plan's custom resources, found by id, ARN, queue URL or function name."""

    resources: list[Recorded]
    default_region: str
    by_ref: dict[str, Recorded] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for r in self.resources:
            if not r.custom:
                continue
            for key in (r.id, r.outputs.get("arn"), r.outputs.get("url")):
                if isinstance(key, str) and key:
                    self.by_ref.setdefault(key, r)
            if r.type == FUNCTION and isinstance(r.outputs.get("name"), str):
                self.by_ref.setdefault(f"function:{r.outputs['name']}", r)

    def of(self, *types: str) -> list[Recorded]:
        return [r for r in self.resources if r.custom and r.type in types]

    def get(self, ref: Any, type_: str | None = None) -> Recorded | None:
        found = self.by_ref.get(ref) if isinstance(ref, str) else None
        return found if found is not None and (type_ is None or found.type == type_) else None

    def region(self, r: Recorded) -> str:
        return r.inputs.get("region") or r.region or self.default_region

    def vpc_cidrs(self, vpc: Recorded) -> list[ipaddress.IPv4Network]:
        blocks = [vpc.inputs.get("cidrBlock")] + [
            a.inputs.get("cidrBlock") for a in self.of(CIDR_ASSOCIATION) if a.inputs.get("vpcId") == vpc.id]
        return [n for n in map(network, blocks) if n is not None]

    def peered(self, a: Recorded, b: Recorded, same_region: bool = False) -> bool:
        """Whether a peering connection joins VPCs `a` and `b` (in one region, if asked)."""
        for p in self.of(PEERING):
            ends = {p.inputs.get("vpcId"), p.inputs.get("peerVpcId")}
            cross = p.inputs.get("peerRegion") not in (None, self.region(p))
            if ends == {a.id, b.id} and not (same_region and cross):
                return True
        return False


def network(text: Any) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(text, strict=False) if isinstance(text, str) else None
    except ValueError:
        return None


# --- subnets ---------------------------------------------------------------------------------
def subnets(ix: Index) -> Iterator[str]:
    taken: dict[str, list[tuple[ipaddress.IPv4Network, Recorded]]] = {}
    for s in ix.of(SUBNET):
        cidr, vpc = network(s.inputs.get("cidrBlock")), ix.get(s.inputs.get("vpcId"), VPC)
        zone, region = s.inputs.get("availabilityZone"), ix.region(s)
        if isinstance(zone, str) and not re.fullmatch(re.escape(region) + r"(?:[a-z]|-[a-z0-9-]+[a-z])", zone):
            yield f"{s.urn}: availability zone '{zone}' is not a zone of region {region} (its provider's)"
        if cidr is None or vpc is None:
            continue
        blocks = ix.vpc_cidrs(vpc)
        if blocks and not any(cidr.subnet_of(b) for b in blocks):
            yield (f"{s.urn}: CIDR {cidr} is not inside {who(vpc)}'s CIDR blocks "
                   f"{', '.join(map(str, blocks))} (EC2 InvalidSubnet.Range)")
        for other_cidr, other in taken.setdefault(vpc.id, []):
            if cidr.overlaps(other_cidr):
                yield (f"{s.urn}: CIDR {cidr} overlaps {who(other)} ({other_cidr}) in {who(vpc)} "
                       "(EC2 InvalidSubnet.Conflict)")
        taken[vpc.id].append((cidr, s))


# --- physical names --------------------------------------------------------------------------
def _settings(r: Recorded) -> dict[str, Any]:
    return {k: v for k, v in r.inputs.items() if k not in NOT_SETTINGS | IDEMPOTENT_WHEN_EQUAL.get(r.type, set())}


def names(ix: Index) -> Iterator[str]:
    seen: dict[tuple, Recorded] = {}
    for r in ix.of(*NAME_SCOPES):
        name = r.inputs.get(NAME_PROPS.get(r.type, "name"))
        if not isinstance(name, str) or not name:
            continue  # autonames and name prefixes get random suffixes: they do not collide
        scope = NAME_SCOPES[r.type]
        where = {"account": "account", "partition": "S3's global namespace",
                 "region": ix.region(r), "vpc": r.inputs.get("vpcId")}[scope]
        key = (r.type, where, name if r.type.startswith("aws:s3/") else name.lower() if scope == "account" else name)
        first = seen.setdefault(key, r)
        if first is r or (r.type in IDEMPOTENT_WHEN_EQUAL and _settings(first) == _settings(r)):
            continue
        place = {"account": "in the account (IAM names are account-wide and case-insensitive)",
                 "partition": "(bucket names are global)", "region": f"in {where}", "vpc": f"in VPC {where}"}[scope]
        yield f"{r.urn}: name '{name}' is already taken by {who(first)} {place}; the second create fails"


# --- VPC peering -----------------------------------------------------------------------------
def peering(ix: Index) -> Iterator[str]:
    for p in ix.of(PEERING):
        home, peer = ix.get(p.inputs.get("vpcId"), VPC), ix.get(p.inputs.get("peerVpcId"), VPC)
        if home is None or peer is None:
            continue
        clash = [(a, b) for a in ix.vpc_cidrs(home) for b in ix.vpc_cidrs(peer) if a.overlaps(b)]
        if clash:
            a, b = clash[0]
            yield (f"{p.urn}: {who(home)} ({a}) and {who(peer)} ({b}) overlap; "
                   "AWS cannot peer VPCs with overlapping CIDR blocks (the connection fails)")


# --- security group references ----------------------------------------------------------------
def _group_references(ix: Index) -> Iterator[tuple[Recorded, Any, Any]]:
    """(rule or group, the group it belongs to, the group it references), ids as given."""
    for r in ix.of("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                   "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"):
        yield r, r.inputs.get("securityGroupId"), r.inputs.get("referencedSecurityGroupId")
    for r in ix.of("aws:ec2/securityGroupRule:SecurityGroupRule"):
        yield r, r.inputs.get("securityGroupId"), r.inputs.get("sourceSecurityGroupId")
    for r in ix.of(SECURITY_GROUP):
        for rule in (r.inputs.get("ingress") or []) + (r.inputs.get("egress") or []):
            for ref in (rule or {}).get("securityGroups") or []:
                yield r, r.id, ref


def group_references(ix: Index) -> Iterator[str]:
    for r, own_id, ref_id in _group_references(ix):
        own, ref = ix.get(own_id, SECURITY_GROUP), ix.get(ref_id, SECURITY_GROUP)
        if own is None or ref is None:
            continue
        a, b = ix.get(own.inputs.get("vpcId"), VPC), ix.get(ref.inputs.get("vpcId"), VPC)
        if a is None or b is None or a is b or ix.peered(a, b, same_region=True):
            continue
        yield (f"{r.urn}: references {who(ref)} of {who(b)} from {who(own)} of {who(a)}; EC2 refuses a group of "
               "another VPC without a same-region peering ('two resources that belong to different networks')")


# --- load balancers ---------------------------------------------------------------------------
def _lb_subnets(ix: Index, lb: Recorded) -> list[Recorded]:
    ids = list(lb.inputs.get("subnets") or []) + [m.get("subnetId") for m in lb.inputs.get("subnetMappings") or []]
    return [s for s in (ix.get(i, SUBNET) for i in ids) if s is not None]


def load_balancers(ix: Index) -> Iterator[str]:
    for lb in ix.of(LOAD_BALANCER):
        by_zone: dict[str, Recorded] = {}
        for s in _lb_subnets(ix, lb):
            zone = s.inputs.get("availabilityZone") or s.inputs.get("availabilityZoneId")
            if zone in by_zone:
                yield (f"{lb.urn}: {who(s)} and {who(by_zone[zone])} are both in {zone}; "
                       "a load balancer takes one subnet per availability zone")
            by_zone.setdefault(zone, s)
        kind = lb.inputs.get("loadBalancerType") or "application"
        if kind == "application" and by_zone and len(by_zone) < 2:
            named = ", ".join(who(s) for s in by_zone.values())
            yield (f"{lb.urn}: subnets ({named}) cover {len(by_zone)} availability zone; an application "
                   "load balancer needs subnets in at least two")


def _forwarded_groups(actions: Any) -> Iterator[Any]:
    for action in actions or []:
        if not isinstance(action, dict):
            continue
        yield action.get("targetGroupArn")
        for group in (action.get("forward") or {}).get("targetGroups") or []:
            yield group.get("arn")


def listener_target_groups(ix: Index) -> Iterator[str]:
    listeners = {r.id: r for r in ix.of("aws:lb/listener:Listener")}
    for r in ix.of("aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule"):
        listener = r if r.type.endswith("Listener") else listeners.get(r.inputs.get("listenerArn"))
        lb = ix.get(listener.inputs.get("loadBalancerArn"), LOAD_BALANCER) if listener else None
        lb_subnets = _lb_subnets(ix, lb) if lb else []
        if not lb_subnets:
            continue
        lb_vpc = lb_subnets[0].inputs.get("vpcId")
        actions = r.inputs.get("defaultActions") if r is listener else r.inputs.get("actions")
        for tg in (ix.get(a, TARGET_GROUP) for a in _forwarded_groups(actions)):
            if tg is not None and tg.inputs.get("vpcId") not in (None, lb_vpc):
                yield (f"{r.urn}: forwards to {who(tg)} in VPC {tg.inputs.get('vpcId')}, but {who(lb)} is in "
                       f"VPC {lb_vpc}; ELB requires the target group in the load balancer's VPC")


def service_target_groups(ix: Index) -> Iterator[str]:
    """ECS CreateService needs each target group already behind a listener (or rule) of a load balancer."""
    forwarders: dict[str, list[Recorded]] = {}
    for r in ix.of("aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule"):
        actions = r.inputs.get("defaultActions") if r.type.endswith("/listener:Listener") else r.inputs.get("actions")
        for arn in _forwarded_groups(actions):
            forwarders.setdefault(arn, []).append(r)
    by_urn = {r.urn: r for r in ix.resources}
    for svc in ix.of("aws:ecs/service:Service"):
        before, frontier = set(), list(svc.dependencies)
        while frontier:  # everything the engine creates before the service
            urn = frontier.pop()
            if urn not in before:
                before.add(urn)
                frontier.extend(by_urn[urn].dependencies if urn in by_urn else [])
        for lb in svc.inputs.get("loadBalancers") or []:
            tg = ix.get(lb.get("targetGroupArn"), TARGET_GROUP)
            if tg is None:
                continue
            found = forwarders.get(tg.id, [])
            if not found:
                yield (f"{svc.urn}: {who(tg)} has no listener or listener rule forwarding to it; ECS CreateService "
                       "refuses it ('does not have an associated load balancer')")
            elif not any(f.urn in before for f in found):
                yield (f"{svc.urn}: is not ordered after {' or '.join(who(f) for f in found)}, the only way {who(tg)} "
                       "reaches a load balancer; ECS CreateService refuses a target group without one (depends_on)")


# --- SQS ------------------------------------------------------------------------------------
def _function(ix: Index, ref: Any) -> Recorded | None:
    """A function by ARN (optionally qualified) or by name, as CreateEventSourceMapping takes it."""
    if not isinstance(ref, str):
        return None
    bare = re.sub(r"(:function:[^:]+):[^:]+$", r"\1", ref)
    return ix.get(bare, FUNCTION) or ix.get(f"function:{ref.split(':')[0]}", FUNCTION)


def event_source_mappings(ix: Index) -> Iterator[str]:
    for esm in ix.of("aws:lambda/eventSourceMapping:EventSourceMapping"):
        queue, fn = ix.get(esm.inputs.get("eventSourceArn"), QUEUE), _function(ix, esm.inputs.get("functionName"))
        if queue is None or fn is None:
            continue
        visibility, timeout = queue.inputs.get("visibilityTimeoutSeconds", 30), fn.inputs.get("timeout", 3)
        if isinstance(visibility, int) and isinstance(timeout, int) and visibility < timeout:
            yield (f"{esm.urn}: {who(queue)} visibility timeout {visibility} s is less than {who(fn)} timeout "
                   f"{timeout} s; Lambda refuses the mapping (CreateEventSourceMapping)")


def _fifo(queue: Recorded) -> bool:
    return bool(queue.inputs.get("fifoQueue")) or str(queue.outputs.get("name", "")).endswith(".fifo")


def dead_letter_queues(ix: Index) -> Iterator[str]:
    pairs = [(q, q, q.inputs.get("redrivePolicy")) for q in ix.of(QUEUE)]
    pairs += [(r, ix.get(r.inputs.get("queueUrl"), QUEUE), r.inputs.get("redrivePolicy"))
              for r in ix.of("aws:sqs/redrivePolicy:RedrivePolicy")]
    for r, source, policy in pairs:
        try:
            target = json.loads(policy).get("deadLetterTargetArn") if isinstance(policy, str) else None
        except (ValueError, AttributeError):
            continue
        dlq = ix.get(target, QUEUE)
        if source is None or dlq is None:
            continue
        if _fifo(source) != _fifo(dlq):
            kinds = {True: "FIFO", False: "standard"}
            yield (f"{r.urn}: {who(source)} is a {kinds[_fifo(source)]} queue but its dead-letter queue {who(dlq)} "
                   f"is {kinds[_fifo(dlq)]}; SQS needs both of one type")
        if ix.region(dlq) != ix.region(source):
            yield (f"{r.urn}: dead-letter queue {who(dlq)} is in {ix.region(dlq)}, {who(source)} in "
                   f"{ix.region(source)}; SQS needs both in one region")


def log_group_keys(ix: Index) -> Iterator[str]:
    """CreateLogGroup with a kmsKeyId reads the key's policy: it must admit CloudWatch Logs for this group."""
    for group in ix.of(LOG_GROUP):
        key = ix.get(group.inputs.get("kmsKeyId"), KMS_KEY)
        if key is not None:
            for problem in provider_rules.log_group_key(group.outputs["arn"], ix.region(group), key.inputs.get("policy")):
                yield f"{group.urn}: {problem}"


def spot_groups(ix: Index) -> Iterator[str]:
    """A mixed instances policy buys Spot itself: its template must not request the spot market."""
    for group in ix.of("aws:autoscaling/group:Group"):
        spec = ((group.inputs.get("mixedInstancesPolicy") or {}).get("launchTemplate") or {}).get(
            "launchTemplateSpecification") or {}
        template = ix.get(spec.get("launchTemplateId"), "aws:ec2/launchTemplate:LaunchTemplate")
        if template is not None and (template.inputs.get("instanceMarketOptions") or {}).get("marketType"):
            yield (f"{group.urn}: its mixed instances policy uses launch template {who(template)}, which requests "
                   f"the spot market (instanceMarketOptions); Auto Scaling refuses such a template in a mixed policy")


CHECKS: list[Callable[[Index], Iterator[str]]] = [
    subnets, names, peering, group_references, load_balancers, listener_target_groups, service_target_groups,
    event_source_mappings, dead_letter_queues, log_group_keys, spot_groups,
]


def problems(resources: list[Recorded], default_region: str) -> list[str]:
    """Every cross-resource rule the plan breaks, one `URN: problem` line each."""
    ix = Index(list(resources), default_region)
    return [line for check in CHECKS for line in check(ix)]
