"""The edge of prod under the recording mock: certificates, DNS names, HTTPS, headers, logs, WAF."""

from __future__ import annotations

import pytest

from tests.conftest import error_of

CERT = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
LISTENER = "aws:lb/listener:Listener"
CDN = "aws:cloudfront/distribution:Distribution"
ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
ZONE = "Z00000000EXAMPLE0000"  # Pulumi.prod.yaml's marked example


def named(plan, type_, suffix):
    [found] = [r for r in plan.mocks.of_type(type_) if r.name.endswith(suffix)]
    return found


def test_certificates_are_dns_validated_in_the_right_regions(prod_plan):
    site, web = named(prod_plan, CERT, "-site"), named(prod_plan, CERT, "-web")
    assert (site.inputs["domainName"], site.inputs["region"]) == ("cloud-platform.example.org", "us-east-1")
    assert web.inputs["domainName"] == "web.cloud-platform.example.org" and "region" not in web.inputs
    for cert in (site, web):
        assert cert.inputs["validationMethod"] == "DNS"
        [option] = cert.outputs["domainValidationOptions"]
        record = named(prod_plan, RECORD, f"{cert.name}-validation")
        assert (record.inputs["zoneId"], record.inputs["name"], record.inputs["type"]) == (
            ZONE, option["resourceRecordName"], "CNAME")
        assert record.inputs["records"] == [option["resourceRecordValue"]]
        validation = named(prod_plan, VALIDATION, f"{cert.name}-validation")
        assert validation.inputs["certificateArn"] == cert.outputs["arn"]
    assert named(prod_plan, VALIDATION, "-site-validation").inputs["region"] == "us-east-1"


def test_alb_serves_https_with_the_issued_certificate_and_redirects_http(prod_plan):
    web = named(prod_plan, CERT, "-web")
    https, http = named(prod_plan, LISTENER, "-web-https"), named(prod_plan, LISTENER, "-web-http")
    assert https.inputs["certificateArn"] == web.outputs["arn"]  # through the validation: issued first
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06" and https.inputs["port"] == 443
    assert http.inputs["defaultActions"][0]["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
    assert prod_plan.outputs["listenerArn"] == https.id


def test_cloudfront_uses_the_certificate_headers_and_logs(prod_plan):
    cdn = prod_plan.mocks.of_type(CDN)[0]
    site = named(prod_plan, CERT, "-site")
    assert cdn.inputs["aliases"] == ["cloud-platform.example.org"]
    assert cdn.inputs["viewerCertificate"] == {"acmCertificateArn": site.outputs["arn"], "sslSupportMethod": "sni-only",
                                               "minimumProtocolVersion": "TLSv1.2_2021"}
    [headers] = prod_plan.mocks.of_type("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    assert cdn.inputs["defaultCacheBehavior"]["responseHeadersPolicyId"] == headers.id
    config = headers.inputs["securityHeadersConfig"]
    assert config["strictTransportSecurity"]["accessControlMaxAgeSec"] >= 31536000
    assert config["frameOptions"]["frameOption"] == "DENY" and config["contentTypeOptions"]["override"] is True
    assert config["referrerPolicy"]["referrerPolicy"] == "strict-origin-when-cross-origin"
    [source] = prod_plan.mocks.of_type("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    assert (source.inputs["resourceArn"], source.inputs["logType"], source.inputs["region"]) == (
        cdn.outputs["arn"], "ACCESS_LOGS", "us-east-1")
    group = next(g for g in prod_plan.mocks.of_type("aws:cloudwatch/logGroup:LogGroup") if g.name.endswith("-cdn-logs"))
    assert group.inputs["retentionInDays"] == 365 and group.inputs["region"] == "us-east-1"
    assert prod_plan.outputs["siteUrl"] == "https://cloud-platform.example.org/"


def test_dns_aliases_point_at_the_distribution_and_the_alb(prod_plan):
    cdn, alb = prod_plan.mocks.of_type(CDN)[0], prod_plan.mocks.of_type("aws:lb/loadBalancer:LoadBalancer")[0]
    records = {r.name.rsplit("-edge-", 1)[1]: r.inputs for r in prod_plan.mocks.of_type(RECORD) if "-edge-" in r.name}
    assert set(records) == {"site-a", "site-aaaa", "web-a"}
    for kind in ("site-a", "site-aaaa"):
        assert records[kind]["aliases"] == [{"name": cdn.outputs["domainName"], "zoneId": cdn.outputs["hostedZoneId"],
                                             "evaluateTargetHealth": False}]
    assert records["web-a"]["name"] == "web.cloud-platform.example.org"
    assert records["web-a"]["aliases"][0]["name"] == alb.outputs["dnsName"]
    assert all(r["zoneId"] == ZONE for r in records.values())


def test_waf_guards_the_alb_and_the_api_stage_in_prod_only(prod_plan, dev_plan):
    [acl] = prod_plan.mocks.of_type(ACL)
    assert acl.inputs["scope"] == "REGIONAL" and acl.inputs["defaultAction"] == {"allow": {}}
    rules = {r["name"]: r for r in acl.inputs["rules"]}
    assert set(rules) == {"rate-per-ip", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                          "AWSManagedRulesAmazonIpReputationList"}
    rate = rules["rate-per-ip"]["statement"]["rateBasedStatement"]
    assert (rate["limit"], rate["aggregateKeyType"], rate["evaluationWindowSec"]) == (1000, "IP", 300)
    assert rules["rate-per-ip"]["action"] == {"block": {}}
    assert len({r["priority"] for r in rules.values()}) == 4
    for rule in [*rules.values(), acl.inputs]:
        assert rule["visibilityConfig"]["cloudwatchMetricsEnabled"] is True
    alb = prod_plan.mocks.of_type("aws:lb/loadBalancer:LoadBalancer")[0]
    stage = prod_plan.mocks.of_type("aws:apigateway/stage:Stage")[0]
    assert {a.inputs["resourceArn"] for a in prod_plan.mocks.of_type(ASSOCIATION)} == {alb.outputs["arn"], stage.outputs["arn"]}
    assert {a.inputs["webAclArn"] for a in prod_plan.mocks.of_type(ASSOCIATION)} == {acl.outputs["arn"]}
    assert dev_plan.mocks.of_type(ACL) == [] and dev_plan.mocks.of_type(CERT) == []


def test_waf_logs_requests_to_an_aws_waf_logs_group_without_credentials(prod_plan, dev_plan):
    [acl] = prod_plan.mocks.of_type(ACL)
    [config] = prod_plan.mocks.of_type(LOGGING)
    group = named(prod_plan, "aws:cloudwatch/logGroup:LogGroup", "-edge-waf-logs")
    # WAF accepts only destinations named aws-waf-logs-*; the group's ARN, not "<arn>:*".
    assert group.inputs["name"] == "aws-waf-logs-cloud-platform-prod-edge"
    assert group.inputs["retentionInDays"] == 365
    assert config.inputs["resourceArn"] == acl.outputs["arn"]
    assert config.inputs["logDestinationConfigs"] == [group.outputs["arn"]] and not group.outputs["arn"].endswith(":*")
    assert config.inputs["redactedFields"] == [{"singleHeader": {"name": "authorization"}},
                                               {"singleHeader": {"name": "cookie"}}]
    assert prod_plan.mocks.component_of(config) == prod_plan.mocks.component_of(acl)
    assert dev_plan.mocks.of_type(LOGGING) == []


def test_waf_thresholds_and_log_retention_come_from_config(plan_with):
    plan = plan_with("prod", {"cloud-platform:waf": {"rateLimit": 300, "evaluationWindowSeconds": 60,
                                                      "logRetentionDays": 30}})
    [acl] = plan.mocks.of_type(ACL)
    rate = next(r for r in acl.inputs["rules"] if r["name"] == "rate-per-ip")["statement"]["rateBasedStatement"]
    assert (rate["limit"], rate["evaluationWindowSec"]) == (300, 60)
    assert named(plan, "aws:cloudwatch/logGroup:LogGroup", "-edge-waf-logs").inputs["retentionInDays"] == 30


@pytest.mark.parametrize(("sections", "expected"), [
    ({"domain": {"name": "Example.org", "hostedZoneId": "Z1"}}, "cloud-platform:domain.name must match"),
    ({"domain": {"name": "example.org", "hostedZoneId": "zone"}}, "cloud-platform:domain.hostedZoneId must match"),
    ({"domain": {"name": "example.org"}}, "cloud-platform:domain.hostedZoneId is required"),
    ({"waf": {"rateLimit": 5}}, "cloud-platform:waf.rateLimit must be >= 10 (got 5)"),
    ({"waf": {"evaluationWindowSeconds": 30}}, "cloud-platform:waf.evaluationWindowSeconds must be one of 60, 120, 300 or 600"),
    ({"waf": {"logRetentionDays": 31}}, "cloud-platform:waf.logRetentionDays must be one of 1, 3, 5"),
    ({"domain": {"name": "example.org", "hostedZoneId": "Z1"}, "serverless": {"enabled": True, "hosting": "s3-website"}},
     "cloud-platform:serverless.hosting must be cloudfront when domain is set"),
])
def test_edge_settings_errors_are_one_line(sections, expected):
    assert error_of(**sections).startswith(expected)
