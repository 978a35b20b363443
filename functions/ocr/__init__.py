"""Screenshot-to-source: the `ocr` worker Lambda and the layout engine both OCR engines feed."""
