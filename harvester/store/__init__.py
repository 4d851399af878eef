"""The triple store behind the catalog, reached only through the TripleStore protocol.

``open_store(url, settings)`` picks the backend from the URL scheme: ``oxigraph:PATH`` is the embedded store
(harvester.store.oxigraph); ``sparql+http(s)://HOST/PATH`` is a remote SPARQL 1.1 server (harvester.store.sparql,
with the ``store.*`` settings for its update and Graph Store endpoints and credentials). See docs/stores.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Protocol

from harvester.dcat.rdf import Triple, to_ntriples
from harvester.errors import HarvestError

if TYPE_CHECKING:
    from harvester.settings import Settings


class StoreError(HarvestError):
    """A read or write of the triple store failed; nothing of the failed write is visible."""


class QueryTimeout(StoreError):
    """A query ran past its time limit."""


class RecordDataError(StoreError):
    """The store refused the data of a write (e.g. an IRI it finds invalid): retry record by record."""


@dataclass(frozen=True)
class GraphWrite:
    """The whole new content of one record's named graph, as N-Triples text (one triple a line)."""

    graph: str  # IRI, without angle brackets
    ntriples: str

    @classmethod
    def of(cls, graph: str, triples: Sequence[tuple[str, str, str]]) -> GraphWrite:
        return cls(graph, to_ntriples(triples))

    def nquads(self) -> str:
        """The same triples as N-Quads in this graph. Literals escape line breaks, so every " .\n" ends a line."""
        return self.ntriples.replace(" .\n", f" <{self.graph}> .\n")


@dataclass
class QueryAnswer:
    """A SPARQL answer serialised in the requested results format, with the limits that cut it."""

    body: bytes
    content_type: str
    rows: int = 0
    truncated_by_rows: bool = False
    truncated_by_time: bool = False


class TripleStore(Protocol):
    def replace_graphs(self, writes: Sequence[GraphWrite]) -> None:
        """Replace (or create) each graph with its new triples. Each graph is replaced whole or not at all;
        whether the writes of one call are one transaction depends on the backend (docs/stores.md): the
        embedded store and SPARQL Update writes are, a Virtuoso loader write is per request of 100 graphs, and
        Graph Store PUTs are per graph. On an error some graphs of the call may be new and others old."""

    def drop_graphs(self, graphs: Sequence[str]) -> None:
        """Atomically remove these named graphs."""

    def patch_graph(self, graph: str, removed: Sequence[Triple], added: Sequence[Triple]) -> None:
        """Remove and add these triples of one graph (``DELETE DATA`` / ``INSERT DATA``: removing a triple
        that is not there or adding one that is changes nothing, so a patch interrupted half-way can be
        applied again). A large patch may take several transactions."""

    def graph_triples(self, graph: str) -> list[Triple]:
        """The triples of one named graph, in N-Triples term syntax."""

    def has_graph(self, graph: str) -> bool: ...

    def iter_graphs(self, prefix: str) -> Iterator[tuple[str, list[Triple]]]:
        """Every named graph whose IRI starts with prefix, with its triples (streamed)."""

    def select(self, sparql: str) -> list[dict[str, str]]:
        """Run a SELECT over the union graph; rows of variable → N-Triples term (trusted internal queries)."""

    def query(self, sparql: str, accept: str, max_rows: int, timeout: float) -> QueryAnswer:
        """Run a user's query over the union graph, with row and time limits, serialised for ``accept``."""

    def export(self, out: IO[bytes], fmt: str) -> None:
        """Write the whole store as N-Quads ('nq'), Turtle of the union graph ('ttl') or JSON-LD ('jsonld')."""

    def count_graphs(self, prefix: str) -> int: ...

    def size_on_disk(self) -> int: ...

    def close(self) -> None: ...


def open_store(url: str, settings: Settings | None = None) -> TripleStore:
    """The store at ``url``: ``oxigraph:PATH`` (embedded) or ``sparql+http(s)://…`` (a SPARQL 1.1 server,
    configured by the ``store.*`` settings)."""
    if url.startswith("oxigraph:"):
        from harvester.store.oxigraph import OxigraphStore

        open_files = int(settings["store.open_files"]) if settings is not None else 0
        return OxigraphStore(url.removeprefix("oxigraph:") or None, open_files)
    if url.startswith(("sparql+http://", "sparql+https://")):
        from harvester.store.sparql import SparqlStore

        return SparqlStore.from_settings(url, settings)
    raise ValueError(f"unsupported store URL {url!r}: expected 'oxigraph:PATH' or 'sparql+http(s)://HOST/PATH'")
