"""A user's query proxied to a SPARQL server, with our row and time limits and our results formats.

The server is asked for streamable formats (XML results for SELECT/ASK, N-Triples for CONSTRUCT/DESCRIBE);
the answer is read as it arrives and cut at ``max_rows`` or at the deadline, then serialised for the
client's Accept header exactly as the embedded store does, so /sparql behaves the same on every backend.
A server that has not started answering by the deadline gives QueryTimeout; a server that can tell it cut
its own answer short (Virtuoso's anytime queries) marks the answer cut by time.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import pyoxigraph as ox
from SPARQLWrapper import SPARQLWrapper

from harvester.store import QueryAnswer, QueryTimeout, StoreError
from harvester.store.dialects import Dialect
from harvester.store.results import (
    GRAPH_FORMATS,
    SELECT_FORMATS,
    negotiate,
    serialize_ask,
    serialize_select,
)
from harvester.store.sparql_answers import Term, XmlResultsReader
from harvester.store.sparql_http import SparqlHttp

_CHUNK = 64 * 1024
_RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


@dataclass
class _Cut:
    """How far a streamed answer was read, and why it stopped."""

    deadline: float
    max_rows: int
    by_rows: bool = False
    by_time: bool = False
    items: list = field(default_factory=list)  # type: ignore[type-arg]

    def take(self, item: object) -> bool:
        """Keep the item if the limits allow; False once the answer must stop here."""
        if len(self.items) >= self.max_rows:
            self.by_rows = True
            return False
        if time.monotonic() > self.deadline:
            self.by_time = True
            return False
        self.items.append(item)
        return True


def query_form(sparql: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE as SPARQLWrapper reads the query (SELECT when it cannot tell:
    the server then says what is wrong with it)."""
    wrapper = SPARQLWrapper("http://127.0.0.1/unused")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        wrapper.setQuery(sparql)
    return str(wrapper.queryType or "SELECT")


def run_user_query(http: SparqlHttp, dialect: Dialect, sparql: str, accept: str, max_rows: int,
                   timeout: float) -> QueryAnswer:
    """SyntaxError for a malformed query, QueryTimeout when the server has not answered within ``timeout``."""
    deadline = time.monotonic() + timeout
    form = query_form(sparql)
    server_accept = "application/n-triples" if form in ("CONSTRUCT", "DESCRIBE") else \
        "application/sparql-results+xml"
    params = dialect.query_params
    if dialect.timeout_param:
        params += ((dialect.timeout_param, str(int(timeout * 1000))),)
    try:
        result = http.open_query(sparql, server_accept, timeout, params)
    except StoreError as exc:
        if time.monotonic() >= deadline - 0.05:
            raise QueryTimeout(f"the query ran longer than {timeout:g} s") from exc
        raise
    cut = _Cut(deadline, max_rows)
    server_cut = result.info().get("x-sql-state", "") == "S1TAT"  # Virtuoso: the anytime limit cut the answer
    try:
        if form in ("CONSTRUCT", "DESCRIBE"):
            answer = _graph_answer(result.response, accept, cut)
        else:
            answer = _results_answer(result.response, accept, cut, form == "ASK")
    except (OSError, TimeoutError) as exc:
        raise QueryTimeout(f"the SPARQL server stopped answering: {exc}") from exc
    finally:
        result.response.close()
    answer.truncated_by_time = answer.truncated_by_time or (server_cut and not answer.truncated_by_rows)
    return answer


def _chunks(response, cut: _Cut):  # type: ignore[no-untyped-def]
    while chunk := response.read1(_CHUNK) if hasattr(response, "read1") else response.read(_CHUNK):
        yield chunk
        if time.monotonic() > cut.deadline:
            cut.by_time = True
            return


def _results_answer(response, accept: str, cut: _Cut, is_ask: bool) -> QueryAnswer:  # type: ignore[no-untyped-def]
    media = negotiate(accept, SELECT_FORMATS, "application/sparql-results+json")
    reader = XmlResultsReader()
    stopped = False
    for chunk in _chunks(response, cut):
        if not all(cut.take(row) for row in reader.feed(chunk)):
            stopped = True
            break
    if not stopped and not cut.by_time:
        all(cut.take(row) for row in reader.close())
    if is_ask:
        return QueryAnswer(serialize_ask(reader.ask_answer(cut.items), media), _content_type(media), rows=1)
    rows: list[list[Term | None]] = cut.items
    body = serialize_select(reader.variables, rows, media)
    return QueryAnswer(body, _content_type(media), len(rows), cut.by_rows, cut.by_time)


def _graph_answer(response, accept: str, cut: _Cut) -> QueryAnswer:  # type: ignore[no-untyped-def]
    media = negotiate(accept, GRAPH_FORMATS, "text/turtle")
    pending = b""
    for chunk in _chunks(response, cut):
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        if not all(cut.take(line) for line in lines if _is_triple(line)):
            break
    else:
        if _is_triple(pending) and not cut.by_time:
            cut.take(pending)
    text = b"\n".join(cut.items) + b"\n"
    triples = list(ox.parse(text, format=ox.RdfFormat.N_TRIPLES)) if cut.items else []
    body = ox.serialize(triples, format=_RDF_FORMATS[media]) or b""
    return QueryAnswer(body, _content_type(media), len(triples), cut.by_rows, cut.by_time)


def _is_triple(line: bytes) -> bool:
    line = line.strip()
    return bool(line) and not line.startswith(b"#")


def _content_type(media: str) -> str:
    if media == "application/json":
        media = "application/sparql-results+json"
    if media == "application/xml":
        media = "application/sparql-results+xml"
    return media + ("; charset=utf-8" if not media.endswith("xml") else "")
