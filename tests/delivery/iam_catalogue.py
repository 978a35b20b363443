"""AWS's IAM action catalogue (policy_sentry's copy of the Service Authorization Reference).

Policies are checked against what AWS says each action is (access level, resource types,
condition keys), with wildcards expanded over the real action list: a pattern that reaches
one data or write action fails, whatever its spelling.
"""

from __future__ import annotations

import fnmatch
from functools import cache

from policy_sentry.querying.actions import (
    get_action_data,
    get_actions_for_service,
    get_actions_matching_condition_key,
    get_actions_with_access_level,
    get_actions_with_arn_type_and_access_level,
)

READ_LEVELS = {"List", "Read"}
WRITE_LEVELS = {"Write", "Permissions management", "Tagging"}


@cache
def service_actions(service: str) -> tuple[str, ...]:
    return tuple(get_actions_for_service(service))


def expand(pattern: str) -> list[str]:
    """Every catalogued action a policy pattern matches (IAM matches case-insensitively)."""
    service, _, _ = pattern.partition(":")
    return [a for a in service_actions(service) if fnmatch.fnmatchcase(a.lower(), pattern.lower())]


@cache
def access_levels(action: str) -> frozenset[str]:
    service, _, name = action.partition(":")
    data = get_action_data(service, name) or {}
    return frozenset(entry["access_level"] for entry in data.get(service, []))


def writes(service: str) -> set[str]:
    return {a for level in WRITE_LEVELS for a in get_actions_with_access_level(service, level)}


def object_reads() -> set[str]:
    """S3 reads on the `object` resource type: what a bucket holds, not how it is set up."""
    return set(get_actions_with_arn_type_and_access_level("s3", "object", "Read"))


def boundary_condition_actions() -> set[str]:
    return set(get_actions_matching_condition_key("iam", "iam:PermissionsBoundary"))
