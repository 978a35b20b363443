"""The offline engine runs a program without the cyclic GC and gives the caller's GC back."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from offline.plan import run_offline
from tests.conftest import ROOT

PROGRAM = """
import gc
import pathlib

import pulumi

pathlib.Path(__file__).with_name("gc-during-run").write_text(str(gc.isenabled()))
pulumi.export("ok", True)
"""


def test_gc_is_off_during_the_run_and_restored_after(tmp_path):
    (tmp_path / "__main__.py").write_text(PROGRAM)
    (tmp_path / "Pulumi.t.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    assert gc.isenabled()
    plan = run_offline("t", root=tmp_path)
    assert plan.outputs == {"ok": True}
    assert (tmp_path / "gc-during-run").read_text() == "False"
    assert gc.isenabled()
    gc.disable()
    try:
        run_offline("t", root=tmp_path)
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


# Registered before the entry point runs, so it runs after the entry point's own exit callbacks
# (atexit is last-in, first-out) and just before the interpreter's shutdown collections.
REPORT_AT_EXIT = """
import atexit, gc, sys
atexit.register(lambda: print(f"frozen at exit: {gc.get_freeze_count() > 0}, gc on: {gc.isenabled()}"))
"""


def exit_state(tmp_path, script: str) -> str:
    result = subprocess.run([sys.executable, "-c", REPORT_AT_EXIT + script], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def test_the_cli_leaves_its_objects_out_of_the_shutdown_collections(tmp_path):
    assert exit_state(tmp_path, "sys.argv = ['platformctl', '--help']\n"
                                "import runpy; runpy.run_module('platformctl', run_name='__main__')"
                      ) == "frozen at exit: True, gc on: False"


def test_the_program_leaves_its_objects_out_of_the_shutdown_collections(tmp_path):
    # The program's entry point only, not a plan: components.program.run stands in as a no-op.
    script = ("import types; program = types.ModuleType('components.program'); program.run = lambda: None\n"
              "sys.modules['components.program'] = program\n"
              f"import runpy; runpy.run_path({str(ROOT / '__main__.py')!r}, run_name='__main__')")
    assert exit_state(tmp_path, script) == "frozen at exit: True, gc on: False"


def test_without_the_entry_points_nothing_is_frozen(tmp_path):
    """The check can fail: a plain interpreter freezes nothing."""
    assert exit_state(tmp_path, "pass") == "frozen at exit: False, gc on: True"
