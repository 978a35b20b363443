"""ServerlessApi's website: the site bucket, its hosting (S3 website or CloudFront) and `site/`'s objects.

Every resource here is a direct child of the ServerlessApi component (its `parent`), so the
URNs are those the component had when it created them itself.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from .blocks import HardenedBucket, HardenedBucketArgs, Moved, Website
from .cdn import access_logs, security_headers_policy
from .serverless_args import ServerlessApiArgs

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS managed CloudFront cache policy
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def config_js(api_url: str) -> str:
    return f"window.APP_CONFIG = {json.dumps({'apiUrl': api_url.rstrip('/')})};\n"


def _cloudfront_reads(bucket_arn: str, distribution_arn: str) -> list[dict]:
    """Only this distribution (Origin Access Control) reads the private site bucket."""
    return [{
        "Sid": "CloudFrontReadsObjects",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    }]


def site_files(site_dir: Path) -> list[Path]:
    """Files to upload; the local `config.js` placeholder is replaced by the generated one."""
    return sorted(p for p in site_dir.rglob("*") if p.is_file() and p.relative_to(site_dir).as_posix() != "config.js")


@dataclass
class SiteHosting:
    site: HardenedBucket
    distribution: aws.cloudfront.Distribution | None
    """None with s3-website hosting."""
    url: pulumi.Output[str]


def site_hosting(name: str, a: ServerlessApiArgs, parent: pulumi.Resource) -> SiteHosting:
    # The site is generated from the repository on every deploy: nothing to keep, so
    # force_destroy. Versioned: a bad deploy of site/ rolls back object by object for
    # 30 days. SSE-S3, not KMS: the S3 website endpoint cannot serve KMS-encrypted objects
    # anonymously. Website=true marks the bucket for the compliance pack: content
    # redeployed from site/ (not data to protect), and the one bucket allowed a public policy.
    args = HardenedBucketArgs(
        tags={"Name": f"{name}-site", "Website": "true"}, force_destroy=True,
        moved=Moved(parent=parent),
    )
    if a.hosting == "cloudfront":
        # The bucket policy names the distribution, which needs the bucket first.
        distribution_arn, resolve_distribution_arn = pulumi.deferred_output()
        args.statements = _cloudfront_reads
        args.statement_inputs = [distribution_arn]
    else:
        # As in the course: objects are public-read through a GetObject-only policy.
        args.website = Website()
    site = HardenedBucket(f"{name}-site", args, opts=pulumi.ResourceOptions(parent=parent))
    if a.hosting != "cloudfront":
        return SiteHosting(site, None, site.website.website_endpoint.apply(lambda host: f"http://{host}/"))
    distribution = _cloudfront(name, a, site.bucket, parent)
    resolve_distribution_arn(distribution.arn)
    access_logs(name, distribution, a.log_retention_days, parent)
    if a.site_domain and a.site_certificate_arn is not None:
        url = pulumi.Output.from_input(f"https://{a.site_domain}/")
    else:
        url = distribution.domain_name.apply(lambda host: f"https://{host}/")
    return SiteHosting(site, distribution, url)


def _cloudfront(name: str, a: ServerlessApiArgs, bucket: aws.s3.Bucket,
                parent: pulumi.Resource) -> aws.cloudfront.Distribution:
    child = pulumi.ResourceOptions(parent=parent)
    if a.site_certificate_arn is not None:
        # SNI (no dedicated IPs); TLS 1.2 minimum with the 2021 cipher set.
        viewer = {"acm_certificate_arn": a.site_certificate_arn, "ssl_support_method": "sni-only",
                  "minimum_protocol_version": "TLSv1.2_2021"}
    else:
        # With the default *.cloudfront.net certificate CloudFront fixes the TLS policy itself
        # (TLSv1); a minimum_protocol_version is ignored and shows as a diff on every `up`.
        viewer = {"cloudfront_default_certificate": True}
    headers = security_headers_policy(name, parent)
    oac = aws.cloudfront.OriginAccessControl(
        f"{name}-site-oac", name=f"{name}-site-oac", description=f"{name}: CloudFront reads the site bucket",
        origin_access_control_origin_type="s3", signing_behavior="always", signing_protocol="sigv4",
        opts=child,
    )
    origin_id = "site-bucket"
    return aws.cloudfront.Distribution(
        f"{name}-site-cdn",
        enabled=True,
        comment=f"{name} website",
        default_root_object="index.html",
        http_version="http2and3",
        is_ipv6_enabled=True,
        price_class="PriceClass_100",
        origins=[{
            "origin_id": origin_id,
            "domain_name": bucket.bucket_regional_domain_name,
            "origin_access_control_id": oac.id,
        }],
        default_cache_behavior={
            "target_origin_id": origin_id,
            "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": ["GET", "HEAD"],
            "cached_methods": ["GET", "HEAD"],
            "cache_policy_id": CACHING_OPTIMIZED,
            "response_headers_policy_id": headers.id,
            "compress": True,
        },
        aliases=[a.site_domain] if a.site_domain and a.site_certificate_arn is not None else None,
        restrictions={"geo_restriction": {"restriction_type": "none"}},
        viewer_certificate=viewer,
        tags={"Name": f"{name}-site-cdn"},
        opts=child,
    )


def site_objects(name: str, site_dir: Path, site: HardenedBucket, api_url: pulumi.Output[str],
                 parent: pulumi.Resource) -> list[aws.s3.BucketObjectv2]:
    after_policy = pulumi.ResourceOptions(parent=parent, depends_on=[site.policy])
    objects = []
    for path in site_files(site_dir):
        key = path.relative_to(site_dir).as_posix()
        objects.append(aws.s3.BucketObjectv2(
            f"{name}-site-{key.replace('/', '-')}", bucket=site.bucket.id, key=key,
            source=pulumi.FileAsset(str(path)), content_type=content_type(path),
            cache_control="no-cache" if key.endswith(".html") else "public, max-age=300",
            opts=after_policy,
        ))
    # Generated at deploy time from the stage URL: the site never hard-codes the API.
    objects.append(aws.s3.BucketObjectv2(
        f"{name}-site-config-js", bucket=site.bucket.id, key="config.js",
        content=api_url.apply(config_js), content_type=CONTENT_TYPES[".js"],
        cache_control="no-cache", opts=after_policy,
    ))
    return objects
