"""Every control module; importing this package registers all policies."""

from . import compute, edge, governance, identity, messaging, network, personal_data, storage  # noqa: F401
