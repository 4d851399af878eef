"""RDF terms as N-Triples text: the record graph representation shared by mapping, stores and the index.

A record graph is a list of ``(subject, predicate, object)`` triples whose parts are already in N-Triples
syntax (``<iri>``, ``"text"@zh``, ``"5"^^<…#integer>``). Building text is ~6× cheaper than building
pyoxigraph term objects, and the same text feeds ``Store.bulk_load``, SPARQL ``INSERT DATA`` and the Graph
Store Protocol. Records use no blank nodes: every node gets an IRI under its dataset, so graphs are
deterministic and never merge across records in the union graph.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, NamedTuple
from urllib.parse import quote

from pyoxigraph import NamedNode

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ADMS = "http://www.w3.org/ns/adms#"
SPDX = "http://spdx.org/rdf/terms#"
LOCN = "http://www.w3.org/ns/locn#"
PROV = "http://www.w3.org/ns/prov#"
OWL = "http://www.w3.org/2002/07/owl#"
DCATAP = "http://data.europa.eu/r5r/"
SCHEMA = "http://schema.org/"
CSVW = "http://www.w3.org/ns/csvw#"
GSP = "http://www.opengis.net/ont/geosparql#"
DQV = "http://www.w3.org/ns/dqv#"
HARV = "urn:harvester:"  # our own terms for values CKAN sends that have no DCAT home (see docs/mapping.md)

PREFIXES = {
    "dcat": DCAT, "dct": DCT, "foaf": FOAF, "vcard": VCARD, "rdf": RDF, "rdfs": RDFS, "xsd": XSD,
    "skos": SKOS, "adms": ADMS, "spdx": SPDX, "locn": LOCN, "prov": PROV, "owl": OWL, "dcatap": DCATAP,
    "schema": SCHEMA, "csvw": CSVW, "gsp": GSP, "dqv": DQV,
}

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'[\\"\n\r]')
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Characters N-Triples forbids in an IRIREF, and whitespace; everything else passes as is (Chinese included).
_BAD_IRI_CHARS = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_IRI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class Triple(NamedTuple):
    s: str
    p: str
    o: str


def iri(value: str) -> str:
    """``<value>`` with the characters N-Triples forbids percent-encoded; raises ValueError if not absolute."""
    value = value.strip()
    if not _IRI_SCHEME.match(value):
        raise ValueError(f"not an absolute IRI: {value[:200]!r}")
    if _BAD_IRI_CHARS.search(value):
        value = _BAD_IRI_CHARS.sub(lambda m: quote(m.group(0), safe=""), value)
    return f"<{value}>"


def safe_iri(value: str | None) -> str | None:
    """``iri(value)`` for an untrusted value, or None when it is not a valid absolute IRI even after
    percent-encoding (checked by Oxigraph's own IRI parser, so the store can load records without
    validating them again)."""
    if not value:
        return None
    try:
        node = iri(value)
        NamedNode(node[1:-1])
    except ValueError:
        return None
    return node


def _escape(text: str) -> str:
    if text.isprintable() and '"' not in text and "\\" not in text:  # the common case, checked in C
        return text
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    if _NEEDS_ESCAPE.search(text):
        text = _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], text)
    return text


def literal(text: str, lang: str | None = None) -> str:
    """A plain string literal (``xsd:string``) or a language-tagged one."""
    if lang:
        return f'"{_escape(text)}"@{lang}'
    return f'"{_escape(text)}"'


def typed(text: str, datatype: str) -> str:
    """A typed literal; ``datatype`` is a full IRI."""
    if datatype == XSD + "string":
        return literal(text)
    return f'"{_escape(text)}"^^<{datatype}>'


@lru_cache(maxsize=512)
def term(curie: str) -> str:
    """``dct:title`` → ``<http://purl.org/dc/terms/title>`` (cached: predicates repeat on every record)."""
    prefix, _, local = curie.partition(":")
    if prefix in PREFIXES:
        return f"<{PREFIXES[prefix]}{local}>"
    return iri(curie)


A = term("rdf:type")


def to_ntriples(triples: Iterable[Triple]) -> str:
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


def to_nquads(triples: Iterable[Triple], graph: str) -> str:
    return "".join(f"{s} {p} {o} {graph} .\n" for s, p, o in triples)


# --- reading N-Triples terms back (for documents and display) ------------------------------------

_UNESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n", "\\r": "\r", "\\t": "\t"}
_ESCAPED = re.compile(r'\\(?:[\\"nrt]|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})')


def _unescape_one(m: re.Match[str]) -> str:
    s = m.group(0)
    if s in _UNESCAPES:
        return _UNESCAPES[s]
    return chr(int(s[2:], 16))


def is_iri(term_text: str) -> bool:
    return term_text.startswith("<")


def iri_value(term_text: str) -> str:
    return term_text[1:-1]


def literal_parts(term_text: str) -> tuple[str, str | None, str | None]:
    """``"text"@zh`` → (text, "zh", None); ``"5"^^<dt>`` → ("5", None, dt)."""
    end = term_text.rindex('"')
    text = term_text[1:end]
    if "\\" in text:
        text = _ESCAPED.sub(_unescape_one, text)
    rest = term_text[end + 1:]
    if rest.startswith("@"):
        return text, rest[1:], None
    if rest.startswith("^^<"):
        return text, None, rest[3:-1]
    return text, None, None


def value_of(term_text: str) -> str:
    """The lexical value of an N-Triples term: the IRI for ``<…>``, the text for a literal."""
    if term_text.startswith("<"):
        return term_text[1:-1]
    if term_text.startswith('"'):
        return literal_parts(term_text)[0]
    return term_text
