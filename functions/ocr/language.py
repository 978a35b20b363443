"""Which language the recovered source is in: pygments' own text analysis first, then the
cues that decide between the languages pygments cannot tell apart from a few lines
(it scores YAML, Java and JavaScript at zero)."""

from __future__ import annotations

import re

# (language, pattern, weight): one match per line counted, highest total wins.
_CUES: list[tuple[str, re.Pattern[str], float]] = [
    ("Python", re.compile(r"^\s*(def|class)\s+\w+.*:\s*$|^\s*(from\s+[\w.]+\s+)?import\s+\w+|"
                          r"^\s*(elif|except|with)\b.*:$|\bself\b"), 2),
    ("Python", re.compile(r":\s*$|\bNone\b|\bTrue\b|\bFalse\b|^\s*@\w+"), 0.5),
    ("JavaScript", re.compile(r"\b(const|let|var)\s+\w+\s*=|=>|\bfunction\b|\brequire\(|\bexport\s+(default|const|function)|"
                              r"console\.\w+\(|\bawait\b|\bundefined\b|===|!=="), 2),
    ("Java", re.compile(r"\b(public|private|protected)\s+(static\s+)?(final\s+)?[\w<>\[\], ]+\s+\w+\s*[({=;]|"
                        r"^\s*package\s+[\w.]+;|^\s*import\s+[\w.]+(\.\*)?;|System\.out\.|@Override|\bnew\s+\w+(<.*>)?\("), 2),
    ("YAML", re.compile(r"^\s*-?\s*[\w.\-\"']+:(\s+[^{};=()]*)?$|^---\s*$|^\s*-\s+\S"), 1),
    ("Bash", re.compile(r"^#!.*\b(ba|z)?sh\b|^\s*(if|while|for)\s.*;\s*(then|do)\b|^\s*(fi|done|esac)\b|\$\{?\w+\}?|"
                        r"^\s*(echo|export|local|set)\s|\|\||&&|^\s*\w+\(\)\s*\{"), 1.5),
]


def guess_language(source: str) -> str | None:
    if not source.strip():
        return None
    scores: dict[str, float] = {}
    for line in source.splitlines():
        for language, pattern, weight in _CUES:
            if pattern.search(line):
                scores[language] = scores.get(language, 0.0) + weight
    try:
        from pygments.lexers import guess_lexer
        from pygments.util import ClassNotFound

        try:
            lexer = guess_lexer(source)
            name = lexer.name
        except ClassNotFound:
            name = None
    except ImportError:  # the language is a hint: the text is the result
        name = None
    if name and name not in ("Text only", "Text output"):
        canonical = {"Python 3": "Python", "Bash": "Bash", "Shell Session": "Bash"}.get(name, name)
        scores[canonical] = scores.get(canonical, 0.0) + 3
    if not scores:
        return name
    return max(scores, key=lambda k: scores[k])
