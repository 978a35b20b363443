"""`platformctl ocr IMAGE` as a user runs it: Tesseract + the layout engine, one-line errors."""

from __future__ import annotations

import json

import Levenshtein
import pytest

from tests.ocr.test_layout import indents


@pytest.fixture
def platformctl(cli):
    """The shared in-process `cli` runner (Tesseract is the slow part, not a Python start-up each)."""

    def run(*args: str):
        code, out, err = cli(*args)
        return type("Result", (), {"returncode": code, "stdout": out, "stderr": err})

    return run


def accuracy(text: str, source: str) -> float:
    return 1 - Levenshtein.distance(text, source) / max(len(text), len(source))


@pytest.mark.parametrize(("name", "style"), [
    ("cache.py", {"font": "liberation", "size": 13, "theme": "dark"}),
    ("Stack.java", {"font": "dejavu", "size": 16, "theme": "light"}),
])
def test_recovers_the_source_with_indentation_and_blank_lines(platformctl, code_screenshot, name, style):
    path, source = code_screenshot(name, **style)
    result = platformctl("ocr", str(path))
    assert result.returncode == 0, result.stderr
    assert indents(result.stdout) == indents(source)
    assert accuracy(result.stdout, source) >= 0.97


def test_json_has_text_language_confidence_and_line_boxes(platformctl, code_screenshot):
    path, source = code_screenshot("ci.yaml", suffix=".webp", size=15)
    result = platformctl("ocr", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["language"] == "YAML"
    assert 50 < doc["confidence"] <= 100
    assert indents(doc["text"]) == indents(source)
    assert len(doc["lines"]) == sum(1 for line in source.splitlines() if line.strip())
    first = doc["lines"][0]
    assert first["text"] == "name: ci"
    left, top, width, height = first["box"]
    assert 10 < left < 30 and 10 < top < 30 and width > 40 and 10 < height < 30  # pixels of the screenshot


def test_tab_width_writes_tabs(platformctl, code_screenshot):
    path, _ = code_screenshot("wait_for.sh", suffix=".jpg", size=16)
    result = platformctl("ocr", str(path), "--tab-width", "4")
    assert result.returncode == 0, result.stderr
    assert "\n\tif nc -z" in result.stdout and "\n\t\techo" in result.stdout


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the image is empty (0 bytes)"),
    (b"print('not an image')\n", "the file is not an image (PNG, JPEG or WebP expected)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "the image is damaged or truncated"),
])
def test_bad_images_fail_with_one_line(platformctl, tmp_path, content, message):
    path = tmp_path / "shot.png"
    path.write_bytes(content)
    result = platformctl("ocr", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {path}: {message}") and result.stderr.count("\n") == 1


def test_too_big_and_missing_files_fail_with_one_line(platformctl, tmp_path):
    big = tmp_path / "big.png"
    with big.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)
    result = platformctl("ocr", str(big))
    assert result.returncode == 1 and result.stderr == f"error: {big}: the image is too big (22,020,096 bytes, at most 20,971,520)\n"
    missing = platformctl("ocr", str(tmp_path / "nope.png"))
    assert missing.returncode == 1 and missing.stderr == f"error: {tmp_path / 'nope.png'}: no such file\n"


def test_unknown_format_is_a_usage_error(platformctl, code_screenshot):
    path, _ = code_screenshot()
    result = platformctl("ocr", str(path), "--format", "xml")
    assert result.returncode == 2 and result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


def test_runs_as_a_module(code_screenshot):
    """The real entry point, once: `python -m platformctl ocr` prints the source."""
    from tests.cli.test_plan import platformctl as subprocess_platformctl

    path, source = code_screenshot("wordcount.py", size=14)
    result = subprocess_platformctl("ocr", str(path))
    assert result.returncode == 0, result.stderr
    assert indents(result.stdout) == indents(source)
