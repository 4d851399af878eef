"""HTML-safe snippets and titles: harvested text escaped, query matches wrapped in <mark>.

Highlighting runs in Python on the stored original text with the regex from
``analysis.highlight_pattern``, so it shows the same substrings (CJK) and words (Latin) the index matched.
"""

from __future__ import annotations

import re
from html import escape

from harvester.model import DatasetDoc

SNIPPET_CHARS = 120
#: characters of context kept before the first match
SNIPPET_LEAD = 30
ELLIPSIS = "…"


def mark(text: str, pattern: re.Pattern[str] | None) -> str:
    """``text`` escaped for HTML, every match of ``pattern`` wrapped in <mark>…</mark>."""
    if pattern is None:
        return escape(text)
    parts: list[str] = []
    end = 0
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        parts.append(escape(text[end : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        end = match.end()
    parts.append(escape(text[end:]))
    return "".join(parts)


def snippet(doc: DatasetDoc, pattern: re.Pattern[str] | None) -> str:
    """About SNIPPET_CHARS of the description around its first match, or its start; escaped and marked.

    The English description is used when only it matches, or when there is no Chinese description.
    """
    texts = [_squash(doc.description), _squash(doc.description_en)]
    if pattern is not None:
        for text in texts:
            match = pattern.search(text)
            if match:
                return _window(text, match.start(), match.end(), pattern)
    text = texts[0] or texts[1]
    return _window(text, 0, 0, pattern)


def _squash(text: str) -> str:
    """Whitespace runs (newlines, tabs) collapsed to one space."""
    return " ".join(text.split())


def _window(text: str, match_start: int, match_end: int, pattern: re.Pattern[str] | None) -> str:
    start = max(0, match_start - SNIPPET_LEAD)
    end = max(start + SNIPPET_CHARS, match_end)
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    return prefix + mark(text[start:end], pattern) + suffix
