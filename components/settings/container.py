"""Settings of the Container component area."""

from __future__ import annotations

from .base import ComponentSection


class ContainerSettings(ComponentSection):
    """Filled in by the Container component's issue."""
