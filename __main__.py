"""cloud-platform: load settings, build components, export outputs (see components/program.py)."""

import gc

# A program run is one short process that registers a few hundred resources and exits. The
# cyclic GC would rescan the SDK's long-lived objects on every generation-0 threshold (about a
# third of the run's CPU) and free next to nothing: off for this process (docs/performance.md).
gc.disable()

from components.program import run  # noqa: E402 (after the GC switch: imports are most of the objects)

run()
