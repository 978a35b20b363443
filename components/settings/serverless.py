"""Settings of the Serverless component area."""

from __future__ import annotations

from .base import ComponentSection


class ServerlessSettings(ComponentSection):
    """Filled in by the Serverless component's issue."""
