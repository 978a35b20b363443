"""Code -> screenshot, the way editors draw it: a monospace font on a light or dark theme.

Used by the benchmark, by the tests that need a screenshot (CLI, sandbox, browser) and to
record layout-engine fixtures. Fonts come from Debian packages (fonts-dejavu-core,
fonts-liberation) that `.ci/run` installs.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONTS = {
    "dejavu": "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "liberation": "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
}
THEMES = {
    # (background, foreground): a light editor theme and a dark one (One Dark-ish).
    "light": ((255, 255, 255), (36, 41, 46)),
    "dark": ((40, 44, 52), (171, 178, 191)),
}


@dataclass(frozen=True)
class Style:
    font: str = "dejavu"
    size: int = 14
    theme: str = "light"
    line_height: float = 1.4
    padding: int = 16
    line_numbers: bool = False
    """Draw an editor gutter with right-aligned line numbers left of the code."""

    @property
    def label(self) -> str:
        return f"{self.font}-{self.size}px-{self.theme}"


def render(source: str, style: Style = Style()) -> Image.Image:
    font = ImageFont.truetype(FONTS[style.font], style.size)
    lines = source.expandtabs(4).rstrip("\n").split("\n")
    cell = font.getlength("M")
    pitch = round(style.size * style.line_height)
    gutter = (len(str(len(lines))) + 3) * cell if style.line_numbers else 0
    width = int(style.padding * 2 + gutter + cell * max((len(line) for line in lines), default=1)) + 1
    height = style.padding * 2 + pitch * len(lines)
    background, foreground = THEMES[style.theme]
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        y = style.padding + i * pitch
        if style.line_numbers:
            number = str(i + 1).rjust(len(str(len(lines))))
            draw.text((style.padding, y), number, font=font, fill=_dim(background, foreground))
        draw.text((style.padding + gutter, y), line, font=font, fill=foreground)
    return image


def png_bytes(source: str, style: Style = Style()) -> bytes:
    buffer = io.BytesIO()
    render(source, style).save(buffer, format="PNG")
    return buffer.getvalue()


def save(source: str, path: Path, style: Style = Style()) -> Path:
    render(source, style).save(path)
    return path


def _dim(background: tuple[int, int, int], foreground: tuple[int, int, int]) -> tuple[int, ...]:
    return tuple((b + f) // 2 for b, f in zip(background, foreground, strict=True))
