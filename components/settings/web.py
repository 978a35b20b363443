"""Settings of the Web component area."""

from __future__ import annotations

from .base import ComponentSection


class WebSettings(ComponentSection):
    """Filled in by the Web component's issue."""
