"""The commands of `platformctl`, one module per area (each a typer app that `cli.py` merges)."""
