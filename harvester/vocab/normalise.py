"""Key normalisation for vocabulary lookups: one memoised function per kind of key."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from harvester.vocab.concept import EU_AUTHORITY

# Separators that portals use interchangeably: "CC-BY 4.0", "cc_by_4_0", ".CSV", "实时 更新".
_DROPPED = str.maketrans("", "", " \t\r\n\u3000._-·•")
_URL_PREFIX = re.compile(r"^(?:https?:)?//(?:www\.)?")
_URL_SUFFIX = re.compile(r"(?:/legalcode(?:\.[a-z-]+)?|/deed\.[a-z-]+|\.html?|\.txt|\.php)$")


@lru_cache(maxsize=65536)
def normalise_key(value: str) -> str:
    """NFKC, trimmed, lower case, without spaces, dots, dashes and underscores."""
    return unicodedata.normalize("NFKC", value).strip().lower().translate(_DROPPED)


@lru_cache(maxsize=8192)
def normalise_url(url: str) -> str:
    """A licence URL reduced to host and path: no scheme, no "www.", no "legalcode", no trailing "/"."""
    text = unicodedata.normalize("NFKC", url).strip().lower()
    text = _URL_PREFIX.sub("", text).split("#", 1)[0].split("?", 1)[0].rstrip("/")
    return _URL_SUFFIX.sub("", text).rstrip("/")


def canonical_eu_iri(iri: str) -> str:
    """EU authority IRIs are http:; portals sometimes write https: or add a trailing slash."""
    text = iri.strip().rstrip("/")
    if text.startswith("https://publications.europa.eu/resource/authority/"):
        return EU_AUTHORITY + text[len("https://publications.europa.eu/resource/authority/"):]
    return text


def looks_like_iri(value: str) -> bool:
    return "://" in value[:12]
