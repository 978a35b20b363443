"""Components take plain typed args; program.py maps each settings section onto them.

`args_from` copies every args field the section has by name, so a field that the section
does not have would silently keep its default: each args field is either in the section or
one of the inputs only the program knows. A component used on its own (no stack file) gets
the same defaults as an empty config section.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from components.alarms import AlarmsArgs
from components.backup import BackupsArgs
from components.container_args import ContainerServiceArgs
from components.edge import DomainArgs, WafArgs
from components.github_deploy_role import DeployRoleArgs
from components.messaging_args import MessagingArgs
from components.networking import AddressPlanArgs
from components.platform import Platform, args_from, nested_args
from components.serverless_args import ServerlessApiArgs
from components.settings.alarms import AlarmSettings
from components.settings.backup import BackupSettings
from components.settings.container import ContainerSettings
from components.settings.delivery import DeployRoleSettings
from components.settings.edge import DomainSettings, WafSettings
from components.settings.messaging import MessagingSettings
from components.settings.networking import NetworkingSettings
from components.settings.ocr import OcrSettings
from components.settings.serverless import ServerlessSettings
from components.settings.web import WebSettings
from components.text_extraction import TextExtractionArgs
from components.web_tier_args import ScalingWebTierArgs

CONTAINER = {"environment": "test", "region": "eu-west-1", "image_tag": "0.1.0-abc", "stage_name": "test"}
NETWORK = {"vpc_id": "vpc-1", "public_subnet_ids": ["subnet-a"], "private_subnet_ids": ["subnet-b"]}
# Settings without a default (the stack file must give them): the same value on both sides.
REQUIRED = {DomainArgs: {"name": "example.org", "hosted_zone_id": "Z0123456789ABC"}, DeployRoleArgs: {"branches": ["main"]}}

# (args type, settings section, fields the program passes from other components)
PAIRS = [
    (AlarmsArgs, AlarmSettings, {"targets"}),
    (BackupsArgs, BackupSettings, {"peer_provider", "notification_topic_arn", "peer_region"}),
    (ScalingWebTierArgs, WebSettings, {*NETWORK, "tags", "certificate_arn"}),
    (ContainerServiceArgs, ContainerSettings, {"environment", "region", "vpc_id", "private_subnet_ids", "public_subnet_ids",
                                               "image_tag", "shared_load_balancer", "app_path"}),
    (MessagingArgs, MessagingSettings, {"functions_dir"}),
    (AddressPlanArgs, NetworkingSettings, set()),
    (ServerlessApiArgs, ServerlessSettings, {"stage_name", "region", "events_topic_arn", "events_key_arn", "grants",
                                             "site_domain", "site_certificate_arn", "function_dir", "site_dir"}),
    (TextExtractionArgs, OcrSettings, {"region", "events_topic_arn", "events_key_arn", "powertools_layer_version",
                                       "functions_dir", "tags"}),
    (DomainArgs, DomainSettings, set()),
    (WafArgs, WafSettings, set()),
    (DeployRoleArgs, DeployRoleSettings, set()),
]


def _fields_fed(args_type, section, program_inputs, path=""):
    """Args fields (nested args included) that no settings field of the same name feeds."""
    missing = []
    for f in dataclasses.fields(args_type):
        if f.name in program_inputs:
            continue
        if f.name not in section.model_fields:
            missing.append(path + f.name)
        elif (nested := nested_args(f)) is not None:
            missing += _fields_fed(nested, section.model_fields[f.name].annotation, set(), f"{path}{f.name}.")
    return missing


@pytest.mark.parametrize(("args_type", "section", "program_inputs"), PAIRS, ids=lambda v: getattr(v, "__name__", ""))
def test_every_args_field_comes_from_the_section_or_the_program(args_type, section, program_inputs):
    names = {f.name for f in dataclasses.fields(args_type)}
    assert program_inputs <= names
    assert _fields_fed(args_type, section, program_inputs) == [], "args fields no setting feeds"


@pytest.mark.parametrize(("args_type", "section", "program_inputs"), PAIRS, ids=lambda v: getattr(v, "__name__", ""))
def test_args_defaults_are_the_settings_defaults(args_type, section, program_inputs):
    inputs = {k: v for k, v in {**NETWORK, **CONTAINER}.items() if k in program_inputs}
    required = REQUIRED.get(args_type, {})
    standalone = args_type(**inputs, **required)
    from_empty_config = args_from(section(**required), args_type, **inputs)
    for f in dataclasses.fields(args_type):
        if f.name not in program_inputs:
            assert getattr(standalone, f.name) == getattr(from_empty_config, f.name), f.name


def test_args_from_takes_the_program_inputs_over_the_section():
    args = args_from(BackupSettings(copy_to_peer=False), BackupsArgs, peer_provider=None, protect_vault=True)
    assert (args.copy_to_peer, args.protect_vault, args.peer_provider) == (False, True, None)


def test_nested_sections_become_nested_args():
    web = WebSettings(enabled=True, stickiness={"enabled": True, "duration_seconds": 600},
                      green={"min_size": 1, "max_size": 3, "desired_capacity": 1, "ami_id": "ami-0123456789abcdef0"},
                      traffic={"blue": 90, "green": 10})
    args = args_from(web, ScalingWebTierArgs, **NETWORK)
    assert (args.stickiness.enabled, args.stickiness.duration_seconds) == (True, 600)
    assert args.colour("green").ami_id == "ami-0123456789abcdef0" and args.colour("green").max_size == 3
    assert args.traffic.as_dict() == {"blue": 90, "green": 10}


def test_publishers_get_the_events_topic_and_key_from_the_platform():
    assert Platform(settings=None, home=None).events_inputs() == {"events_topic_arn": None, "events_key_arn": None}
    messaging = SimpleNamespace(topic_arn="arn:aws:sns:eu-west-1:123456789012:events", key_arn="arn:aws:kms:key/1")
    assert Platform(settings=None, home=None, messaging=messaging).events_inputs() == {
        "events_topic_arn": messaging.topic_arn, "events_key_arn": messaging.key_arn}
