"""Config that AWS would reject, or that silently changes the stack, is refused (issue 13 item 4):
`plan`, `check` and `cost` exit 2 with one line naming what is wrong, no traceback; the same
checks run under `pulumi up` (load_settings / parse_settings)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.settings import AWS_PROVIDER_KEYS, SettingsError, parse_settings
from offline.stacks import stack_config

ROOT = Path(__file__).resolve().parents[2]
DEV = (ROOT / "Pulumi.dev.yaml").read_text()


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project copy whose `Pulumi.bad.yaml` a test writes; commands plan it from there."""
    import offline.plan as engine
    import offline.stacks as stacks

    for name in ("__main__.py", "Pulumi.yaml"):
        (tmp_path / name).symlink_to(ROOT / name)
    real = engine.run_offline
    monkeypatch.setattr(stacks, "ROOT", tmp_path)
    monkeypatch.setattr(engine, "run_offline",
                        lambda stack, overrides=None, root=None, mocks=None: real(stack, overrides, tmp_path, mocks))

    def write(content: str | bytes) -> None:
        path = tmp_path / "Pulumi.bad.yaml"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())

    return write


def dev_with(old: str, new: str) -> str:
    assert old in DEV, old
    return DEV.replace(old, new, 1)


CASES = {
    "duplicate key": (
        DEV + "  cloud-platform:environment: prod\n",
        r"^error: Pulumi\.bad\.yaml: key 'cloud-platform:environment' appears twice \(lines \d+ and \d+\); "
        r"YAML would keep only the last$"),
    "duplicate nested key": (
        dev_with("    azCount: 2\n", "    azCount: 2\n    azCount: 3\n"),
        r"^error: Pulumi\.bad\.yaml: key 'azCount' appears twice \(lines \d+ and \d+\)"),
    "namespace without dash": (
        dev_with("  cloud-platform:web:", "  cloudplatform:web:"),
        r"^error: cloudplatform:web is in no known namespace 'cloudplatform' \(did you mean cloud-platform:web\?\); "
        r"known: cloud-platform, aws, pulumi, awsx, docker, docker-build$"),
    "namespace misspelt": (
        dev_with("  cloud-platform:container:", "  cloud-platfrom:container:"),
        r"^error: cloud-platfrom:container is in no known namespace 'cloud-platfrom' "
        r"\(did you mean cloud-platform:container\?\)"),
    "aws key typo": (
        dev_with("  aws:region: eu-west-1", "  aws:regoin: eu-west-1"),
        r"^error: aws:regoin is not a setting of the aws provider \(did you mean aws:region\?\)$"),
    "list document": ("- config\n- aws:region\n", r"^error: Pulumi\.bad\.yaml must be a mapping with a 'config' mapping \(got a list\)$"),
    "scalar document": ("just text\n", r"^error: Pulumi\.bad\.yaml must be a mapping with a 'config' mapping \(got a string\)$"),
    "config is a list": ("config:\n  - aws:region\n",
                         r"^error: Pulumi\.bad\.yaml: 'config' must be a mapping of namespace:key settings \(got a list\)$"),
    "not UTF-8": (DEV.encode("utf-8").replace(b"platform-team", b"platform-t\xe9am"),
                  r"^error: Pulumi\.bad\.yaml is not UTF-8 text \(byte 0xe9 at offset \d+\)$"),
    "zones of the region": (
        dev_with("    azCount: 2\n", "    azCount: 5\n"),
        r"^error: cloud-platform:networking\.azCount must be <= 3 in region eu-west-1, which offers "
        r"eu-west-1a, eu-west-1b, eu-west-1c \(got 5\)$"),
    "allowedOrigin over http": (
        dev_with('    allowedOrigin: "*"', '    allowedOrigin: "http://www.example.org"'),
        r"^error: cloud-platform:serverless\.allowedOrigin must be \*, site or one https:// origin "
        r"such as https://www\.example\.org \(got 'http://www\.example\.org'\)$"),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", ["plan", "check", "cost"])
def test_refused_with_one_line_and_exit_2(case, command, project, cli):
    content, expected = CASES[case]
    project(content)
    code, out, err = cli(command, "--stack", "bad")
    assert code == 2, (out, err)
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert re.match(expected, err.strip()), err


# --- the same refusals when Pulumi runs the program ------------------------------------------------

@pytest.mark.parametrize("key,expected", [
    ("cloudplatform:web", "cloudplatform:web is in no known namespace 'cloudplatform' (did you mean cloud-platform:web?)"),
    ("aws:regoin", "aws:regoin is not a setting of the aws provider (did you mean aws:region?)"),
    ("web", "config key 'web' must have the form namespace:key (e.g. cloud-platform:web)"),
])
def test_parse_settings_refuses_unknown_keys_outside_the_namespace(key, expected):
    config = stack_config("dev")
    config[key] = "{}"
    with pytest.raises(SettingsError) as info:
        parse_settings(config, "dev")
    assert str(info.value).startswith(expected)


def test_shipped_stacks_use_only_known_keys():
    for stack in ("dev", "prod", "local"):
        assert parse_settings(stack_config(stack), stack).stack == stack


def test_aws_provider_keys_cover_the_installed_provider():
    """The list follows pulumi-aws: every key its config module reads is known."""
    import pulumi_aws

    source = (Path(pulumi_aws.__file__).parent / "config" / "vars.py").read_text()
    assert set(re.findall(r"__config__\.get\w*\('(\w+)'\)", source)) <= AWS_PROVIDER_KEYS
