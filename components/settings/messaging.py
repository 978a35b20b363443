"""Settings of the Messaging component area."""

from __future__ import annotations

from .base import ComponentSection


class MessagingSettings(ComponentSection):
    """Filled in by the Messaging component's issue."""
