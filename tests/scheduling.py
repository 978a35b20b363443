"""The order tests are handed to pytest-xdist's workers in (tests/conftest.py's collection hook)."""

from __future__ import annotations

import os


def spread_long_tests(items: list) -> None:
    """Tests marked `long` (tens of seconds, mostly waiting on queues, timeouts and processes)
    start first, one per worker, so the workers overlap them with the short ones instead of one
    worker running them all while the other idles at the end.

    `--dist load` hands each worker a first batch of consecutive tests (a quarter of its share,
    at least 2) and then refills whoever is free: the k-th long test goes to the head of worker
    k's batch (k modulo the worker count). Every worker computes the same order from the same
    collection, as xdist requires; the short tests keep their order."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    long = [item for item in items if item.get_closest_marker("long")]
    short = [item for item in items if not item.get_closest_marker("long")]
    batch = max(len(items) // workers // 4, 2)
    ordered: list = []
    for worker in range(workers):
        heads = long[worker::workers]
        fill = max(batch - len(heads), 0)
        ordered += heads + short[:fill]
        del short[:fill]
    items[:] = ordered + short
