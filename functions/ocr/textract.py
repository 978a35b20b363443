"""Amazon Textract as an OCR engine: DetectDocumentText's WORD blocks -> layout words.

Textract boxes are ratios of the page (0..1 on each axis); the layout engine only compares
positions along one axis at a time, so they feed it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .layout import Word


def words_from_blocks(blocks: list[dict[str, Any]]) -> list[Word]:
    words = []
    for block in blocks:
        if block.get("BlockType") != "WORD" or not block.get("Text"):
            continue
        box = block.get("Geometry", {}).get("BoundingBox", {})
        words.append(Word(
            text=block["Text"],
            left=float(box.get("Left", 0.0)),
            top=float(box.get("Top", 0.0)),
            width=float(box.get("Width", 0.0)),
            height=float(box.get("Height", 0.0)),
            confidence=float(block.get("Confidence", 0.0)),
        ))
    return words


@dataclass
class TextractEngine:
    """DetectDocumentText on image bytes or, in the worker, straight from the upload bucket."""

    client: Any
    name: str = "textract"

    def recognise(self, image: bytes) -> list[Word]:
        return words_from_blocks(self.client.detect_document_text(Document={"Bytes": image})["Blocks"])

    def recognise_s3(self, bucket: str, key: str) -> list[Word]:
        response = self.client.detect_document_text(Document={"S3Object": {"Bucket": bucket, "Name": key}})
        return words_from_blocks(response["Blocks"])
