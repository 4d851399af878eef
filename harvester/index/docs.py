"""The search document of a dataset, read from its record graph (so the index can always be rebuilt from the store)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Iterable

from harvester import vocab
from harvester.dcat.rdf import A, Triple, iri_value, is_iri, literal_parts, term
from harvester.model import DatasetDoc
from harvester.trust.departments import shown_name
from harvester.trust.quality import TOTAL_METRIC, band_of

_P = {name: term(name) for name in (
    "dct:title", "dct:description", "dcat:keyword", "dct:publisher", "foaf:name", "dcat:theme",
    "dcat:distribution", "dct:format", "dct:license", "dct:accessRights", "dct:modified", "dct:issued",
    "dcat:landingPage", "foaf:primaryTopic", "csvw:name", "csvw:titles", "dqv:isMeasurementOf", "dqv:value")}
_TOTAL_SCORE = f"<{TOTAL_METRIC}>"
_DATASET = term("dcat:Dataset")
_WANTED = frozenset(_P.values())


def doc_from_triples(source_id: str, key: str, triples: Iterable[Triple]) -> DatasetDoc | None:
    """The DatasetDoc of one record graph; None if the graph holds no dcat:Dataset."""
    by_subject: dict[str, dict[str, list[str]]] = {}
    dataset = None
    wanted = _WANTED
    for s, p, o in triples:
        if p in wanted:
            props = by_subject.get(s)
            if props is None:
                props = by_subject[s] = {}
            values = props.get(p)
            if values is None:
                props[p] = [o]
            else:
                values.append(o)
        elif p == A and o == _DATASET:
            dataset = s
    if dataset is None:
        return None
    props = by_subject.get(dataset, {})
    title_zh, title_en = _by_language(props.get(_P["dct:title"], []))
    desc_zh, desc_en = _by_language(props.get(_P["dct:description"], []))
    distributions = [by_subject.get(d, {}) for d in props.get(_P["dcat:distribution"], [])]
    return DatasetDoc(
        id=f"{source_id}/{key}", iri=iri_value(dataset), source=source_id,
        title=title_zh or title_en, title_en=title_en if title_zh else "",
        description=desc_zh or desc_en, description_en=desc_en if desc_zh else "",
        keywords=_unique(literal_parts(k)[0] for k in props.get(_P["dcat:keyword"], [])),
        publisher=shown_name(_publisher_name(props, by_subject)),
        themes=_codes(props.get(_P["dcat:theme"], []), "theme"),
        formats=_codes((f for d in distributions for f in d.get(_P["dct:format"], [])), "file_type"),
        license=(_codes(props.get(_P["dct:license"], []) or
                        [lic for d in distributions for lic in d.get(_P["dct:license"], [])], "licence") or [""])[0],
        access=(_codes(props.get(_P["dct:accessRights"], []), "access_right") or [""])[0],
        modified=_when(props.get(_P["dct:modified"])), issued=_when(props.get(_P["dct:issued"])),
        landing_page=next((iri_value(x) for x in props.get(_P["dcat:landingPage"], []) if is_iri(x)), ""),
        columns=_columns(by_subject),
        quality=(score := _quality_total(by_subject)), quality_band=band_of(score) if score is not None else "",
    )


def _quality_total(by_subject: dict[str, dict[str, list[str]]]) -> int | None:
    """The record's MQA total (the DQV measurement of piveau's ``pv:score``), if measured."""
    metric, value = _P["dqv:isMeasurementOf"], _P["dqv:value"]
    for props in by_subject.values():
        if _TOTAL_SCORE in props.get(metric, ()) and props.get(value):
            try:
                return int(literal_parts(props[value][0])[0])
            except ValueError:
                return None
    return None


def _columns(by_subject: dict[str, dict[str, list[str]]]) -> list[str]:
    """Names and titles of the record's data-dictionary columns (csvw:Column nodes), in the record's order."""
    names, titles = _P["csvw:name"], _P["csvw:titles"]
    return _unique(literal_parts(v)[0] for props in by_subject.values() if names in props
                   for v in (*props[names], *props.get(titles, ())) if not is_iri(v))


def _by_language(literals: list[str]) -> tuple[str, str]:
    """(Chinese or untagged text, English text) of a multilingual property."""
    zh = en = other = ""
    for lit in literals:
        if is_iri(lit):
            continue
        text, lang, _ = literal_parts(lit)
        lang = (lang or "").lower()
        if lang.startswith("en"):
            en = en or text
        elif not lang or lang.startswith("zh"):
            zh = zh or text
        else:
            other = other or text
    return zh or other, en


def _publisher_name(props: dict[str, list[str]], by_subject: dict[str, dict[str, list[str]]]) -> str:
    for publisher in props.get(_P["dct:publisher"], []):
        zh, en = _by_language(by_subject.get(publisher, {}).get(_P["foaf:name"], []))
        if zh or en:
            return zh or en
    return ""


def _codes(values: Iterable[str], kind: str) -> list[str]:
    """EU vocabulary codes of the IRIs among ``values`` (local concepts and unknown IRIs are left out)."""
    out = []
    for value in values:
        if not is_iri(value):
            continue
        concept = vocab.concept(iri_value(value), kind)
        if concept is not None:
            out.append(concept.code)
    return _unique(out)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _when(values: list[str] | None) -> datetime | None:
    if not values:
        return None
    text = literal_parts(values[0])[0]
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        parsed = datetime(day.year, day.month, day.day)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
