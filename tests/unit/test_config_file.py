"""Edits of a stack file (`platformctl/config_file.py`): the edit a command makes is the same
whether it is computed or remembered, a refused edit writes nothing every time, comments stay."""

from __future__ import annotations

import shutil

import pytest

from platformctl.config_file import ConfigWriteError, StackConfigFile
from tests.conftest import ROOT


def copy_of_prod(tmp_path, name: str) -> StackConfigFile:
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(ROOT / "Pulumi.prod.yaml", folder / "Pulumi.prod.yaml")
    return StackConfigFile("prod", folder / "Pulumi.prod.yaml")


def test_the_same_edit_of_the_same_text_writes_the_same_file(tmp_path):
    first, second = copy_of_prod(tmp_path, "a"), copy_of_prod(tmp_path, "b")
    original = first.path.read_text()
    changes = {"traffic.blue": 90, "traffic.green": 10, "green.minSize": 2, "green.desiredCapacity": 2,
               "green.amiId": "ami-1e749f67"}
    first.update(changes)
    second.update(dict(changes))
    text = first.path.read_text()
    assert second.path.read_text() == text != original
    assert first.weights() == {"blue": 90, "green": 10}
    assert "# Any of these in ALARM during a cutover step rolls it back" in text  # comments kept
    assert "amiId: ami-0694d931cee176e7d   # Amazon Linux 2023 x86_64, eu-west-1" in text
    # A key the file did not have lands after the colour's others, in the order it was given.
    green = text.split("    green:\n", 1)[1].split("  cloud-platform:container:")[0]
    assert green.index("minSize: 2") < green.index("bootstrap: true") < green.index("amiId: ami-1e749f67")


def test_the_order_of_new_keys_is_the_callers(tmp_path):
    one, other = copy_of_prod(tmp_path, "a"), copy_of_prod(tmp_path, "b")
    one.update({"green.amiId": "ami-1e749f67", "green.userData": "echo ready"})
    other.update({"green.userData": "echo ready", "green.amiId": "ami-1e749f67"})
    assert one.web().colour("green").ami_id == other.web().colour("green").ami_id == "ami-1e749f67"
    first, second = one.path.read_text(), other.path.read_text()
    assert first.index("amiId: ami-1e749f67") < first.index("userData: echo ready")
    assert second.index("userData: echo ready") < second.index("amiId: ami-1e749f67")


@pytest.mark.parametrize("attempt", [1, 2])
def test_a_refused_edit_writes_nothing_each_time(tmp_path, attempt):
    config = copy_of_prod(tmp_path, f"refused{attempt}")
    before = config.path.read_text()
    with pytest.raises(ConfigWriteError, match=r"^refusing to write Pulumi\.prod\.yaml: .*traffic"):
        config.update({"traffic.blue": 70})  # 70 + 0 is not 100
    assert config.path.read_text() == before
    assert sorted(p.name for p in config.path.parent.iterdir()) == ["Pulumi.prod.yaml"]  # no temp file left
