"""The edge in prod: HTTPS everywhere a user connects, WAF in front of the ALB and the API."""

from __future__ import annotations

from ..model import Finding, Resource, as_json, is_unknown
from ..registry import Context, resource_policy, stack_policy
from .types import CLOUDFRONT, LOAD_BALANCERS

LISTENER = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
API_STAGE = "aws:apigateway/stage:Stage"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
CURRENT_TLS = "ELBSecurityPolicy-TLS13-"  # the TLS 1.3 (+ 1.2) policy family


def _redirects_to_https(listener: Resource) -> bool:
    actions = as_json(listener.props.get("defaultActions")) or []
    return bool(actions) and all(
        (a or {}).get("type") == "redirect" and (as_json(a.get("redirect")) or {}).get("protocol") == "HTTPS"
        for a in actions)


@stack_policy(
    "https-in-prod",
    summary="Where compliance.requireHttps is set (prod): every ALB serves HTTPS with a current TLS 1.3 policy and "
            "its HTTP listeners only redirect to HTTPS; CloudFront serves its own name with an ACM certificate "
            "(SNI, TLSv1.2_2021).",
    fix="set cloud-platform:domain {name, hostedZoneId}: the stack issues the certificates, adds the HTTPS "
        "listener with the 80 -> 443 redirect and puts the certificate on the distribution",
    c5=("CRY-02", "COS-01"), iso=("8.24", "8.20"), fsbp=("ELB.1", "ELB.2", "CloudFront.7"),
)
def https_in_prod(resources: list[Resource], ctx: Context):
    if not ctx.settings.require_https:
        return
    listeners = [r for r in resources if r.type in LISTENER]
    for lb in (r for r in resources if r.type in LOAD_BALANCERS):
        if lb.props.get("loadBalancerType", "application") != "application":
            continue
        own = [listener for listener in listeners if listener.refers_to("loadBalancerArn", lb)]
        https = [listener for listener in own if listener.props.get("protocol") == "HTTPS"]
        if not https:
            yield Finding(f"load balancer {lb.name} has no HTTPS listener", lb)
        for listener in https:
            policy = listener.props.get("sslPolicy")
            if not is_unknown(policy) and not str(policy or "").startswith(CURRENT_TLS):
                yield Finding(f"listener {listener.name} uses TLS policy {policy!r}, not a {CURRENT_TLS}* policy", listener)
        for listener in own:
            if listener.props.get("protocol") == "HTTP" and not _redirects_to_https(listener):
                yield Finding(f"HTTP listener {listener.name} serves content instead of redirecting to HTTPS", listener)
    for cdn in (r for r in resources if r.type == CLOUDFRONT):
        cert = as_json(cdn.props.get("viewerCertificate")) or {}
        if not cert.get("acmCertificateArn") or not as_json(cdn.props.get("aliases")):
            yield Finding(f"distribution {cdn.name} serves only the default *.cloudfront.net certificate", cdn)
        elif cert.get("sslSupportMethod") != "sni-only" or cert.get("minimumProtocolVersion") != "TLSv1.2_2021":
            yield Finding(f"distribution {cdn.name} must use sni-only with TLSv1.2_2021", cdn)


@resource_policy(
    "cloudfront-security-headers",
    types=(CLOUDFRONT,),
    summary="CloudFront adds security headers (HSTS, nosniff, frame options, referrer policy) through a response "
            "headers policy on every cache behaviour.",
    fix="set response_headers_policy_id (components/cdn.py security_headers_policy) on each cache behaviour",
    c5=("COS-01",), iso=("8.23", "8.26"), fsbp=("CloudFront.1",),
)
def cloudfront_security_headers(r: Resource, ctx: Context):
    behaviours = [("default", as_json(r.props.get("defaultCacheBehavior")) or {})]
    behaviours += [(b.get("pathPattern", "?"), b) for b in (as_json(r.props.get("orderedCacheBehaviors")) or []) if b]
    for path, behaviour in behaviours:
        if not behaviour.get("responseHeadersPolicyId"):
            yield f"cache behaviour {path} has no response headers policy"


@stack_policy(
    "waf-on-public-endpoints",
    summary="Where compliance.requireWaf is set (prod): every ALB and every API Gateway stage is associated with "
            "a WAF web ACL, and every web ACL logs its requests (a logging configuration).",
    fix="set cloud-platform:waf.enabled: true (EdgeProtection associates one web ACL with the ALB and the stage "
        "and logs it to the aws-waf-logs-<name> log group)",
    c5=("COS-01", "COS-03"), iso=("8.20", "8.16"), fsbp=("ELB.16", "APIGateway.4"),
)
def waf_on_public_endpoints(resources: list[Resource], ctx: Context):
    if not ctx.settings.require_waf:
        return
    associations = [r for r in resources if r.type == WAF_ASSOCIATION]
    for target in resources:
        if target.type in LOAD_BALANCERS or target.type == API_STAGE:
            if target.type in LOAD_BALANCERS and target.props.get("internal") is True:
                continue
            if not any(a.refers_to("resourceArn", target) for a in associations):
                yield Finding(f"{target.name} has no WAF web ACL", target)
    logging = [r for r in resources if r.type == WAF_LOGGING]
    for acl in (r for r in resources if r.type == WEB_ACL):
        if not any(config.refers_to("resourceArn", acl) for config in logging):
            yield Finding(f"web ACL {acl.name} has no logging configuration", acl)
