"""Least privilege: IAM policy documents and managed policy attachments."""

from __future__ import annotations

from fnmatch import fnmatchcase

from ..model import Resource, as_json, is_unknown
from ..registry import Context, resource_policy
from .types import IAM_ATTACHMENTS, IAM_INLINE, IAM_POLICY, IAM_ROLE


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def document_problems(document, allowed_on_star: list[str]) -> list[str]:
    """What is too broad in one policy document (JSON text or dict)."""
    document = as_json(document)
    if is_unknown(document) or not isinstance(document, dict):
        return []
    problems = []
    for index, statement in enumerate(_as_list(document.get("Statement"))):
        if not isinstance(statement, dict) or statement.get("Effect", "Allow") != "Allow":
            continue
        label = statement.get("Sid") or f"statement {index}"
        if "NotAction" in statement or "NotResource" in statement:
            problems.append(f"{label}: Allow with NotAction/NotResource grants everything else")
        actions = [str(a) for a in _as_list(statement.get("Action"))]
        wild_actions = [a for a in actions if a == "*" or a.endswith(":*")]
        if wild_actions:
            problems.append(f"{label}: wildcard action {', '.join(wild_actions)}")
        if "*" in [str(r) for r in _as_list(statement.get("Resource"))]:
            broad = [a for a in actions if not any(fnmatchcase(a, pattern) for pattern in allowed_on_star)]
            if broad:
                problems.append(f"{label}: Resource \"*\" for {', '.join(broad)} (scope to exact ARNs)")
    return problems


@resource_policy(
    "iam-no-wildcards",
    types=(*IAM_INLINE, IAM_POLICY, IAM_ROLE),
    summary="IAM policies grant no wildcard actions (`*`, `service:*`) and no Resource `*` except for actions "
            "without resource-level permissions (compliance.wildcardResourceActions).",
    fix="list the exact actions and scope Resource to the ARNs the principal needs (build the JSON inside .apply)",
    c5=("IDM-01", "IDM-06"), iso=("5.15", "5.18", "8.2"), fsbp=("IAM.1", "IAM.21"),
)
def iam_no_wildcards(r: Resource, ctx: Context):
    allowed = ctx.settings.wildcard_resource_actions
    if r.type == IAM_ROLE:
        for inline in as_json(r.props.get("inlinePolicies")) or []:
            inline = inline or {}
            for problem in document_problems(inline.get("policy"), allowed):
                yield f"inline policy {inline.get('name', '?')}: {problem}"
        return
    yield from document_problems(r.props.get("policy"), allowed)


ADMIN_POLICIES = ("arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/PowerUserAccess",
                  "arn:aws:iam::aws:policy/IAMFullAccess")


@resource_policy(
    "iam-no-admin-attachment",
    types=(*IAM_ATTACHMENTS, IAM_ROLE),
    summary="No role, user or group gets AdministratorAccess, PowerUserAccess or IAMFullAccess attached.",
    fix="attach a policy scoped to what the principal does",
    c5=("IDM-01", "IDM-06"), iso=("8.2",), fsbp=("IAM.1",),
)
def iam_no_admin_attachment(r: Resource, ctx: Context):
    arns = _as_list(r.props.get("managedPolicyArns")) if r.type == IAM_ROLE else [r.props.get("policyArn")]
    for arn in arns:
        if isinstance(arn, str) and arn.split(":")[-1].split("/")[-1] in [a.split("/")[-1] for a in ADMIN_POLICIES] \
                and arn.startswith("arn:aws:iam::aws:policy/"):
            yield f"attaches {arn}"
