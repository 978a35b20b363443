"""Commands say in one line what they need when it is missing (issue 13 item 5)."""

from __future__ import annotations

import sys

import pytest

from platformctl.prerequisites import PULUMI_CLI_INSTALL


@pytest.fixture
def no_pulumi_cli(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: no `pulumi` executable
    monkeypatch.delenv("PLATFORMCTL_STACK_BACKEND", raising=False)


@pytest.mark.parametrize("args", [
    ["status", "--stack", "dev"],
    ["cutover", "--stack", "dev", "--to", "green", "--yes"],
    ["latency", "--stack", "dev", "--runs", "1"],
])
def test_commands_on_a_deployed_stack_name_the_pulumi_cli(args, no_pulumi_cli, cli):
    code, out, err = cli(*args)
    assert code == 1, (out, err)
    assert err.startswith(f"error: {PULUMI_CLI_INSTALL}"), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("module,package", [("moto", "moto[server]"), ("aws_lambda_powertools", "aws-lambda-powertools")])
def test_sandbox_without_dev_requirements_names_the_package(module, package, monkeypatch, cli):
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, name)
    for name in [m for m in sys.modules if m.startswith(("platformctl.sandbox", "platformctl.local_messaging", "platformctl.moto_server", "functions."))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ModuleNotFoundError
    code, out, err = cli("sandbox", "--port", "0")
    assert code == 1, (out, err)
    assert err.strip() == ("error: platformctl sandbox needs the development requirements: "
                           f"pip install -r requirements-dev.txt (missing package: {package})")
