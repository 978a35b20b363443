"""Web settings: every bad value fails with one line naming key, value and what is allowed."""

from __future__ import annotations

import pytest

from tests.conftest import error_of, settings_with

NET = {"enabled": True}


def web_error(**web) -> str:
    return error_of(networking=NET, web={"enabled": True, **web})


def test_defaults_and_shipped_values_are_valid():
    s = settings_with(networking=NET, web={"enabled": True})
    assert s.web.traffic.as_dict() == {"blue": 100, "green": 0}
    assert (s.web.blue.min_size, s.web.green.max_size) == (1, 1)
    assert s.web.https is False


@pytest.mark.parametrize(
    ("web", "expected"),
    [
        ({"traffic": {"blue": 60, "green": 30}},
         "cloud-platform:web.traffic.blue + green must add up to 100 (got 60 + 30 = 90)"),
        ({"traffic": {"blue": 100, "red": 0}}, "cloud-platform:web.traffic.red is not a colour (allowed: blue, green)"),
        ({"traffic": {"blue": 101, "green": -1}}, "cloud-platform:web.traffic.blue must be <= 100 (got 101)"),
        ({"red": {"minSize": 1}}, "cloud-platform:web.red is not a colour (allowed: blue, green)"),
        ({"blue": {"minSize": -1}}, "cloud-platform:web.blue.minSize must be >= 0 (got -1)"),
        ({"green": {"maxSize": -2}}, "cloud-platform:web.green.maxSize must be >= 0 (got -2)"),
        ({"blue": {"minSize": 3, "maxSize": 2, "desiredCapacity": 2}},
         "cloud-platform:web.blue.minSize must be <= maxSize (got 3 > 2)"),
        ({"blue": {"minSize": 1, "maxSize": 2, "desiredCapacity": 5}},
         "cloud-platform:web.blue.desiredCapacity must be between minSize and maxSize (got 5, allowed 1..2)"),
        ({"green": {"bootstrap": False}},
         "cloud-platform:web.green.amiId or bootstrap is required: give a prebaked image id, bootstrap: true or "
         "userData (got no amiId, bootstrap: false, no userData)"),
        ({"green": {"amiId": "ubuntu"}}, "cloud-platform:web.green.amiId must match ^ami-[0-9a-f]{8,17}$ (got 'ubuntu')"),
        ({"instanceType": "large"}, "cloud-platform:web.instanceType must match"),
        ({"instanceType": "t3.huge"}, "cloud-platform:web.instanceType must match"),
        ({"appPort": 0}, "cloud-platform:web.appPort must be >= 1 (got 0)"),
        ({"healthCheckPath": "health"}, "cloud-platform:web.healthCheckPath must match"),
        ({"scaling": {"metric": "memory"}}, "cloud-platform:web.scaling.metric must be one of 'cpu' or 'requests' (got 'memory')"),
        ({"scaling": {"metric": "cpu", "target": 150}},
         "cloud-platform:web.scaling.target is a CPU percentage for metric cpu and must be <= 100 (got 150)"),
        ({"certificateArn": "my-cert"}, "cloud-platform:web.certificateArn must match"),
        ({"traffic": {"blue": 0, "green": 100}},
         "cloud-platform:web.green.minSize must be >= 1 while traffic.green is 100 (only a colour at weight 0 may be scaled to 0)"),
        ({"blue": {"minSize": 1, "maxSize": 2, "desiredCapacity": 1, "size": 3}},
         "cloud-platform:web.blue.size is not a known setting (allowed: minSize, maxSize, desiredCapacity, amiId, "
         "bootstrap, userData, version)"),
    ],
)
def test_invalid_web_settings(web, expected):
    message = web_error(**web)
    assert message.startswith(expected), message


def test_web_needs_networking():
    message = error_of(networking={"enabled": False}, web={"enabled": True})
    assert message == "cloud-platform:web.enabled requires cloud-platform:networking.enabled: true (it runs inside the VPC)"


def test_colour_at_weight_zero_may_be_scaled_to_zero():
    s = settings_with(networking=NET, web={"enabled": True, "green": {"minSize": 0, "maxSize": 0, "desiredCapacity": 0}})
    assert s.web.green.max_size == 0


@pytest.mark.parametrize("instance_type", ["t3.micro", "t4g.small", "m7i-flex.large", "c6gn.2xlarge", "m5.metal"])
def test_instance_types_accepted(instance_type):
    assert settings_with(networking=NET, web={"instanceType": instance_type}).web.instance_type == instance_type


def test_prebaked_or_custom_user_data_counts_as_provisioning():
    s = settings_with(networking=NET, web={"green": {"amiId": "ami-0123456789abcdef0", "bootstrap": False},
                                           "blue": {"minSize": 1, "desiredCapacity": 1, "bootstrap": False, "userData": "#!/bin/bash\necho hi"}})
    assert s.web.green.ami_id and s.web.blue.user_data


PINNED = {"requirePinnedImages": True}


@pytest.mark.parametrize(
    ("web", "expected"),
    [
        ({}, "cloud-platform:web.blue.amiId must be set while traffic.blue is 100 and requirePinnedImages is true "
             "(got none): a colour with traffic runs a pinned image; set the image it runs now "
             "(`platformctl status` shows it)"),
        ({"traffic": {"blue": 90, "green": 10},
          "blue": {"minSize": 1, "maxSize": 2, "desiredCapacity": 1, "amiId": "ami-0123456789abcdef0"},
          "green": {"minSize": 1, "maxSize": 2, "desiredCapacity": 1}},
         "cloud-platform:web.green.amiId must be set while traffic.green is 10"),
    ],
)
def test_unpinned_live_colour_is_refused_when_pinning_is_required(web, expected):
    message = web_error(**PINNED, **web)
    assert message.startswith(expected) and "\n" not in message, message


def test_idle_colour_may_follow_latest_while_the_live_one_is_pinned():
    s = settings_with(networking=NET, web={"enabled": True, **PINNED, "blue": {
        "minSize": 1, "maxSize": 2, "desiredCapacity": 1, "amiId": "ami-0123456789abcdef0"}})
    assert s.web.green.ami_id is None and s.web.blue.ami_id == "ami-0123456789abcdef0"


def test_shipped_prod_pins_its_live_colour():
    from components.settings import parse_settings
    from offline.stacks import stack_config

    prod = parse_settings(stack_config("prod"), stack="prod").web
    assert prod.require_pinned_images
    for colour, weight in prod.traffic.as_dict().items():
        assert weight == 0 or prod.colour(colour).ami_id, colour


@pytest.mark.parametrize(
    ("web", "expected"),
    [
        ({"rollout": {"testHeader": "X Colour"}}, "cloud-platform:web.rollout.testHeader must match"),
        ({"rollout": {"testSourceCidrs": ["office"]}},
         "cloud-platform:web.rollout.testSourceCidrs must be CIDR blocks such as 203.0.113.0/24 (got 'office')"),
        ({"rollout": {"testRulePriority": 0}}, "cloud-platform:web.rollout.testRulePriority must be >= 1 (got 0)"),
    ],
)
def test_invalid_rollout_settings(web, expected):
    message = web_error(**web)
    assert message.startswith(expected), message


def test_test_rules_and_container_rule_may_not_share_a_priority():
    message = error_of(networking=NET, web={"enabled": True, "rollout": {"testRulePriority": 99}},
                       container={"enabled": True, "listenerRulePriority": 100, "interfaceEndpoints": True})
    assert message == ("cloud-platform:container.listenerRulePriority must differ from web.rollout.testRulePriority "
                       "and the next one (99, 100) (got 100): both are rules of the same listener")
