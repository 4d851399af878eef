"""The catalog in a remote SPARQL 1.1 server (Oxigraph server, Virtuoso, Fuseki, GraphDB…): ``sparql+http(s)://``.

Reads are SPARQL queries (SPARQLWrapper); writes are SPARQL 1.1 Update and/or Graph Store Protocol requests
(on Virtuoso, POSTs to the harvester loader installed in it: harvester.store.virtuoso), many records per
request where the server allows it, as its dialect (harvester.store.dialects) says. A record graph is
replaced by one request (atomic as far as the server makes a request atomic: docs/stores.md says what each
server guarantees). Listing and reading many graphs goes a page of graphs per query, never a query per
graph. The store's scope is the graphs under ``{web.base_url}/graph/``: export writes those, and nothing else
on a shared server.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING

import pyoxigraph as ox

from harvester.dcat.rdf import DCAT, XSD, Triple, iri
from harvester.dcat.record import Iris
from harvester.store import GraphWrite, QueryAnswer, RecordDataError, StoreError
from harvester.store.dialects import DIALECTS, Dialect, WriteMethod, dialect_of_server
from harvester.store.sparql_answers import (
    JSON_RESULTS,
    Solution,
    Term,
    boolean,
    solutions,
)
from harvester.store.sparql_http import Endpoints, SparqlHttp
from harvester.store.sparql_query import run_user_query
from harvester.store.virtuoso import VirtuosoLoader

if TYPE_CHECKING:
    from harvester.settings import Settings

#: graphs read per query by iter_graphs and export
GRAPHS_PER_PAGE = 100
#: graph names listed per query (below Virtuoso's default ResultSetMaxRows of 10,000)
NAMES_PER_PAGE = 5000
#: most N-Triples characters in one SPARQL Update request (records are grouped below it, never split)
MAX_UPDATE_CHARS = 4 * 1024 * 1024
#: most N-Quads characters in one Graph Store POST
MAX_POST_CHARS = 32 * 1024 * 1024
#: most records in one request to Virtuoso's loader (measured: 50-100 a request load fastest; its cost per
#: record grows slowly past that), and at most MAX_UPDATE_CHARS of N-Triples
LOADER_RECORDS = 100
#: loader requests at a time (measured at 10,000 records on 2 cores: 1 a time ~470 records/s, 2 ~555, 4 ~520)
LOADER_CONCURRENCY = 2
_EXPORT_FORMATS = {"nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "ttl": ox.RdfFormat.TURTLE,
                   "jsonld": ox.RdfFormat.JSON_LD}
_BYTE_SIZE = ox.NamedNode(DCAT + "byteSize")
_INTEGER = ox.NamedNode(XSD + "integer")
_NON_NEGATIVE = ox.NamedNode(XSD + "nonNegativeInteger")


class SparqlStore:
    """A TripleStore on a SPARQL 1.1 server; safe to share between threads."""

    def __init__(self, endpoints: Endpoints, dialect: Dialect, scope: str, write_concurrency: int = 4) -> None:
        self.dialect = dialect
        self.scope = scope
        self.http = SparqlHttp(endpoints, write_concurrency)
        self._loader = VirtuosoLoader(self.http, endpoints.loader)
        self._writers = concurrent.futures.ThreadPoolExecutor(max(1, write_concurrency), "store-write")
        self._loads = min(max(1, write_concurrency), LOADER_CONCURRENCY)
        self._loaders = concurrent.futures.ThreadPoolExecutor(self._loads, "store-load")

    @classmethod
    def from_settings(cls, url: str, settings: Settings | None) -> SparqlStore:
        """The store at ``sparql+http(s)://…``, its endpoints and credentials from the ``store.*`` settings."""
        from harvester.settings import Settings as _Settings

        settings = settings or _Settings()
        query_url = url.removeprefix("sparql+")
        probe = Endpoints(query_url, query_url, None, settings["store.user"], settings["store.password"],
                          settings["store.auth"], float(settings["store.timeout"]), int(settings["store.retries"]))
        dialect = _dialect(settings["store.dialect"], SparqlHttp(probe))
        endpoints = Endpoints(
            query_url, settings["store.update_url"] or dialect.update_url(query_url),
            settings["store.gsp_url"] or dialect.gsp_url(query_url, probe.authenticated),
            probe.user, probe.password, probe.auth, probe.timeout, probe.retries,
            dialect.loader_url(query_url, probe.authenticated))
        return cls(endpoints, dialect, Iris(settings.base_url).graph_prefix(), int(settings["store.write_concurrency"]))

    # --- writes ----------------------------------------------------------------------------------
    def replace_graphs(self, writes: Sequence[GraphWrite]) -> None:
        """Replace each graph by one request of the dialect's method. RecordDataError if the server refused
        the data (the caller retries record by record); StoreError if it could not be reached or failed."""
        if not writes:
            return
        if self.dialect.write is WriteMethod.LOADER and self._loader.installed():
            # requests of even size, a multiple of the writers in number, so that none waits on a short last one
            requests = -(-len(writes) // LOADER_RECORDS)
            requests = -(-requests // self._loads) * self._loads
            self._gather(self._loaders.submit(self._loader.replace, group)
                         for group in _groups(writes, MAX_UPDATE_CHARS, -(-len(writes) // requests)))
            return
        if self.dialect.write in (WriteMethod.GRAPH_PUT, WriteMethod.LOADER):
            self._put_each(writes)
            return
        new: Sequence[GraphWrite] = []
        if self.dialect.write is WriteMethod.QUADS_POST and len(writes) > 1:
            existing = self._existing({w.graph for w in writes})
            new = [w for w in writes if w.graph not in existing]
            writes = [w for w in writes if w.graph in existing]
        for group in _groups(new, MAX_POST_CHARS):
            self.http.post_quads("".join(w.nquads() for w in group), self.dialect.quads_post_params)
        for group in _groups(writes, MAX_UPDATE_CHARS):
            self.http.update(_replace_update(group))

    def _put_each(self, writes: Sequence[GraphWrite]) -> None:
        self._gather(self._writers.submit(self.http.put_graph, w.graph, w.ntriples) for w in writes)

    @staticmethod
    def _gather(submitted: Iterator[concurrent.futures.Future[None]]) -> None:
        """Wait for every request; raise the worst error among them."""
        futures = list(submitted)
        errors = [e for e in (f.exception() for f in futures) if e is not None]
        # a failing server fails the job; data refused (and nothing worse) sends the caller record by record
        errors.sort(key=lambda e: isinstance(e, RecordDataError))
        if errors:
            raise errors[0]

    def drop_graphs(self, graphs: Sequence[str]) -> None:
        """500 graphs a request; on Virtuoso by its loader (a request naming graphs and carrying no quads), one
        transaction a request and ~10x faster than its ``DROP GRAPH``."""
        loader = self.dialect.write is WriteMethod.LOADER and self._loader.installed()
        for start in range(0, len(graphs), 500):
            names = graphs[start:start + 500]
            if loader:
                self._loader.replace([GraphWrite(g, "") for g in names])
            else:
                self.http.update(" ;\n".join(f"DROP SILENT GRAPH {_iri(g)}" for g in names))

    def patch_graph(self, graph: str, removed: Sequence[Triple], added: Sequence[Triple]) -> None:
        """SPARQL Update requests of at most MAX_UPDATE_CHARS, the removals first (each request is one
        transaction on every server we document)."""
        for verb, triples in (("DELETE", removed), ("INSERT", added)):
            lines = [f"{s} {p} {o} .\n" for s, p, o in triples]
            for group in _chunks(lines, MAX_UPDATE_CHARS):
                self.http.update(f"{verb} DATA {{ GRAPH {_iri(graph)} {{\n{''.join(group)}}} }}")

    def _existing(self, graphs: set[str]) -> set[str]:
        values = " ".join(_iri(g) for g in sorted(graphs))
        rows = self.select(f"SELECT ?g WHERE {{ VALUES ?g {{ {values} }} FILTER EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} }}")
        return {r["g"][1:-1] for r in rows}

    # --- reads -----------------------------------------------------------------------------------
    def has_graph(self, graph: str) -> bool:
        return boolean(self._query(f"ASK {{ GRAPH {_iri(graph)} {{ ?s ?p ?o }} }}"), self.dialect.results)

    def graph_triples(self, graph: str) -> list[Triple]:
        rows = self._solutions(f"SELECT ?s ?p ?o WHERE {{ GRAPH {_iri(graph)} {{ ?s ?p ?o }} }}")
        return [_triple(r["s"], r["p"], r["o"]) for r in rows]

    def iter_graphs(self, prefix: str) -> Iterator[tuple[str, list[Triple]]]:
        for graph, terms in self._graph_pages(prefix):
            yield graph, [_triple(s, p, o) for s, p, o in terms]

    def count_graphs(self, prefix: str) -> int:
        if self.dialect.names_in_one_query:
            return sum(1 for _ in self.graph_names(prefix))
        rows = self.select(f"SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ {self.dialect.graphs_pattern} "
                           f"FILTER(STRSTARTS(STR(?g), {_string(prefix)})) }}")
        return _count(rows)

    def graph_names(self, prefix: str) -> Iterator[str]:
        """Names of the named graphs under ``prefix``, in code point order, a page per query."""
        if self.dialect.names_in_one_query:
            yield from self._all_graph_names(prefix)
            return
        last = ""
        while True:
            rows = self.select(
                f"SELECT DISTINCT ?g (STR(?g) AS ?k) WHERE {{ {self.dialect.graphs_pattern} "
                f"FILTER(STRSTARTS(STR(?g), {_string(prefix)}) && STR(?g) > {_string(last)}) }} "
                f"ORDER BY ?k LIMIT {NAMES_PER_PAGE}")
            names = [r["g"][1:-1] for r in rows]
            yield from names
            if len(names) < NAMES_PER_PAGE:
                return
            last = names[-1]

    def _all_graph_names(self, prefix: str) -> list[str]:
        rows = self.select(f"SELECT ?g WHERE {{ {self.dialect.graphs_pattern} }} GROUP BY ?g")
        expected = _count(self.select(f"SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ {self.dialect.graphs_pattern} }}"))
        if len(rows) < expected:
            raise StoreError(f"the SPARQL server cut the list of graphs at {len(rows)} of {expected}: raise its "
                             "result row limit (Virtuoso: [SPARQL] ResultSetMaxRows; see docs/stores.md)")
        return sorted(name for name in (r["g"][1:-1] for r in rows) if name.startswith(prefix))

    def _graph_pages(self, prefix: str) -> Iterator[tuple[str, list[tuple[Term, Term, Term]]]]:
        page: list[str] = []
        for name in self.graph_names(prefix):
            page.append(name)
            if len(page) == GRAPHS_PER_PAGE:
                yield from self._read_page(page)
                page = []
        if page:
            yield from self._read_page(page)

    def _read_page(self, graphs: list[str]) -> Iterator[tuple[str, list[tuple[Term, Term, Term]]]]:
        values = " ".join(_iri(g) for g in graphs)
        rows = self._solutions(f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}")
        by_graph: dict[str, list[tuple[Term, Term, Term]]] = {g: [] for g in graphs}
        for r in rows:
            by_graph[r["g"].value].append((r["s"], r["p"], r["o"]))  # type: ignore[union-attr]
        self._check_complete(graphs, by_graph)
        for graph in graphs:
            if by_graph[graph]:
                yield graph, by_graph[graph]

    def _check_complete(self, graphs: list[str], by_graph: dict[str, list[tuple[Term, Term, Term]]]) -> None:
        """A server that caps answers (Virtuoso's ResultSetMaxRows) must not cut a page silently."""
        if sum(len(t) for t in by_graph.values()) < 1000:
            return
        values = " ".join(_iri(g) for g in graphs)
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}")
        expected = _count(rows)
        received = sum(len(t) for t in by_graph.values())
        if received < expected:
            raise StoreError(f"the SPARQL server cut an answer at {received} of {expected} rows: raise its "
                             "result row limit (Virtuoso: [SPARQL] ResultSetMaxRows; see docs/stores.md)")

    def select(self, sparql: str) -> list[dict[str, str]]:
        return [{name: str(term) for name, term in row.items()} for row in self._solutions(sparql)]

    def _solutions(self, sparql: str) -> list[Solution]:
        return solutions(self._query(sparql), self.dialect.results)

    def _query(self, sparql: str) -> bytes:
        return self.http.query_bytes(sparql, self.dialect.results, self.dialect.query_params)

    def query(self, sparql: str, accept: str, max_rows: int, timeout: float) -> QueryAnswer:
        """A user's query, cut at ``max_rows`` rows or ``timeout`` seconds, serialised for ``accept``."""
        return run_user_query(self.http, self.dialect, sparql, accept, max_rows, timeout)

    def export(self, out: IO[bytes], fmt: str) -> None:
        """The catalog's graphs (under the store's scope) as N-Quads/TriG, or their union as Turtle/JSON-LD."""
        if fmt not in _EXPORT_FORMATS:
            raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(_EXPORT_FORMATS)}")
        quads = (ox.Quad(s, p, _restored(p, o), ox.NamedNode(g))  # type: ignore[arg-type]
                 for g, terms in self._graph_pages(self.scope) for s, p, o in terms)
        if fmt in ("nq", "trig"):
            ox.serialize(quads, out, format=_EXPORT_FORMATS[fmt])
        else:
            ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads), out, format=_EXPORT_FORMATS[fmt])

    def size_on_disk(self) -> int:
        return 0  # the server's own business

    def close(self) -> None:
        self._writers.shutdown(wait=True)
        self._loaders.shutdown(wait=True)
        self.http.close()


def _dialect(name: str, probe: SparqlHttp) -> Dialect:
    if name != "auto":
        if name not in DIALECTS:
            raise ValueError(f"store.dialect {name!r}: use auto, {', '.join(DIALECTS)}")
        return DIALECTS[name]
    result = probe.open_query("ASK { ?s ?p ?o }", JSON_RESULTS, probe.endpoints.timeout)
    result.response.close()
    return dialect_of_server(result.info().get("server", ""))


def _count(rows: list[dict[str, str]]) -> int:
    """The number in the ``?n`` column of a COUNT query's one row."""
    return int(rows[0]["n"].split('"')[1]) if rows and "n" in rows[0] else 0


def _iri(value: str) -> str:
    """``<value>`` safe to put in a query: characters an IRI may not hold are percent-encoded, so a value
    from a URL can never end the IRI early."""
    return iri(value)


def _string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _restored(predicate: Term, obj: Term) -> Term:
    """dcat:byteSize is xsd:nonNegativeInteger in DCAT-AP 3; servers that normalise it to xsd:integer
    (Oxigraph) get it back, as the embedded store does."""
    if predicate == _BYTE_SIZE and isinstance(obj, ox.Literal) and obj.datatype == _INTEGER:
        return ox.Literal(obj.value, datatype=_NON_NEGATIVE)
    return obj


def _triple(s: Term, p: Term, o: Term) -> Triple:
    return Triple(str(s), str(p), str(_restored(p, o)))


def _replace_update(writes: Sequence[GraphWrite]) -> str:
    drops = "".join(f"DROP SILENT GRAPH {_iri(w.graph)} ;\n" for w in writes)
    body = "".join(f"GRAPH {_iri(w.graph)} {{\n{w.ntriples}}}\n" for w in writes)
    return f"{drops}INSERT DATA {{\n{body}}}"


def _chunks(lines: list[str], max_chars: int) -> Iterator[list[str]]:
    """Consecutive runs of ``lines`` of at most ``max_chars`` together (a longer line goes alone)."""
    group: list[str] = []
    size = 0
    for line in lines:
        if group and size + len(line) > max_chars:
            yield group
            group, size = [], 0
        group.append(line)
        size += len(line)
    if group:
        yield group


def _groups(writes: Sequence[GraphWrite], max_chars: int, max_records: int = 0) -> Iterator[list[GraphWrite]]:
    """Whole records, at most ``max_chars`` of N-Triples text (and ``max_records``, if set) a group (a larger
    record goes alone)."""
    group: list[GraphWrite] = []
    size = 0
    for w in writes:
        if group and (size + len(w.ntriples) > max_chars or len(group) == max_records):
            yield group
            group, size = [], 0
        group.append(w)
        size += len(w.ntriples)
    if group:
        yield group
