"""The one recording mock of the project: used by the tests and by `platformctl plan`.

It answers resource registrations with deterministic ids, ARNs and the computed outputs
our code reads, answers the invokes the program makes, and remembers every resource with
its parent, provider and options so tests and the plan can query them.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import pulumi

from . import names, plan_rules, provider_rules
from .aws_shapes import ACCOUNT, ARN, ID_FROM_INPUT, ID_IS_ARN, ID_PREFIX, digest, extra_outputs, package_outputs
from .provider_rules import PlanRejectedError
from .sdk import MockMonitor

# Building blocks (hardened bucket, Lambda function) are parts of a component, not components.
BLOCKS = "cloud-platform:blocks:"
PARTITION = "aws"


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
    def physical_name(self) -> str | None:
        """The name AWS gets (explicit, prefix + 26 or autonamed); None for types without one."""
        rule = names.rule_for(self.type) if self.custom else None
        return self.outputs.get(rule.prop) if rule else None

    @property
    def region(self) -> str | None:
        """Region of the explicit provider, if any (None: the default provider)."""
        return self.provider.inputs.get("region") if self.provider else None

    @property
    def ref(self) -> str:
        """How other resources name this one as their provider (`urn::id`)."""
        return f"{self.urn}::{self.id}"


def _name_and_problems(type_: str, logical: str, inputs: dict[str, Any]) -> tuple[str | None, list[str]]:
    """The physical name pulumi-aws would give (None: the type has none) and what AWS would refuse."""
    named = names.physical_name(type_, logical, inputs)
    found = provider_rules.problems(type_, inputs)
    return named.name, ([named.problem] if named.problem else []) + found


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, default_region: str = "eu-west-1"):
        self.default_region = default_region
        self.resources: list[Recorded] = []
        self.calls: list[tuple[str, dict[str, Any], str | None]] = []
        self._by_ref: dict[str, Recorded] = {}
        self._request = threading.local()
        self._lock = threading.Lock()
        # What AWS or the provider would refuse, one line each (URN: problem); see `raise_if_rejected`.
        self.rejections: list[str] = []

    def raise_if_rejected(self) -> None:
        """Fail like a preview would when a registration broke a provider or AWS rule, or (judged
        over the whole plan) a rule between resources (`offline.plan_rules`)."""
        problems = self.rejections + plan_rules.problems(self.resources, self.default_region)
        if problems:
            raise PlanRejectedError(problems)

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
            id_ = f"{logical}-{digest(type_, logical)}"
            outputs: dict[str, Any] = package_outputs(type_, logical, inputs)
        else:
            # pulumi-aws v7: a resource may name its own region instead of its provider's.
            region = inputs.get("region") if type_ == "pulumi:providers:aws" else (
                inputs.get("region") or self.region_for(args.provider))
            physical, problems = _name_and_problems(type_, logical, inputs)
            urn = request["urn"] if request else f"urn:unknown::{type_}::{logical}"
            with self._lock:
                self.rejections.extend(f"{urn}: {problem}" for problem in problems)
            # Types without a name (routes, subnets) still get a deterministic handle for ids.
            name = physical or f"{logical}-{digest(type_, logical, length=7)}"
            if type_ in ID_PREFIX:
                id_ = f"{ID_PREFIX[type_]}-{digest(type_, logical, length=17)}"
            elif type_ == "aws:sqs/queue:Queue":
                id_ = f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{name}"
            elif type_ in ID_FROM_INPUT and inputs.get(ID_FROM_INPUT[type_]):
                id_ = inputs[ID_FROM_INPUT[type_]]
            else:
                id_ = name
            template = ARN.get(type_)
            arn = None
            if template:
                arn = template.format(
                    account=ACCOUNT, region=region, name=name, id=id_, path=inputs.get("path") or "/",
                    digest=digest(type_, logical, length=16), url=str(inputs.get("url", "")).removeprefix("https://"),
                    version=str(inputs.get("version", "")).lower(),
                    uuid=str(uuid.UUID(digest(type_, logical, length=32))),
                )
                if type_ in ID_IS_ARN:
                    id_ = arn
            outputs = {**inputs, "id": id_}
            rule = names.rule_for(type_)
            if physical and rule:
                outputs.setdefault(rule.prop, physical)
            if arn:
                outputs["arn"] = arn
            outputs.update(extra_outputs(type_, name, id_, region, arn, inputs))
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
            return {"id": f"ami-{digest(region, str(args.args.get('filters')), length=17)}",
                    "imageId": f"ami-{digest(region, str(args.args.get('filters')), length=17)}",
                    "name": "al2023-ami-2023.6.20260101.0-kernel-6.1-x86_64", "architecture": "x86_64"}
        if token == "aws:ssm/getParameter:getParameter":
            value = f"ami-{digest(region, str(args.args.get('name')), length=17)}"
            return {"id": args.args.get("name"), "name": args.args.get("name"), "value": value,
                    "insecureValue": value, "type": "String", "arn": "", "version": 1, "withDecryption": True}
        if token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            registry = args.args.get("registryId") or ACCOUNT
            return {"id": region, "registryId": registry, "userName": "AWS", "password": "mock-ecr-token",
                    "authorizationToken": "QVdTOm1vY2stZWNyLXRva2Vu",  # base64 of AWS:mock-ecr-token
                    "proxyEndpoint": f"https://{registry}.dkr.ecr.{region}.amazonaws.com",
                    "expiresAt": "2030-01-01T00:00:00Z"}
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


