"""The offline engine runs a program without the cyclic GC and gives the caller's GC back."""

from __future__ import annotations

import gc

from offline.plan import run_offline

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
