"""The offline engine: the program run in-process under the recording mock, no cloud, no CLI.

- `offline.stacks`: stack files and their config as the engine hands it over,
- `offline.recording_mock`: the one recording mock (tests, `platformctl plan|check|cost|docs`),
- `offline.plan`: runs `__main__.py` for a stack under that mock (`run_offline` -> `Plan`),
- `offline.planindex`: relations between a plan's resources,
- `offline.sdk`: the one adapter over private Pulumi SDK internals.

Layers (import-linter contracts in pyproject.toml): components <- offline <- policy <- platformctl.
"""
