"""ContainerService settings: every bad value is one line naming the key, the value, what is allowed."""

from __future__ import annotations

import json

import pytest

from components.settings import SettingsError, parse_settings
from components.settings.container import FARGATE_SIZES, ContainerSettings, fargate_memory_ok
from tests.conftest import MINIMAL_CONFIG, one_line_error

BASE = MINIMAL_CONFIG
# natStrategy defaults to none: the tasks need interface endpoints to start
ENABLED = {"enabled": True, "interfaceEndpoints": True}



def args(settings):
    """The component's args as the program maps them (base path, platform live there)."""
    from components.container_args import ContainerServiceArgs
    from components.platform import args_from

    return args_from(settings, ContainerServiceArgs, environment="test", region="eu-west-1", vpc_id="vpc-1",
                     private_subnet_ids=[], public_subnet_ids=[], image_tag="t")

def container(**values):
    config = {**BASE, "cloud-platform:container": json.dumps({**ENABLED, **values})}
    return parse_settings(config, stack="dev").container


def error_of(**values) -> str:
    return one_line_error(container, **values)


def test_defaults_are_the_smallest_valid_service():
    c = container()
    assert (c.cpu, c.memory, c.desired_count, c.spot_share) == (256, 512, 1, 0)
    assert c.path_patterns == ["/app", "/app/*"] and args(c).base_path == "/app"
    assert c.ecr.image_tag_mutability == "IMMUTABLE" and not c.ecr.force_delete
    assert args(c).platform == "linux/amd64" and args(c).cpu_architecture == "X86_64"
    assert args(container(architecture="arm64")).platform == "linux/arm64"


@pytest.mark.parametrize(
    "cpu,good,bad",
    [
        (256, [512, 1024, 2048], [256, 1536, 3072]),
        (512, [1024, 2048, 4096], [512, 1536, 5120]),
        (1024, [2048, 8192], [1024, 9216, 2560]),
        (2048, [4096, 16384], [3072, 17408]),
        (4096, [8192, 30720], [7168, 31744]),
        (8192, [16384, 20480, 61440], [17408, 65536]),
        (16384, [32768, 40960, 122880], [36864, 131072]),
    ],
)
def test_fargate_size_table(cpu, good, bad):
    assert all(fargate_memory_ok(cpu, m) for m in good)
    assert not any(fargate_memory_ok(cpu, m) for m in bad)
    for memory in good:
        assert container(cpu=cpu, memory=memory).memory == memory


@pytest.mark.parametrize(
    "values,message",
    [
        ({"cpu": 1024, "memory": 1024},
         "cloud-platform:container.memory 1024 is not valid with cpu 1024 (allowed: 2048-8192 in steps of 1024)"),
        ({"cpu": 256, "memory": 1536},
         "cloud-platform:container.memory 1536 is not valid with cpu 256 (allowed: 512, 1024, 2048)"),
        ({"cpu": 8192, "memory": 17408},
         "cloud-platform:container.memory 17408 is not valid with cpu 8192 (allowed: 16384-61440 in steps of 4096)"),
        ({"cpu": 300, "memory": 512},
         "cloud-platform:container.cpu 300 is not a Fargate size (allowed: 256, 512, 1024, 2048, 4096, 8192, 16384)"),
        ({"desiredCount": 101, "maxCapacity": 100}, "cloud-platform:container.desiredCount must be <= 100 (got 101)"),
        ({"desiredCount": -1}, "cloud-platform:container.desiredCount must be >= 0 (got -1)"),
        ({"desiredCount": 3, "maxCapacity": 2},
         "cloud-platform:container.desiredCount must be between minCapacity and maxCapacity (got 1 <= 3 <= 2 false)"),
        ({"desiredCount": 1, "minCapacity": 2, "maxCapacity": 4},
         "cloud-platform:container.desiredCount must be between minCapacity and maxCapacity (got 2 <= 1 <= 4 false)"),
        ({"spotShare": 101}, "cloud-platform:container.spotShare must be <= 100 (got 101)"),
        ({"spotShare": -5}, "cloud-platform:container.spotShare must be >= 0 (got -5)"),
        ({"pathPatterns": ["app/*"]}, "cloud-platform:container.pathPatterns 'app/*' must start with '/'"),
        ({"pathPatterns": ["/a b"]}, "cloud-platform:container.pathPatterns '/a b' must start with '/'"),
        ({"pathPatterns": []},
         "cloud-platform:container.pathPatterns must not be empty unless hostHeader is set (the listener rule needs a condition)"),
        ({"pathPatterns": ["/a", "/b", "/c", "/d", "/e"], "hostHeader": "x.example.com"},
         "cloud-platform:container.pathPatterns plus hostHeader may hold at most 5 values (ALB rule condition limit)"),
        ({"hostHeader": "not a host"}, "cloud-platform:container.hostHeader must be a host name such as app.example.com"),
        ({"listenerRulePriority": 0}, "cloud-platform:container.listenerRulePriority must be >= 1 (got 0)"),
        ({"listenerRulePriority": 50001}, "cloud-platform:container.listenerRulePriority must be <= 50000 (got 50001)"),
        ({"architecture": "amd64"}, "cloud-platform:container.architecture must be one of 'x86_64' or 'arm64' (got 'amd64')"),
        ({"logRetentionDays": 10}, "cloud-platform:container.logRetentionDays must be one of 1, 3, 5, 7, 14, 30"),
        ({"containerPort": 80}, "cloud-platform:container.containerPort must be >= 1024 (got 80)"),
        ({"imageVersion": "latest"}, "cloud-platform:container.imageVersion must be a fixed version, not 'latest'"),
        ({"containerInsights": "on"}, "cloud-platform:container.containerInsights must be one of 'enabled', 'enhanced' or 'disabled'"),
        ({"ecr": {"keepImages": 0}}, "cloud-platform:container.ecr.keepImages must be >= 1 (got 0)"),
        ({"ecr": {"imageTagMutability": "immutable"}},
         "cloud-platform:container.ecr.imageTagMutability must be one of 'MUTABLE' or 'IMMUTABLE' (got 'immutable')"),
        ({"ecr": {"encryption": "none"}}, "cloud-platform:container.ecr.encryption must be one of 'AES256' or 'KMS'"),
        ({"cpus": 256}, "cloud-platform:container.cpus is not a known setting (allowed: enabled, cpu, memory,"),
    ],
)
def test_invalid_values_give_one_line(values, message):
    assert error_of(**values).startswith(message)


def test_no_nat_needs_interface_endpoints():
    with pytest.raises(SettingsError) as info:
        container(interfaceEndpoints=False)
    assert str(info.value).startswith(
        "cloud-platform:container.interfaceEndpoints must be true when networking.natStrategy is none"
    )
    config = {**BASE, "cloud-platform:networking": json.dumps({"natStrategy": "single"}),
              "cloud-platform:container": json.dumps({"enabled": True})}
    assert parse_settings(config, stack="dev").container.interface_endpoints is False


def test_host_header_alone_is_a_valid_route():
    c = container(pathPatterns=[], hostHeader="app.example.com")
    assert args(c).base_path == "" and c.host_header == "app.example.com"


def test_every_listed_cpu_has_a_memory_range():
    for cpu in FARGATE_SIZES:
        assert any(fargate_memory_ok(cpu, m) for m in range(512, 131072, 512))
    assert ContainerSettings().enabled is False
