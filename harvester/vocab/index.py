"""The in-memory vocabulary index: every concept by IRI, and per kind a dict from normalised key to concepts.

Built once per process (``load_index`` is cached) from the files in vocab/. Keys are added in layers of
falling trust — curated aliases, codes, labels, alternative labels, file extensions, media types — and
an earlier layer always wins, so a curated alias can override what an EU label would say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

from harvester.vocab.concept import KINDS, SPDX_LICENSES, SPDX_SCHEME, Concept, KindInfo
from harvester.vocab.normalise import normalise_key, normalise_url
from harvester.vocab.sources import (RawConcept, eu_path, read_crosswalk, read_eu_table,
                                     read_iana_media_types, read_spdx_licences)

#: concepts for one key; an empty tuple marks a known value that maps to no concept
Found = tuple[Concept, ...]


@dataclass
class KindTable:
    """The concepts of one kind, by upper-case code and by normalised key."""

    by_code: dict[str, Concept] = field(default_factory=dict)
    by_key: dict[str, Found] = field(default_factory=dict)

    def add_layer(self, pairs: Iterable[tuple[str, Found]]) -> None:
        for key, found in pairs:
            if key:
                self.by_key.setdefault(key, found)

    def add_ranked_layer(self, pairs: Iterable[tuple[str, Concept, str]]) -> None:
        """Keys that several concepts claim (".xml", "application/zip"): the best-ranked concept wins."""
        claims: dict[str, list[tuple[tuple[Any, ...], Concept]]] = {}
        for key, concept, hint in pairs:
            rank = (normalise_key(concept.code) != hint, "_" in concept.code, len(concept.code), concept.code)
            claims.setdefault(key, []).append((rank, concept))
        self.add_layer((key, (min(ranked, key=lambda item: item[0])[1],)) for key, ranked in claims.items())


@dataclass
class VocabIndex:
    """Everything the lookups read."""

    kinds: dict[str, KindTable]
    by_iri: dict[str, Concept]
    #: IANA-registered media type → its file extensions (mime-db)
    iana: dict[str, list[str]]
    #: file extension → IANA media type
    media_by_extension: dict[str, str]
    #: EU file-type code → IANA media type
    file_type_media: dict[str, str]
    #: normalised licence URL → licences (curated URLs the rules in lookup.py do not cover)
    licence_urls: dict[str, Found]
    #: scheme IRI → kind
    schemes: dict[str, KindInfo]


@cache
def load_index() -> VocabIndex:
    """Read vocab/ once per process (0.05–0.1 s)."""
    iana = read_iana_media_types()
    kinds: dict[str, KindTable] = {}
    by_iri: dict[str, Concept] = {}
    file_type_media: dict[str, str] = {}
    licence_urls: dict[str, Found] = {}
    for info in KINDS.values():
        raw = read_eu_table(eu_path(info.eu_file), info.scheme)
        crosswalk = read_crosswalk(info.crosswalk) if info.crosswalk else {}
        if info.kind == "file_type":
            _merge_file_type_labels(raw, info)
        kinds[info.kind] = table = _concept_table(info, raw, crosswalk)
        spdx = _spdx_concepts(info) if info.kind == "licence" else {}
        for concept in spdx.values():
            table.by_code.setdefault(concept.code.upper(), concept)
        _add_keys(table, raw, crosswalk)
        if info.kind == "file_type":
            file_type_media = _file_type_media(raw, crosswalk.get("media_types") or {}, iana)
            _add_file_type_keys(table, raw)
        if spdx:
            _add_spdx_keys(table, spdx)
            licence_urls = {normalise_url(url): _resolve_codes(table, code)
                            for url, code in (crosswalk.get("urls") or {}).items()}
        by_iri.update({c.iri: c for c in (*_eu_concepts(table, raw), *spdx.values())})
    return VocabIndex(kinds, by_iri, iana, _media_by_extension(iana), file_type_media, licence_urls,
                      {info.scheme: info for info in KINDS.values()})


def _concept_table(info: KindInfo, raw: dict[str, RawConcept], crosswalk: Mapping[str, Any]) -> KindTable:
    """The EU concepts of one kind by code, with the crosswalk's labels added (Chinese, mostly)."""
    extra_labels = crosswalk.get("labels") or {}
    table = KindTable()
    for code, item in sorted(raw.items()):
        labels = {lang: text for lang, text in item.labels.items() if lang}
        labels.update(extra_labels.get(code) or {})
        table.by_code[code.upper()] = Concept(item.iri, code, info.scheme, MappingProxyType(labels), info.kind)
    return table


def _eu_concepts(table: KindTable, raw: dict[str, RawConcept], live_only: bool = False) -> list[Concept]:
    return [table.by_code[code.upper()] for code, item in sorted(raw.items())
            if not (live_only and item.deprecated)]


def _add_keys(table: KindTable, raw: dict[str, RawConcept], crosswalk: Mapping[str, Any]) -> None:
    """Curated aliases, then codes, labels and alternative labels of the concepts still in use."""
    live = _eu_concepts(table, raw, live_only=True)
    table.add_layer(_curated_aliases(table, crosswalk))
    table.add_layer((normalise_key(c.code), (c,)) for c in live)
    table.add_layer((normalise_key(text), (c,)) for c in live for text in c.labels.values())
    table.add_layer((normalise_key(text), (c,)) for c in live for text in raw[c.code].alt_labels)


def _curated_aliases(table: KindTable, crosswalk: Mapping[str, Any]) -> Iterable[tuple[str, Found]]:
    """``aliases`` (value → code, [codes] or null) and ``codes`` (code → [values]) of a crosswalk."""
    for value, target in (crosswalk.get("aliases") or {}).items():
        yield normalise_key(str(value)), _resolve_codes(table, target)
    for code, values in (crosswalk.get("codes") or {}).items():
        for value in values:
            yield normalise_key(str(value)), _resolve_codes(table, code)


def _resolve_codes(table: KindTable, target: str | list[str] | None) -> Found:
    codes = [] if target is None else [target] if isinstance(target, str) else target
    found = []
    for code in codes:
        concept = table.by_code.get(str(code).upper())
        if concept is None:
            raise ValueError(f"crosswalk names an unknown code {code!r}")
        found.append(concept)
    return tuple(found)


def _merge_file_type_labels(raw: dict[str, RawConcept], info: KindInfo) -> None:
    """The current EU file-type table has no labels; the 2019 copy has English labels and extensions."""
    for code, older in read_eu_table(eu_path("file-type-labels.rdf"), info.scheme).items():
        if code in raw:
            raw[code].labels = {**older.labels, **raw[code].labels}
            raw[code].alt_labels = older.alt_labels
            raw[code].extensions = older.extensions


def _file_type_media(raw: dict[str, RawConcept], curated: Mapping[str, str | None],
                     iana: Mapping[str, list[str]]) -> dict[str, str]:
    media: dict[str, str] = {}
    for code, item in raw.items():
        registered = [m.lower() for m in item.media_types if m.lower() in iana]
        chosen = curated[code] if code in curated else (registered[0] if registered else None)
        if chosen:
            media[code] = chosen
    return media


def _add_file_type_keys(table: KindTable, raw: dict[str, RawConcept]) -> None:
    live = _eu_concepts(table, raw, live_only=True)
    table.add_ranked_layer((normalise_key(ext), c, normalise_key(ext)) for c in live
                           for ext in raw[c.code].extensions)
    table.add_ranked_layer((normalise_key(m), c, normalise_key(m.split("/")[-1])) for c in live
                           for m in raw[c.code].media_types)


def _media_by_extension(iana: Mapping[str, list[str]]) -> dict[str, str]:
    by_extension: dict[str, str] = {}
    for media, extensions in sorted(iana.items()):
        for extension in extensions:
            by_extension.setdefault(extension, media)
    return by_extension


def _spdx_concepts(info: KindInfo) -> dict[str, Concept]:
    return {licence_id: Concept(SPDX_LICENSES + licence_id, licence_id, SPDX_SCHEME,
                                MappingProxyType({"en": name}), info.kind)
            for licence_id, name in read_spdx_licences().items()}


def _add_spdx_keys(table: KindTable, spdx: Mapping[str, Concept]) -> None:
    """SPDX ids and names come after the EU keys, so "Apache-2.0" stays the EU APACHE_2_0 licence."""
    table.add_layer((normalise_key(licence_id), (c,)) for licence_id, c in spdx.items())
    table.add_layer((normalise_key(c.labels["en"]), (c,)) for c in spdx.values())
