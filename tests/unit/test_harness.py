"""tests/conftest.py stays light: pytest-xdist's controller loads it and nothing else of the
harness, so the workers start without waiting for Pulumi and moto to import there. A fresh
interpreter is what is tested (sys.modules), hence the subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.cli.test_cli_startup import HEAVY
from tests.conftest import ROOT

PROBE = """
import json, sys
import tests.conftest
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))
"""


def test_conftest_imports_no_heavy_library():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert loaded.isdisjoint({*HEAVY, "offline"}), sorted(loaded & {*HEAVY, "offline"})
