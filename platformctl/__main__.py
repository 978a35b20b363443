import atexit
import gc

# Short-lived command process: no cyclic GC while the imports and the plan build their objects
# (a third of a plan's CPU, nothing freed), and none of the interpreter's full collections at
# shutdown either (another quarter, walking every object to free memory the exiting process
# hands back anyway; atexit callbacks run before them). Long-running commands (sandbox) turn
# the GC back on.
gc.disable()
atexit.register(gc.freeze)

from platformctl.cli import main  # noqa: E402

main()
