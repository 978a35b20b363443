"""Character repairs for code: typographic punctuation back to ASCII, and the OCR confusions
(`0`/`O`, `1`/`l`/`I`) that the surrounding token decides.

A token that starts with a digit is a number in every language we read, so letters that
look like digits inside it are digits; a token that starts with a digit-like letter and
goes on in letters is an identifier (identifiers never start with a digit).
"""

from __future__ import annotations

import re

# Typographic characters OCR (and word processors) produce that source code never means.
ASCII = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "\u0060": "`",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u00b7": ".", "\u2022": "*",
    "\u00d7": "x", "\u2039": "<", "\u203a": ">", "\u00a6": "|", "\ufb01": "fi", "\ufb02": "fl",
})

# A numeric literal with digit look-alikes: starts with a digit, the rest digits or O/o/l/I.
_NUMBER_LOOKALIKE = re.compile(r"(?<![\w.])(\d[\dOolI]*[OolI][\dOolI]*)(?![\w])")
_TO_DIGIT = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1"})
# An identifier that OCR started with a digit: `0bject`, `1en`, `1ist` (hex/binary/octal prefixes
# and CSS-ish units such as 1px, 1em, 0ms are real numbers and stay).
_IDENT_STARTING_WITH_DIGIT = re.compile(r"(?<![\w.])([01])([a-zA-Z_]{2,}\w*)")
_PREFIXED = re.compile(r"^(?:[xX][0-9a-fA-F_]+|[bB][01_]+|[oO][0-7_]+)$")
_UNITS = {"px", "em", "rem", "ms", "st", "nd", "rd", "th", "fr", "vh", "vw", "pt", "deg", "min"}


def to_ascii(text: str) -> str:
    return text.translate(ASCII)


def _identifier(match: re.Match[str]) -> str:
    digit, rest = match.group(1), match.group(2)
    if rest.lower() in _UNITS or digit == "0" and _PREFIXED.match(rest):
        return match.group(0)
    return ("O" if digit == "0" else "l") + rest


# Dunder names lose one of their paired underscores (two `_` ink as one long stroke).
_HALF_DUNDER = re.compile(r"(?<![\w])(_{1,2})([a-z][a-z0-9]*)(_{1,2})(?![\w])")


def _dunder(match: re.Match[str]) -> str:
    if len(match.group(1)) + len(match.group(3)) == 3:
        return f"__{match.group(2)}__"
    return match.group(0)


# ... or both leading ones, leaving their cells as spaces: `def   init__(` -> `def __init__(`.
_HEADLESS_DUNDER = re.compile(r"(?<=\S)( {3,})([a-z][a-z0-9]*__)(?!\w)")


def fix_tokens(text: str) -> str:
    text = _HEADLESS_DUNDER.sub(lambda m: " " * (len(m.group(1)) - 2) + "__" + m.group(2), text)
    text = _HALF_DUNDER.sub(_dunder, text)
    text = _NUMBER_LOOKALIKE.sub(lambda m: m.group(1).translate(_TO_DIGIT), text)
    return _IDENT_STARTING_WITH_DIGIT.sub(_identifier, text)
