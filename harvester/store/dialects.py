"""What differs between SPARQL 1.1 servers: how record graphs are best written, listed and queried.

Every server gets the standard protocols; a dialect only picks among them, from measured behaviour
(docs/stores.md): the Oxigraph server loads new graphs fastest as one N-Quads POST to its bulk loader;
Virtuoso takes a group of records per request through the harvester loader installed in it
(harvester.store.virtuoso; Virtuoso's own N-Quads loader, ~2 ms a record), else one Graph Store PUT per
graph (~10 ms of server CPU each; its SPARQL ``INSERT DATA`` is no faster and is not atomic). Other servers
(Fuseki, GraphDB, …) get SPARQL Update only, one request per group of records.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from harvester.store.virtuoso import LOADER_PATH


class WriteMethod(enum.Enum):
    #: ``DROP SILENT GRAPH …; INSERT DATA {…}`` for a group of records in one request
    UPDATE = "update"
    #: existing graphs by UPDATE, new graphs by one N-Quads POST to the dataset's Graph Store endpoint
    QUADS_POST = "quads-post"
    #: one Graph Store Protocol PUT per graph, several requests at a time
    GRAPH_PUT = "graph-put"
    #: Virtuoso: a group of graphs per POST to the harvester loader; GRAPH_PUT when it is not installed
    LOADER = "loader"


@dataclass(frozen=True)
class Dialect:
    name: str
    write: WriteMethod
    #: extra query parameters sent with every query (e.g. asking for the union default graph)
    query_params: tuple[tuple[str, str], ...] = ()
    #: the graph pattern that lists named graphs cheaply (``GRAPH ?g {}`` where the server indexes graph names)
    graphs_pattern: str = "GRAPH ?g { ?s ?p ?o }"
    #: name of a query parameter that tells the server our time limit in milliseconds
    timeout_param: str | None = None
    #: list every graph in one grouped query and pick by prefix here (Virtuoso answers a GROUP BY over the
    #: graph index in ~0.1 s where a prefix filter on the server scans every quad)
    names_in_one_query: bool = False
    #: results format of internal reads (Virtuoso writes XML results twice as fast as JSON)
    results: str = "application/sparql-results+json"
    #: query parameters of the N-Quads POST of new graphs (Oxigraph: its bulk loader, which loads a request
    #: whole or not at all, like the embedded store's bulk_load)
    quads_post_params: tuple[tuple[str, str], ...] = ()

    def update_url(self, query_url: str) -> str:
        """Where updates go when ``store.update_url`` is not set."""
        if self.name == "oxigraph" and query_url.endswith("/query"):
            return query_url.removesuffix("/query") + "/update"
        return query_url

    def gsp_url(self, query_url: str, authenticated: bool) -> str | None:
        """The Graph Store Protocol endpoint when ``store.gsp_url`` is not set (None: not used)."""
        if self.name == "oxigraph":
            return query_url.removesuffix("/query") + "/store"
        if self.name == "virtuoso":
            base = query_url.rsplit("/", 1)[0]
            return base + ("/sparql-graph-crud-auth" if authenticated else "/sparql-graph-crud")
        return None

    def loader_url(self, query_url: str, authenticated: bool) -> str | None:
        """Virtuoso's harvester loader, beside its query endpoint; it takes authenticated writes only."""
        if self.write is WriteMethod.LOADER and authenticated:
            return query_url.rsplit("/", 1)[0] + LOADER_PATH
        return None


GENERIC = Dialect("generic", WriteMethod.UPDATE)
OXIGRAPH = Dialect("oxigraph", WriteMethod.QUADS_POST, query_params=(("union-default-graph", ""),),
                   graphs_pattern="GRAPH ?g { }", quads_post_params=(("no_transaction", ""),))
VIRTUOSO = Dialect("virtuoso", WriteMethod.LOADER, timeout_param="timeout", names_in_one_query=True,
                   results="application/sparql-results+xml")
DIALECTS = {d.name: d for d in (GENERIC, OXIGRAPH, VIRTUOSO)}


def dialect_of_server(server_header: str) -> Dialect:
    """The dialect of a server from its HTTP ``Server`` header (generic when unknown)."""
    header = server_header.lower()
    if header.startswith("oxigraph"):
        return OXIGRAPH
    if header.startswith("virtuoso"):
        return VIRTUOSO
    return GENERIC
