"""Steps of the program at the edge: the `domain`'s certificates before the listener and the
distribution use them, its DNS aliases and the WAF web ACL after they exist."""

from __future__ import annotations

from .platform import Platform, args_from


def build_certificates(p: Platform) -> None:
    """ACM certificates of the `domain` setting, before the listener and the distribution use them."""
    s = p.settings
    if s.domain is None:
        return
    from .edge import Certificates, CertificatesArgs, DomainArgs

    site = s.serverless.enabled and s.serverless.hosting == "cloudfront"
    p.certificates = Certificates(
        f"{s.prefix}-certificates",
        CertificatesArgs(domain=args_from(s.domain, DomainArgs), site=site, web=s.web.enabled),
        opts=p.opts(),
    )


def build_edge(p: Platform) -> None:
    """DNS aliases of the `domain` setting and the WAF web ACL on the ALB and the API stage."""
    s = p.settings
    if s.domain is None and not s.waf.enabled:
        return
    from .edge import DistributionTarget, DomainArgs, EdgeProtection, EdgeProtectionArgs, LoadBalancerTarget, WafArgs

    alb = LoadBalancerTarget(p.web.alb_arn, p.web.alb_dns_name, p.web.alb_zone_id) if p.web else None
    distribution = p.serverless.distribution if p.serverless else None
    p.edge = EdgeProtection(
        f"{s.prefix}-edge",
        EdgeProtectionArgs(
            domain=args_from(s.domain, DomainArgs) if s.domain else None, waf=args_from(s.waf, WafArgs),
            load_balancer=alb,
            distribution=DistributionTarget(distribution.domain_name, distribution.hosted_zone_id) if distribution else None,
            api_stage_arn=p.serverless.stage_arn if p.serverless else None,
        ),
        opts=p.opts(),
    )
    if s.domain is not None:
        p.outputs["domainName"] = s.domain.name
        if p.web is not None:
            p.outputs["webUrl"] = f"https://{s.domain.web_name}/"
    if p.edge.web_acl_arn is not None:
        p.outputs["webAclArn"] = p.edge.web_acl_arn
