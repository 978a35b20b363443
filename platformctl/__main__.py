import gc

# Short-lived command process: no cyclic GC while the imports and the plan build their objects
# (a third of a plan's CPU, nothing freed). Long-running commands (sandbox) turn it back on.
gc.disable()

from platformctl.cli import main  # noqa: E402

main()
