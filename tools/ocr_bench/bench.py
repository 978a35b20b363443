"""OCR quality benchmark: our engine (Tesseract + preprocessing + layout engine) against plain
Tesseract (`image_to_string`, psm 6) on screenshots of a corpus of real code it renders itself.

    python -m tools.ocr_bench.bench            # every corpus file, two styles each (make bench-ocr)
    python -m tools.ocr_bench.bench --quick    # one case per language and style family (CI)
    python -m tools.ocr_bench.bench --check    # exit 1 when a quality target is missed
    python -m tools.ocr_bench.bench --check --check-time   # ... or the time per image

Metrics per case (and overall, weighted by characters / lines):
  chars    1 - Levenshtein distance / length of the longer text
  indent   share of the source's non-blank lines whose recovered line has exactly its indentation
  blanks   share of the source's blank lines kept as blank lines
  time     seconds per image for our engine (decode, preprocess, OCR, layout)
Lines are paired by content (difflib on the stripped lines), so one lost line does not shift
every indentation after it.
"""

from __future__ import annotations

import argparse
import difflib
import io
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import Levenshtein

from functions.ocr.engine import extract
from platformctl.ocr_tesseract import TesseractEngine

from .render import Style, png_bytes

CORPUS = Path(__file__).parent / "corpus"
TARGETS = {"chars": 0.98, "indent": 0.95, "seconds": 2.0}
FONTS = ("dejavu", "liberation")
THEMES = ("light", "dark")
SIZES = (12, 14, 16, 18, 20)


@dataclass
class Score:
    chars: float
    indent: float
    blanks: float | None
    length: int
    lines: int
    blank_lines: int


@dataclass
class Case:
    name: str
    style: Style
    ours: Score
    plain: Score
    seconds: float
    cpu: float


def styles_for(index: int) -> list[Style]:
    """Two styles per file, together covering every font x theme x size combination."""
    font, theme, size = FONTS[index % 2], THEMES[(index // 2) % 2], SIZES[index % len(SIZES)]
    other = Style(font=FONTS[(index + 1) % 2], theme=THEMES[(index // 2 + 1) % 2], size=SIZES[(index + 2) % len(SIZES)])
    return [Style(font=font, theme=theme, size=size), other]


def score(text: str, source: str) -> Score:
    chars = 1 - Levenshtein.distance(text, source) / max(len(text), len(source), 1)
    want = source.rstrip("\n").split("\n")
    got = text.rstrip("\n").split("\n")
    pairs = {}
    matcher = difflib.SequenceMatcher(None, [w.strip() for w in want], [g.strip() for g in got], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            pairs.update({i1 + k: j1 + k for k in range(i2 - i1)})
    indented = [i for i, w in enumerate(want) if w.strip()]
    blanks = [i for i, w in enumerate(want) if not w.strip()]

    def lead(line: str) -> str:
        return line[: len(line) - len(line.lstrip())]

    exact = sum(1 for i in indented if i in pairs and lead(got[pairs[i]]) == lead(want[i]))
    kept = sum(1 for i in blanks if i in pairs and not got[pairs[i]].strip())
    return Score(chars=chars, indent=exact / max(len(indented), 1), blanks=kept / len(blanks) if blanks else None,
                 length=len(source), lines=len(indented), blank_lines=len(blanks))


def plain_tesseract(image: bytes) -> str:
    import pytesseract
    from PIL import Image

    return pytesseract.image_to_string(Image.open(io.BytesIO(image)), config="--psm 6")


def run_case(path: Path, style: Style, engine: TesseractEngine) -> Case:
    source = path.read_text()
    image = png_bytes(source, style)
    start, cpu_start = time.perf_counter(), _cpu()
    ours = extract(engine, image).text
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu_start
    return Case(name=path.name, style=style, ours=score(ours, source), plain=score(plain_tesseract(image), source),
                seconds=seconds, cpu=cpu)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the tesseract runs)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cases(quick: bool) -> list[tuple[Path, Style]]:
    files = sorted(CORPUS.iterdir())
    chosen = [(f, s) for i, f in enumerate(files) for s in styles_for(i)]
    if quick:  # one file per language, first style: both fonts, both themes, several sizes
        seen: set[str] = set()
        chosen = [(f, s) for f, s in chosen if f.suffix not in seen and not seen.add(f.suffix)]
    return chosen


def overall(results: list[Case], which: str) -> dict[str, float]:
    scores = [getattr(c, which) for c in results]
    total_chars = sum(s.length for s in scores)
    total_lines = sum(s.lines for s in scores)
    total_blanks = sum(s.blank_lines for s in scores)
    return {
        "chars": sum(s.chars * s.length for s in scores) / total_chars,
        "indent": sum(s.indent * s.lines for s in scores) / total_lines,
        "blanks": sum((s.blanks or 0) * s.blank_lines for s in scores) / max(total_blanks, 1),
    }


def report(results: list[Case]) -> tuple[str, list[str]]:
    rows = [f"{'case':<20} {'style':<24} {'chars':>6} {'plain':>6} {'indent':>6} {'plain':>6} "
            f"{'blanks':>6} {'plain':>6} {'time s':>6} {'cpu s':>6}"]
    misses = []
    for c in results:
        b = "-" if c.ours.blanks is None else f"{c.ours.blanks:.2f}"
        pb = "-" if c.plain.blanks is None else f"{c.plain.blanks:.2f}"
        rows.append(f"{c.name:<20} {c.style.label:<24} {c.ours.chars:6.3f} {c.plain.chars:6.3f} {c.ours.indent:6.3f} "
                    f"{c.plain.indent:6.3f} {b:>6} {pb:>6} {c.seconds:6.2f} {c.cpu:6.2f}")
        if not (c.ours.chars > c.plain.chars and c.ours.indent >= c.plain.indent):
            misses.append(f"{c.name} {c.style.label}: not ahead of plain Tesseract")
    ours, plain = overall(results, "ours"), overall(results, "plain")
    times = [c.seconds for c in results]
    rows.append("")
    rows.append(f"overall ({len(results)} images)   chars {ours['chars']:.4f} (plain {plain['chars']:.4f})   "
                f"indent {ours['indent']:.4f} (plain {plain['indent']:.4f})   "
                f"blanks {ours['blanks']:.4f} (plain {plain['blanks']:.4f})")
    cpu = [c.cpu for c in results]
    import os

    rows.append(f"time per image: median {statistics.median(times):.2f} s, max {max(times):.2f} s wall; "
                f"median {statistics.median(cpu):.2f} s, max {max(cpu):.2f} s CPU "
                f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    if ours["chars"] < TARGETS["chars"]:
        misses.append(f"char accuracy {ours['chars']:.4f} < {TARGETS['chars']}")
    if ours["indent"] < TARGETS["indent"]:
        misses.append(f"exact-indentation lines {ours['indent']:.4f} < {TARGETS['indent']}")
    slow = []
    if statistics.median(times) >= TARGETS["seconds"]:
        slow.append(f"median time per image {statistics.median(times):.2f} s >= {TARGETS['seconds']} s")
    return "\n".join(rows), misses, slow


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one case per language (CI)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a quality target is missed")
    parser.add_argument("--check-time", action="store_true",
                        help="with --check: the median wall time per image counts too (depends on the machine's load)")
    parser.add_argument("--only", help="only corpus files whose name contains this")
    args = parser.parse_args(argv)
    engine = TesseractEngine()
    chosen = [(f, s) for f, s in cases(args.quick) if not args.only or args.only in f.name]
    results = []
    for path, style in chosen:
        results.append(run_case(path, style, engine))
        print(f"  {path.name} {style.label} ...", file=sys.stderr, end="\r")
    text, misses, slow = report(results)
    print(text)
    for miss in misses + slow:
        print(f"MISSED: {miss}")
    if not misses:
        print("quality targets met: chars >= 0.98, indent >= 0.95, every case ahead of plain Tesseract")
    failed = misses + (slow if args.check_time else [])
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
