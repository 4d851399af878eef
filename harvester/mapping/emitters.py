"""Turning payload values into RDF objects, one function per ``as:`` kind of a mapping rule.

Each emitter gets the values found at the rule's path and returns the objects (N-Triples terms) to attach;
emitters that build a node (a period, a location, a checksum, a local concept) add its triples to the
context. A value that cannot be read raises MappingError when the rule is ``strict`` and is skipped
otherwise (documented per kind in docs/mapping.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable
from urllib.parse import quote

from harvester import vocab
from harvester.dcat import rdf
from harvester.dcat.rdf import A, literal, safe_iri, term, typed
from harvester.errors import MappingError
from harvester.mapping.columns import emit_table_schema
from harvester.mapping.values import BadValue, is_email, parse_datetime, parse_nonneg_int, split_values

MAX_TEXT = 20_000  # characters kept of one harvested text value
XSD_DATETIME = rdf.XSD + "dateTime"
XSD_DATE = rdf.XSD + "date"


@dataclass(frozen=True)
class RuleOptions:
    name: str
    lang: str | None = None
    split: str | None = None
    tz: timezone = timezone.utc
    strict: bool = False
    vocab: str | None = None
    scheme: str | None = None


@dataclass
class MapContext:
    """Where one record's triples accumulate, and the names its IRIs are minted from."""

    base: str
    source_id: str
    key: str
    dataset: str  # IRI, without brackets
    #: plain (s, p, o) tuples on the hot path; Triple is the same shape with names
    triples: list[tuple[str, str, str]] = field(default_factory=list)
    root: Any = None  # the prepared payload of the record, for rules that read it from a node
    lang: str = "zh"  # the language of untagged text from this source (rules say ``lang: default``)

    def language(self, opts: RuleOptions) -> str | None:
        return self.lang if opts.lang == "default" else opts.lang

    def add(self, s: str, p: str, o: str) -> None:
        self.triples.append((s, p, o))


Emitter = Callable[[list[Any], RuleOptions, MapContext, str], list[str]]


def _texts(values: list[Any], opts: RuleOptions) -> list[str]:
    out: list[str] = []
    for value in values:
        if isinstance(value, (dict, list)):
            raise MappingError(f"{opts.name}: expected text, got {type(value).__name__}")
        text = str(value).strip()[:MAX_TEXT]
        out.extend(split_values(text, opts.split) if opts.split else [text])
    return out


def emit_text(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    lang = ctx.language(opts)
    return [literal(t, lang) for t in _texts(values, opts) if t]


def emit_lang_map(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    out = []
    for value in values:
        if isinstance(value, str) and value.lstrip().startswith("{"):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        if not isinstance(value, dict):
            out.extend(emit_text([value], opts, ctx, subject))
            continue
        for lang, text in value.items():
            if isinstance(text, str) and text.strip():
                out.append(literal(text.strip()[:MAX_TEXT], _lang_tag(lang)))
    return out


def _lang_tag(lang: str) -> str:
    tag = str(lang).strip().replace("_", "-")
    return tag if tag and all(part.isalnum() for part in tag.split("-")) else "und"


def emit_datetime(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    out = []
    for value in values[:1]:
        try:
            parsed = parse_datetime(value, opts.tz)
        except BadValue as exc:
            if opts.strict:
                raise MappingError(f"{opts.name}: {exc}") from exc
            continue
        out.append(datetime_term(parsed))
    return out


def datetime_term(value: datetime | date) -> str:
    # ISO 8601 text has nothing N-Triples escapes, so the literal is written without typed()'s escaping
    if isinstance(value, datetime):
        return f'"{value.isoformat(timespec="seconds")}"^^<{XSD_DATETIME}>'
    return f'"{value.isoformat()}"^^<{XSD_DATE}>'


def emit_iri(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    out = []
    for value in values:
        node = safe_iri(str(value)) if isinstance(value, str) and "://" in value else None
        if node is None and opts.strict:
            raise MappingError(f"{opts.name}: not a URL: {str(value)[:80]!r}")
        if node:
            out.append(node)
    return out


def emit_document(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    """An IRI typed foaf:Document (DCAT-AP's range for landing pages and pages)."""
    out = emit_iri(values, opts, ctx, subject)
    for node in out:
        ctx.add(node, A, term("foaf:Document"))
    return out


def emit_email(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    out = []
    for text in _texts(values, opts):
        address = text.removeprefix("mailto:")
        if is_email(address):
            out.append(f"<mailto:{quote(address, safe='@.+-_')}>")
    return out


#: between several numbers in one field ("0531-86912345，13812345678"); spaces inside one number are kept
_TEL_SEPARATORS = re.compile(r"[,，、;；/|]|\s{2,}|\s(?=[+0-9]{7,})")


def emit_tel(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    """One tel: IRI per number, so that each can be told official (a landline) or personal (a mobile)."""
    out = []
    for text in _texts(values, opts):
        for part in _TEL_SEPARATORS.split(text):
            digits = "".join(ch for ch in part if ch.isdigit() or ch in "+-")
            if sum(ch.isdigit() for ch in digits) >= 5:
                out.append(f"<tel:{digits}>")
    return list(dict.fromkeys(out))


def emit_nonneg_integer(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    out = []
    for value in values[:1]:
        try:
            out.append(typed(str(parse_nonneg_int(value)), rdf.XSD + "nonNegativeInteger"))
        except BadValue as exc:
            if opts.strict:
                raise MappingError(f"{opts.name}: {exc}") from exc
    return out


_LOOKUPS: dict[str, Callable[[str], Any]] = {
    "theme": vocab.theme, "file_type": vocab.file_type, "frequency": vocab.frequency,
    "access_right": vocab.access_right, "language": vocab.language, "licence": vocab.licence,
}


def emit_vocab(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    lookup = _LOOKUPS[opts.vocab or ""]
    out = []
    for text in _texts(values, opts):
        concept = lookup(text) if "://" not in text or opts.vocab != "licence" else vocab.licence(None, text)
        if concept is not None:
            out.append(f"<{concept.iri}>")
    return list(dict.fromkeys(out))


def emit_media_type(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    out = []
    for text in _texts(values, opts):
        found = vocab.media_type(text)
        if found:
            out.append(f"<{found}>")
    return out[:1]


def emit_local_concept(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    """The portal's own category as a SKOS concept, with skos:closeMatch to the EU data theme if known."""
    scheme = f"{ctx.base}/concepts/{ctx.source_id}/{opts.scheme or 'theme'}"
    out = []
    for text in _texts(values, opts):
        node = f"<{scheme}/{quote(text, safe='')}>"
        ctx.add(node, A, term("skos:Concept"))
        ctx.add(node, term("skos:prefLabel"), literal(text, ctx.language(opts) or ctx.lang))
        ctx.add(node, term("skos:inScheme"), f"<{scheme}>")
        eu = vocab.theme(text)
        if eu is not None:
            ctx.add(node, term("skos:closeMatch"), f"<{eu.iri}>")
        out.append(node)
    return out


def emit_period(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    """``"2019-01-01/2023-12-31"`` (or a dict with start/end) → a dct:PeriodOfTime node."""
    for value in values[:1]:
        start, end = _period_bounds(value)
        terms = []
        for bound in (start, end):
            try:
                terms.append(datetime_term(parse_datetime(bound, opts.tz)) if bound else None)
            except BadValue:
                terms.append(None)
        if not any(terms):
            return []
        node = f"<{subject[1:-1]}#temporal>"
        ctx.add(node, A, term("dct:PeriodOfTime"))
        for pred, obj in zip(("dcat:startDate", "dcat:endDate"), terms):
            if obj:
                ctx.add(node, term(pred), obj)
        return [node]
    return []


def _period_bounds(value: Any) -> tuple[Any, Any]:
    if isinstance(value, dict):
        return value.get("start") or value.get("startDate"), value.get("end") or value.get("endDate")
    text = str(value)
    for sep in ("/", " TO ", "至", "~"):
        if sep in text:
            start, _, end = text.partition(sep)
            return start.strip(" [") or None, end.strip(" ]*") or None
    return text, None


def emit_location(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    """A place name or a GeoJSON geometry → a dct:Location node."""
    for text in _texts(values, opts)[:1]:
        node = f"<{subject[1:-1]}#spatial>"
        ctx.add(node, A, term("dct:Location"))
        if text.startswith("{"):
            ctx.add(node, term("locn:geometry"), typed(text, rdf.GSP + "geoJSONLiteral"))
        else:
            ctx.add(node, term("skos:prefLabel"), literal(text, ctx.language(opts) or ctx.lang))
        return [node]
    return []


_CHECKSUM_ALGORITHMS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}


def emit_checksum(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    for text in _texts(values, opts)[:1]:
        algorithm, _, digest = text.rpartition(":")
        digest = digest.lower()
        name = algorithm.lower().replace("-", "") or _CHECKSUM_ALGORITHMS.get(len(digest), "")
        if not name or any(ch not in "0123456789abcdef" for ch in digest):
            return []
        node = f"<{subject[1:-1]}#checksum>"
        ctx.add(node, A, term("spdx:Checksum"))
        ctx.add(node, term("spdx:algorithm"), f"<{rdf.SPDX}checksumAlgorithm_{name}>")
        ctx.add(node, term("spdx:checksumValue"), typed(digest, rdf.XSD + "hexBinary"))
        return [node]
    return []


EMITTERS: dict[str, Emitter] = {
    "text": emit_text, "lang_map": emit_lang_map, "datetime": emit_datetime, "iri": emit_iri,
    "document": emit_document, "email": emit_email, "tel": emit_tel, "nonneg_integer": emit_nonneg_integer,
    "vocab": emit_vocab, "media_type": emit_media_type, "local_concept": emit_local_concept,
    "period": emit_period, "location": emit_location, "checksum": emit_checksum,
    "table_schema": emit_table_schema,
}


_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def slug(value: Any) -> str:
    """A URL-safe path segment for an IRI template: the value if it is safe, else a short hash."""
    text = str(value)
    if _SAFE_SEGMENT.fullmatch(text) and text not in (".", ".."):
        return text
    return "h" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
