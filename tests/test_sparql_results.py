"""SPARQL answers in every results format read back, term for term, by an independent parser (pyoxigraph)."""

from __future__ import annotations

import csv
import io

import orjson
import pyoxigraph as ox
import pytest

from harvester.store.results import serialize_ask, serialize_select

XSD = "http://www.w3.org/2001/XMLSchema#"
VARIABLES = ["s", "label", "n", "blank"]
ROWS = [
    [ox.NamedNode("http://example.org/d/1?a=1&b=2"), ox.Literal("济南市 \"公交\", 线路\n第二行", language="zh"),
     ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")), ox.BlankNode("b0")],
    [ox.NamedNode("http://example.org/d/2"), ox.Literal("plain, with comma"), None, None],
    [None, ox.Literal("2026-11-27", datatype=ox.NamedNode(XSD + "date")), None, None],
]
PARSED = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
          "application/sparql-results+xml": ox.QueryResultsFormat.XML,
          "text/tab-separated-values": ox.QueryResultsFormat.TSV}


@pytest.mark.parametrize("media", list(PARSED))
def test_select_round_trips_through_an_independent_parser(media: str) -> None:
    body = serialize_select(VARIABLES, ROWS, media)
    solutions = ox.parse_query_results(body, PARSED[media])
    assert [v.value for v in solutions.variables] == VARIABLES
    assert [[solution[v] for v in VARIABLES] for solution in solutions] == ROWS


def test_json_follows_the_recommendation_shape() -> None:
    answer = orjson.loads(serialize_select(VARIABLES, ROWS, "application/sparql-results+json"))
    first, second = answer["results"]["bindings"][:2]
    assert answer["head"] == {"vars": VARIABLES}
    assert first["label"] == {"type": "literal", "value": "济南市 \"公交\", 线路\n第二行", "xml:lang": "zh"}
    assert first["n"] == {"type": "literal", "value": "42", "datatype": XSD + "integer"}
    assert first["blank"] == {"type": "bnode", "value": "b0"}
    assert second == {"s": {"type": "uri", "value": "http://example.org/d/2"},
                      "label": {"type": "literal", "value": "plain, with comma"}}  # xsd:string: no datatype


def test_csv_quotes_and_gives_plain_values() -> None:
    body = serialize_select(VARIABLES, ROWS, "text/csv").decode("utf-8")
    assert body.startswith("s,label,n,blank\r\n")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1] == ["http://example.org/d/1?a=1&b=2", "济南市 \"公交\", 线路\n第二行", "42", "_:b0"]
    assert rows[3] == ["", "2026-11-27", "", ""]


def test_xml_drops_characters_xml_cannot_carry() -> None:
    rows = [[ox.Literal("bell\x07 and form feed\x0c")]]
    solutions = ox.parse_query_results(serialize_select(["x"], rows, "application/sparql-results+xml"),
                                       ox.QueryResultsFormat.XML)
    assert [s["x"] for s in solutions] == [ox.Literal("bell and form feed")]


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("media", ["application/sparql-results+json", "application/sparql-results+xml"])
def test_ask(value: bool, media: str) -> None:
    assert bool(ox.parse_query_results(serialize_ask(value, media), PARSED[media])) is value
