"""Settings: every bad value fails with one line naming key, value and what is allowed."""

from __future__ import annotations

import pytest

from components.settings import SettingsError, parse_settings
from components.settings.networking import subnet_cidrs
from tests.conftest import MINIMAL_CONFIG, error_of, settings_with

BASE = MINIMAL_CONFIG


def test_defaults_are_valid_and_tags_complete():
    s = settings_with()
    assert s.networking.az_count == 2 and s.networking.nat_strategy == "none"
    assert s.prefix == "cloud-platform-dev"
    assert s.tags == {
        "Project": "cloud-platform",
        "Environment": "dev",
        "Owner": "platform-team",
        "ManagedBy": "pulumi",
        "CostCenter": "cc-1",
    }


@pytest.mark.parametrize(
    ("networking", "expected"),
    [
        ({"cidr": "not-a-cidr"}, "cloud-platform:networking.cidr must be an IPv4 network in CIDR notation"),
        ({"cidr": "10.0.0.1/16"}, "cloud-platform:networking.cidr must be an IPv4 network"),
        ({"cidr": "8.8.0.0/16"}, "cloud-platform:networking.cidr must be a private (RFC 1918) range (got '8.8.0.0/16')"),
        (
            {"cidr": "10.0.0.0/24", "azCount": 3, "subnetPrefix": 26},
            "cloud-platform:networking.cidr 10.0.0.0/24 is too small for 6 subnets of /26",
        ),
        ({"cidr": "10.0.0.0/20", "subnetPrefix": 20}, "cloud-platform:networking.subnetPrefix must be longer than the VPC prefix /20"),
        ({"azCount": 0}, "cloud-platform:networking.azCount must be >= 1 (got 0)"),
        ({"azCount": 7}, "cloud-platform:networking.azCount must be <= 6 (got 7)"),
        ({"natStrategy": "double"}, "cloud-platform:networking.natStrategy must be one of 'none', 'instance', 'single' or 'per_az' (got 'double')"),
        (
            {"peer": {"region": "eu-central-1", "cidr": "10.0.128.0/17"}},
            "cloud-platform:networking.peer.cidr 10.0.128.0/17 overlaps the home VPC cidr 10.0.0.0/16",
        ),
        (
            {"peer": {"region": "eu-west-1", "cidr": "10.1.0.0/16"}},
            "cloud-platform:networking.peer.region must differ from the home region aws:region",
        ),
        ({"azcount": 2}, "cloud-platform:networking.azcount is not a known setting (allowed: "),
        ({"peer": {"region": "eu-central-1", "cidr": "10.1.0.0/16", "nat": "x"}}, "cloud-platform:networking.peer.nat is not a known setting"),
        ({"flowLogs": {"retentionDays": 8}}, "cloud-platform:networking.flowLogs.retentionDays must be one of 1, 3, 5, 7"),
        ({"peer": {"region": "mars-1", "cidr": "10.1.0.0/16"}}, "cloud-platform:networking.peer.region must match"),
    ],
)
def test_invalid_networking(networking, expected):
    assert error_of(networking=networking).startswith(expected)


def test_unknown_top_level_key_is_named():
    with pytest.raises(SettingsError, match=r"^cloud-platform:netwrking is not a known setting \(allowed: .*networking"):
        parse_settings({**BASE, "cloud-platform:netwrking": "{}"}, stack="dev")


def test_region_and_globals():
    with pytest.raises(SettingsError, match=r"^aws:region must be an AWS region such as eu-west-1 \(got 'Ireland'\)$"):
        parse_settings({**BASE, "aws:region": "Ireland"}, stack="dev")
    with pytest.raises(SettingsError, match=r"^cloud-platform:owner is required$"):
        parse_settings({k: v for k, v in BASE.items() if k != "cloud-platform:owner"}, stack="dev")
    assert error_of(environment="Prod!").startswith("cloud-platform:environment must match")


def test_iam_names_are_ascii_as_iam_requires():
    # IAM's "\\w" is [A-Za-z0-9_]: a non-ASCII letter fails at create time, so settings refuse it.
    assert settings_with(permissionsBoundary="github-deploy/cloud-platform-boundary").permissions_boundary
    assert error_of(permissionsBoundary="github-deploy/bóundary").startswith("cloud-platform:permissionsBoundary must match")
    assert error_of(backup={"breakGlassRoleName": "Zugriff-Notfall-Rölle"}).startswith(
        "cloud-platform:backup.breakGlassRoleName must match")
    assert settings_with(backup={"breakGlassRoleName": "break_glass+ops=1,a.b@c-d"}).backup.break_glass_role_name


def test_subnets_are_disjoint_and_inside_the_vpc():
    import ipaddress

    s = settings_with(networking={"cidr": "10.1.0.0/16", "azCount": 6, "subnetPrefix": 20})
    public, private = subnet_cidrs(s.networking)
    nets = [ipaddress.ip_network(c) for c in public + private]
    assert len(nets) == 12
    assert all(n.subnet_of(ipaddress.ip_network("10.1.0.0/16")) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
