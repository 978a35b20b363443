"""Every control module; importing this package registers all policies."""

from . import compute, edge, governance, identity, messaging, network, storage  # noqa: F401
