"""The mapping of OAI-PMH records: Dublin Core (``oai_dc``) through the field table mappings/oai_dc.yaml,
DCAT-AP RDF/XML through harvester.sources.rdf_normalise (as DCAT feeds are).

Dublin Core is flat and loose, so each record is first prepared (``prepare_dc``) into fields the table maps:

- text keeps its ``xml:lang`` (else the source's language); descriptions in one language are joined;
- ``dc:identifier``: web addresses of files (``.csv``, ``.xlsx`` …) become distributions, the first other web
  address the landing page (also the access URL of a distribution when there is no file), other identifiers
  (DOIs, URNs) and the OAI identifier ``dct:identifier``;
- ``dc:date``: the earliest is ``dct:issued``; the latest, when later, ``dct:modified``, else the header
  datestamp (so the catalog record's date is the repository's last change of the record);
- ``dc:coverage`` that reads as a period (``2001-01-01/2005-12-31``, ``2001 - 2005``) is ``dct:temporal``,
  other coverage a place (``dct:spatial``);
- ``dc:publisher`` (else the first ``dc:creator``) is the publisher; creators are ``dct:creator``;
- ``dc:rights``: each a rights statement, the first licence the vocabulary recognises ``dct:license``.
"""

from __future__ import annotations

import hashlib
import re
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from harvester import vocab
from harvester.dcat.rdf import DCAT
from harvester.errors import MappingError
from harvester.mapping import Mapping, load_mapping
from harvester.mapping.emitters import MapContext
from harvester.mapping.paths import is_empty
from harvester.mapping.values import BadValue, parse_datetime
from harvester.sources.oai_xml import XML_PARSER, local_name
from harvester.sources.rdf_normalise import RDF_MAPPING

OAI_MAPPING_REF = "python:harvester.sources.oai_dc:OAI_MAPPING"
DC = "http://purl.org/dc/elements/1.1/"
DC_ROOT = "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: Dublin Core elements kept as they are (no rule maps them: they become schema:additionalProperty)
KEPT_AS_PROPERTIES = ("type", "source", "relation", "contributor")
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_YEARS = re.compile(r"^\s*(\d{4}(?:-\d{2}(?:-\d{2})?)?)\s*(?:/|--|–| - | to |至|~)\s*(\d{4}(?:-\d{2}(?:-\d{2})?)?)\s*$")
_LANDING_PAGE = f"<{DCAT}landingPage>"

Texts = list[tuple[str, str | None]]  # (text, xml:lang)


class OaiMapping:
    """A mapping object (see harvester.mapping.engine.load_mapping) for payloads of OAI-PMH records."""

    name = "oaipmh"
    ref = OAI_MAPPING_REF

    @cached_property
    def table(self) -> Mapping:
        return load_mapping("oai_dc")

    @cached_property
    def digest(self) -> str:
        code = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:8]
        return f"{self.table.digest}-{code}-{RDF_MAPPING.digest}"

    def remote_id(self, payload: Any) -> str | None:
        return str(payload["identifier"]) if isinstance(payload, dict) and payload.get("identifier") else None

    def change_marker(self, payload: Any) -> str | None:
        return str(payload["datestamp"]) if isinstance(payload, dict) and payload.get("datestamp") else None

    def apply(self, payload: Any, ctx: MapContext) -> None:
        if not isinstance(payload, dict):
            raise MappingError(f"expected a JSON object, got {type(payload).__name__}")
        if payload.get("error"):
            raise MappingError(str(payload["error"]))
        if payload.get("format") == "dcat":
            RDF_MAPPING.apply({**payload, "id": payload.get("id") or payload.get("identifier")}, ctx)
        elif payload.get("format") == "oai_dc":
            self.table.apply(prepare_dc(read_dc(str(payload.get("xml") or "")), payload, ctx.lang), ctx)
        else:
            raise MappingError(f"unknown OAI-PMH payload format {payload.get('format')!r}")


def read_dc(xml: str) -> dict[str, Texts]:
    """Dublin Core element name → its values with their ``xml:lang``, in document order."""
    try:
        root = etree.fromstring(xml.encode("utf-8"), parser=XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise MappingError(f"the oai_dc metadata is not well-formed XML: {exc}") from exc
    fields: dict[str, Texts] = {}
    for element in root:
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{DC}}}"):
            continue
        text = " ".join("".join(element.itertext()).split())
        if not is_empty(text):
            lang = element.get(XML_LANG)
            fields.setdefault(local_name(element), []).append((text, lang if lang and _LANG_TAG.match(lang) else None))
    return fields


def prepare_dc(dc: dict[str, Texts], payload: dict[str, Any], default_lang: str) -> dict[str, Any]:
    """The fields mappings/oai_dc.yaml maps (see the module docstring)."""
    def lang_maps(name: str) -> list[dict[str, str]]:
        return [{lang or default_lang: text} for text, lang in dc.get(name, [])]

    urls, others = _identifiers(dc)
    subjects = [part for one in lang_maps("subject") for part in _split_subject(one)]
    files = [u for u in urls if _file_type(u)]
    landing = next((u for u in urls if u not in files), None)
    record: dict[str, Any] = {
        "identifier": payload.get("identifier"), "datestamp": payload.get("datestamp"),
        "title": _first_per_language(lang_maps("title")), "description": _joined(lang_maps("description")),
        "subject": subjects, "themes": [text for one in subjects for text in one.values()],
        "identifiers": [payload.get("identifier"), *others], "landing_page": landing,
        "language": [text for text, _ in dc.get("language", [])],
        "rights": [text for text, _ in dc.get("rights", [])],
        "licence": [text for text, _ in dc.get("rights", []) if _is_licence(text)][:1],  # DCAT-AP allows one
        "distribution": _distributions(files, landing, [t for t, _ in dc.get("format", [])]),
        "setSpec": payload.get("sets") or [],
        **_agents(dc), **_dates(dc, payload.get("datestamp")), **_coverage(dc),
    }
    for name in KEPT_AS_PROPERTIES:
        record[f"dc:{name}"] = [text for text, _ in dc.get(name, [])]
    return record


def _first_per_language(maps: list[dict[str, str]]) -> list[dict[str, str]]:
    """One title per language (DCAT-AP has one title per language; later ones are left out)."""
    seen: dict[str, str] = {}
    for one in maps:
        for lang, text in one.items():
            seen.setdefault(lang, text)
    return [{lang: text} for lang, text in seen.items()]


def _joined(maps: list[dict[str, str]]) -> list[dict[str, str]]:
    """Several descriptions in one language become one text, paragraphs in document order."""
    joined: dict[str, list[str]] = {}
    for one in maps:
        for lang, text in one.items():
            joined.setdefault(lang, []).append(text)
    return [{lang: "\n\n".join(texts)} for lang, texts in joined.items()]


def _split_subject(one: dict[str, str]) -> list[dict[str, str]]:
    """``"a; b; c"`` is three subjects (a comma may belong to one: "Smith, John")."""
    return [{lang: part.strip()} for lang, text in one.items() for part in re.split(r"[;；、]", text) if part.strip()]


def _identifiers(dc: dict[str, Texts]) -> tuple[list[str], list[str]]:
    """(web addresses, other identifiers) among dc:identifier."""
    urls: list[str] = []
    others: list[str] = []
    for text, _ in dc.get("identifier", []):
        (urls if text.startswith(("http://", "https://")) and " " not in text else others).append(text)
    return list(dict.fromkeys(urls)), list(dict.fromkeys(others))


def _file_type(url: str) -> str | None:
    """The file type code of a web address whose path ends in a known file extension."""
    suffix = PurePosixPath(urlsplit(url).path).suffix.lstrip(".")
    if not suffix or suffix.lower() in ("html", "htm", "php", "asp", "aspx", "jsp", "shtml", "do"):
        return None
    concept = vocab.file_type(suffix)
    return concept.code if concept is not None else None


def _is_licence(text: str) -> bool:
    return (vocab.licence(None, text) if "://" in text else vocab.licence(text)) is not None


def _distributions(files: list[str], landing: str | None, formats: list[str]) -> list[dict[str, Any]]:
    if files:
        return [{"download_url": url, "access_url": url, "format": _file_type(url)} for url in files]
    if landing is None:
        return []
    # no file: the landing page gives access, in the format dc:format names (its first known one)
    known = next((f for f in formats if vocab.file_type(f) is not None), None)
    return [{"access_url": landing, "format": known, "media_type": known}]


def _agents(dc: dict[str, Texts]) -> dict[str, Any]:
    creators = list(dict.fromkeys(text for text, _ in dc.get("creator", [])))
    publishers = [text for text, _ in dc.get("publisher", [])] or creators
    return {"publisher": {"name": publishers[0]} if publishers else None,
            "creator": [{"name": name} for name in creators]}


def _dates(dc: dict[str, Texts], datestamp: str | None) -> dict[str, Any]:
    """issued: the earliest dc:date; modified: the latest when later, else the header datestamp."""
    dated = []
    for text, _ in dc.get("date", []):
        try:
            dated.append((str(parse_datetime(text))[:19], text))
        except BadValue:
            continue  # a year alone, or no date at all: not a date DCAT-AP can carry
    dated.sort()
    issued = dated[0][1] if dated else None
    modified = dated[-1][1] if len(dated) > 1 and dated[-1][0] != dated[0][0] else datestamp
    return {"issued": issued, "modified": modified}


def _coverage(dc: dict[str, Texts]) -> dict[str, Any]:
    periods: list[str] = []
    places: list[str] = []
    for text, _ in dc.get("coverage", []):
        match = _YEARS.match(text)
        (periods if match else places).append(f"{match.group(1)}/{match.group(2)}" if match else text)
    return {"temporal": periods[:1], "spatial": places[:1]}


def landing_page_of(payload: dict[str, Any]) -> str | None:
    """The record's landing page: for oai_dc the first web address among its identifiers that is not a
    file, for DCAT its dcat:landingPage."""
    if payload.get("format") == "oai_dc":
        try:
            urls, _ = _identifiers(read_dc(str(payload.get("xml") or "")))
        except MappingError:
            return None
        return next((u for u in urls if not _file_type(u)), None)
    if payload.get("format") == "dcat":
        head = f"{payload.get('node')} {_LANDING_PAGE} <"
        for line in str(payload.get("ntriples") or "").splitlines():
            if line.startswith(head):
                return line[len(head):].split(">", 1)[0]
    return None


OAI_MAPPING = OaiMapping()
