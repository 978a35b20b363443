"""The one recording mock of the project: used by the tests and by `platformctl plan`.

It answers resource registrations with deterministic ids, ARNs and the computed outputs
our code reads, answers the invokes the program makes, and remembers every resource with
its parent, provider and options so tests and the plan can query them.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

import pulumi

from .sdk import MockMonitor

ACCOUNT = "123456789012"
# Building blocks (hardened bucket, Lambda function) are parts of a component, not components.
BLOCKS = "cloud-platform:blocks:"
PARTITION = "aws"


def _digest(*parts: str, length: int = 8) -> str:
    return hashlib.sha1("/".join(parts).encode(), usedforsecurity=False).hexdigest()[:length]


def plain(value: Any) -> Any:
    """Inputs arrive with every number as float; give back ints where they are whole."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def jsonable(value: Any) -> Any:
    """`value` with assets and archives as plain dicts (`{"asset": "file", "path": ...}`), for JSON plans."""
    if isinstance(value, pulumi.AssetArchive):
        return {"archive": "assets", "assets": {k: jsonable(v) for k, v in value.assets.items()}}
    if isinstance(value, (pulumi.FileArchive, pulumi.FileAsset)):
        return {"archive" if isinstance(value, pulumi.FileArchive) else "asset": "file", "path": value.path}
    if isinstance(value, pulumi.StringAsset):
        return {"asset": "string", "text": value.text}
    if isinstance(value, (pulumi.RemoteAsset, pulumi.RemoteArchive)):
        return {"archive" if isinstance(value, pulumi.RemoteArchive) else "asset": "remote", "uri": value.uri}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


@dataclass
class Recorded:
    """One registered resource (custom or component) as the engine would have seen it."""

    urn: str
    type: str
    name: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    custom: bool
    parent: str | None = None
    provider_ref: str | None = None
    provider: Recorded | None = None
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    """URNs this resource had before (pulumi.Alias), resolved as the engine resolves alias specs."""

    @property
    def region(self) -> str | None:
        """Region of the explicit provider, if any (None: the default provider)."""
        return self.provider.inputs.get("region") if self.provider else None

    @property
    def ref(self) -> str:
        """How other resources name this one as their provider (`urn::id`)."""
        return f"{self.urn}::{self.id}"


# Prefixes of EC2-style ids; anything else gets its physical name (or ARN/URL) as id.
ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": "pcx",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/route:Route": "r",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:kms/key:Key": "key",
    "aws:apigateway/restApi:RestApi": "api",
    "aws:apigateway/resource:Resource": "res",
    "aws:apigateway/deployment:Deployment": "dep",
    "aws:cloudfront/distribution:Distribution": "E",
    "aws:cloudfront/originAccessControl:OriginAccessControl": "oac",
}

# ARN templates by type; {name} is the physical name, {id} the resource id.
ARN = {
    "aws:iam/role:Role": "arn:aws:iam::{account}:role/{name}",
    "aws:iam/policy:Policy": "arn:aws:iam::{account}:policy/{name}",
    "aws:iam/instanceProfile:InstanceProfile": "arn:aws:iam::{account}:instance-profile/{name}",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "arn:aws:iam::{account}:oidc-provider/{url}",
    "aws:s3/bucket:Bucket": "arn:aws:s3:::{name}",
    "aws:s3/bucketV2:BucketV2": "arn:aws:s3:::{name}",
    "aws:lambda/function:Function": "arn:aws:lambda:{region}:{account}:function:{name}",
    "aws:sqs/queue:Queue": "arn:aws:sqs:{region}:{account}:{name}",
    "aws:sns/topic:Topic": "arn:aws:sns:{region}:{account}:{name}",
    "aws:dynamodb/table:Table": "arn:aws:dynamodb:{region}:{account}:table/{name}",
    "aws:cloudwatch/logGroup:LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "arn:aws:cloudwatch:{region}:{account}:alarm:{name}",
    "aws:kms/key:Key": "arn:aws:kms:{region}:{account}:key/{id}",
    "aws:lb/loadBalancer:LoadBalancer": "arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/{digest}",
    "aws:lb/targetGroup:TargetGroup": "arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{name}/{digest}",
    "aws:lb/listener:Listener": "arn:aws:elasticloadbalancing:{region}:{account}:listener/app/{name}/{digest}",
    "aws:lb/listenerRule:ListenerRule": "arn:aws:elasticloadbalancing:{region}:{account}:listener-rule/app/{name}/{digest}",
    "aws:autoscaling/group:Group": "arn:aws:autoscaling:{region}:{account}:autoScalingGroup:{digest}:autoScalingGroupName/{name}",
    "aws:ecr/repository:Repository": "arn:aws:ecr:{region}:{account}:repository/{name}",
    "aws:ecs/cluster:Cluster": "arn:aws:ecs:{region}:{account}:cluster/{name}",
    "aws:ecs/service:Service": "arn:aws:ecs:{region}:{account}:service/{name}",
    "aws:ecs/taskDefinition:TaskDefinition": "arn:aws:ecs:{region}:{account}:task-definition/{name}:1",
    "aws:apigateway/restApi:RestApi": "arn:aws:apigateway:{region}::/restapis/{id}",
    "aws:cloudfront/distribution:Distribution": "arn:aws:cloudfront::{account}:distribution/{id}",
    "aws:sfn/stateMachine:StateMachine": "arn:aws:states:{region}:{account}:stateMachine:{name}",
    "aws:backup/vault:Vault": "arn:aws:backup:{region}:{account}:backup-vault:{name}",
    "aws:backup/plan:Plan": "arn:aws:backup:{region}:{account}:backup-plan:{id}",
    "aws:ec2/vpc:Vpc": "arn:aws:ec2:{region}:{account}:vpc/{id}",
    "aws:ec2/subnet:Subnet": "arn:aws:ec2:{region}:{account}:subnet/{id}",
    "aws:ec2/securityGroup:SecurityGroup": "arn:aws:ec2:{region}:{account}:security-group/{id}",
}

# Resources whose physical name lives in another property than `name`.
NAME_PROPERTY = {"aws:s3/bucket:Bucket": "bucket", "aws:s3/bucketV2:BucketV2": "bucket"}

# Types whose id is their ARN (as the AWS provider reports it).
ID_IS_ARN = {"aws:sns/topic:Topic", "aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup",
             "aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule", "aws:ecs/cluster:Cluster",
             "aws:iam/openIdConnectProvider:OpenIdConnectProvider"}


def _physical_name(type_: str, logical: str, inputs: dict[str, Any]) -> str:
    prop = NAME_PROPERTY.get(type_, "name")
    given = inputs.get(prop)
    if isinstance(given, str) and given:
        return given
    prefix = inputs.get(f"{prop}Prefix")
    # Auto-naming appends a random suffix; a hash of the logical name keeps it deterministic.
    return f"{prefix or logical + '-'}{_digest(type_, logical, length=7)}"


def _extra_outputs(type_: str, name: str, id_: str, region: str, arn: str | None,
                   inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Computed properties that consumers of a resource read."""
    if type_ == "aws:lb/loadBalancer:LoadBalancer":
        return {
            "dnsName": f"{name}-{_digest(name, length=6)}.{region}.elb.amazonaws.com",
            "arnSuffix": arn.split(":loadbalancer/")[1],
            "zoneId": "Z32O12XQLNTSW2",
        }
    if type_ in ("aws:lb/targetGroup:TargetGroup",):
        return {"arnSuffix": arn.split(":")[-1]}
    if type_ == "aws:lambda/function:Function":
        return {
            "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations",
            "qualifiedArn": f"{arn}:1",
            "version": "1",
        }
    if type_ == "aws:sqs/queue:Queue":
        return {"url": id_}
    if type_ == "aws:dynamodb/table:Table":
        return {"streamArn": f"{arn}/stream/2026-01-01T00:00:00.000"}
    if type_ == "aws:apigateway/restApi:RestApi":
        return {
            "rootResourceId": f"root{_digest(id_, length=6)}",
            "executionArn": f"arn:aws:execute-api:{region}:{ACCOUNT}:{id_}",
        }
    if type_ == "aws:apigateway/stage:Stage":
        api, stage = (inputs or {}).get("restApi", "api"), (inputs or {}).get("stageName", name)
        return {
            "invokeUrl": f"https://{api}.execute-api.{region}.amazonaws.com/{stage}",
            "executionArn": f"arn:aws:execute-api:{region}:{ACCOUNT}:{api}/{stage}",
            "arn": f"arn:aws:apigateway:{region}::/restapis/{api}/stages/{stage}",
        }
    if type_ in NAME_PROPERTY:
        return {
            "bucket": name,
            "bucketDomainName": f"{name}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
            "region": region,
        }
    if type_ == "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration":
        return {"websiteEndpoint": f"{id_}.s3-website-{region}.amazonaws.com", "websiteDomain": f"s3-website-{region}.amazonaws.com"}
    if type_ == "aws:cloudfront/distribution:Distribution":
        return {"domainName": f"d{_digest(id_, length=12)}.cloudfront.net", "hostedZoneId": "Z2FDTNDATAQYW2"}
    if type_ == "aws:ecr/repository:Repository":
        return {"repositoryUrl": f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{name}", "registryId": ACCOUNT}
    if type_ == "aws:kms/key:Key":
        return {"keyId": id_}
    if type_ == "aws:ec2/instance:Instance":
        return {"primaryNetworkInterfaceId": f"eni-{_digest(id_, length=17)}",
                "privateIp": "10.0.0.10", "publicIp": "203.0.113.10"}
    if type_ == "aws:ec2/launchTemplate:LaunchTemplate":
        return {"latestVersion": 1, "defaultVersion": 1}
    if type_ == "aws:iam/role:Role":
        return {"uniqueId": f"AROA{_digest(name, length=16).upper()}"}
    return {}


def _package_outputs(type_: str, logical: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The few outputs of awsx/docker components that our code reads (nothing else is echoed)."""
    if type_ == "awsx:ecr:Image":
        # The pushed image by digest, as awsx reports it: `<repositoryUrl>@sha256:<64 hex>`.
        digest = hashlib.sha256(f"{logical}/{inputs.get('imageTag')}".encode()).hexdigest()
        return {"imageUri": f"{inputs.get('repositoryUrl')}@sha256:{digest}"}
    return {}


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, default_region: str = "eu-west-1"):
        self.default_region = default_region
        self.resources: list[Recorded] = []
        self.calls: list[tuple[str, dict[str, Any], str | None]] = []
        self._by_ref: dict[str, Recorded] = {}
        self._request = threading.local()
        self._lock = threading.Lock()

    # --- engine side -------------------------------------------------------------
    def region_for(self, provider_ref: str | None) -> str:
        provider = self._by_ref.get(provider_ref or "")
        return (provider.inputs.get("region") if provider else None) or self.default_region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        type_, logical = args.typ, args.name
        inputs = plain(dict(args.inputs))
        request = getattr(self._request, "value", None)
        if type_.startswith("awsx:") or type_.startswith("docker-build:"):
            # Components from other packages: echoing inputs breaks their output typing.
            id_ = f"{logical}-{_digest(type_, logical)}"
            outputs: dict[str, Any] = _package_outputs(type_, logical, inputs)
        else:
            region = inputs.get("region") if type_ == "pulumi:providers:aws" else self.region_for(args.provider)
            name = _physical_name(type_, logical, inputs)
            if type_ in ID_PREFIX:
                id_ = f"{ID_PREFIX[type_]}-{_digest(type_, logical, length=17)}"
            elif type_ == "aws:sqs/queue:Queue":
                id_ = f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{name}"
            else:
                id_ = name
            template = ARN.get(type_)
            arn = None
            if template:
                arn = template.format(
                    account=ACCOUNT, region=region, name=name, id=id_,
                    digest=_digest(type_, logical, length=16), url=str(inputs.get("url", "")).removeprefix("https://"),
                )
                if type_ in ID_IS_ARN:
                    id_ = arn
            outputs = {**inputs, "id": id_}
            if not type_.startswith("pulumi:providers:"):
                outputs.setdefault(NAME_PROPERTY.get(type_, "name"), name)
            if arn:
                outputs["arn"] = arn
            outputs.update(_extra_outputs(type_, name, id_, region, arn, inputs))
        record = Recorded(
            urn=request["urn"] if request else f"urn:unknown::{type_}::{logical}",
            type=type_,
            name=logical,
            id=id_,
            inputs=inputs,
            outputs=outputs,
            custom=bool(args.custom),
            parent=(request or {}).get("parent") or None,
            provider_ref=args.provider or None,
            provider=self._by_ref.get(args.provider or ""),
            protect=bool((request or {}).get("protect")),
            retain_on_delete=bool((request or {}).get("retain_on_delete")),
            ignore_changes=list((request or {}).get("ignore_changes") or []),
            dependencies=list((request or {}).get("dependencies", [])),
            aliases=list((request or {}).get("aliases", [])),
        )
        with self._lock:
            self.resources.append(record)
            if type_.startswith("pulumi:providers:"):
                self._by_ref[record.ref] = record
        return id_, outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        region = self.region_for(args.provider)
        self.calls.append((args.token, plain(dict(args.args)), region))
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{region}{z}" for z in "abc"]
            return {"id": region, "names": names, "zoneIds": [f"{region[:3]}{region[-1]}-az{i}" for i in (1, 2, 3)],
                    "groupNames": [region], "state": "available"}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"id": ACCOUNT, "accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/mock", "userId": "AIDAMOCK"}
        if token == "aws:index/getRegion:getRegion":
            return {"id": region, "name": region, "region": region, "endpoint": f"ec2.{region}.amazonaws.com",
                    "description": region}
        if token == "aws:index/getPartition:getPartition":
            return {"id": PARTITION, "partition": PARTITION, "dnsSuffix": "amazonaws.com",
                    "reverseDnsPrefix": "com.amazonaws"}
        if token == "aws:ec2/getAmi:getAmi":
            return {"id": f"ami-{_digest(region, str(args.args.get('filters')), length=17)}",
                    "imageId": f"ami-{_digest(region, str(args.args.get('filters')), length=17)}",
                    "name": "al2023-ami-2023.6.20260101.0-kernel-6.1-x86_64", "architecture": "x86_64"}
        if token == "aws:ssm/getParameter:getParameter":
            value = f"ami-{_digest(region, str(args.args.get('name')), length=17)}"
            return {"id": args.args.get("name"), "name": args.args.get("name"), "value": value,
                    "insecureValue": value, "type": "String", "arn": "", "version": 1, "withDecryption": True}
        if token == "aws:elb/getServiceAccount:getServiceAccount":
            return {"id": "156460612806", "arn": "arn:aws:iam::156460612806:root"}
        return {}

    # --- queries for tests and the plan ------------------------------------------
    def of_type(self, type_: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> Recorded:
        found = [r for r in self.resources if r.name == name]
        if len(found) != 1:
            raise LookupError(f"{len(found)} resources named {name!r}")
        return found[0]

    def by_id(self, id_: str) -> Recorded | None:
        return next((r for r in self.resources if r.id == id_ and r.custom), None)

    def by_urn(self, urn: str) -> Recorded | None:
        return next((r for r in self.resources if r.urn == urn), None)

    def children(self, parent: Recorded) -> list[Recorded]:
        return [r for r in self.resources if r.parent == parent.urn]

    def descendants(self, ancestor: Recorded) -> list[Recorded]:
        found, frontier = [], [ancestor.urn]
        while frontier:
            urn = frontier.pop()
            kids = [r for r in self.resources if r.parent == urn]
            found.extend(kids)
            frontier.extend(k.urn for k in kids)
        return found

    def component_of(self, resource: Recorded) -> Recorded | None:
        """The nearest ancestor that is one of our components (`cloud-platform:*`, building blocks skipped)."""
        parent = self.by_urn(resource.parent) if resource.parent else None
        while parent is not None and (not parent.type.startswith("cloud-platform:") or parent.type.startswith(BLOCKS)):
            parent = self.by_urn(parent.parent) if parent.parent else None
        return parent

    def in_region(self, region: str) -> list[Recorded]:
        return [r for r in self.resources if r.custom and (r.region or self.default_region) == region]


class RecordingMonitor(MockMonitor):
    """MockMonitor that also hands parent and resource options to the recording mock."""

    mocks: RecordingMocks

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """As the engine does: the qualified type is the parent's whole type chain (the root stack's
        type left out), then this type."""
        if parent and (chain := parent.split("::")[2]) != "pulumi:pulumi:Stack":
            type_ = chain + "$" + type_
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def alias_urns(self, request) -> list[str]:
        """The old URNs named by the request's aliases (full URNs, or specs relative to this resource)."""
        urns = []
        for alias in request.aliases:
            if alias.urn:
                urns.append(alias.urn)
                continue
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or request.parent)
            urns.append(self.make_urn(parent, spec.type or request.type, spec.name or request.name))
        return urns

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        self.mocks._request.value = {
            "aliases": self.alias_urns(request),
            "urn": self.make_urn(request.parent, request.type, request.name),
            "parent": request.parent,
            "protect": request.protect,
            "retain_on_delete": request.retainOnDelete,
            "ignore_changes": list(request.ignoreChanges),
            "dependencies": list(request.dependencies),
        }
        try:
            return super().RegisterResource(request)
        finally:
            self.mocks._request.value = None


