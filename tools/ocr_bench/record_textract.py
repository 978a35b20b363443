"""Write a DetectDocumentText-shaped response for a rendered screenshot (test fixtures).

There is no AWS account on the build machines, so the layout-engine fixtures are recorded
from Tesseract's word boxes on our rendered screenshots and written in Textract's response
schema (PAGE/LINE/WORD blocks, page-ratio BoundingBox and Polygon, Ids, CHILD relationships,
confidence 0..100). The layout engine reads them exactly as it reads Textract's.

    python -m tools.ocr_bench.record_textract SOURCE OUT.json [--font F --size N --theme T --line-numbers]
"""

from __future__ import annotations

import argparse
import io
import json
import uuid
from pathlib import Path
from typing import Any

from functions.ocr.layout import Word
from platformctl.ocr_tesseract import TesseractEngine

from .render import Style, png_bytes


def _box(left: float, top: float, width: float, height: float, page: tuple[int, int]) -> dict[str, Any]:
    w, h = page
    box = {"Width": width / w, "Height": height / h, "Left": left / w, "Top": top / h}
    corners = [(left, top), (left + width, top), (left + width, top + height), (left, top + height)]
    return {"BoundingBox": box, "Polygon": [{"X": x / w, "Y": y / h} for x, y in corners]}


def blocks_for(words: list[Word], page: tuple[int, int]) -> dict[str, Any]:
    """Textract groups words into LINE blocks; here one LINE per run of words on one row."""
    ids = iter(str(uuid.UUID(int=i)) for i in range(1, 1_000_000))
    word_blocks, lines = [], []
    for word in sorted(words, key=lambda w: (round(w.centre / max(w.height, 1)), w.left)):
        block = {"BlockType": "WORD", "Id": next(ids), "Text": word.text, "TextType": "PRINTED",
                 "Confidence": round(word.confidence, 3), "Page": 1,
                 "Geometry": _box(word.left, word.top, word.width, word.height, page)}
        word_blocks.append((word, block))
        if lines and abs(lines[-1][0].centre - word.centre) < word.height / 2:
            lines[-1][1].append((word, block))
        else:
            lines.append((word, [(word, block)]))
    line_blocks = []
    for _, members in lines:
        ws = [w for w, _ in members]
        left, top = min(w.left for w in ws), min(w.top for w in ws)
        right, bottom = max(w.right for w in ws), max(w.top + w.height for w in ws)
        line_blocks.append({
            "BlockType": "LINE", "Id": next(ids), "Text": " ".join(w.text for w in ws), "Page": 1,
            "Confidence": round(sum(w.confidence for w in ws) / len(ws), 3),
            "Geometry": _box(left, top, right - left, bottom - top, page),
            "Relationships": [{"Type": "CHILD", "Ids": [b["Id"] for _, b in members]}],
        })
    page_block = {"BlockType": "PAGE", "Id": next(ids), "Page": 1, "Geometry": _box(0, 0, page[0], page[1], page),
                  "Relationships": [{"Type": "CHILD", "Ids": [b["Id"] for b in line_blocks]}]}
    return {"DocumentMetadata": {"Pages": 1}, "DetectDocumentTextModelVersion": "1.0",
            "Blocks": [page_block, *line_blocks, *(b for _, b in word_blocks)]}


def main() -> None:
    from PIL import Image

    parser = argparse.ArgumentParser()
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--font", default="dejavu")
    parser.add_argument("--size", type=int, default=14)
    parser.add_argument("--theme", default="light")
    parser.add_argument("--line-numbers", action="store_true")
    a = parser.parse_args()
    style = Style(font=a.font, size=a.size, theme=a.theme, line_numbers=a.line_numbers)
    image = png_bytes(a.source.read_text(), style)
    page = Image.open(io.BytesIO(image)).size
    response = blocks_for(TesseractEngine().recognise(image), page)
    a.out.write_text(json.dumps(response, indent=1) + "\n")


if __name__ == "__main__":
    main()
