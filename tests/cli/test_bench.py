"""`make bench` runs and prints its table (CI runs the quick mode; no thresholds: timing is
measured by the bench, never asserted in tests)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_quick_bench_prints_a_row_with_a_ratio():
    """The cheapest row; `make test` runs every quick row after pytest."""
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "bench" / "bench.py"), "--quick", "--only", "help"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and not line.startswith("| measurement")]
    names = [row.split("|")[1].strip() for row in rows]
    assert names == ["--help"]
    assert all(row.split("|")[6].strip().endswith("x") for row in rows)
    assert done.stdout.startswith("machine: ")
