"""What the AWS provider and the AWS APIs reject at preview or create time, as small rules.

Each rule is one entry in `RULES`: the resource types it applies to and a function from the
resource's inputs (camelCase, as the engine sends them) to problems (one clause each). The
recording mock runs every rule on every registration plus the name rules of `offline.names`;
a problem fails the plan like a failed preview (`PlanRejectedError`: one line naming the URN).

Add a rule: write `def _my_rule(inputs) -> Iterator[str]` and append `Rule((types...), _my_rule)`.
Sources: AWS API references (Tag, CreateVpc, PutMetricAlarm, CreateListener, RunInstances),
AWS Backup's schedule expressions, KMS PutKeyPolicy (size, characters, lockout safety check),
PutBackupVaultLockConfiguration, AWS Backup vault access policies (no Action wildcards),
Lambda PutFunctionEventInvokeConfig (botocore's service model + terraform-provider-aws's schema),
WAFv2 PutLoggingConfiguration (one destination named aws-waf-logs-*, redactable fields),
launch templates and Auto Scaling groups (offline.fleet_rules),
botocore's partition data for the `aws` partition's regions.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from .fleet_rules import group_launch_source, launch_template_interfaces

PROVIDER = "pulumi:providers:aws"
ALL = "*"


class PlanRejectedError(Exception):
    """The plan would fail in AWS: the first problem on one line (all of them in `.problems`)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


@dataclass(frozen=True)
class Rule:
    types: tuple[str, ...]
    check: Callable[[dict[str, Any]], Iterable[str]]

    def applies(self, type_: str) -> bool:
        return ALL in self.types or type_ in self.types


# --- tags (EC2/Resource Groups Tagging "Tag" reference) --------------------------------------
TAG_EXTRA = set("_.:/=+-@")


def _tag_chars_ok(text: str) -> bool:
    """`^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$`: letters, separators (spaces), numbers and _.:/=+-@."""
    return all(unicodedata.category(c)[0] in "LZN" or c in TAG_EXTRA for c in text)


def _tag_pairs(inputs: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    tags = inputs.get("tags")
    if isinstance(tags, dict):
        yield from tags.items()
    elif isinstance(tags, list):  # aws:autoscaling/group: [{key, value, propagateAtLaunch}]
        yield from ((t.get("key"), t.get("value")) for t in tags if isinstance(t, dict))
    default = inputs.get("defaultTags")
    if isinstance(default, str):  # provider inputs arrive as JSON text
        try:
            default = json.loads(default)
        except json.JSONDecodeError:
            default = None
    if isinstance(default, dict) and isinstance(default.get("tags"), dict):
        yield from default["tags"].items()


def _tags(inputs: dict[str, Any]) -> Iterator[str]:
    pairs = list(_tag_pairs(inputs))
    if len({k for k, _ in pairs}) > 50:
        yield f"has {len(pairs)} tags; AWS allows at most 50 per resource"
    for key, value in pairs:
        key, value = str(key or ""), "" if value is None else str(value)
        if not 1 <= len(key) <= 128:
            yield f"tag key '{key}' is {len(key)} characters; AWS allows 1-128"
        elif key.lower().startswith("aws:"):
            yield f"tag key '{key}' uses the reserved prefix 'aws:'"
        elif not _tag_chars_ok(key):
            yield f"tag key '{key}' has characters AWS rejects (allowed: letters, numbers, spaces and _.:/=+-@)"
        if len(value) > 256:
            yield f"tag '{key}' value is {len(value)} characters; AWS allows at most 256"
        elif not _tag_chars_ok(value):
            yield f"tag '{key}' value '{value}' has characters AWS rejects (allowed: letters, numbers, spaces and _.:/=+-@)"


# --- VPC and subnet CIDRs (CreateVpc / CreateSubnet) ------------------------------------------
RESERVED_NETWORKS = {
    "loopback": ipaddress.ip_network("127.0.0.0/8"),
    "link-local": ipaddress.ip_network("169.254.0.0/16"),
    "multicast": ipaddress.ip_network("224.0.0.0/4"),
    "reserved": ipaddress.ip_network("240.0.0.0/4"),
    "'this network'": ipaddress.ip_network("0.0.0.0/8"),
}


def _cidr(inputs: dict[str, Any]) -> Iterator[str]:
    value = inputs.get("cidrBlock")
    if not isinstance(value, str):
        return
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        yield f"cidrBlock '{value}' is not a network address ({exc})"
        return
    if not 16 <= network.prefixlen <= 28:
        yield f"cidrBlock '{value}' is a /{network.prefixlen}; AWS allows /16 to /28"
    for kind, reserved in RESERVED_NETWORKS.items():
        if network.overlaps(reserved):
            yield f"cidrBlock '{value}' is in the {kind} range {reserved}, which AWS rejects"


# --- regions of the `aws` partition (botocore's endpoint data) --------------------------------
@cache
def aws_regions() -> frozenset[str]:
    # botocore's own endpoint data, read as JSON: importing botocore's loader for it would
    # cost a plan 0.2 s of CPU (find_spec locates the package without importing it).
    import importlib.util
    import json
    from pathlib import Path

    data = Path(importlib.util.find_spec("botocore").submodule_search_locations[0]) / "data" / "endpoints.json"
    partitions = json.loads(data.read_text())["partitions"]
    return frozenset(next(p for p in partitions if p["partition"] == "aws")["regions"])


def _region_problem(what: str, region: Any) -> Iterator[str]:
    if isinstance(region, str) and region and region not in aws_regions():
        yield f"{what} '{region}' is not a region of the aws partition (peering and providers cannot cross partitions)"


def _provider_region(inputs: dict[str, Any]) -> Iterator[str]:
    yield from _region_problem("region", inputs.get("region"))


def _peer_region(inputs: dict[str, Any]) -> Iterator[str]:
    yield from _region_problem("peerRegion", inputs.get("peerRegion"))


# --- AWS Backup schedules -----------------------------------------------------------------------
def _backup_schedules(inputs: dict[str, Any]) -> Iterator[str]:
    from components.settings.backup import check_cron

    for rule in inputs.get("rules") or []:
        schedule = rule.get("schedule") if isinstance(rule, dict) else None
        if isinstance(schedule, str):
            try:
                check_cron(schedule)
            except ValueError as exc:
                yield f"rule '{rule.get('ruleName')}' schedule '{schedule}' {exc}"


# --- CloudWatch alarms (PutMetricAlarm) ----------------------------------------------------------
def _alarm(inputs: dict[str, Any]) -> Iterator[str]:
    periods = [inputs.get("period")] + [
        ((q.get("metric") or {}).get("period")) for q in inputs.get("metricQueries") or [] if isinstance(q, dict)
    ]
    evaluation = inputs.get("evaluationPeriods")
    for period in (p for p in periods if isinstance(p, int | float)):
        if not (period in (10, 20, 30) or (period >= 60 and period % 60 == 0)):
            yield f"period {period} s; AWS allows 10, 20, 30 or a multiple of 60"
        if isinstance(evaluation, int | float) and period * evaluation > 86400:
            yield (f"period {period} s x evaluationPeriods {evaluation} = {period * evaluation} s; AWS allows at "
                   "most 86400 s (one day)")
    datapoints = inputs.get("datapointsToAlarm")
    if isinstance(datapoints, int | float) and isinstance(evaluation, int | float) and datapoints > evaluation:
        yield f"datapointsToAlarm {datapoints} is more than evaluationPeriods {evaluation}"


# --- ELB security policies (DescribeSSLPolicies, Application Load Balancer guide) ----------------
SSL_POLICIES = frozenset({
    "ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-2015-05",
    "ELBSecurityPolicy-TLS-1-0-2015-04", "ELBSecurityPolicy-TLS-1-1-2017-01", "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-2018-06", "ELBSecurityPolicy-FS-1-1-2019-08", "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08", "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    *(f"ELBSecurityPolicy-TLS13-{v}-2021-06" for v in ("1-0", "1-1", "1-2", "1-2-Res", "1-2-Ext1", "1-2-Ext2", "1-3")),
    *(f"ELBSecurityPolicy-TLS13-{v}-PQ-2025-09" for v in ("1-0", "1-2", "1-2-Res", "1-2-Ext1", "1-2-Ext2", "1-3")),
    *(f"ELBSecurityPolicy-TLS13-{v}-FIPS-2023-04" for v in
      ("1-0", "1-1", "1-2", "1-2-Res", "1-2-Ext0", "1-2-Ext1", "1-2-Ext2", "1-3")),
    *(f"ELBSecurityPolicy-TLS13-{v}-FIPS-PQ-2025-09" for v in ("1-2", "1-2-Res", "1-2-Ext0", "1-2-Ext1", "1-2-Ext2", "1-3")),
})


def _ssl_policy(inputs: dict[str, Any]) -> Iterator[str]:
    policy = inputs.get("sslPolicy")
    if isinstance(policy, str) and policy not in SSL_POLICIES:
        yield f"sslPolicy '{policy}' is not an ELB security policy (e.g. ELBSecurityPolicy-TLS13-1-2-Res-2021-06)"


# --- EC2 instance types: `<family>.<size>` (RunInstances InstanceType) ---------------------------
INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.(nano|micro|small|medium|large|metal(-\d+xl)?|\d*xlarge)")


def _instance_type(inputs: dict[str, Any]) -> Iterator[str]:
    value = inputs.get("instanceType")
    if isinstance(value, str) and not INSTANCE_TYPE.fullmatch(value):
        yield f"instanceType '{value}' is not an EC2 instance type of the form <family>.<size> (e.g. t3.micro)"


# --- KMS key policies (CreateKey/PutKeyPolicy `Policy`) ------------------------------------------
KEY_POLICY_MAX = 32768


def _allows(statement: dict[str, Any], action: str) -> bool:
    actions = statement.get("Action")
    actions = [actions] if isinstance(actions, str) else actions or []
    return statement.get("Effect") == "Allow" and any(fnmatch.fnmatchcase(action, a) for a in actions)


def _key_policy(inputs: dict[str, Any]) -> Iterator[str]:
    text = inputs.get("policy")
    if not isinstance(text, str):
        return  # AWS's default policy, or not known yet
    if len(text) > KEY_POLICY_MAX:
        yield f"key policy is {len(text)} characters; AWS allows at most {KEY_POLICY_MAX}"
    if any(not (" " <= c <= "~" or c in "\t\n\r") for c in text):
        yield "key policy has characters outside printable ASCII, tab, LF and CR"
    try:
        statements = json.loads(text).get("Statement") or []
    except (ValueError, AttributeError):
        yield "key policy is not a JSON policy document"
        return
    statements = [statements] if isinstance(statements, dict) else statements
    if any(not isinstance(st, dict) or not st.get("Principal") for st in statements):
        yield "every key policy statement needs a Principal"
    # The lockout safety check: the deploying principal must be able to PutKeyPolicy afterwards,
    # through the policy itself or (account root named) through its IAM permissions.
    if not any(_allows(st, "kms:PutKeyPolicy") and isinstance(st.get("Principal"), dict)
               and "AWS" in st["Principal"] for st in statements if isinstance(st, dict)):
        yield ("key policy lets no AWS principal call kms:PutKeyPolicy: KMS refuses it (lockout safety check; "
               "give the account root the administrative actions)")


# --- CloudWatch Logs with a customer key (CreateLogGroup / AssociateKmsKey) -------------------------
LOGS_ENCRYPTION_CONTEXT = "kms:EncryptionContext:aws:logs:arn"


def _admits(condition: dict[str, Any], value: str) -> bool:
    """Whether the statement's condition on the log group ARN (if any) matches this group."""
    for operator, keys in (condition or {}).items():
        wanted = keys.get(LOGS_ENCRYPTION_CONTEXT) if isinstance(keys, dict) else None
        if wanted is None:
            continue
        wanted = [wanted] if isinstance(wanted, str) else wanted
        match = fnmatch.fnmatchcase if operator in ("ArnLike", "StringLike") else str.__eq__
        if not any(match(value, w) for w in wanted):
            return False
    return True


def log_group_key(log_group_arn: str, region: str, policy: Any) -> list[str]:
    """CloudWatch Logs refuses a key whose policy does not let logs.<region>.amazonaws.com use it for the group."""
    principal = f"logs.{region}.amazonaws.com"
    try:
        statements = json.loads(policy).get("Statement") or [] if isinstance(policy, str) else []
    except (ValueError, AttributeError):
        statements = []
    for st in [statements] if isinstance(statements, dict) else statements:
        services = ((st.get("Principal") or {}) if isinstance(st.get("Principal"), dict) else {}).get("Service")
        services = [services] if isinstance(services, str) else services or []
        if _allows(st, "kms:GenerateDataKey") and principal in services \
                and _admits(st.get("Condition"), log_group_arn):
            return []
    return [f"kmsKeyId: the key's policy does not let {principal} use it for {log_group_arn}; CloudWatch Logs "
            "refuses the key (AccessDeniedException)"]


# --- AWS Backup Vault Lock and vault access policy ------------------------------------------------
def _vault_lock(inputs: dict[str, Any]) -> Iterator[str]:
    changeable, low, high = (inputs.get(k) for k in ("changeableForDays", "minRetentionDays", "maxRetentionDays"))
    if isinstance(changeable, int) and changeable < 3:
        yield f"changeableForDays {changeable}; AWS Backup needs at least 3 (its 72-hour cooling-off period)"
    if isinstance(low, int) and isinstance(high, int) and low > high:
        yield f"minRetentionDays {low} is more than maxRetentionDays {high}"


def _vault_policy(inputs: dict[str, Any]) -> Iterator[str]:
    text = inputs.get("policy")
    if not isinstance(text, str):
        return
    try:
        statements = json.loads(text).get("Statement") or []
    except (ValueError, AttributeError):
        yield "vault access policy is not a JSON policy document"
        return
    for st in [statements] if isinstance(statements, dict) else statements:
        actions = st.get("Action") if isinstance(st, dict) else None
        for action in [actions] if isinstance(actions, str) else actions or []:
            if "*" in action:
                yield f"vault access policy action '{action}': AWS Backup access policies take no wildcards in Action"


# --- Lambda asynchronous invocation config (PutFunctionEventInvokeConfig) ------------------------
# botocore's lambda service model: MaximumRetryAttempts 0-2, MaximumEventAgeInSeconds 60-21600,
# Qualifier 1-128 `\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`, destination ARNs <= 350; destinations:
# a function, a standard queue or topic, an event bus, or (on failure only) a bucket.
QUALIFIER = re.compile(r"\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9_$-]{1,128}")
ARN = re.compile(r"arn:aws[a-zA-Z0-9-]*:([a-zA-Z0-9-]+):[a-z0-9-]*:(\d{12})?:.+")
DESTINATION_SERVICES = {"onSuccess": ("lambda", "sqs", "sns", "events"), "onFailure": ("lambda", "sqs", "sns", "events", "s3")}


def _async_invoke(inputs: dict[str, Any]) -> Iterator[str]:
    retries, age = inputs.get("maximumRetryAttempts"), inputs.get("maximumEventAgeInSeconds")
    if isinstance(retries, int | float) and not 0 <= retries <= 2:
        yield f"maximumRetryAttempts {retries}; Lambda allows 0-2"
    if isinstance(age, int | float) and not 60 <= age <= 21600:
        yield f"maximumEventAgeInSeconds {age}; Lambda allows 60-21600 (6 hours)"
    qualifier = inputs.get("qualifier")
    if isinstance(qualifier, str) and not QUALIFIER.fullmatch(qualifier):
        yield f"qualifier '{qualifier}' is not a version, an alias name (1-128 of A-Za-z0-9-_$) or $LATEST"
    if inputs.get("functionName") == "":
        yield "functionName is empty"
    config = inputs.get("destinationConfig") or {}
    for kind, services in DESTINATION_SERVICES.items():
        target = (config.get(kind) or {}).get("destination") if isinstance(config, dict) else None
        if not isinstance(target, str):
            continue
        match = ARN.fullmatch(target)
        if match is None or len(target) > 350:
            yield f"{kind} destination '{target}' is not an ARN of at most 350 characters"
        elif match.group(1) not in services:
            yield f"{kind} destination '{target}': Lambda sends there only to {', '.join(services)} ARNs"
        elif target.endswith(".fifo"):
            yield f"{kind} destination '{target}' is FIFO; Lambda sends only to standard queues and topics"


# --- WAFv2 logging (PutLoggingConfiguration) -----------------------------------------------------
# One destination per web ACL, whose name starts with aws-waf-logs- (a log group, a bucket or a
# Firehose stream); redactedFields may name only singleHeader (1-64 characters), uriPath,
# queryString and method.
REDACTABLE = {"singleHeader", "uriPath", "queryString", "method"}


def _waf_logging(inputs: dict[str, Any]) -> Iterator[str]:
    destinations = inputs.get("logDestinationConfigs")
    if isinstance(destinations, list):
        if len(destinations) != 1:
            yield f"{len(destinations)} logDestinationConfigs; WAF takes exactly one logging destination per web ACL"
        for arn in (d for d in destinations if isinstance(d, str)):
            name = re.split(r"[:/]", arn.removesuffix(":*"))[-1]
            if not name.startswith("aws-waf-logs-"):
                yield f"logging destination '{arn}': WAF accepts only destinations whose name starts with aws-waf-logs-"
    for field in inputs.get("redactedFields") or []:
        kinds = set(field) if isinstance(field, dict) else set()
        if kinds - REDACTABLE:
            yield f"redactedFields {sorted(kinds - REDACTABLE)}: WAF redacts only singleHeader, uriPath, queryString, method"
        header = ((field or {}).get("singleHeader") or {}).get("name") if isinstance(field, dict) else None
        if isinstance(header, str) and not 1 <= len(header) <= 64:
            yield f"redacted header name '{header}' is {len(header)} characters; WAF allows 1-64"


RULES: list[Rule] = [
    Rule((ALL,), _tags),
    Rule(("aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"), _cidr),
    Rule((PROVIDER,), _provider_region),
    Rule(("aws:ec2/vpcPeeringConnection:VpcPeeringConnection",), _peer_region),
    Rule(("aws:backup/plan:Plan",), _backup_schedules),
    Rule(("aws:cloudwatch/metricAlarm:MetricAlarm",), _alarm),
    Rule(("aws:lb/listener:Listener",), _ssl_policy),
    Rule(("aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate"), _instance_type),
    Rule(("aws:ec2/launchTemplate:LaunchTemplate",), launch_template_interfaces),
    Rule(("aws:autoscaling/group:Group",), group_launch_source),
    Rule(("aws:kms/key:Key",), _key_policy),
    Rule(("aws:backup/vaultLockConfiguration:VaultLockConfiguration",), _vault_lock),
    Rule(("aws:backup/vaultPolicy:VaultPolicy",), _vault_policy),
    Rule(("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",), _async_invoke),
    Rule(("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",), _waf_logging),
]


def problems(type_: str, inputs: dict[str, Any]) -> list[str]:
    return [p for rule in RULES if rule.applies(type_) for p in rule.check(inputs)]
