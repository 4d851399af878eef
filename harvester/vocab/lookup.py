"""Lookups from a portal's value to a concept: a dict lookup after normalising the value, memoised.

Each lookup answers None for a value it does not know and for a value known to name no concept
(CKAN "notspecified", "API" as a file type …). A few fallbacks run only when the exact key misses:
"交通出行类" → "交通出行", "R/P1Y" → "P1Y", "zh-Hant-TW" → "zh", "text/csv; charset=utf-8" → "text/csv",
"data.xlsx" → "xlsx".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from harvester.vocab.concept import IANA_MEDIA_TYPES, Concept
from harvester.vocab.index import Found, load_index
from harvester.vocab.normalise import canonical_eu_iri, looks_like_iri, normalise_key, normalise_url

_THEME_SUFFIXES = ("类", "领域", "主题", "数据", "信息", "服务")
_FREQUENCY_SUFFIXES = ("更新", "一次", "一更")
_IANA_PREFIXES = (IANA_MEDIA_TYPES, "http://www.iana.org/assignments/media-types/")


def _theme_variants(value: str) -> Iterator[str]:
    text = value.strip()
    for suffix in _THEME_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            yield text[: -len(suffix)]


def _frequency_variants(value: str) -> Iterator[str]:
    text = value.strip()
    if text[:2].lower() == "r/":
        yield text[2:]
    for suffix in _FREQUENCY_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            yield text[: -len(suffix)]


def _file_type_variants(value: str) -> Iterator[str]:
    text = value.strip().split(";", 1)[0]
    for prefix in _IANA_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
    yield text
    if "." in text.strip("."):
        yield text.rsplit(".", 1)[1]


def _language_variants(value: str) -> Iterator[str]:
    yield re.split(r"[-_]", value.strip(), maxsplit=1)[0]


_VARIANTS: dict[str, Callable[[str], Iterator[str]]] = {
    "theme": _theme_variants, "frequency": _frequency_variants,
    "file_type": _file_type_variants, "language": _language_variants,
}


@lru_cache(maxsize=32768)
def lookup_all(kind: str, value: str) -> Found:
    """All concepts of ``kind`` that ``value`` names (an IRI, a code, a label or an alias); () if none."""
    if not value or not value.strip():
        return ()
    index = load_index()
    if looks_like_iri(value) and not value.strip().startswith(_IANA_PREFIXES):
        concept_by_iri = index.by_iri.get(canonical_eu_iri(value))
        return (concept_by_iri,) if concept_by_iri and concept_by_iri.kind == kind else ()
    table = index.kinds[kind].by_key
    found = table.get(normalise_key(value))
    for variant in _VARIANTS.get(kind, _no_variants)(value):
        if found is not None:
            break
        found = table.get(normalise_key(variant))
    return found or ()


def _no_variants(value: str) -> Iterator[str]:
    return iter(())


def _first(found: Found) -> Concept | None:
    return found[0] if found else None


def theme(value: str) -> Concept | None:
    """The main EU data theme of a category label ("交通出行" → TRAN)."""
    return _first(lookup_all("theme", value))


def themes(value: str) -> tuple[Concept, ...]:
    """Every EU data theme a category label maps to ("教育科技" → EDUC, TECH)."""
    return lookup_all("theme", value)


def file_type(value: str) -> Concept | None:
    """The EU file type of a format name, extension or media type ("Excel", ".csv", "text/csv")."""
    return _first(lookup_all("file_type", value))


def frequency(value: str) -> Concept | None:
    """The EU frequency of an update frequency ("每月", "monthly", "R/P1M")."""
    return _first(lookup_all("frequency", value))


def access_right(value: str) -> Concept | None:
    """The EU access right of an openness type ("无条件开放" → PUBLIC)."""
    return _first(lookup_all("access_right", value))


def language(value: str) -> Concept | None:
    """The EU language of a code or name ("zh-CN", "chi", "中文" → ZHO)."""
    return _first(lookup_all("language", value))


@lru_cache(maxsize=4096)
def media_type(value: str) -> str | None:
    """The IANA media-type IRI of a media type, format name or extension; None if IANA has none."""
    if not value or not value.strip():
        return None
    index = load_index()
    text = value.strip().lower().split(";", 1)[0].strip()
    for prefix in _IANA_PREFIXES:
        text = text[len(prefix):] if text.startswith(prefix) else text
    if text in index.iana:
        return IANA_MEDIA_TYPES + text
    kind_of_file = file_type(value)
    if kind_of_file is not None:
        media = index.file_type_media.get(kind_of_file.code)
        return IANA_MEDIA_TYPES + media if media else None
    media = index.media_by_extension.get(text.rsplit(".", 1)[-1])
    return IANA_MEDIA_TYPES + media if media else None


def licence(value: str | None, url: str | None = None) -> Concept | None:
    """The licence of a CKAN id, SPDX id, name or URL; ``url`` is tried when ``value`` gives none."""
    for candidate in (value, url):
        if candidate and candidate.strip():
            found = _licence_of(candidate.strip())
            if found is not None:
                return found
    return None


@lru_cache(maxsize=4096)
def _licence_of(text: str) -> Concept | None:
    if looks_like_iri(text) or text.lower().startswith("www."):
        return _licence_of_url(text)
    return _first(lookup_all("licence", text))


_CC_LICENCE = re.compile(r"creativecommons\.org/licenses/([a-z-]+)/(\d+\.\d+)(?:/([a-z]{2,3}))?(?:/.*)?")
_URL_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Concept | None]], ...] = (
    (_CC_LICENCE, lambda m: _cc_licence(m.group(1), m.group(2), m.group(3))),
    (re.compile(r"creativecommons\.org/publicdomain/zero/1\.0(?:/.*)?"), lambda m: concept("CC0", "licence")),
    (re.compile(r"creativecommons\.org/publicdomain/mark/1\.0(?:/.*)?"),
     lambda m: concept("CC_PDM_1_0", "licence")),
    (re.compile(r"opendatacommons\.org/licenses/(odbl|by|pddl)(?:/.*)?"),
     lambda m: concept({"odbl": "ODC_BL", "by": "ODC_BY", "pddl": "ODC_PDDL"}[m.group(1)], "licence")),
    (re.compile(r"spdx\.org/licenses/([^/]+)"), lambda m: _first(lookup_all("licence", m.group(1)))),
    (re.compile(r"opendefinition\.org/licenses/([^/]+)"), lambda m: _first(lookup_all("licence", m.group(1)))),
    (re.compile(r"publications\.europa\.eu/resource/authority/licence/([a-z0-9_]+)"),
     lambda m: concept(m.group(1), "licence")),
)


def _licence_of_url(url: str) -> Concept | None:
    index = load_index()
    by_iri = index.by_iri.get(canonical_eu_iri(url))
    if by_iri is not None and by_iri.kind == "licence":
        return by_iri
    key = normalise_url(url)
    if key in index.licence_urls:
        return _first(index.licence_urls[key])
    for pattern, resolve in _URL_RULES:
        match = pattern.fullmatch(key)
        if match:
            return resolve(match)
    return None


def _cc_licence(kind: str, version: str, jurisdiction: str | None) -> Concept | None:
    """creativecommons.org/licenses/by-sa/3.0/nl → CC_BYSA_3_0_NL, else the unported CC_BYSA_3_0."""
    code = f"CC_{kind.replace('-', '').upper()}_{version.replace('.', '_')}"
    ported = concept(f"{code}_{jurisdiction.upper()}", "licence") if jurisdiction else None
    return ported or concept(code, "licence")


def concept(iri_or_code: str, kind: str | None = None) -> Concept | None:
    """A concept by IRI, or by code within ``kind`` (without a kind, the first kind that has the code)."""
    if not iri_or_code or not iri_or_code.strip():
        return None
    index = load_index()
    if kind is not None and kind not in index.kinds:
        raise ValueError(f"unknown vocabulary kind {kind!r}; one of {sorted(index.kinds)}")
    text = iri_or_code.strip()
    if looks_like_iri(text):
        found = index.by_iri.get(canonical_eu_iri(text))
        return found if found is not None and kind in (None, found.kind) else None
    for name in [kind] if kind else index.kinds:
        found = index.kinds[name].by_code.get(text.upper())
        if found is not None:
            return found
    return None


def label(iri: str, lang: str = "zh") -> str:
    """The label of any known concept, scheme or IANA media type IRI; else the IRI's last segment."""
    found = concept(iri) if looks_like_iri(iri) else None
    if found is not None:
        return found.label(lang)
    index = load_index()
    scheme = index.schemes.get(canonical_eu_iri(iri))
    if scheme is not None:
        return scheme.title_zh if lang == "zh" else scheme.title_en
    for prefix in _IANA_PREFIXES:
        if iri.startswith(prefix):
            return iri[len(prefix):]
    return re.split(r"[/#]", iri.rstrip("/#"))[-1]
