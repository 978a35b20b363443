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
