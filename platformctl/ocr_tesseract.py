"""The local OCR engine: Tesseract word boxes from a screenshot prepared for it.

Tesseract is trained on dark text on a light page at ~30 px x-height; code screenshots are
often light-on-dark, 12-16 px and anti-aliased. So: greyscale, invert dark themes, scale so
that a text line is tall enough, and let Tesseract binarise the smooth upscaled edges.
Boxes are mapped back to the original pixels, so the layout engine sees screenshot units.
"""

from __future__ import annotations

import io
import os
import shutil
from dataclasses import dataclass

from functions.ocr.engine import UnreadableImageError
from functions.ocr.layout import Word

# Beyond this the screenshot is not a screenshot (and Tesseract would take minutes).
MAX_PIXELS = 40_000_000
BORDER = 10  # white pixels around the page: Tesseract misses glyphs that touch the edge
TARGET_LINE_PX = 28  # a text line scaled to about this height reads best (measured by the benchmark)


@dataclass
class TesseractEngine:
    name: str = "tesseract"
    psm: int = 6  # one uniform block of text: keeps the lines in order, no page layout guessing

    def recognise(self, image: bytes) -> list[Word]:
        import pytesseract

        # Tesseract's OpenMP threads only fight each other (and the other processes) on a
        # screenshot-sized page: one thread is faster on these 2-core machines (measured).
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        picture, scale = prepare(image)
        data = pytesseract.image_to_data(
            picture, config=f"--psm {self.psm} -c preserve_interword_spaces=1", output_type=pytesseract.Output.DICT
        )
        words = []
        for text, left, top, width, height, conf in zip(
            data["text"], data["left"], data["top"], data["width"], data["height"], data["conf"], strict=True
        ):
            if not text or not text.strip() or float(conf) < 0:
                continue
            words.append(Word(text=text, left=(left - BORDER) / scale, top=(top - BORDER) / scale, width=width / scale,
                              height=height / scale, confidence=float(conf)))
        return words


def available() -> bool:
    return shutil.which("tesseract") is not None


def load(image: bytes):
    """The decoded image, or UnreadableImageError naming why not."""
    from PIL import Image, UnidentifiedImageError

    if not image:
        raise UnreadableImageError("the image is empty (0 bytes)")
    try:
        picture = Image.open(io.BytesIO(image))
        if picture.width * picture.height > MAX_PIXELS:
            raise UnreadableImageError(
                f"the image is too big ({picture.width}x{picture.height} pixels, at most {MAX_PIXELS:,} allowed)"
            )
        picture.load()
    except UnidentifiedImageError:
        raise UnreadableImageError("the file is not an image (PNG, JPEG or WebP expected)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnreadableImageError(f"the image is damaged or truncated ({exc})"[:200]) from None
    return picture


def prepare(image: bytes):
    """(greyscale image ready for Tesseract, scale factor applied)."""
    from PIL import ImageOps

    picture = load(image)
    grey = ImageOps.grayscale(picture.convert("RGB"))
    histogram = grey.histogram()
    background = max(range(256), key=lambda v: histogram[v])
    if background < 128:  # dark theme: the most common shade (the background) is dark
        grey = ImageOps.invert(grey)
    grey = ImageOps.autocontrast(grey, cutoff=1)
    scale = _scale_for(grey)
    if scale != 1:
        from PIL import Image

        grey = grey.resize((round(grey.width * scale), round(grey.height * scale)), Image.Resampling.LANCZOS)
    # A white margin: Tesseract misses glyphs that touch the border.
    return ImageOps.expand(grey, border=BORDER, fill=255), scale


def _scale_for(grey) -> float:
    """Scale so that the ink height of a text line reaches TARGET_LINE_PX (median over lines)."""
    from PIL import Image

    width, height = grey.size
    # One column: each row's mean darkness; rows with any ink are darker than pure background.
    profile = grey.point(lambda v: 255 if v < 160 else 0).resize((1, height), Image.Resampling.BOX)
    inked = [v > 0 for v in profile.get_flattened_data()]
    runs, current = [], 0
    for row in inked + [False]:
        if row:
            current += 1
        elif current:
            runs.append(current)
            current = 0
    if not runs:
        return 1.0
    line = sorted(runs)[len(runs) // 2]
    return max(1.0, min(TARGET_LINE_PX / max(line, 1), 4.0))
