"""Explicit AWS providers: one per region, each carrying the stack's default tags.

Explicit providers (rather than the default one) let the tags come from validated
settings, and make the region of every resource visible in its provider reference.
They also ignore the `aws:endpoints`/`aws:skip*` stack keys, so the LocalStack sandbox
is configured through the validated `cloud-platform:localstack` section instead.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .localstack import provider_args as localstack_args
from .settings import Settings


def aws_provider(settings: Settings, region: str, role: str) -> aws.Provider:
    """`role` names the provider's purpose (`home`, `peer`): `<project>-<env>-<role>`."""
    sandbox = localstack_args(settings.localstack.endpoint) if settings.localstack else {}
    return aws.Provider(
        f"{settings.prefix}-{role}",
        region=region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=settings.tags),
        opts=pulumi.ResourceOptions(),
        **sandbox,
    )
