"""Readers for the files in vocab/: EU authority tables (Turtle, RDF/XML), crosswalk YAML, mime-db, SPDX.

The RDF files are read with pyoxigraph (milliseconds, against about a second with rdflib), and only the
few properties the lookups need are kept.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from harvester import VOCAB_DIR

SKOS = "http://www.w3.org/2004/02/skos/core#"
DC_IDENTIFIER = "http://purl.org/dc/elements/1.1/identifier"
DC_SOURCE = "http://purl.org/dc/elements/1.1/source"
AT = "http://publications.europa.eu/ontology/authority/"
EUVOC = "http://publications.europa.eu/ontology/euvoc#"

_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".rdf": ox.RdfFormat.RDF_XML, ".nt": ox.RdfFormat.N_TRIPLES}
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class RawConcept:
    """What one EU authority file says about one concept."""

    iri: str
    code: str
    labels: dict[str, str] = field(default_factory=dict)
    alt_labels: list[str] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)
    media_types: list[str] = field(default_factory=list)
    deprecated: bool = False


def read_eu_table(path: Path, scheme: str) -> dict[str, RawConcept]:
    """The concepts of ``scheme`` in one EU authority file, by code."""
    by_subject = _group_by_subject(path)
    concepts: dict[str, RawConcept] = {}
    for subject, props in by_subject.items():
        if not (isinstance(subject, ox.NamedNode) and subject.value.startswith(scheme + "/")):
            continue
        code = _first_text(props.get(DC_IDENTIFIER)) or subject.value.rsplit("/", 1)[1]
        concept = RawConcept(iri=subject.value, code=code)
        _fill_labels(concept, props)
        concept.deprecated = _first_text(props.get(AT + "deprecated")) == "true"
        concept.extensions = _mapped_codes(by_subject, props, "file-extension")
        concept.media_types = _notations(by_subject, props)
        concepts[code] = concept
    return concepts


def _group_by_subject(path: Path) -> dict[Any, dict[str, list[Any]]]:
    grouped: dict[Any, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for quad in ox.parse(path=path, format=_FORMATS[path.suffix]):
        grouped[quad.subject][quad.predicate.value].append(quad.object)
    return grouped


def _first_text(terms: list[Any] | None) -> str | None:
    return terms[0].value if terms else None


def _fill_labels(concept: RawConcept, props: dict[str, list[Any]]) -> None:
    for term in props.get(SKOS + "prefLabel", ()):
        concept.labels.setdefault(term.language or "", term.value)
    concept.alt_labels = [term.value for term in props.get(SKOS + "altLabel", ())]


def _mapped_codes(by_subject: dict[Any, dict[str, list[Any]]], props: dict[str, list[Any]],
                  source: str) -> list[str]:
    """The legacy codes of one kind (``file-extension``) in the RDF/XML op-mapped-code blank nodes."""
    found = []
    for node in props.get(AT + "op-mapped-code", ()):
        mapped = by_subject.get(node, {})
        if _first_text(mapped.get(DC_SOURCE)) == source:
            found += [term.value for term in mapped.get(AT + "legacy-code", ())]
    return found


def _notations(by_subject: dict[Any, dict[str, list[Any]]], props: dict[str, list[Any]]) -> list[str]:
    """The media types in the euvoc:xlNotation blank nodes of the file-type table."""
    found = []
    for node in props.get(EUVOC + "xlNotation", ()):
        found += [term.value for term in by_subject.get(node, {}).get(EUVOC + "xlCodification", ())]
    return found


def read_crosswalk(name: str) -> dict[str, Any]:
    """One curated crosswalk file of vocab/crosswalk/ (``labels``, ``aliases``, …)."""
    with open(VOCAB_DIR / "crosswalk" / name, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_YAML_LOADER) or {}


def read_iana_media_types() -> dict[str, list[str]]:
    """The media types registered at IANA (mime-db entries with source "iana") → their extensions."""
    with open(VOCAB_DIR / "iana" / "mime-db.json", encoding="utf-8") as handle:
        database = json.load(handle)
    return {name: entry.get("extensions", []) for name, entry in database.items()
            if entry.get("source") == "iana"}


def read_spdx_licences() -> dict[str, str]:
    """SPDX licence id → full name."""
    with open(VOCAB_DIR / "spdx" / "spdx-license-list.json", encoding="utf-8") as handle:
        return {licence_id: entry["name"] for licence_id, entry in json.load(handle).items()}


def eu_path(name: str) -> Path:
    return VOCAB_DIR / "eu" / name
