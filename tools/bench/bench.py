"""`make bench`: the project's performance figures, measured in one run, paired, with ratios.

Each row runs a command and its baseline alternately (A B A B ...) in fresh processes and
reports the medians of CPU time (user + system of the child: stable on a shared machine)
and wall time, and the median of the per-pair CPU ratios. Rows:

  plan dev|prod      `platformctl plan` vs floor.py (same pulumi_aws classes, same resources, trivial mock)
  --help             `platformctl --help` vs `import typer`
  handler <name>     cold import of each Lambda handler vs the libraries it imports (boto3, Powertools...)
  sandbox start-up   `platformctl sandbox` until it prints its URLs (no baseline)
  suite              the whole pytest suite, wall time (no baseline; skipped by --quick)
  cost dev           monthly estimate (list and --free-tier) vs the floor's priced items

Bytecode caches are written by a warm-up run of each command (PYTHONDONTWRITEBYTECODE is
dropped for the children), so the figures are those of a warm checkout.

usage: python tools/bench/bench.py [--runs N] [--quick] [--only plan,help,handlers,sandbox,suite,cost]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
HANDLERS = ("api.handler", "notifier.app", "worker.app")


@dataclass
class Row:
    name: str
    cpu: float
    wall: float
    base_cpu: float | None = None
    base_wall: float | None = None
    ratio: float | None = None
    note: str = ""


def run(cmd: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one child process; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env={**ENV, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"bench: {' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall


def paired(name: str, cmd: list[str], base: list[str], runs: int, cwd: Path = ROOT, note: str = "",
           env: dict[str, str] | None = None) -> Row:
    run(cmd, cwd, env), run(base, cwd, env)  # warm-up: bytecode caches, page cache
    a, b = [], []
    for _ in range(runs):
        a.append(run(cmd, cwd, env))
        b.append(run(base, cwd, env))
    ratio = statistics.median(x[0] / y[0] for x, y in zip(a, b, strict=True))
    med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
    return Row(name, med(a, 0), med(a, 1), med(b, 0), med(b, 1), ratio, note)


def plan_rows(runs: int, tmp: Path) -> list[Row]:
    rows = []
    for stack in ("dev", "prod"):
        plan = tmp / f"{stack}.json"
        cmd = [PY, "-m", "platformctl", "plan", "--stack", stack, "--format", "json", "--output", str(plan)]
        run(cmd)
        count = len(json.loads(plan.read_text())["resources"])
        floor = [PY, str(ROOT / "tools" / "bench" / "floor.py"), str(plan)]
        rows.append(paired(f"plan {stack}", cmd, floor, runs, note=f"{count} resources; baseline floor.py"))
    return rows


def help_row(runs: int) -> Row:
    return paired("--help", [PY, "-m", "platformctl", "--help"], [PY, "-c", "import typer"], runs,
                  note="baseline `import typer`")


def imports_of(package: Path) -> list[str]:
    """The absolute import statements of a handler package's modules, as written (`from pydantic
    import BaseModel` loads far more than `import pydantic`): what its cold start must load."""
    found = set()
    for path in package.glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and node.level == 0
                                                and node.module != "__future__"):
                found.add(ast.unparse(node))
    return sorted(found)


def handler_rows(runs: int) -> list[Row]:
    rows = []
    functions = ROOT / "functions"
    for handler in HANDLERS:
        package = functions / handler.split(".")[0]
        if not package.is_dir():
            continue
        libraries = imports_of(package)
        base = [PY, "-c", "; ".join(libraries) or "pass"]
        # Lambda imports `<package>.<module>` with functions/ as the code root; dev's environment
        # (tracing off: with it on, Powertools' Tracer loads and patches the X-Ray SDK at import).
        rows.append(paired(f"handler {handler}", [PY, "-c", f"import {handler}"], base, runs, cwd=functions,
                           env={"POWERTOOLS_TRACE_DISABLED": "true"},
                           note=f"baseline: {len(libraries)} imports of the package; tracing off (dev)"))
    return rows


def sandbox_row(runs: int) -> Row:
    walls, cpus = [], []
    for _ in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.Popen([PY, "-m", "platformctl", "sandbox", "--port", "0", "--api-port", "0"], cwd=ROOT,
                                env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready = None
        for line in proc.stdout:
            if line.startswith("worker_table: "):
                ready = time.perf_counter() - start
                break
        proc.terminate()
        proc.wait(timeout=30)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if ready is None:
            raise SystemExit("bench: the sandbox did not print its URLs")
        walls.append(ready)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return Row("sandbox start-up", statistics.median(cpus[1:]), statistics.median(walls[1:]),
               note="until its URLs are printed (CPU includes shutdown)")


def suite_row() -> Row:
    cpu, wall = run([PY, "-m", "pytest", "-q", "-n", "auto", "-p", "no:cacheprovider"])
    return Row("suite (pytest -n auto)", cpu, wall, note="whole suite as `make test` runs it, once")


def cost_rows(tmp: Path) -> list[Row]:
    """Monthly $ of dev (list and free tier) against the priced floor items (cost_floor.py)."""
    from cost_floor import floor_estimate

    floor, items = floor_estimate()
    rows = []
    for flag, label in (([], "cost dev (list)"), (["--free-tier"], "cost dev (--free-tier)")):
        out = tmp / "cost.json"
        run([PY, "-m", "platformctl", "cost", "--stack", "dev", "--format", "json", "--output", str(out), *flag])
        total = json.loads(out.read_text())["total"]
        rows.append(Row(label, total, 0.0, floor, None, total / floor, note=f"USD/month; floor: {items}"))
    return rows


def table(rows: list[Row], machine: str) -> str:
    lines = [f"machine: {machine}", "",
             "| measurement | CPU s | wall s | baseline CPU s | baseline wall s | ratio (CPU) | note |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        if r.name.startswith("cost"):
            lines.append(f"| {r.name} | ${r.cpu:.2f} | | ${r.base_cpu:.2f} | | {r.ratio:.2f}x | {r.note} |")
            continue
        base = (f"{r.base_cpu:.2f} | {r.base_wall:.2f} | {r.ratio:.2f}x" if r.base_cpu is not None else "- | - | -")
        lines.append(f"| {r.name} | {r.cpu:.2f} | {r.wall:.2f} | {base} | {r.note} |")
    return "\n".join(lines)


def machine() -> str:
    load = os.getloadavg()[0]
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {load:.1f}, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="pairs per row (default 5)")
    parser.add_argument("--quick", action="store_true", help="1 pair per row, no suite: CI checks that it runs")
    parser.add_argument("--only", default="plan,help,handlers,sandbox,suite,cost", help="comma-separated rows")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    only = set(args.only.split(","))
    if args.quick:
        only.discard("suite")
    sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT)]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        if "plan" in only:
            rows += plan_rows(runs, Path(tmp))
        if "help" in only:
            rows.append(help_row(runs))
        if "handlers" in only:
            rows += handler_rows(runs)
        if "sandbox" in only:
            rows.append(sandbox_row(runs))
        if "cost" in only:
            rows += cost_rows(Path(tmp))
        if "suite" in only:
            rows.append(suite_row())
    print(table(rows, machine()))


if __name__ == "__main__":
    main()
