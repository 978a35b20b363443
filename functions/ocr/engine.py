"""The interface both OCR engines implement, and the one pipeline over it."""

from __future__ import annotations

from typing import Protocol

from .layout import Layout, LayoutOptions, Word, rebuild


class UnreadableImageError(ValueError):
    """The upload is not something we can read (not an image, empty, too big): `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Engine(Protocol):
    name: str

    def recognise(self, image: bytes) -> list[Word]:
        """Words with boxes, in any consistent unit (pixels, page ratios)."""
        ...


def extract(engine: Engine, image: bytes, options: LayoutOptions = LayoutOptions()) -> Layout:
    return rebuild(engine.recognise(image), options)


# Magic numbers of the formats we accept (what the bytes are, whatever the upload claimed).
SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


def sniff(head: bytes) -> str | None:
    """The media type the first bytes prove, or None."""
    for media_type, prefixes in SIGNATURES.items():
        if any(head.startswith(p) for p in prefixes):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None
