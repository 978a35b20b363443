"""Aliases for resources that a block took over from the component that used to create them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi


@dataclass(frozen=True)
class Moved:
    """Where a block's children used to live: directly under `parent`, with `names` (part -> old name).

    A part missing from `names` had the same logical name as it has now; only its parent changed.
    """

    parent: pulumi.Resource
    names: dict[str, str] = field(default_factory=dict)

    def options(self, block: pulumi.Resource, part: str, name: str, **kwargs) -> pulumi.ResourceOptions:
        alias = pulumi.Alias(name=self.names.get(part, name), parent=self.parent)
        return pulumi.ResourceOptions(parent=block, aliases=[alias], **kwargs)


def child_options(block: pulumi.Resource, moved: Moved | None, part: str, name: str, **kwargs) -> pulumi.ResourceOptions:
    """Options of a block's child `name` (its `part`): parented to the block, aliased when it moved."""
    if moved is None:
        return pulumi.ResourceOptions(parent=block, **kwargs)
    return moved.options(block, part, name, **kwargs)
