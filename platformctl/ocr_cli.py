"""`platformctl ocr IMAGE`: the recovered source of a code screenshot, with the local engine.

The same layout engine the AWS worker uses, fed by Tesseract instead of Textract.
"""

from __future__ import annotations

from pathlib import Path

from functions.ocr.engine import UnreadableImageError, extract
from functions.ocr.layout import Layout, LayoutOptions

from .common import CommandError
from .ocr_tesseract import TesseractEngine, available

# The API's upload limit is config (ocr.maxUploadBytes); locally a screenshot over 20 MB is a mistake.
MAX_FILE_BYTES = 20 * 1024 * 1024


def recognise(image: Path, tab_width: int = 0, code_fixes: bool = True) -> Layout:
    data = read_image(image)
    if not available():
        raise CommandError("tesseract is not installed (Debian: apt-get install tesseract-ocr)")
    try:
        return extract(TesseractEngine(), data, LayoutOptions(tab_width=tab_width, code_fixes=code_fixes))
    except UnreadableImageError as exc:
        raise CommandError(f"{image}: {exc.reason}") from None
    except RuntimeError as exc:  # pytesseract.TesseractError and friends: Tesseract itself failed
        raise CommandError(f"{image}: tesseract failed ({str(exc).strip().splitlines()[-1][:160]})") from None


def read_image(path: Path) -> bytes:
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    if not path.is_file():
        raise CommandError(f"{path}: not a file")
    size = path.stat().st_size
    if size == 0:
        raise CommandError(f"{path}: the image is empty (0 bytes)")
    if size > MAX_FILE_BYTES:
        raise CommandError(f"{path}: the image is too big ({size:,} bytes, at most {MAX_FILE_BYTES:,})")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: cannot read it ({exc.strerror})") from None
