"""Chinese-first text analysis for the search index: CJK bigrams, Latin and digit words lower-cased.

Index side (Lucene CJKAnalyzer style): text is NFKC-normalised and lower-cased; every run of CJK characters
becomes its overlapping bigrams (a one-character run stays a unigram); every run of other letters and digits
is one word. The space-joined terms are indexed with tantivy's built-in ``whitespace`` tokenizer, so term
positions are consecutive and a Chinese word of n ≥ 2 characters is found exactly as the phrase of its
n - 1 bigrams: substring recall, no dictionary, no segmentation mismatch between query and document.

Query side: ``analyze_query`` turns the user's string into ``QueryTerm`` values that are ANDed. A lone CJK
character cannot be a bigram phrase; it is matched with a regex over the term dictionary (see
``single_char_regex``). Latin compounds such as ``PM2.5`` or ``COVID-19`` become a phrase of their words.

Changing anything here changes the index terms: bump ``SCHEMA_VERSION`` in ``schema.py``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

#: Han (with extensions and compatibility ideographs), 〇, kana and Hangul syllables: scripts without spaces.
#: Kana punctuation such as the middle dot in 约翰・史密斯 is left out: it separates words.
CJK_CHARS = (
    "\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7a3\uf900-\ufaff\U00020000-\U0003134f"
)
#: Letters and digits of the spaced scripts (Latin, Greek, Cyrillic, …): word characters minus "_" and CJK.
WORD_CHARS = rf"[^\W_{CJK_CHARS}]"

_TOKEN_RE = re.compile(rf"([{CJK_CHARS}]+)|({WORD_CHARS}+)")
#: A Latin compound in a query: words joined by single punctuation marks (PM2.5, COVID-19, e-mail).
_QUERY_RE = re.compile(rf"([{CJK_CHARS}]+)|({WORD_CHARS}+(?:[^\s\w]{WORD_CHARS}+|_{WORD_CHARS}+)*)")
_WORD_RE = re.compile(rf"{WORD_CHARS}+")
#: Blocks whose NFKC mapping changes letters, digits or ideographs: superscripts and fractions, combining
#: accents, letterlike and number forms (Ⅻ, ℃), enclosed alphanumerics (①), radicals (⼈), CJK compatibility
#: (㎡, 豈), ligatures, full-width letters and digits, half-width kana and Hangul.
_NEEDS_NFKC = re.compile(
    "[\u00aa\u00b2\u00b3\u00b5\u00b9\u00ba\u00bc-\u00be\u0300-\u036f\u2070-\u209f\u2100-\u218f"
    "\u2460-\u24ff\u2e80-\u2fdf\u3200-\u33ff\uf900-\ufaff\ufb00-\ufb06\uff10-\uff19\uff21-\uff3a"
    "\uff41-\uff5a\uff66-\uffdc]"
)

#: Longer Latin "words" (hashes, base64, URLs without separators) are dropped, as tantivy's remove_long does.
MAX_WORD_CHARS = 40
#: User input beyond this is ignored.
MAX_QUERY_CHARS = 200
#: At most this many terms of a query are used (bounds the cost of a pasted paragraph).
MAX_QUERY_TERMS = 16


def normalize(text: str) -> str:
    """Lower case, NFKC-normalised when the text holds compatibility characters (full-width ＰＭ２ → pm2).

    Full NFKC costs more than the rest of the analysis together, and Chinese text almost always needs it
    only for its full-width punctuation, which the tokenizer drops anyway; so it runs only when a character
    from a block whose NFKC mapping changes letters, digits or ideographs is present.
    """
    if _NEEDS_NFKC.search(text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def index_text(text: str) -> str:
    """The space-joined index terms of ``text``: CJK bigrams (a lone character stays a unigram) and words."""
    parts: list[str] = []
    for cjk, word in _TOKEN_RE.findall(normalize(text)):
        if cjk:
            parts.append(" ".join(map(str.__add__, cjk[:-1], cjk[1:])) if len(cjk) > 1 else cjk)
        elif len(word) <= MAX_WORD_CHARS:
            parts.append(word)
    return " ".join(parts)


def index_terms(text: str) -> list[str]:
    """The index terms of ``text`` in order (for inspection and tests)."""
    return index_text(text).split()


def analyze_for_index(texts: Iterable[str]) -> str:
    """The space-joined index terms of several values, for a field indexed with the whitespace tokenizer."""
    return " ".join(index_text(text) for text in texts if text)


@dataclass(frozen=True)
class QueryTerm:
    """One ANDed unit of a query: a phrase of index terms, or a lone CJK character."""

    #: the normalised surface text, e.g. "交通", "pm2.5", "水"
    text: str
    #: index terms in order: one → term query, several → phrase query
    tokens: tuple[str, ...]
    #: a lone CJK character, matched against every bigram that contains it
    single_char: bool = False
    #: a CJK run (matched as a substring) rather than Latin words (matched on word boundaries)
    cjk: bool = False


def analyze_query(q: str) -> list[QueryTerm]:
    """The terms of a user query (truncated to MAX_QUERY_CHARS); every term must match (AND)."""
    seen: dict[str, QueryTerm] = {}
    for cjk, compound in _QUERY_RE.findall(normalize(q[:MAX_QUERY_CHARS])):
        term = _cjk_term(cjk) if cjk else _latin_term(compound)
        if term is not None and term.text not in seen:
            seen[term.text] = term
        if len(seen) >= MAX_QUERY_TERMS:
            break
    return list(seen.values())


def _cjk_term(run: str) -> QueryTerm:
    if len(run) == 1:
        return QueryTerm(run, (run,), single_char=True, cjk=True)
    return QueryTerm(run, tuple(map(str.__add__, run[:-1], run[1:])), cjk=True)


def _latin_term(compound: str) -> QueryTerm | None:
    # over-long words are kept: they match nothing, as the index dropped them
    words = tuple(_WORD_RE.findall(compound))
    return QueryTerm(compound, words) if words else None


def single_char_regex(char: str) -> str:
    """A tantivy regex matching every index term that contains the CJK character ``char``.

    Terms are bigrams or lone-character unigrams, so ``c.?|.c`` covers all of them: full recall for a
    one-character query at the cost of a term-dictionary scan and a union of postings.
    """
    literal = re.escape(char)
    return f"{literal}.?|.{literal}"


def highlight_pattern(terms: Iterable[QueryTerm]) -> re.Pattern[str] | None:
    """A case-insensitive regex finding the query terms in original text, longest alternatives first.

    CJK terms match as substrings (as the bigram phrase does); Latin terms match on word boundaries, with
    any run of separators between their words (as the phrase of words does).
    """
    alternatives = [_term_regex(t) for t in sorted(terms, key=lambda t: -len(t.text))]
    if not alternatives:
        return None
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _term_regex(term: QueryTerm) -> str:
    if term.cjk:
        return re.escape(term.text)
    inner = r"[\W_]+".join(re.escape(w) for w in term.tokens)
    return rf"(?<!{WORD_CHARS}){inner}(?!{WORD_CHARS})"
