"""The commands of `platformctl`, one module per area (each a typer app that `cli.py` merges).

These modules do not use `from __future__ import annotations`: typer would then evaluate every
option's annotation string again when it builds the commands, about half of the CLI's own
start-up CPU (`--help`: 29 -> 15 ms median besides `import typer`).
"""
