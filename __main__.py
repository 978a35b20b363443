"""cloud-platform: load settings, build components, export outputs (see components/program.py)."""

import atexit
import gc

# A program run is one short process that registers a few hundred resources and exits. The
# cyclic GC would rescan the SDK's long-lived objects on every generation-0 threshold (about a
# third of the run's CPU) and free next to nothing: off for this process (docs/performance.md).
gc.disable()
# The interpreter's shutdown still runs full collections over every object the imports and the
# run made (about a quarter of a prod plan's CPU) to free memory the exiting process hands back
# anyway; atexit callbacks run before them, and frozen objects are left out. Unregister first:
# a test process runs this file once per plan and needs the callback once.
atexit.unregister(gc.freeze)
atexit.register(gc.freeze)

from components.program import run  # noqa: E402 (after the GC switch: imports are most of the objects)

run()
