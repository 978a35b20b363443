"""Physical names as pulumi-aws 7 and AWS make and check them, per resource type.

pulumi-aws autonames every resource whose `name` input is left empty: `<logical name>-<7 random
hex>` (tfbridge `AutoName`, `resource.NewUniqueHex`), and refuses at preview when that is longer
than the type's maximum ("plus 7 random chars is longer than maximum length N"). The default
maximum is 255 (provider/autonaming.go); provider/resource_overrides.go and compatibility.go
lower it (target groups 32, IAM roles, Lambda functions and event rules 64, SQS/SNS 80, S3
buckets 63 lower-cased). A `name_prefix` gets terraform's 26-character unique suffix
(`id.PrefixedUniqueId`: timestamp + counter). Whatever the name, terraform-provider-aws's
validators and the AWS API then check its length and characters (e.g. load balancers: 32,
letters, digits and hyphens, no hyphen at either end).

Add a type the platform creates with ONE line in `NAMES` (the table test fails until you do).
"""

from __future__ import annotations

import hashlib
import inspect
import re
from dataclasses import dataclass
from functools import cache

RANDOM_HEX = 7  # tfbridge AutoName's random suffix
PREFIX_SUFFIX = 26  # terraform id.PrefixedUniqueId: "20060102150405" + 4 fraction digits + 8 hex counter

# Character sets (whole-name patterns) from the AWS API references.
ELB = r"(?!-)(?!internal-)[A-Za-z0-9-]+(?<!-)"  # CreateLoadBalancer / CreateTargetGroup
IAM = r"[\w+=,.@-]+"  # IAM role, policy, instance profile names
LAMBDA = r"[A-Za-z0-9_-]+"  # function names, statement ids, queue/topic names, state machines
ECS = r"[A-Za-z0-9_-]+"
S3 = r"(?!xn--)(?!sthree-)[a-z0-9][a-z0-9.-]*[a-z0-9](?<!-s3alias)(?<!--ol-s3)"
ECR = r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"
LOG_GROUP = r"[.\-_/#A-Za-z0-9]+"
BACKUP_VAULT = r"[A-Za-z0-9_-]+"
BACKUP_PLAN = r"[A-Za-z0-9_.-]+"
BACKUP_RESTORE_TESTING = r"[0-9A-Za-z_]+"  # restore testing plans and selections (no hyphens)
BACKUP_AUDIT = r"[A-Za-z][0-9A-Za-z_]*"  # frameworks and report plans
DYNAMODB = r"[A-Za-z0-9_.-]+"
LAUNCH_TEMPLATE = r"[A-Za-z0-9().\-/_]+"
KMS_ALIAS = r"alias/(?!aws/)[A-Za-z0-9/_-]+"
SECURITY_GROUP = r"(?!sg-)[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+"
CLOUDFRONT = r"[A-Za-z0-9_.-]+"
ANY = r"[^\x00-\x1f]+"


@dataclass(frozen=True)
class NameRule:
    """How one type's physical name is made and what AWS accepts.

    `maximum`/`minimum`: length AWS accepts; `chars`: whole-name pattern; `autoname`: the
    provider autonames the property (False: it is required, e.g. an ECS task family);
    `lower`: the autoname is lower-cased (pulumi-aws `AutoNameTransform(strings.ToLower)`).
    """

    maximum: int
    chars: str = ANY
    minimum: int = 1
    prop: str = "name"
    lower: bool = False
    autoname: bool = True
    autoname_maximum: int | None = None  # pulumi-aws's own cap on autonames, when below `maximum`

    @property
    def prefix_maximum(self) -> int:
        return self.maximum - PREFIX_SUFFIX


NAMES: dict[str, NameRule] = {
    "aws:lb/loadBalancer:LoadBalancer": NameRule(32, ELB),
    "aws:lb/targetGroup:TargetGroup": NameRule(32, ELB),
    "aws:iam/role:Role": NameRule(64, IAM),
    "aws:iam/policy:Policy": NameRule(128, IAM),
    "aws:iam/instanceProfile:InstanceProfile": NameRule(128, IAM),
    "aws:iam/rolePolicy:RolePolicy": NameRule(128, IAM),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": NameRule(255, autoname=False, prop="url"),
    "aws:lambda/function:Function": NameRule(64, LAMBDA),
    "aws:lambda/permission:Permission": NameRule(100, LAMBDA, prop="statementId"),
    "aws:sqs/queue:Queue": NameRule(80, LAMBDA + r"(?:\.fifo)?"),  # FIFO queues end in .fifo
    "aws:sns/topic:Topic": NameRule(256, LAMBDA, autoname_maximum=80),
    "aws:s3/bucket:Bucket": NameRule(63, S3, minimum=3, prop="bucket", lower=True),
    "aws:s3/bucketV2:BucketV2": NameRule(63, S3, minimum=3, prop="bucket", lower=True),
    "aws:sfn/stateMachine:StateMachine": NameRule(80, LAMBDA),
    "aws:backup/vault:Vault": NameRule(50, BACKUP_VAULT, minimum=2),
    "aws:backup/plan:Plan": NameRule(50, BACKUP_PLAN),
    "aws:backup/selection:Selection": NameRule(50, BACKUP_PLAN),
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": NameRule(50, BACKUP_RESTORE_TESTING, autoname=False),
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": NameRule(50, BACKUP_RESTORE_TESTING, autoname=False),
    "aws:backup/framework:Framework": NameRule(256, BACKUP_AUDIT, autoname=False),
    "aws:backup/reportPlan:ReportPlan": NameRule(256, BACKUP_AUDIT, autoname=False),
    "aws:cloudwatch/eventRule:EventRule": NameRule(64, r"[.\-_A-Za-z0-9]+"),
    "aws:cloudwatch/logGroup:LogGroup": NameRule(512, LOG_GROUP),
    "aws:cloudwatch/metricAlarm:MetricAlarm": NameRule(255),
    "aws:dynamodb/table:Table": NameRule(255, DYNAMODB, minimum=3),
    "aws:ecr/repository:Repository": NameRule(256, ECR, minimum=2),
    "aws:ecs/cluster:Cluster": NameRule(255, ECS),
    "aws:ecs/service:Service": NameRule(255, ECS),
    "aws:ecs/taskDefinition:TaskDefinition": NameRule(255, ECS, prop="family", autoname=False),
    "aws:ec2/securityGroup:SecurityGroup": NameRule(255, SECURITY_GROUP),
    "aws:ec2/launchTemplate:LaunchTemplate": NameRule(128, LAUNCH_TEMPLATE, minimum=3),
    "aws:autoscaling/group:Group": NameRule(255, ANY),
    "aws:autoscaling/policy:Policy": NameRule(255, ANY),
    "aws:appautoscaling/policy:Policy": NameRule(255, ANY),
    "aws:kms/alias:Alias": NameRule(256, KMS_ALIAS),
    "aws:apigateway/restApi:RestApi": NameRule(255, ANY),
    "aws:cloudfront/originAccessControl:OriginAccessControl": NameRule(64, CLOUDFRONT),
    # CloudFront quotas: policy names up to 128 characters.
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": NameRule(128, CLOUDFRONT),
    # WAFv2 API: Name 1-128, ^[\w\-]+$.
    "aws:wafv2/webAcl:WebAcl": NameRule(128, r"[\w-]+"),
    # CloudWatch Logs PutDeliverySource / PutDeliveryDestination: name 1-60, [\w-]*.
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": NameRule(60, r"[\w-]+"),
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": NameRule(60, r"[\w-]+"),
    # A DNS name (required, never autonamed): at most 255 octets in Route 53.
    "aws:route53/record:Record": NameRule(255, r"[A-Za-z0-9_.*-]+\.?", autoname=False),
}

# A type with a `name` input the table does not list: pulumi-aws's default autoname maximum.
DEFAULT = NameRule(255)


def _hex(*parts: str, length: int) -> str:
    return hashlib.sha1("/".join(parts).encode(), usedforsecurity=False).hexdigest()[:length]


@cache
def has_name_input(type_: str) -> bool:
    """Whether pulumi_aws's class for `type_` takes a `name` input (then the provider autonames it)."""
    import importlib

    try:
        package, rest = type_.split(":", 1)[1].split("/", 1)
        cls_name = rest.split(":")[1]
    except (IndexError, ValueError):
        return False
    # Python keywords get a trailing underscore (`aws:lambda/...` lives in `pulumi_aws.lambda_`).
    for module in ("pulumi_aws" if package == "index" else f"pulumi_aws.{package}", f"pulumi_aws.{package}_"):
        try:
            cls = getattr(importlib.import_module(module), cls_name)
        except (ImportError, AttributeError):
            continue
        return "name" in inspect.signature(cls._internal_init).parameters
    return False


def rule_for(type_: str) -> NameRule | None:
    if type_ in NAMES:
        return NAMES[type_]
    return DEFAULT if type_.startswith("aws:") and has_name_input(type_) else None


@dataclass(frozen=True)
class Named:
    """A resource's physical name and, when AWS would refuse it, why (one clause)."""

    name: str | None
    problem: str | None = None


def physical_name(type_: str, logical: str, inputs: dict) -> Named:
    """The name AWS would get (explicit, prefix + 26, or autoname) and what is wrong with it."""
    rule = rule_for(type_)
    if rule is None:
        return Named(None)
    given, prefix = inputs.get(rule.prop), inputs.get(f"{rule.prop}Prefix")
    if isinstance(given, str) and given:
        return Named(given, _check(rule, rule.prop, given, type_))
    if isinstance(prefix, str) and prefix:
        name = prefix + "20260101000000" + "0000" + _hex(type_, logical, length=8)
        if len(prefix) > rule.prefix_maximum:
            return Named(name, f"{rule.prop}Prefix '{prefix}' is {len(prefix)} characters; {type_} allows at most "
                               f"{rule.prefix_maximum} (prefix + {PREFIX_SUFFIX} generated characters <= {rule.maximum})")
        return Named(name, _check(rule, f"{rule.prop}Prefix", name, type_))
    if not rule.autoname:
        return Named(None)
    base = logical.lower() if rule.lower else logical
    name = f"{base}-{_hex(type_, logical, length=RANDOM_HEX)}"
    limit = rule.autoname_maximum or rule.maximum
    if len(name) > limit:
        return Named(name, f"autoname '{base}' plus {RANDOM_HEX + 1} generated characters is {len(name)} characters, "
                           f"longer than the maximum {limit} of {type_}: set a shorter {rule.prop} "
                           f"or {rule.prop}Prefix")
    return Named(name, _check(rule, "autoname", name, type_))


def _check(rule: NameRule, what: str, name: str, type_: str) -> str | None:
    if not rule.minimum <= len(name) <= rule.maximum:
        return (f"{what} '{name}' is {len(name)} characters; {type_} allows "
                f"{rule.minimum}-{rule.maximum}")
    if not re.fullmatch(rule.chars, name):
        return f"{what} '{name}' has characters or a form {type_} does not accept (allowed: {rule.chars})"
    return None
