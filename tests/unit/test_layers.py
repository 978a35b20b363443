"""The import-linter contracts in pyproject.toml: kept by the tree, and able to catch a broken layer."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))
PACKAGES = ("components", "offline", "platformctl", "policy", "functions")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT_IMPORTS, "--config", str(ROOT / "pyproject.toml"), "--no-cache"], cwd=cwd,
                          capture_output=True, text=True, env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
                          check=False)


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "components" / "settings").mkdir()
    (tmp_path / "components" / "settings" / "__init__.py").write_text("")
    for path, text in files.items():
        (tmp_path / path).write_text(text)
    return tmp_path


def test_the_old_circle_is_refused(tmp_path):
    """components -> policy -> platformctl -> components, as it was before the offline package."""
    tree = _tree(tmp_path, {
        "components/settings/compliance.py": "import policy.registry\n",
        "policy/registry.py": "import platformctl.stacks\n",
        "platformctl/stacks.py": "import components.program\n",
        "components/program.py": "import components.settings.compliance\n",
    })
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "Layers: CLI over policy pack over offline engine over components BROKEN" in result.stdout
    assert "components.settings.compliance -> policy.registry" in result.stdout


def test_settings_and_building_blocks_stay_below_the_program(tmp_path):
    tree = _tree(tmp_path, {
        "components/settings/web.py": "import components.bucket\n",
        "components/bucket.py": "import components.program\n",
        "components/program.py": "",
        "functions/handler.py": "import offline\n",
    })
    out = lint_imports(tree).stdout
    assert "Settings import no other part of components BROKEN" in out
    assert "Building blocks do not import the program BROKEN" in out
    assert "Lambda handlers import no component, engine, CLI or policy code BROKEN" in out


def test_make_lint_runs_the_contracts():
    lint = (ROOT / "Makefile").read_text().split("\nlint:")[1].split("\n\n")[0]
    assert "lint-imports" in lint
    assert shutil.which(LINT_IMPORTS)
