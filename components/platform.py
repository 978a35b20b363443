"""What the program's steps share: the `Platform` one step hands to the next, and the mapping
of a settings section onto a component's plain args (`args_from`).

The steps live in `*_steps.py` next to this module; `program.py` runs them in order.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, TypedDict, TypeVar

import pulumi
import pulumi_aws as aws

from .settings import Settings
from .settings.base import Section

if TYPE_CHECKING:  # the steps import these where they build them: a stack pays only for its areas
    from .alarms import Alarms
    from .backup import Backups
    from .container import ContainerService
    from .edge import Certificates, EdgeProtection
    from .messaging import Messaging
    from .networking import NetworkingBase
    from .peering import CrossRegionPeering
    from .serverless import ServerlessApi
    from .text_extraction import TextExtraction
    from .web_tier import ScalingWebTier

A = TypeVar("A")


def args_from(section: Section, args_type: type[A], **inputs: object) -> A:
    """A component's plain args from its settings section: every args field the section has,
    by the same name (nested sections onto nested args), plus the `inputs` only the program
    knows (other components' outputs)."""
    values = {}
    for f in fields(args_type):
        if f.name in inputs or not hasattr(section, f.name):
            continue
        value = getattr(section, f.name)
        nested = nested_args(f)
        values[f.name] = args_from(value, nested) if nested is not None and isinstance(value, Section) else value
    return args_type(**values, **inputs)


def nested_args(f: Field) -> type | None:
    """The args type of a nested-args field (its default factory builds one), else None."""
    if f.default_factory is MISSING:
        return None
    made = f.default_factory()
    return type(made) if is_dataclass(made) else None


class EventsInputs(TypedDict):
    """The args fields of a component that publishes on Messaging's events topic."""

    events_topic_arn: pulumi.Output[str] | None
    events_key_arn: pulumi.Output[str] | None
    """The topic's KMS key: publishers need kms:GenerateDataKey/Decrypt on it."""


@dataclass
class Guardrails:
    backups: Backups | None = None
    alarms: Alarms | None = None


@dataclass
class Platform:
    """What one component hands to the next (later components add fields here)."""

    settings: Settings
    home: aws.Provider
    network: NetworkingBase | None = None
    peer_network: NetworkingBase | None = None
    peer_provider: aws.Provider | None = None
    peering: CrossRegionPeering | None = None
    web: ScalingWebTier | None = None
    container: ContainerService | None = None
    messaging: Messaging | None = None
    serverless: ServerlessApi | None = None
    ocr: TextExtraction | None = None
    guardrails: Guardrails | None = None
    certificates: Certificates | None = None
    edge: EdgeProtection | None = None
    outputs: dict[str, object] = field(default_factory=dict)
    transformations: list = field(default_factory=list)
    """Applied to every resource of every component (children inherit them): the permissions boundary."""

    def opts(self, **kwargs) -> pulumi.ResourceOptions:
        """Options for a top-level component in the home region."""
        return pulumi.ResourceOptions(providers={"aws": self.home}, transformations=self.transformations, **kwargs)

    def events_inputs(self) -> EventsInputs:
        """Messaging's events topic and key for a publisher's args (both None without messaging)."""
        m = self.messaging
        return EventsInputs(events_topic_arn=m.topic_arn if m else None, events_key_arn=m.key_arn if m else None)
