"""The layout engine on recorded DetectDocumentText responses (tests/ocr/fixtures, Textract's
schema; see tools/ocr_bench/record_textract.py for how they were recorded) and on words built
for one rule at a time."""

from __future__ import annotations

import json
from pathlib import Path

import Levenshtein
import pytest

from functions.ocr.codefix import fix_tokens, to_ascii
from functions.ocr.layout import _BEARING, LayoutOptions, Word, rebuild
from functions.ocr.textract import words_from_blocks

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(__file__).resolve().parents[2] / "tools" / "ocr_bench" / "corpus"
RECORDED = {
    "inventory-dejavu-14-light": "inventory.py",
    "deployment-liberation-16-dark": "deployment.yaml",
    "server-gutter-dejavu-12-light": "server.js",
}


def blocks(name: str) -> list[dict]:
    return json.loads((FIXTURES / f"{name}.json").read_text())["Blocks"]


def indents(text: str) -> list[int | None]:
    """Leading spaces per line, None for a blank line."""
    return [len(line) - len(line.lstrip(" ")) if line.strip() else None for line in text.splitlines()]


@pytest.mark.parametrize("fixture", sorted(RECORDED))
def test_recorded_response_keeps_every_indent_and_blank_line(fixture):
    source = (CORPUS / RECORDED[fixture]).read_text()
    text = rebuild(words_from_blocks(blocks(fixture))).text
    assert indents(text) == indents(source)


@pytest.mark.parametrize("fixture", sorted(RECORDED))
def test_recorded_response_text_is_close_to_the_source(fixture):
    source = (CORPUS / RECORDED[fixture]).read_text()
    text = rebuild(words_from_blocks(blocks(fixture))).text
    assert 1 - Levenshtein.distance(text, source) / max(len(text), len(source)) >= 0.99


def test_only_word_blocks_are_read():
    response = blocks("inventory-dejavu-14-light")
    words = words_from_blocks(response)
    assert len(words) == sum(1 for b in response if b["BlockType"] == "WORD")
    assert all(0 <= w.left <= 1 and 0 <= w.top <= 1 for w in words)  # page ratios, not pixels


def test_line_number_gutter_is_dropped():
    text = rebuild(words_from_blocks(blocks("server-gutter-dejavu-12-light"))).text
    first_tokens = [line.split()[0] for line in text.splitlines() if line.strip()]
    assert not any(token.isdigit() for token in first_tokens)
    assert text.splitlines()[0] == 'const http = require("http");'


def test_gutter_kept_when_numbers_are_content():
    """A column of numbers that do not ascend is data (a YAML list, a table), not a gutter."""
    words = [Word(str(n), 0, i * 20, 10, 12) for i, n in enumerate([5, 3, 9, 1])]
    words += [Word("item", 20, i * 20, 40, 12) for i in range(4)]
    assert rebuild(words).text.splitlines()[0].startswith("5")


def test_multi_column_noise_does_not_reach_the_source():
    """An editor's side-bar title (larger type, far right) and low-confidence specks are dropped."""
    clean = rebuild(words_from_blocks(blocks("inventory-dejavu-14-light"))).text
    noisy = blocks("inventory-dejavu-14-light") + [
        {"BlockType": "WORD", "Text": "EXPLORER", "Confidence": 99.0,
         "Geometry": {"BoundingBox": {"Left": 0.80, "Top": 0.02, "Width": 0.15, "Height": 0.09}}},
        {"BlockType": "WORD", "Text": "\u00b7", "Confidence": 8.0,
         "Geometry": {"BoundingBox": {"Left": 0.90, "Top": 0.50, "Width": 0.004, "Height": 0.006}}},
    ]
    assert rebuild(words_from_blocks(noisy)).text == clean


def grid(lines: list[str], cell: float = 8.0, pitch: float = 20.0, jitter: float = 0.0) -> list[Word]:
    """Ink boxes where a monospace renderer puts them: a side bearing of 0.1 cell each side, the
    first glyph's own offset (`.` inks late), optionally off by `jitter` cells more."""
    words = []
    for row, line in enumerate(lines):
        col = 0
        for part in line.split(" "):
            if part:
                shift = (jitter if (row + col) % 2 else -jitter) + 0.1 + _BEARING.get(part[0], 0.0)
                words.append(Word(part, (col + shift) * cell + 3, row * pitch + 5, (len(part) - 0.2) * cell, 13))
            col += len(part) + 1
    return words


def test_blank_lines_come_from_vertical_gaps():
    lines = ["a = 1", "", "", "b = 2", "", "c = 3"]
    words = grid(lines)
    assert rebuild(words).text == "a = 1\n\n\nb = 2\n\nc = 3\n"


def test_columns_survive_box_jitter():
    """Ink boxes start off the grid by side bearings (here +-0.2 cells); columns still snap."""
    source = (CORPUS / "retry.py").read_text()
    assert rebuild(grid(source.splitlines(), jitter=0.2)).text == source


def test_tab_width_writes_leading_runs_as_tabs():
    lines = ["func main() {", "    if x {", "        y()", "    }", "}"]
    text = rebuild(grid(lines), LayoutOptions(tab_width=4)).text
    assert text.splitlines()[2] == "\t\ty()"
    assert text.splitlines()[1] == "\tif x {"


def test_typographic_punctuation_becomes_ascii():
    words = grid(["print(\u201chi\u201d, \u2018x\u2019)", "a\u2014b"])
    assert rebuild(words, LayoutOptions(code_fixes=False)).text == "print(\"hi\", 'x')\na-b\n"
    assert to_ascii("\u2026") == "..."


@pytest.mark.parametrize(("ocr", "fixed"), [
    ("x = 1O0", "x = 100"),
    ("return 1en(items)", "return len(items)"),
    ("0bject o = null;", "Object o = null;"),
    ("def _init__(self):", "def __init__(self):"),
    ("def   init__(self):", "def __init__(self):"),
])
def test_code_fixes_by_token_context(ocr, fixed):
    assert fix_tokens(ocr) == fixed


@pytest.mark.parametrize("kept", ["0x1F", "0b101", "10px", "1e5", "x0 = O", "l1 = 1L", "_private_", "1st"])
def test_code_fixes_leave_real_tokens_alone(kept):
    assert fix_tokens(kept) == kept


def test_code_fixes_can_be_switched_off():
    assert rebuild([Word("1en(x)", 0, 0, 48, 12)], LayoutOptions(code_fixes=False)).text == "1en(x)\n"


@pytest.mark.parametrize(("fixture", "language"), [
    ("inventory-dejavu-14-light", "Python"),
    ("deployment-liberation-16-dark", "YAML"),
    ("server-gutter-dejavu-12-light", "JavaScript"),
])
def test_language_is_guessed(fixture, language):
    assert rebuild(words_from_blocks(blocks(fixture))).language == language


def test_no_words_give_empty_text():
    result = rebuild([])
    assert (result.text, result.language, result.lines) == ("", None, [])


def test_json_form_has_per_line_boxes():
    result = rebuild(words_from_blocks(blocks("deployment-liberation-16-dark"))).as_dict()
    assert set(result) == {"text", "language", "confidence", "lines"}
    non_blank = [line for line in result["text"].splitlines() if line.strip()]
    assert [line["text"] for line in result["lines"]] == non_blank
    assert all(len(line["box"]) == 4 for line in result["lines"])
