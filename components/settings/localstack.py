"""Settings of the LocalStack sandbox stack (`Pulumi.local.yaml`)."""

from __future__ import annotations

from pydantic import Field

from .base import Section


class LocalStackSettings(Section):
    """Point every explicit AWS provider of the stack at one LocalStack edge endpoint.

    The program builds its own `aws.Provider`s (for tags and regions), and explicit
    providers ignore the `aws:endpoints` / `aws:skip*` stack config keys, so the sandbox
    needs its own validated section instead.
    """

    endpoint: str = Field(
        pattern=r"^https?://(localhost|127\.0\.0\.1|\[::1\]|[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)(:[0-9]{1,5})?/?$",
        description="LocalStack edge URL, e.g. http://localhost:4566 (http or https, host, optional port).",
    )
