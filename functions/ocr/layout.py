"""The layout engine: recognised words with boxes -> source text with indentation and blank lines.

Both OCR engines feed it (Textract's WORD blocks in the Lambda worker, Tesseract's
`image_to_data` words in the CLI and the sandbox); it does not know which one spoke.
Pure Python on purpose: no AWS, no Pulumi, no image library.

Code in a screenshot is set in a monospace font on a regular grid, so every word sits in a
column `(left - phase) / char_width` and a row `(centre - phase) / line_pitch`. General OCR
keeps the words but throws the grid away (leading spaces and empty lines); fitting the grid
back from the boxes is what recovers indentation and blank lines. Coordinates may be pixels
or Textract's page ratios: only ratios between them matter.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .codefix import fix_tokens, to_ascii
from .language import guess_language


@dataclass(frozen=True)
class Word:
    """One recognised word: its text, box (left, top, width, height) and confidence 0..100."""

    text: str
    left: float
    top: float
    width: float
    height: float
    confidence: float = 100.0

    @property
    def centre(self) -> float:
        return self.top + self.height / 2

    @property
    def right(self) -> float:
        return self.left + self.width


@dataclass(frozen=True)
class LayoutOptions:
    tab_width: int = 0
    """0 keeps indentation as spaces; N > 0 writes each leading run of N spaces as one tab."""
    code_fixes: bool = True
    """Repair OCR confusions a compiler would reject (`1O0` -> `100`, `1en(` -> `len(`)."""
    strip_line_numbers: bool = True
    """Drop an editor's line-number gutter when (almost) every line starts with one."""
    min_confidence: float = 20.0
    """Words below this confidence are dropped when they are also tiny (specks, cursor, icons)."""


@dataclass
class Line:
    text: str
    box: tuple[float, float, float, float]
    confidence: float


@dataclass
class Layout:
    text: str
    language: str | None
    confidence: float
    lines: list[Line] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "language": self.language,
            "confidence": round(self.confidence, 1),
            "lines": [{"text": ln.text, "box": [round(v, 4) for v in ln.box], "confidence": round(ln.confidence, 1)}
                      for ln in self.lines],
        }


_NUMBER = re.compile(r"^\d{1,5}$")
# Where a glyph's ink starts in its cell, relative to a typical letter, in cells: narrow marks
# sit in the middle (a `-` or `.` starts its word ~0.3 cells late). Measured on DejaVu Sans
# Mono and Liberation Mono (mean of both), the fonts of the benchmark; other monospace designs
# place them alike.
_BEARING = {
    "r": 0.12, "w": -0.1, "A": -0.1, "V": -0.09, "W": -0.11, "X": -0.1, "Y": -0.09, "!": 0.31, '"': 0.13,
    "#": -0.09, "%": -0.1, "'": 0.3, "(": 0.19, ")": 0.17, ",": 0.15, "-": 0.17, ".": 0.28, ":": 0.28,
    ";": 0.19, "@": -0.08, "[": 0.24, "]": 0.13, "_": -0.12, "`": 0.16, "|": 0.31, "1": 0.06,
}


def rebuild(words: Iterable[Word], options: LayoutOptions = LayoutOptions()) -> Layout:
    words = [w for w in words if w.text.strip() and w.width > 0 and w.height > 0]
    words = _drop_noise(words, options.min_confidence)
    if not words:
        return Layout(text="", language=None, confidence=0.0)
    rows = _group_rows(words)
    if options.strip_line_numbers:
        rows = _strip_gutter(rows)
        rows = [r for r in rows if r]
        if not rows:
            return Layout(text="", language=None, confidence=0.0)
    cell = _char_width(rows)
    starts = [[w.left - _BEARING.get(w.text[0], 0.0) * cell for w in r] for r in rows]
    phase_x = _phase([x for r in starts for x in r], cell)
    centres, reliable = _baselines(rows)
    # Pitch and grid phase from the rows whose baseline is certain; the others only snap to it.
    sure = [c for c, ok in zip(centres, reliable, strict=True) if ok]
    if len(sure) < max(2, len(rows) // 3):
        sure = centres
    pitch = _line_pitch(rows, sure)
    phase_y = _phase(sure, pitch)

    columns = [[round((x - phase_x) / cell) for x in r] for r in starts]
    base_col = min(c for cols in columns for c in cols)
    row_index = [round((c - phase_y) / pitch) for c in centres]

    out: list[str] = []
    lines: list[Line] = []
    previous_row: int | None = None
    for row, cols, index in zip(rows, columns, row_index, strict=True):
        if previous_row is not None:
            out.extend([""] * max(0, index - previous_row - 1))
        previous_row = index
        text = _place(row, [c - base_col for c in cols], cell, options)
        out.append(text)
        box = (min(w.left for w in row), min(w.top for w in row),
               max(w.right for w in row) - min(w.left for w in row),
               max(w.top + w.height for w in row) - min(w.top for w in row))
        lines.append(Line(text=text, box=box, confidence=statistics.fmean(w.confidence for w in row)))

    source = "\n".join(_indent_with_tabs(out, options.tab_width)) + "\n"
    confidence = statistics.fmean(w.confidence for r in rows for w in r)
    return Layout(text=source, language=guess_language(source), confidence=confidence, lines=lines)


def _drop_noise(words: list[Word], min_confidence: float) -> list[Word]:
    """Words far off the text size (UI labels, icons, tab titles) and unsure specks are not code."""
    if not words:
        return words
    typical = statistics.median(w.height for w in words)
    kept = []
    for w in words:
        if w.height > 2.2 * typical:  # short is fine: `=`, `-`, `_` and `.` have flat boxes
            continue
        if w.confidence < min_confidence and len(w.text.strip()) <= 1 and not w.text.strip().isalnum():
            continue
        kept.append(w)
    return kept


def _group_rows(words: list[Word]) -> list[list[Word]]:
    """Words on one text line overlap vertically; a row is built around its first (tallest) words."""
    rows: list[tuple[float, float, list[Word]]] = []  # (top, bottom, words)
    for w in sorted(words, key=lambda w: (-w.height, w.centre)):
        best, best_overlap = None, 0.0
        for i, (top, bottom, _) in enumerate(rows):
            overlap = min(bottom, w.top + w.height) - max(top, w.top)
            share = overlap / min(w.height, bottom - top)
            centre_inside = top <= w.centre <= bottom
            if (share > 0.5 or centre_inside) and share > best_overlap:
                best, best_overlap = i, share
        if best is None:
            rows.append((w.top, w.top + w.height, [w]))
        else:
            top, bottom, members = rows[best]
            members.append(w)
    ordered = sorted((sorted(m, key=lambda w: w.left) for _, _, m in rows),
                     key=lambda m: statistics.median(w.centre for w in m))
    return ordered


def _strip_gutter(rows: list[list[Word]]) -> list[list[Word]]:
    """An editor gutter: most rows start with a small integer, right-aligned, clear of the code."""
    firsts = [r[0] for r in rows]
    numbered = [w for w in firsts if _NUMBER.match(w.text)]
    if len(rows) < 3 or len(numbered) < 0.8 * len(rows):
        return rows
    right_edge = max(w.right for w in numbered)
    if statistics.pstdev([w.right for w in numbered]) > statistics.median(w.height for w in numbered):
        return rows  # not right-aligned: numbers that are part of the content
    values = [int(w.text) for w in numbered]
    if sum(1 for a, b in zip(values, values[1:], strict=False) if b > a) < 0.7 * (len(values) - 1):
        return rows  # not ascending: data, not line numbers
    # Everything ending left of the gutter edge goes, also the numbers OCR misread (`ll` for 11).
    tolerance = 0.5 * statistics.median(w.width / len(w.text) for w in numbered)
    return [[w for w in r if w.right > right_edge + tolerance] for r in rows]


def _char_width(rows: list[list[Word]]) -> float:
    """The monospace cell width.

    An n-character ink box is n cells minus the side bearings, so width grows by one cell per
    character: the slope of the median width per word length (bearings differ by font and cancel
    out of the slope). Refined by the distances between word starts on a line, which are whole
    cells.
    """
    by_length: dict[int, list[float]] = {}
    for r in rows:
        for w in r:
            if len(w.text) >= 2:
                by_length.setdefault(len(w.text), []).append(w.width)
    points = [(n, statistics.median(ws), len(ws)) for n, ws in by_length.items()]
    seed = None
    if len({n for n, _, _ in points}) >= 2:
        total = sum(k for _, _, k in points)
        mean_n = sum(n * k for n, _, k in points) / total
        mean_w = sum(w * k for _, w, k in points) / total
        var = sum(k * (n - mean_n) ** 2 for n, _, k in points)
        if var > 0:
            seed = sum(k * (n - mean_n) * (w - mean_w) for n, w, k in points) / var
    if not seed or seed <= 0:
        seed = statistics.median(w.width / len(w.text) for r in rows for w in r) * 1.1
    # Starts of words on one line are whole cells apart: short distances first (rounding is
    # safe there), then the long ones with the better estimate.
    cell = seed
    for limit in (8, 40, 400):
        ratios = []
        for r in rows:
            for a, b in zip(r, r[1:], strict=False):
                distance = b.left - a.left - (_BEARING.get(b.text[0], 0.0) - _BEARING.get(a.text[0], 0.0)) * cell
                n = round(distance / cell)
                if 2 <= n <= limit and abs(distance / cell - n) < 0.3:
                    ratios.append(distance / n)
        if len(ratios) >= 3:
            cell = statistics.median(ratios)
    return cell


def _phase(positions: Sequence[float], period: float) -> float:
    """The grid offset that puts most positions nearest to a grid line (circular mean)."""
    import cmath
    import math

    total = sum(cmath.exp(2j * math.pi * p / period) for p in positions)
    angle = cmath.phase(total) if total else 0.0
    return angle / (2 * math.pi) * period


# Glyphs that reach below the baseline: a word with none of them ends on the baseline.
_DESCENDERS = set("gjpqy,;()[]{}|_$@Q/\\")


def _baselines(rows: list[list[Word]]) -> tuple[list[float], list[bool]]:
    """Each row's baseline: box centres move with ascenders (`on:` vs `ci`), baselines do not.

    A word with letters or digits and no descending glyph ends on the baseline (flat marks such
    as `=` and `-` end above it); rows without one use their descending words' bottoms minus
    the descender depth measured on the rows that have both.
    """
    flat_bottoms, deep_bottoms = [], []
    for r in rows:
        flat_bottoms.append([w.top + w.height for w in r
                             if any(c.isalnum() for c in w.text) and not _DESCENDERS & set(w.text)])
        deep_bottoms.append([w.top + w.height for w in r if _DESCENDERS & set(w.text)])
    depths = [statistics.median(d) - statistics.median(f) for f, d in zip(flat_bottoms, deep_bottoms, strict=True)
              if f and d]
    typical = statistics.median(w.height for r in rows for w in r)
    depth = statistics.median(depths) if depths else 0.2 * typical
    out, reliable = [], []
    for r, flat, deep in zip(rows, flat_bottoms, deep_bottoms, strict=True):
        if flat:
            out.append(statistics.median(flat))
        elif deep:
            out.append(statistics.median(deep) - depth)
        else:
            out.append(statistics.median(w.centre for w in r) + 0.3 * typical)
        reliable.append(bool(flat))
    return out, reliable


def _line_pitch(rows: list[list[Word]], baselines: list[float]) -> float:
    """Distance between consecutive baselines.

    Every gap between row centres is a whole number of pitches (blank lines in between); the
    pitch is the largest divisor of the smallest gap that all gaps are multiples of and that
    fits the type size (a line is taller than its tallest glyph boxes and under ~2.2 of them):
    with a blank line between every two lines, no gap is one pitch.
    """
    heights = sorted(w.height for r in rows for w in r)
    tall = heights[(len(heights) * 3) // 4]
    gaps = sorted(b - a for a, b in zip(baselines, baselines[1:], strict=False) if b - a > 0.5 * tall)
    if not gaps:
        return tall * 1.4
    smallest = gaps[0]
    for k in range(1, 8):
        pitch = smallest / k
        if pitch > 2.2 * tall:
            continue
        if pitch < 0.8 * tall:
            break
        fits = [g / round(g / pitch) for g in gaps if abs(g / pitch - round(g / pitch)) < 0.25]
        if len(fits) >= 0.8 * len(gaps):
            return statistics.median(fits)
    return smallest


def _place(row: list[Word], columns: list[int], cell: float, options: LayoutOptions) -> str:
    """Words at their columns; engines split `self.path` into `self` `.path`, so touching words join."""
    text = ""
    previous: Word | None = None
    for w, col in zip(row, columns, strict=True):
        token = to_ascii(w.text)
        if not text:
            text = " " * max(col, 0) + token
        else:
            spaces = col - len(text)
            if spaces < 0:  # the previous word came out longer than its cells: the ink gap decides
                spaces = 1 if (w.left - previous.right) / cell > 0.6 else 0
            text += " " * spaces + token
        previous = w
    text = text.rstrip()
    return fix_tokens(text) if options.code_fixes else text


def _indent_with_tabs(lines: list[str], tab_width: int) -> list[str]:
    if tab_width <= 0:
        return lines
    out = []
    for line in lines:
        stripped = line.lstrip(" ")
        tabs, rest = divmod(len(line) - len(stripped), tab_width)
        out.append("\t" * tabs + " " * rest + stripped)
    return out
