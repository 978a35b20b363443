"""The edge: HTTPS names for the site and the web tier, and WAF in front of the ALB and the API.

Two components, because certificates must exist before the ALB listener and the CloudFront
distribution that use them, while DNS aliases and WAF associations need those to exist:

* `Certificates`: ACM certificates with DNS validation in the domain's Route 53 zone — the
  web tier's in the home region (an ALB uses certificates of its own region), the site's in
  us-east-1 (CloudFront reads certificates only there). Consumers get the ARN from the
  `CertificateValidation`, so nothing uses a certificate before it is issued.
* `EdgeProtection`: Route 53 alias records (site -> CloudFront A/AAAA, `web.` -> ALB) and one
  regional WAFv2 web ACL (AWS managed rule groups: common, known bad inputs, IP reputation;
  a per-IP rate rule; CloudWatch metrics on every rule) associated with the ALB and the API
  stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

CLOUDFRONT_REGION = "us-east-1"
# PutLoggingConfiguration: the destination's name must start with this.
WAF_LOG_PREFIX = "aws-waf-logs-"
REDACTED_HEADERS = ("authorization", "cookie")
# AWS managed rule groups, in evaluation order after the rate rule (priority = position).
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)


@dataclass
class DomainArgs:
    """A domain in a Route 53 hosted zone you own: HTTPS names for the site and the web tier."""

    name: str
    """The site's name (CloudFront); the web tier's ALB answers at `<web_prefix>.<name>`."""
    hosted_zone_id: pulumi.Input[str]
    """Route 53 public hosted zone of `name` (validation records and aliases go there)."""
    web_prefix: str = "web"

    @property
    def web_name(self) -> str:
        return f"{self.web_prefix}.{self.name}"


@dataclass
class WafArgs:
    """One regional web ACL: AWS managed rule groups after a per-IP rate rule."""

    enabled: bool = False
    rate_limit: pulumi.Input[int] = 1000
    """Requests one IP may send in the evaluation window before it is blocked."""
    evaluation_window_seconds: pulumi.Input[int] = 300
    log_retention_days: int = 365
    """Retention of the request log group (aws-waf-logs-<name>)."""


@dataclass
class CertificatesArgs:
    domain: DomainArgs
    site: bool
    """Issue the site's certificate (us-east-1, for CloudFront)."""
    web: bool
    """Issue the web tier's certificate (home region, for the ALB)."""


class Certificates(pulumi.ComponentResource):
    site_certificate_arn: pulumi.Output[str] | None
    web_certificate_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: CertificatesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:edge:Certificates", name, None, opts)
        self._name, self._zone = name, args.domain.hosted_zone_id
        self.site_certificate_arn = self._issue("site", args.domain.name, CLOUDFRONT_REGION) if args.site else None
        self.web_certificate_arn = self._issue("web", args.domain.web_name, None) if args.web else None
        self.register_outputs({"siteCertificateArn": self.site_certificate_arn,
                               "webCertificateArn": self.web_certificate_arn})

    def _issue(self, label: str, fqdn: str, region: str | None) -> pulumi.Output[str]:
        child = pulumi.ResourceOptions(parent=self)
        certificate = aws.acm.Certificate(
            f"{self._name}-{label}",
            domain_name=fqdn,
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            region=region,
            tags={"Name": f"{self._name}-{label}"},
            opts=child,
        )
        option = certificate.domain_validation_options.apply(lambda options: options[0])
        record = aws.route53.Record(
            f"{self._name}-{label}-validation",
            zone_id=self._zone,
            name=option.apply(lambda o: o.resource_record_name),
            type=option.apply(lambda o: o.resource_record_type),
            records=[option.apply(lambda o: o.resource_record_value)],
            ttl=300,
            allow_overwrite=True,  # ACM gives the same record to every certificate of a name
            opts=child,
        )
        validation = aws.acm.CertificateValidation(
            f"{self._name}-{label}-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            region=region,
            opts=child,
        )
        return validation.certificate_arn


@dataclass
class LoadBalancerTarget:
    arn: pulumi.Input[str]
    dns_name: pulumi.Input[str]
    zone_id: pulumi.Input[str]


@dataclass
class DistributionTarget:
    domain_name: pulumi.Input[str]
    hosted_zone_id: pulumi.Input[str]


@dataclass
class EdgeProtectionArgs:
    domain: DomainArgs | None = None
    """DNS aliases for the site and the web tier; None: no names."""
    waf: WafArgs = field(default_factory=WafArgs)
    load_balancer: LoadBalancerTarget | None = None
    distribution: DistributionTarget | None = None
    api_stage_arn: pulumi.Input[str] | None = None


class EdgeProtection(pulumi.ComponentResource):
    web_acl_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: EdgeProtectionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:edge:EdgeProtection", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        if args.domain is not None:
            self._dns_records(args)
        self.web_acl_arn = None
        targets = {"alb": args.load_balancer.arn if args.load_balancer else None, "api": args.api_stage_arn}
        targets = {k: v for k, v in targets.items() if v is not None}
        if args.waf.enabled and targets:
            acl = self._web_acl(args.waf)
            self.web_acl_arn = acl.arn
            self._logging(acl, args.waf)
            for label, arn in targets.items():
                aws.wafv2.WebAclAssociation(f"{name}-waf-{label}", resource_arn=arn, web_acl_arn=acl.arn,
                                            opts=self._child)
        self.register_outputs({"webAclArn": self.web_acl_arn})

    def _dns_records(self, args: EdgeProtectionArgs) -> None:
        domain = args.domain
        assert domain is not None
        if args.distribution is not None:
            # AAAA too: the distribution serves IPv6.
            for kind in ("A", "AAAA"):
                aws.route53.Record(
                    f"{self._name}-site-{kind.lower()}", zone_id=domain.hosted_zone_id, name=domain.name, type=kind,
                    aliases=[{"name": args.distribution.domain_name, "zone_id": args.distribution.hosted_zone_id,
                              "evaluate_target_health": False}],
                    opts=self._child,
                )
        if args.load_balancer is not None:
            aws.route53.Record(
                f"{self._name}-web-a", zone_id=domain.hosted_zone_id, name=domain.web_name, type="A",
                aliases=[{"name": args.load_balancer.dns_name, "zone_id": args.load_balancer.zone_id,
                          "evaluate_target_health": True}],
                opts=self._child,
            )

    def _logging(self, acl: aws.wafv2.WebAcl, waf: WafArgs) -> None:
        """Request logs to CloudWatch: WAF accepts only destinations named aws-waf-logs-*, and adds
        the log group's resource policy itself. Credentials stay out: the Authorization and Cookie
        headers are redacted (cookies can only be redacted as that header)."""
        logs = aws.cloudwatch.LogGroup(
            f"{self._name}-waf-logs",
            name=f"{WAF_LOG_PREFIX}{self._name}",
            retention_in_days=waf.log_retention_days,
            opts=self._child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{self._name}-waf-logging",
            resource_arn=acl.arn,
            log_destination_configs=[logs.arn],
            redacted_fields=[{"single_header": {"name": header}} for header in REDACTED_HEADERS],
            opts=self._child,
        )

    def _visibility(self, metric: str) -> dict:
        return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}

    def _web_acl(self, waf: WafArgs) -> aws.wafv2.WebAcl:
        rules = [{
            "name": "rate-per-ip",
            "priority": 0,
            "action": {"block": {}},
            "statement": {"rate_based_statement": {
                "limit": waf.rate_limit, "aggregate_key_type": "IP",
                "evaluation_window_sec": waf.evaluation_window_seconds,
            }},
            "visibility_config": self._visibility(f"{self._name}-rate-per-ip"),
        }]
        for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1):
            rules.append({
                "name": group,
                "priority": priority,
                "override_action": {"none": {}},  # the group's own block/count actions apply
                "statement": {"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
                "visibility_config": self._visibility(f"{self._name}-{group}"),
            })
        return aws.wafv2.WebAcl(
            f"{self._name}-waf",
            name=f"{self._name}-waf",
            description="ALB and API: AWS managed rules and a per-IP rate limit",
            scope="REGIONAL",
            default_action={"allow": {}},
            rules=rules,
            visibility_config=self._visibility(f"{self._name}-waf"),
            tags={"Name": f"{self._name}-waf"},
            opts=self._child,
        )
