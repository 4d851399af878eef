"""Reading a SPARQL server's answers (JSON or XML results) as pyoxigraph terms; XML results also row by row.

Terms are rebuilt as pyoxigraph terms and printed by it, so a remote store gives exactly the term text the
embedded store gives. Virtuoso answers ASK as a one-column result (``__ASK_RETVAL``) rather than a boolean;
both forms are read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import orjson
import pyoxigraph as ox
from lxml import etree  # type: ignore[import-untyped]

from harvester.dcat.rdf import iri

Term = ox.NamedNode | ox.BlankNode | ox.Literal
_RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_VIRTUOSO_ASK = "__ASK_RETVAL"


def iri_term(value: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(value)
    except ValueError:  # an IRI the server accepted but Oxigraph does not: percent-encode what N-Triples forbids
        try:
            return ox.NamedNode(iri(value)[1:-1])
        except ValueError:
            return ox.NamedNode("urn:harvester:invalid-iri:" + hashlib.sha1(value.encode()).hexdigest())


def blank_term(value: str) -> ox.BlankNode:
    try:
        return ox.BlankNode(value)
    except ValueError:  # servers label blank nodes freely (Virtuoso: nodeID://b10007)
        return ox.BlankNode("b" + hashlib.sha1(value.encode()).hexdigest()[:16])


def literal_term(value: str, language: str | None, datatype: str | None) -> ox.Literal:
    if language:
        return ox.Literal(value, language=language)
    if datatype:
        return ox.Literal(value, datatype=iri_term(datatype))
    return ox.Literal(value)


def json_term(binding: dict[str, str]) -> Term:
    """A term of the SPARQL 1.1 JSON results format (``typed-literal`` is SPARQL 1.0's, still sent by Virtuoso)."""
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return iri_term(value)
    if kind == "bnode":
        return blank_term(value)
    return literal_term(value, binding.get("xml:lang"), binding.get("datatype"))


JSON_RESULTS = "application/sparql-results+json"
XML_RESULTS = "application/sparql-results+xml"
Solution = dict[str, Term]


def solutions(body: bytes, media: str) -> list[Solution]:
    """The rows of a SELECT answer in JSON or XML results, unbound variables left out."""
    if media == JSON_RESULTS:
        bindings = orjson.loads(body).get("results", {}).get("bindings", [])
        return [{name: json_term(b) for name, b in row.items()} for row in bindings]
    reader = XmlResultsReader()
    rows = [*reader.feed(body), *reader.close()]
    return [{n: t for n, t in zip(reader.variables, row) if t is not None} for row in rows]


def boolean(body: bytes, media: str) -> bool:
    """The answer of an ASK query (or Virtuoso's one-column form of it)."""
    if media == JSON_RESULTS:
        data = orjson.loads(body)
        if "boolean" in data:
            return bool(data["boolean"])
        bindings = data.get("results", {}).get("bindings", [])
        return any(row.get(_VIRTUOSO_ASK, {}).get("value") not in (None, "0", "false") for row in bindings)
    reader = XmlResultsReader()
    rows = [*reader.feed(body), *reader.close()]
    return reader.ask_answer(rows)


class XmlResultsReader:
    """Streams a SPARQL XML results document: feed bytes as they arrive, take rows as they complete."""

    def __init__(self) -> None:
        self._parser = etree.XMLPullParser(events=("end",), resolve_entities=False, no_network=True,
                                           huge_tree=False)
        self.variables: list[str] = []
        self.boolean: bool | None = None

    def feed(self, chunk: bytes) -> Iterator[list[Term | None]]:
        self._parser.feed(chunk)
        yield from self._rows()

    def close(self) -> Iterator[list[Term | None]]:
        self._parser.close()
        yield from self._rows()

    def _rows(self) -> Iterator[list[Term | None]]:
        for _, element in self._parser.read_events():
            tag = element.tag
            if tag == _RESULTS_NS + "variable":
                self.variables.append(element.get("name", ""))
            elif tag == _RESULTS_NS + "boolean":
                self.boolean = (element.text or "").strip() == "true"
            elif tag == _RESULTS_NS + "result":
                row = self._row(element)
                element.clear()
                yield row

    def _row(self, result: etree._Element) -> list[Term | None]:
        cells: dict[str, Term] = {}
        for binding in result.iterchildren(_RESULTS_NS + "binding"):
            term = next(binding.iterchildren(), None)
            if term is not None:
                cells[binding.get("name", "")] = _xml_term(term)
        return [cells.get(name) for name in self.variables]

    def ask_answer(self, rows: list[list[Term | None]]) -> bool:
        """The ASK answer, from a boolean element or Virtuoso's one-column result."""
        if self.boolean is not None:
            return self.boolean
        return any(row and row[0] is not None and getattr(row[0], "value", "0") not in ("0", "false")
                   for row in rows)


def _xml_term(element: etree._Element) -> Term:
    tag, text = element.tag, element.text or ""
    if tag == _RESULTS_NS + "uri":
        return iri_term(text)
    if tag == _RESULTS_NS + "bnode":
        return blank_term(text)
    return literal_term(text, element.get(_XML_LANG), element.get("datatype"))
