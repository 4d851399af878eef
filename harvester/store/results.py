"""Serialising SPARQL answers by content negotiation, with the row and time limits stated in the answer."""

from __future__ import annotations

import io
from typing import Iterable, Sequence

from rdflib import BNode, Literal, URIRef, Variable
from rdflib.query import Result

#: results formats of the SPARQL 1.1 Protocol: media type → rdflib serializer name
SELECT_FORMATS = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_FORMATS = {
    "text/turtle": "text/turtle",
    "application/n-triples": "application/n-triples",
    "application/rdf+xml": "application/rdf+xml",
    "application/ld+json": "application/ld+json",
}


def negotiate(accept: str, formats: dict[str, str], default: str) -> str:
    """The first media type of ``accept`` (q-values honoured) that ``formats`` knows, else ``default``."""
    choices = []
    for i, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        choices.append((-q, i, media.strip().lower()))
    for _, _, media in sorted(choices):
        if media in formats:
            return media
        if media in ("*/*", "application/*", "text/*"):
            return default
    return default


def rdflib_term(value: object):  # type: ignore[no-untyped-def]
    """A pyoxigraph term → the equivalent rdflib term."""
    kind = type(value).__name__
    if kind == "NamedNode":
        return URIRef(value.value)  # type: ignore[attr-defined]
    if kind == "BlankNode":
        return BNode(value.value)  # type: ignore[attr-defined]
    if kind == "Literal":
        if value.language:  # type: ignore[attr-defined]
            return Literal(value.value, lang=value.language)  # type: ignore[attr-defined]
        return Literal(value.value, datatype=URIRef(value.datatype.value))  # type: ignore[attr-defined]
    return Literal(str(value))


def serialize_select(variables: Sequence[str], rows: Iterable[Sequence[object]], media_type: str) -> bytes:
    result = Result("SELECT")
    result.vars = [Variable(v) for v in variables]
    result.bindings = [
        {Variable(v): rdflib_term(cell) for v, cell in zip(variables, row) if cell is not None}
        for row in rows
    ]
    out = io.BytesIO()
    fmt = SELECT_FORMATS[media_type]
    if fmt == "tsv":
        out.write(_tsv(variables, result.bindings).encode("utf-8"))
    else:
        result.serialize(out, format=fmt, encoding="utf-8")
    return out.getvalue()


def _tsv(variables: Sequence[str], bindings: list[dict]) -> str:  # type: ignore[type-arg]
    lines = ["\t".join("?" + v for v in variables)]
    for b in bindings:
        lines.append("\t".join(b[Variable(v)].n3() if Variable(v) in b else "" for v in variables))
    return "\n".join(lines) + "\n"


def serialize_ask(value: bool, media_type: str) -> bytes:
    result = Result("ASK")
    result.askAnswer = value
    out = io.BytesIO()
    fmt = SELECT_FORMATS.get(media_type, "json")
    if fmt in ("csv", "tsv"):
        return b"true\n" if value else b"false\n"
    result.serialize(out, format=fmt, encoding="utf-8")
    return out.getvalue()
