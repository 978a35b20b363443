"""Security groups with named, standalone rules.

Rules are separate `aws.vpc.SecurityGroup{Ingress,Egress}Rule` resources (not inline blocks),
one per name, so other components can add rules to a group without Pulumi fighting over
them, and a plan shows each rule with its reason. A group starts with no rules: the AWS
default allow-all egress is not kept, every path out is named.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class Rule:
    """One TCP rule: a port (or range) to/from a CIDR or another security group."""

    description: str
    port: int
    to_port: int | None = None
    cidr: pulumi.Input[str] | None = None
    group: pulumi.Input[str] | None = None
    protocol: str = "tcp"

    def args(self, group_id: pulumi.Input[str]) -> dict:
        if (self.cidr is None) == (self.group is None):
            raise ValueError(f"rule {self.description!r}: give exactly one of cidr or group")
        peer = {"cidr_ipv4": self.cidr} if self.cidr is not None else {"referenced_security_group_id": self.group}
        return dict(security_group_id=group_id, ip_protocol=self.protocol, from_port=self.port,
                    to_port=self.to_port if self.to_port is not None else self.port, description=self.description, **peer)


def security_group(
    name: str,
    description: str,
    vpc_id: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    ingress: dict[str, Rule] | None = None,
    egress: dict[str, Rule] | None = None,
    tag_name: str | None = None,
    rule_prefix: str | None = None,
    former_names: dict[str, str] | None = None,
) -> aws.ec2.SecurityGroup:
    """Group `name` with rules named `<rule_prefix>-in-<key>` / `-out-<key>` (keys say what the rule is for).

    `rule_prefix` defaults to `name`; groups named `<x>-sg` pass `<x>` so rules read `<x>-in-https`.
    """
    group = aws.ec2.SecurityGroup(name, vpc_id=vpc_id, description=description, tags={"Name": tag_name or name}, opts=opts)
    add_rules(rule_prefix or name, group.id, opts, ingress=ingress, egress=egress, former_names=former_names)
    return group


def add_rules(
    name: str,
    group_id: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    ingress: dict[str, Rule] | None = None,
    egress: dict[str, Rule] | None = None,
    former_names: dict[str, str] | None = None,
) -> None:
    """Named rules on an existing group (also one owned by another component).

    `former_names` maps a rule's key to the logical name it had before it followed this
    naming rule: the rule keeps its URN through an alias. (A renamed rule without one would be
    created before the old one is deleted, and AWS refuses the duplicate.)
    """
    former = former_names or {}

    def options(key: str) -> pulumi.ResourceOptions:
        if key not in former:
            return opts
        return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(name=former[key])]))

    for key, rule in (ingress or {}).items():
        aws.vpc.SecurityGroupIngressRule(f"{name}-in-{key}", **rule.args(group_id), opts=options(key))
    for key, rule in (egress or {}).items():
        aws.vpc.SecurityGroupEgressRule(f"{name}-out-{key}", **rule.args(group_id), opts=options(key))
