"""ScalingWebTier's listeners: the weighted blue/green forward (HTTP, or HTTPS with :80
redirecting) and the header-matched test rules on it.

Every resource here is a direct child of the ScalingWebTier component (its `parent`), so the
URNs are those the component had when it created them itself.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .web_tier_args import ScalingWebTierArgs


def listeners(
    name: str, s: ScalingWebTierArgs, certificate: pulumi.Input[str] | None, alb_arn: pulumi.Input[str],
    weights: dict[str, int], target_groups: dict[str, aws.lb.TargetGroup], parent: pulumi.Resource,
) -> aws.lb.Listener:
    """The listener that forwards by the weights (what cutover shifts and services attach rules to)."""
    child = pulumi.ResourceOptions(parent=parent)
    forward = aws.lb.ListenerDefaultActionArgs(
        type="forward",
        forward=aws.lb.ListenerDefaultActionForwardArgs(
            target_groups=[
                aws.lb.ListenerDefaultActionForwardTargetGroupArgs(arn=tg.arn, weight=weights[colour])
                for colour, tg in target_groups.items()
            ],
            # Group stickiness keeps a client on one colour while both take traffic.
            stickiness=aws.lb.ListenerDefaultActionForwardStickinessArgs(
                enabled=s.stickiness.enabled, duration=s.stickiness.duration_seconds
            ),
        ),
    )
    if certificate is not None:
        aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=alb_arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port="443", status_code="HTTP_301"
                    ),
                )
            ],
            opts=child,
        )
        app = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=alb_arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=s.ssl_policy,
            certificate_arn=certificate,
            default_actions=[forward],
            opts=child,
        )
    else:
        app = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=alb_arn,
            port=80,
            protocol="HTTP",
            default_actions=[forward],
            opts=child,
        )
    _test_rules(name, s, app, target_groups, child)
    return app


def _test_rules(name: str, s: ScalingWebTierArgs, listener: aws.lb.Listener,
                target_groups: dict[str, aws.lb.TargetGroup], child: pulumi.ResourceOptions) -> None:
    """`<testHeader>: <colour>` reaches that colour whatever the weights: release smoke-tests
    the idle colour through the real load balancer before any user traffic goes there."""
    rollout = s.rollout
    for offset, (colour, tg) in enumerate(target_groups.items()):
        conditions = [
            aws.lb.ListenerRuleConditionArgs(
                http_header=aws.lb.ListenerRuleConditionHttpHeaderArgs(
                    http_header_name=rollout.test_header, values=[colour]
                )
            )
        ]
        if rollout.test_source_cidrs:
            conditions.append(
                aws.lb.ListenerRuleConditionArgs(
                    source_ip=aws.lb.ListenerRuleConditionSourceIpArgs(values=list(rollout.test_source_cidrs))
                )
            )
        aws.lb.ListenerRule(
            f"{name}-test-{colour}",
            listener_arn=listener.arn,
            priority=rollout.test_rule_priority + offset,
            conditions=conditions,
            actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=tg.arn)],
            tags={"Name": f"{name}-test-{colour}", "Colour": colour},
            opts=child,
        )
