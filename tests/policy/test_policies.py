"""Every policy: a compliant resource passes, a known-bad one fails with the expected message."""

from __future__ import annotations

from dataclasses import replace

import pytest

from policy.model import UNKNOWN
from policy.registry import all_policies, get
from tests.policy.factory import ctx, doc, res

BUCKET = "aws:s3/bucket:Bucket"
SG = "aws:ec2/securityGroup:SecurityGroup"
LB = "aws:lb/loadBalancer:LoadBalancer"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
QUEUE = "aws:sqs/queue:Queue"
TABLE = "aws:dynamodb/table:Table"
LAMBDA = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
PROD = {"require_versioning": True, "require_pitr": True, "require_deletion_protection": True,
        "require_protect": True, "require_backups": True}

OPEN_443 = {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]}
OPEN_22 = {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]}


def _bucket_with(*extra_types_props, name="site", bucket_tags=None):
    bucket = res(BUCKET, name, {"bucket": f"cp-{name}", **({"tags": bucket_tags} if bucket_tags else {})})
    extras = [res(t, f"{name}-{i}", p, refs={"bucket": [bucket]}) for i, (t, p) in enumerate(extra_types_props)]
    return [bucket, *extras]


PAB = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
       {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True})
SSE = ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
       {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]})


def _sg_on_lb(props, attached=True):
    sg = res(SG, "alb-sg", props)
    lb = res(LB, "alb", {"securityGroups": ["sg-1"]}, refs={"securityGroups": [sg] if attached else []})
    return [sg, lb]


def _vpc(with_flow_log):
    vpc = res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})
    flow = [res("aws:ec2/flowLog:FlowLog", "fl", {"vpcId": "vpc-1"}, refs={"vpcId": [vpc]})]
    return [vpc, *(flow if with_flow_log else [])]


def _queues(redrive):
    dlq = res(QUEUE, "dlq", {"sqsManagedSseEnabled": True})
    main = res(QUEUE, "main", {"sqsManagedSseEnabled": True,
                               **({"redrivePolicy": '{"deadLetterTargetArn": "arn:dlq", "maxReceiveCount": 5}'}
                                  if redrive else {})},
               refs={"redrivePolicy": [dlq]} if redrive else None)
    return [dlq, main]


def _failure_destination(on: str):
    """A queue that is a notifier's on-failure destination (`on`="onFailure") or its on-success one."""
    queue = replace(res(QUEUE, "failures", {"sqsManagedSseEnabled": True}), arn="arn:aws:sqs:eu-west-1:1:failures")
    config = res("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "async",
                 {"destinationConfig": {on: {"destination": queue.arn}}}, refs={"destinationConfig": [queue]})
    return [queue, config]


def _lambda(group_props):
    fn = res(LAMBDA, "fn", {"name": "cp-fn", "runtime": "python3.12"})
    return [fn, *([res(LOG_GROUP, "fn-logs", group_props)] if group_props is not None else [])]


def _backup(selected):
    table = res(TABLE, "table", {"tags": {"Backup": "true"}})
    selection = res("aws:backup/selection:Selection", "sel", {"selectionTags": [
        {"type": "STRINGEQUALS", "key": "Backup", "value": "true"}]})
    return [table, *([selection] if selected else [])]


VAULT_LOCKED = {"require_vault_lock": True}
BREAK_GLASS = {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::1:role/break-glass"}}


def _vaults(*names, lock=True, compliance=True, condition=BREAK_GLASS, effect="Deny", unlocked=()):
    """Backup vaults with (or without) their Vault Lock and deny-deletion vault policy."""
    found = []
    for name in names:
        vault = res("aws:backup/vault:Vault", name, {"name": f"cp-{name}", "kmsKeyArn": "arn:k"})
        found.append(vault)
        if lock and name not in unlocked:
            found.append(res("aws:backup/vaultLockConfiguration:VaultLockConfiguration", f"{name}-lock",
                             {"backupVaultName": f"cp-{name}", "minRetentionDays": 7,
                              **({"changeableForDays": 3} if compliance else {})}, refs={"backupVaultName": [vault]}))
        if condition is not None:
            statement = {"Effect": effect, "Principal": {"AWS": "*"}, "Resource": "*",
                         "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
                         **({"Condition": condition} if condition else {})}
            found.append(res("aws:backup/vaultPolicy:VaultPolicy", f"{name}-policy",
                             {"backupVaultName": f"cp-{name}", "policy": doc(statement)},
                             refs={"backupVaultName": [vault]}))
    return found


PERSONAL = {"DataClass": "personal"}
PD_KEY = {"require_personal_data_key": True}


def _pd_function(group_props, fn_tags=PERSONAL):
    fn = res(LAMBDA, "fn", {"name": "cp-fn", "tags": fn_tags})
    return [fn, *([res(LOG_GROUP, "fn-logs", {"name": "/aws/lambda/cp-fn", **group_props})]
                  if group_props is not None else [])]


# (policy, settings, good, bad, expected message fragment)
CDN = "aws:cloudfront/distribution:Distribution"
LISTENER = "aws:lb/listener:Listener"
HTTPS_PROD = {"require_https": True}
REDIRECT = [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]
FORWARD = [{"type": "forward", "targetGroupArn": "arn:tg"}]


def _alb_listeners(https=True, http_action=REDIRECT, ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06"):
    lb = res(LB, "alb", {"loadBalancerType": "application"})
    listeners = [res(LISTENER, "http", {"protocol": "HTTP", "port": 80, "defaultActions": http_action},
                     refs={"loadBalancerArn": [lb]})]
    if https:
        listeners.append(res(LISTENER, "https", {"protocol": "HTTPS", "port": 443, "sslPolicy": ssl_policy,
                                                 "certificateArn": "arn:cert", "defaultActions": FORWARD},
                             refs={"loadBalancerArn": [lb]}))
    return [lb, *listeners]


def _cdn(cert):
    return res(CDN, "cdn", {"aliases": ["example.org"] if "acmCertificateArn" in cert else [],
                            "viewerCertificate": cert,
                            "defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https"}})


ACM_CERT = {"acmCertificateArn": "arn:aws:acm:us-east-1:1:certificate/x", "sslSupportMethod": "sni-only",
            "minimumProtocolVersion": "TLSv1.2_2021"}


def _waf(associated=("alb", "stage")):
    lb = res(LB, "alb", {})
    stage = res("aws:apigateway/stage:Stage", "stage", {"stageName": "prod"})
    targets = {"alb": lb, "stage": stage}
    links = [res("aws:wafv2/webAclAssociation:WebAclAssociation", f"waf-{k}", {"resourceArn": "arn"},
                 refs={"resourceArn": [targets[k]]}) for k in associated]
    return [lb, stage, *links]


def _web_acl(logged):
    acl = res("aws:wafv2/webAcl:WebAcl", "waf", {"scope": "REGIONAL"})
    config = res("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "waf-logging",
                 {"resourceArn": "arn", "logDestinationConfigs": ["arn:aws:logs:eu-west-1:1:log-group:aws-waf-logs-x"]},
                 refs={"resourceArn": [acl]})
    return [acl, *([config] if logged else [])]


CASES = [
    ("https-in-prod", HTTPS_PROD, [*_alb_listeners(), _cdn(ACM_CERT)], _alb_listeners(https=False),
     "load balancer alb has no HTTPS listener"),
    ("https-in-prod", HTTPS_PROD, _alb_listeners(), _alb_listeners(http_action=FORWARD),
     "HTTP listener http serves content instead of redirecting to HTTPS"),
    ("https-in-prod", HTTPS_PROD, _alb_listeners(), _alb_listeners(ssl_policy="ELBSecurityPolicy-2016-08"),
     "uses TLS policy 'ELBSecurityPolicy-2016-08'"),
    ("https-in-prod", HTTPS_PROD, _cdn(ACM_CERT), _cdn({"cloudfrontDefaultCertificate": True}),
     "distribution cdn serves only the default *.cloudfront.net certificate"),
    ("https-in-prod", HTTPS_PROD, _cdn(ACM_CERT), _cdn({**ACM_CERT, "minimumProtocolVersion": "TLSv1"}),
     "must use sni-only with TLSv1.2_2021"),
    ("cloudfront-security-headers", {},
     res(CDN, "cdn", {"defaultCacheBehavior": {"responseHeadersPolicyId": "rhp-1"}}),
     res(CDN, "cdn", {"defaultCacheBehavior": {}}), "cache behaviour default has no response headers policy"),
    ("waf-on-public-endpoints", {"require_waf": True}, _waf(), _waf(("alb",)), "stage has no WAF web ACL"),
    ("waf-on-public-endpoints", {"require_waf": True}, _waf(), _waf(("stage",)), "alb has no WAF web ACL"),
    ("waf-on-public-endpoints", {"require_waf": True}, _web_acl(logged=True), _web_acl(logged=False),
     "web ACL waf has no logging configuration"),
    ("required-tags", {}, res("aws:ec2/vpc:Vpc", "v"), res("aws:ec2/vpc:Vpc", "v", provider={}),
     "missing tags Project, Environment, Owner, ManagedBy, CostCenter"),
    ("stateful-protected", PROD, res(TABLE, "t", protect=True), res(TABLE, "t"), "is not protected"),
    ("alarm-actions", {}, res("aws:cloudwatch/metricAlarm:MetricAlarm", "a", {"alarmActions": ["arn:sns"]}),
     res("aws:cloudwatch/metricAlarm:MetricAlarm", "a", {}), "no alarmActions"),
    ("iam-no-wildcards", {},
     res(ROLE_POLICY, "p", {"policy": doc({"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "arn:t"},
                                          {"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"})}),
     res(ROLE_POLICY, "p", {"policy": doc({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:b"})}),
     "wildcard action s3:*"),
    ("iam-no-wildcards", {},
     res("aws:iam/policy:Policy", "p", {"policy": doc({"Effect": "Deny", "Action": "*", "Resource": "*"})}),
     res("aws:iam/policy:Policy", "p", {"policy": doc({"Effect": "Allow", "Action": "sqs:SendMessage",
                                                       "Resource": "*"})}),
     'Resource "*" for sqs:SendMessage'),
    ("iam-no-wildcards", {}, res("aws:iam/role:Role", "r", {}),
     res("aws:iam/role:Role", "r", {"inlinePolicies": [{"name": "inline", "policy": doc(
         {"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:x"})}]}),
     "inline policy inline: statement 0: Allow with NotAction"),
    ("iam-no-admin-attachment", {},
     res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a",
         {"policyArn": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"}),
     res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a",
         {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
     "attaches arn:aws:iam::aws:policy/AdministratorAccess"),
    ("sqs-encryption", {}, res(QUEUE, "q", {"kmsMasterKeyId": "alias/k"}), res(QUEUE, "q", {}), "not encrypted"),
    ("sns-encryption", {}, res("aws:sns/topic:Topic", "t", {"kmsMasterKeyId": "arn:k"}),
     res("aws:sns/topic:Topic", "t", {}), "topic is not encrypted"),
    ("sqs-dead-letter-queue", {}, _queues(True), _queues(False), "queue main has no redrive policy"),
    ("sqs-dead-letter-queue", {}, _failure_destination("onFailure"), _failure_destination("onSuccess"),
     "queue failures has no redrive policy"),
    ("kms-key-rotation", {}, res("aws:kms/key:Key", "k", {"enableKeyRotation": True}),
     res("aws:kms/key:Key", "k", {}), "enableKeyRotation is off"),
    ("no-admin-ports-from-internet", {}, res(SG, "sg", OPEN_443), res(SG, "sg", OPEN_22),
     "ingress 0.0.0.0/0 to port 22 opens SSH (22) to the internet"),
    ("no-admin-ports-from-internet", {},
     res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "r",
         {"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "referencedSecurityGroupId": "sg-alb"}),
     res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "r",
         {"ipProtocol": "-1", "cidrIpv6": "::/0"}),
     "ingress ::/0 to port 0-65535 opens SSH (22)"),
    ("public-ingress-only-on-load-balancers", {}, _sg_on_lb(OPEN_443), _sg_on_lb(OPEN_443, attached=False),
     "ingress 0.0.0.0/0 to port 443 on a security group no load balancer uses"),
    ("public-ingress-only-on-load-balancers", {}, _sg_on_lb(OPEN_443),
     _sg_on_lb({"ingress": [{"protocol": "tcp", "fromPort": 8080, "toPort": 8080, "cidrBlocks": ["0.0.0.0/0"]}]}),
     "ingress 0.0.0.0/0 to port 8080: only [80, 443] may be public"),
    ("default-security-group-closed", {},
     res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "d", {"ingress": [], "egress": []}),
     res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "d", {"egress": [{"protocol": "-1"}]}),
     "default security group allows traffic"),
    ("vpc-flow-logs", {}, _vpc(True), _vpc(False), "VPC vpc has no flow log"),
    ("alb-drop-invalid-headers", {}, res(LB, "lb", {"dropInvalidHeaderFields": True}), res(LB, "lb", {}),
     "dropInvalidHeaderFields is off"),
    ("alb-deletion-protection", PROD, res(LB, "lb", {"enableDeletionProtection": True}), res(LB, "lb", {}),
     "enableDeletionProtection is off"),
    ("cloudfront-https-only", {},
     res("aws:cloudfront/distribution:Distribution", "cdn", {"defaultCacheBehavior": {
         "viewerProtocolPolicy": "redirect-to-https"}, "viewerCertificate": {"cloudfrontDefaultCertificate": True}}),
     res("aws:cloudfront/distribution:Distribution", "cdn", {"defaultCacheBehavior": {
         "viewerProtocolPolicy": "allow-all"}}),
     "cache behaviour default allows viewer protocol 'allow-all'"),
    ("s3-encryption", {}, _bucket_with(SSE), _bucket_with(), "bucket cp-site has no server-side encryption"),
    ("s3-versioning", PROD,
     _bucket_with(("aws:s3/bucketVersioning:BucketVersioning", {"versioningConfiguration": {"status": "Enabled"}})),
     _bucket_with(("aws:s3/bucketVersioning:BucketVersioning", {"versioningConfiguration": {"status": "Suspended"}})),
     "bucket cp-site has no versioning"),
    ("s3-public-access-blocked", {}, _bucket_with(PAB), _bucket_with(), "bucket cp-site has no public access block"),
    ("s3-public-access-blocked", {"allowed_public_buckets": ["cp-www*"]}, _bucket_with(name="www"),
     _bucket_with((PAB[0], {**PAB[1], "restrictPublicBuckets": False})),
     "public access block leaves restrictPublicBuckets off"),
    ("s3-public-access-blocked", {}, _bucket_with(bucket_tags={"Website": "true"}),
     _bucket_with(bucket_tags={"Website": "false"}), "has no public access block"),
    ("ebs-encryption", {},
     res(LT, "lt", {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}]}),
     res(LT, "lt", {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]}),
     "launch template volume /dev/xvda is not encrypted"),
    ("ebs-encryption", {}, res("aws:ebs/volume:Volume", "v", {"encrypted": True}), res(LT, "lt", {}),
     "launch template has no block_device_mappings"),
    ("dynamodb-encryption", {}, res(TABLE, "t", {"serverSideEncryption": {"enabled": True}}), res(TABLE, "t", {}),
     "no KMS server-side encryption"),
    ("dynamodb-pitr", PROD, res(TABLE, "t", {"pointInTimeRecovery": {"enabled": True}}),
     res(TABLE, "t", {"pointInTimeRecovery": {"enabled": False}}), "no point-in-time recovery"),
    ("rds-encryption", {}, res("aws:rds/instance:Instance", "db", {"storageEncrypted": True}),
     res("aws:rds/cluster:Cluster", "db", {}), "storage is not encrypted"),
    ("rds-backups", PROD,
     res("aws:rds/instance:Instance", "db", {"backupRetentionPeriod": 14, "deletionProtection": True}),
     res("aws:rds/instance:Instance", "db", {"backupRetentionPeriod": 1, "deletionProtection": True}),
     "backupRetentionPeriod is 1 days (>= 7 required)"),
    ("backup-vault-encrypted", {}, res("aws:backup/vault:Vault", "v", {"kmsKeyArn": "arn:k"}),
     res("aws:backup/vault:Vault", "v", {}), "no kmsKeyArn"),
    ("backup-vaults-immutable", VAULT_LOCKED, _vaults("vault", "peer-vault"), _vaults("vault", "peer-vault",
     unlocked=("peer-vault",)), "backup vault cp-peer-vault has no Vault Lock"),
    ("backup-vaults-immutable", VAULT_LOCKED, _vaults("vault", condition={}), _vaults("vault", compliance=False),
     "backup vault cp-vault has a governance-mode Vault Lock"),
    ("backup-vaults-immutable", VAULT_LOCKED, _vaults("vault"), _vaults("vault", condition=None),
     "backup vault cp-vault has no vault access policy denying DeleteRecoveryPoint"),
    ("backup-vaults-immutable", VAULT_LOCKED, _vaults("vault"), _vaults("vault", effect="Allow"),
     "has no vault access policy denying"),
    ("backup-vaults-immutable", VAULT_LOCKED, _vaults("vault"),
     _vaults("vault", condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}), "has no vault access policy"),
    ("backup-vaults-immutable", VAULT_LOCKED, _vaults("vault"),
     _vaults("vault", condition={"ArnNotLike": {"aws:PrincipalArn": "*"}}), "has no vault access policy"),
    ("personal-data-encrypted", PD_KEY,
     res(TABLE, "t", {"name": "cp-subs", "tags": PERSONAL,
                      "serverSideEncryption": {"enabled": True, "kmsKeyArn": "arn:aws:kms:eu-west-1:1:key/k"}}),
     res(TABLE, "t", {"name": "cp-subs", "tags": PERSONAL, "serverSideEncryption": {"enabled": True}}),
     "table cp-subs holds personal data but is not encrypted with a customer managed key"),
    ("personal-data-encrypted", PD_KEY, _pd_function({"kmsKeyId": "arn:k"}),
     _pd_function({}), "log group /aws/lambda/cp-fn of function cp-fn (personal data) is not KMS-encrypted"),
    ("personal-data-encrypted", PD_KEY, _pd_function({"kmsKeyId": "arn:k"}), _pd_function(None),
     "function cp-fn handles personal data but logs to a group the stack does not manage"),
    ("personal-data-encrypted", PD_KEY, res(LOG_GROUP, "g", {"name": "/x", "tags": PERSONAL, "kmsKeyId": "arn:k"}),
     res(LOG_GROUP, "g", {"name": "/x", "tags": PERSONAL}), "log group /x holds personal data but is not KMS-encrypted"),
    ("backup-coverage", PROD, _backup(True), _backup(False),
     "is tagged Backup=true but no backup selection picks that tag up"),
    ("ec2-imdsv2", {}, res(LT, "lt", {"metadataOptions": {"httpTokens": "required"}}),
     res(LT, "lt", {"metadataOptions": {"httpTokens": "optional"}}), "httpTokens is optional"),
    ("log-group-retention", {}, res(LOG_GROUP, "g", {"name": "/x", "retentionInDays": 30}),
     res(LOG_GROUP, "g", {"name": "/x"}), "log group /x never expires"),
    ("lambda-log-retention", {}, _lambda({"name": "/aws/lambda/cp-fn", "retentionInDays": 14}), _lambda(None),
     "function cp-fn logs to /aws/lambda/cp-fn, which the stack does not manage"),
    ("lambda-log-retention", {}, _lambda({"name": "/aws/lambda/cp-fn", "retentionInDays": 14}),
     _lambda({"name": "/aws/lambda/cp-fn"}), "log group /aws/lambda/cp-fn of function cp-fn has no retention"),
    ("ecr-scan-on-push", {}, res("aws:ecr/repository:Repository", "r", {"imageScanningConfiguration": {
        "scanOnPush": True}}), res("aws:ecr/repository:Repository", "r", {}), "scanOnPush is off"),
]


def _messages(name, settings, resources):
    resources = resources if isinstance(resources, list) else [resources]
    return [f.message for f in get(name).findings(resources, ctx(**settings))]


@pytest.mark.parametrize("name,settings,good,bad,expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_policy_passes_good_and_fails_bad(name, settings, good, bad, expected):
    assert _messages(name, settings, good) == []
    found = _messages(name, settings, bad)
    assert found, f"{name} accepted a non-compliant resource"
    assert any(expected in m for m in found), found


def test_every_policy_has_a_case_and_names_its_controls():
    policies = all_policies()
    assert len(policies) >= 20
    assert {c[0] for c in CASES} == {p.name for p in policies}
    for p in policies:
        assert p.c5 or p.iso, p.name
        assert p.enforcement in ("mandatory", "advisory") and p.fix
        assert "C5 " in p.description or "ISO 27001" in p.description
    scopes = {p.scope for p in policies}
    assert scopes == {"resource", "stack"}


@pytest.mark.parametrize("name,resource", [
    ("dynamodb-pitr", res(TABLE, "t", {})),
    ("alb-deletion-protection", res(LB, "lb", {})),
    ("stateful-protected", res(TABLE, "t")),
    ("s3-versioning", _bucket_with()),
    ("backup-coverage", _backup(False)),
    ("backup-vaults-immutable", _vaults("vault", lock=False, condition=None)),
    ("personal-data-encrypted", res(TABLE, "t", {"name": "cp-subs", "tags": PERSONAL})),
])
def test_prod_only_controls_are_quiet_without_their_setting(name, resource):
    assert _messages(name, {}, resource) == []


def test_unknown_values_are_not_violations():
    """During a first preview, ids and ARNs are unknown: no verdict rather than a false alarm."""
    assert _messages("sqs-encryption", {}, res(QUEUE, "q", {"kmsMasterKeyId": UNKNOWN})) == []
    assert _messages("ec2-imdsv2", {}, res(LT, "lt", {"metadataOptions": {"httpTokens": UNKNOWN}})) == []
    assert _messages("iam-no-wildcards", {}, res(ROLE_POLICY, "p", {"policy": UNKNOWN})) == []


def test_enforcement_override_from_settings():
    policy = get("vpc-flow-logs")
    assert ctx().level(policy) == "mandatory"
    assert ctx(enforcement={"vpc-flow-logs": "advisory"}).level(policy) == "advisory"


def test_guardrails_doc_control_table_lists_every_policy():
    from tests.conftest import ROOT

    page = (ROOT / "docs" / "guardrails.md").read_text()
    missing = [p.name for p in all_policies() if f"| `{p.name}` |" not in page]
    assert missing == []


def test_preview_unknowns_in_relations_do_not_raise_false_alarms():
    """First preview: ARNs and auto-names are unknown, the engine's property dependencies are not."""
    dlq = res(QUEUE, "dlq", {"sqsManagedSseEnabled": True})
    main = res(QUEUE, "main", {"sqsManagedSseEnabled": True, "redrivePolicy": UNKNOWN}, refs={"redrivePolicy": [dlq]})
    assert _messages("sqs-dead-letter-queue", {}, [dlq, main]) == []

    fn = res(LAMBDA, "fn", {"name": UNKNOWN})
    tied = res(LOG_GROUP, "fn-logs", {"name": UNKNOWN, "retentionInDays": 14}, refs={"name": [fn]})
    assert _messages("lambda-log-retention", {}, [fn, tied]) == []
    no_retention = res(LOG_GROUP, "fn-logs", {"name": UNKNOWN}, refs={"name": [fn]})
    assert _messages("lambda-log-retention", {}, [fn, no_retention]) == [
        "log group fn-logs of function fn has no retention"]
    configured = res(LAMBDA, "fn2", {"name": "cp-fn2", "loggingConfig": {"logGroup": UNKNOWN}},
                     refs={"loggingConfig": [tied]})
    assert _messages("lambda-log-retention", {}, [configured, tied]) == []


def test_website_bucket_is_exempt_from_protection_but_data_is_not():
    site = _bucket_with(name="www", bucket_tags={"Website": "true"})
    assert _messages("stateful-protected", PROD, site) == []
    assert _messages("stateful-protected", PROD, _bucket_with(name="data")) == [
        "cp-data holds data but is not protected (protect=True)"]
