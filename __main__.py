"""cloud-platform: load settings, build components, export outputs (see components/program.py)."""

from components.program import run

run()
