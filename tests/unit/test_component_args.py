"""Components take plain typed args; program.py maps each settings section onto them.

`args_from` copies every args field the section has by name, so a field that the section
does not have would silently keep its default: each args field is either in the section or
one of the inputs only the program knows. A component used on its own (no stack file) gets
the same defaults as an empty config section.
"""

from __future__ import annotations

import dataclasses

import pytest

from components.alarms import AlarmsArgs
from components.backup import BackupsArgs
from components.program import args_from
from components.settings.alarms import AlarmSettings
from components.settings.backup import BackupSettings

# (args type, settings section, fields the program passes from other components)
PAIRS = [
    (AlarmsArgs, AlarmSettings, {"targets"}),
    (BackupsArgs, BackupSettings, {"peer_provider", "notification_topic_arn"}),
]


@pytest.mark.parametrize(("args_type", "section", "program_inputs"), PAIRS, ids=lambda v: getattr(v, "__name__", ""))
def test_every_args_field_comes_from_the_section_or_the_program(args_type, section, program_inputs):
    names = {f.name for f in dataclasses.fields(args_type)}
    assert program_inputs <= names
    assert names - program_inputs <= set(section.model_fields), "args fields no setting feeds"


@pytest.mark.parametrize(("args_type", "section", "program_inputs"), PAIRS, ids=lambda v: getattr(v, "__name__", ""))
def test_args_defaults_are_the_settings_defaults(args_type, section, program_inputs):
    standalone = args_type()
    from_empty_config = args_from(section(), args_type)
    for f in dataclasses.fields(args_type):
        if f.name not in program_inputs:
            assert getattr(standalone, f.name) == getattr(from_empty_config, f.name), f.name


def test_args_from_takes_the_program_inputs_over_the_section():
    args = args_from(BackupSettings(copy_to_peer=False), BackupsArgs, peer_provider=None, protect_vault=True)
    assert (args.copy_to_peer, args.protect_vault, args.peer_provider) == (False, True, None)
