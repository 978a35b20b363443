"""Input rules of the API: pure functions raising `InvalidInputError` with the text users see."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

MAX_BODY_BYTES = 4096  # a subscription is two short strings; anything bigger is not one
NAME_MAX = 64
EMAIL_MAX = 254  # RFC 5321 path limit

# Pragmatic address check (what browsers' <input type=email> accept), not full RFC 5322.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


# The address characters that may stand unencoded in a URL path segment (RFC 3986 pchar):
# the local part's `# % / ? ^ ` { | }` cannot, so an address with them has no path form.
_PATH_EMAIL = re.compile(r"^[A-Za-z0-9.!$&'*+=_~-]{1,64}@[A-Za-z0-9.-]{1,253}$")


class InvalidInputError(Exception):
    """A client error: `status` and a message that is safe to show to the user."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError("name is required")
    value = value.strip()
    if len(value) > NAME_MAX:
        raise InvalidInputError(f"name must be at most {NAME_MAX} characters")
    if not value.isprintable():
        raise InvalidInputError("name must contain printable characters only")
    return value


def email(value: Any) -> str:
    """A valid address, lower-cased so that one mailbox is one subscriber."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError("email is required")
    value = value.strip()
    if len(value) > EMAIL_MAX or not _EMAIL.match(value) or ".." in value:
        raise InvalidInputError("email must be a valid e-mail address")
    return value.lower()


def path_email(value: str) -> str:
    """The address of a path segment, exactly as API Gateway delivers it (decoded once).

    No further decoding: `x%2541y@...` arrives as `x%41y@...` and is refused here, instead of
    becoming `xAy@...` (someone else's record) after a second unquote.
    """
    if not _PATH_EMAIL.match(value):
        raise InvalidInputError("email in the path may contain only letters, digits, @ and . _ + - ! $ & ' * = ~")
    return email(value)


def json_object(body: str | None, is_base64: bool, content_type: str | None) -> dict[str, Any]:
    """The request body as a JSON object, after content type, size and syntax checks."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise InvalidInputError("content type must be application/json", status=415)
    if body is None or body == "":
        raise InvalidInputError("request body is required")
    raw: bytes
    if is_base64:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInputError("request body is not valid base64") from None
    else:
        raw = body.encode("utf-8", errors="surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInputError(f"request body must be at most {MAX_BODY_BYTES} bytes", status=413)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidInputError("request body must be valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidInputError("request body must be a JSON object")
    return data


def subscriber(data: dict[str, Any]) -> tuple[str, str]:
    unknown = sorted(set(data) - {"name", "email"})
    if unknown:
        raise InvalidInputError(f"unexpected field(s): {', '.join(unknown)[:100]}")
    return name(data.get("name")), email(data.get("email"))
