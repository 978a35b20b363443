"""Convert an offline plan into Terraform's plan JSON, so that scanners built for Terraform
(checkov, trivy, KICS) can judge what the platform would create.

pulumi-aws is generated from the Terraform AWS provider, so every `aws:` resource has a
Terraform twin with the same arguments in snake_case; only the type token and the key case
differ. References between resources (an id or ARN of one resource used in another's inputs)
become `configuration` expressions, so graph checks ("bucket has a public access block",
"ALB has a WAF") can follow them.

usage: python -m tools.judge.convert --stack prod -o build/judge/prod.tfplan.json
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

# Pulumi module/class -> Terraform type where the mechanical rule below does not give it.
SPECIAL = {
    "s3/bucket:Bucket": "aws_s3_bucket",
    "s3/bucketV2:BucketV2": "aws_s3_bucket",
    "s3/bucketObjectv2:BucketObjectv2": "aws_s3_object",
    "ec2/flowLog:FlowLog": "aws_flow_log",
    "ec2/peeringConnectionOptions:PeeringConnectionOptions": "aws_vpc_peering_connection_options",
    "lb/loadBalancer:LoadBalancer": "aws_lb",
    "cloudwatch/eventRule:EventRule": "aws_cloudwatch_event_rule",
    "cloudwatch/eventTarget:EventTarget": "aws_cloudwatch_event_target",
}
# Modules whose Terraform types carry no module prefix, or another one.
PREFIX = {"ec2": "", "apigateway": "api_gateway_", "vpc": "vpc_"}
# pulumi-aws names repeatable blocks in the plural; Terraform in the singular.
SINGULAR = {"rules": "rule", "default_actions": "default_action", "actions": "action",
            "conditions": "condition", "origins": "origin", "attributes": "attribute",
            "ordered_cache_behaviors": "ordered_cache_behavior", "custom_error_responses": "custom_error_response",
            "global_secondary_indexes": "global_secondary_index", "tag_specifications": "tag_specification",
            "block_device_mappings": "block_device_mapping", "network_interfaces": "network_interface",
            "capacity_provider_strategies": "capacity_provider_strategy", "load_balancers": "load_balancer",
            "default_capacity_provider_strategies": "default_capacity_provider_strategy",
            "copy_actions": "copy_action", "selection_tags": "selection_tag", "settings": "setting",
            "statements": "statement", "excluded_rules": "excluded_rule", "rule_action_overrides": "rule_action_override",
            "target_tracking_configurations": "target_tracking_configuration", "instance_refreshes": "instance_refresh",
            "domain_validation_options": "domain_validation_option",
            "filters": "filter", "transitions": "transition", "volumes": "volume",
            "encryption_configurations": "encryption_configuration"}
# Map-typed arguments: their keys are data (tag names, variable names), not argument names.
MAPS = {"tags", "variables", "request_parameters", "response_parameters", "request_templates",
        "response_templates", "response_models", "dimensions", "environment_variables"}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def tf_type(token: str) -> str | None:
    """`aws:ec2/vpc:Vpc` -> `aws_vpc`; None for components and providers."""
    if not token.startswith("aws:"):
        return None
    rest = token[4:]
    if rest in SPECIAL:
        return SPECIAL[rest]
    module, _, cls = rest.partition(":")
    module = module.split("/")[0]
    prefix = PREFIX.get(module, f"{module}_")
    return f"aws_{prefix}{snake(cls)}"


def blocks(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(v, dict) for v in value)


def tf_values(value: Any, parent: str | None = None) -> Any:
    if isinstance(value, dict):
        if parent in MAPS:
            return dict(value)
        converted = {}
        for key, item in value.items():
            key = snake(key)
            converted[SINGULAR.get(key, key) if blocks(item) else key] = tf_values(item, key)
        return converted
    if isinstance(value, list):
        return [tf_values(v, parent) for v in value]
    return value


def references(value: Any, index: dict[str, tuple[str, str]], own: str, top: bool = False) -> Any:
    """Terraform `expressions` for `value`: the resources its ids and ARNs come from, or None.
    A nested block's expressions are a one-element list, as Terraform writes them."""
    if isinstance(value, dict):
        found = {k: e for k, v in value.items() if (e := references(v, index, own))}
        return (found if top else [found]) if found else None
    if blocks(value):
        items = [references(v, index, own, top=True) or {} for v in value]
        return items if any(items) else None
    candidates = value if isinstance(value, list) else [value]
    hits = [index[v] for v in candidates if isinstance(v, str) and v in index and index[v][0] != own]
    return {"references": [ref for a, attr in hits for ref in (f"{a}.{attr}", a)]} if hits else None


def address_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def convert(plan) -> dict[str, Any]:
    """Terraform plan JSON (format 1.2) of the custom `aws:` resources of `plan`."""
    resources, index = [], {}
    for r in plan.resources:
        kind = tf_type(r.type) if r.custom else None
        if kind is None:
            continue
        address = f"{kind}.{address_name(r.name)}"
        resources.append((address, kind, r))
        for attr in ("id", "arn"):
            value = r.id if attr == "id" else r.outputs.get(attr)
            if isinstance(value, str) and len(value) >= 8:
                index.setdefault(value, (address, attr))
    planned, config, changes = [], [], []
    for address, kind, r in resources:
        values = tf_values(r.inputs)
        expressions = references(values, index, address, top=True) or {}
        head = {"address": address, "mode": "managed", "type": kind, "name": address.split(".", 1)[1]}
        region = r.region if r.provider else None
        planned.append({**head, "provider_name": "registry.terraform.io/hashicorp/aws", "values": values})
        config.append({**head, "provider_config_key": f"aws.{region}" if region else "aws", "expressions": expressions})
        changes.append({**head, "change": {"actions": ["create"], "before": None, "after": values}})
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": config}},
    }


def main() -> None:
    from offline.plan import run_offline

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(convert(run_offline(args.stack)), indent=1, default=str))


if __name__ == "__main__":
    main()
