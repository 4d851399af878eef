"""Serialising SPARQL answers by content negotiation, with the row and time limits stated in the answer."""

from __future__ import annotations

import csv
import io
import re
from typing import Iterable, Sequence
from xml.sax.saxutils import escape, quoteattr

import orjson
import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal

#: results formats of the SPARQL 1.1 Protocol: media type → format
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


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def serialize_select(variables: Sequence[str], rows: Iterable[Sequence[Term | None]], media_type: str) -> bytes:
    """SELECT answers in one of the SPARQL 1.1 results formats. Written here rather than through rdflib,
    which took milliseconds per answer: this is the SPARQL endpoint's hot path."""
    fmt = SELECT_FORMATS[media_type]
    if fmt == "json":
        return orjson.dumps({"head": {"vars": list(variables)},
                             "results": {"bindings": [_json_binding(variables, row) for row in rows]}})
    if fmt == "xml":
        return _xml(variables, rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(variables)
        writer.writerows([_csv_cell(cell) for cell in row] for row in rows)
        return out.getvalue().encode("utf-8")
    lines = ["\t".join("?" + v for v in variables)]  # TSV: terms in their Turtle / N-Triples form
    lines += ["\t".join("" if cell is None else str(cell) for cell in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def serialize_ask(value: bool, media_type: str) -> bytes:
    fmt = SELECT_FORMATS.get(media_type, "json")
    if fmt in ("csv", "tsv"):
        return b"true\n" if value else b"false\n"
    if fmt == "xml":
        return (f'<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="{_RESULTS_NS}"><head/>'
                f"<boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode("utf-8")
    return orjson.dumps({"head": {}, "boolean": value})


def _json_term(cell: Term) -> dict[str, str]:
    if isinstance(cell, ox.NamedNode):
        return {"type": "uri", "value": cell.value}
    if isinstance(cell, ox.BlankNode):
        return {"type": "bnode", "value": cell.value}
    if isinstance(cell, ox.Literal):
        if cell.language:
            return {"type": "literal", "value": cell.value, "xml:lang": cell.language}
        if cell.datatype.value != _XSD_STRING:
            return {"type": "literal", "value": cell.value, "datatype": cell.datatype.value}
        return {"type": "literal", "value": cell.value}
    return {"type": "literal", "value": str(cell)}  # a quoted triple (RDF-star): its N-Triples text


def _json_binding(variables: Sequence[str], row: Sequence[Term | None]) -> dict[str, dict[str, str]]:
    return {v: _json_term(cell) for v, cell in zip(variables, row) if cell is not None}


def _csv_cell(cell: Term | None) -> str:
    if cell is None:
        return ""
    if isinstance(cell, ox.BlankNode):
        return f"_:{cell.value}"
    return getattr(cell, "value", None) or str(cell)


def _xml(variables: Sequence[str], rows: Iterable[Sequence[Term | None]]) -> bytes:
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="{_RESULTS_NS}"><head>']
    parts += [f"<variable name={quoteattr(v)}/>" for v in variables]
    parts.append("</head><results>")
    for row in rows:
        parts.append("<result>")
        for v, cell in zip(variables, row):
            if cell is not None:
                parts.append(f"<binding name={quoteattr(v)}>{_xml_term(cell)}</binding>")
        parts.append("</result>")
    parts.append("</results></sparql>\n")
    return "".join(parts).encode("utf-8")


def _xml_term(cell: Term) -> str:
    term = _json_term(cell)
    value = escape(_xml_safe(term["value"]))
    if term["type"] != "literal":
        return f"<{term['type']}>{value}</{term['type']}>"
    if "xml:lang" in term:
        return f"<literal xml:lang={quoteattr(term['xml:lang'])}>{value}</literal>"
    if "datatype" in term:
        return f"<literal datatype={quoteattr(term['datatype'])}>{value}</literal>"
    return f"<literal>{value}</literal>"


def _xml_safe(text: str) -> str:
    """Characters XML 1.0 cannot carry (control characters other than tab and newlines) dropped."""
    return _XML_ILLEGAL.sub("", text)

