"""The embedded triple store: pyoxigraph on disk, one named graph per harvested record.

Writes go per batch: new graphs by ``Store.bulk_load`` (N-Quads; a killed load leaves nothing of
itself), existing graphs by one SPARQL UPDATE ``DROP GRAPH …; INSERT DATA {…}`` (transactional), so a
crash never leaves a half-replaced record. Only one process may open the store for writing (``harvester serve`` runs web,
scheduler and harvests in one process).
"""

from __future__ import annotations

import concurrent.futures
import resource
import threading
import time
from pathlib import Path
from typing import IO, Iterator, Sequence

import pyoxigraph as ox

from harvester.dcat.rdf import Triple, to_ntriples
from harvester.store import GraphWrite, QueryAnswer, QueryTimeout, RecordDataError, StoreError
from harvester.store.results import GRAPH_FORMATS, SELECT_FORMATS, negotiate, serialize_ask, serialize_select

_RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
_EXPORT_FORMATS = {"nq": ox.RdfFormat.N_QUADS, "ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD,
                   "trig": ox.RdfFormat.TRIG}
#: graphs replaced or dropped by transactional writes between two memtable flushes
FLUSH_EVERY = 300
#: ... or triples written by them (one large graph, such as the duplicates' links, counts by its size)
FLUSH_TRIPLES = 40_000
#: file descriptors Oxigraph keeps for itself beyond its open table files (it sets RocksDB's max_open_files
#: to the process's soft RLIMIT_NOFILE minus this when it opens a store), and its least
_KEPT_BY_OXIGRAPH = 48
_LEAST_DESCRIPTORS = 96
__all__ = ["OxigraphStore", "RecordDataError"]  # RecordDataError lives in harvester.store; kept importable here


class OxigraphStore:
    def __init__(self, path: str | None, open_files: int = 0) -> None:
        """``open_files``: table files RocksDB keeps open (0: as many as the process may open). Each open
        table holds its index blocks in memory, so on a large store this bounds the store's memory."""
        self.path = Path(path) if path else None
        try:
            self._store = _open_store(self.path, open_files) if self.path else ox.Store()
        except OSError as exc:
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from exc
        # public queries run in worker threads so that a slow one can be abandoned at its time limit
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="sparql")
        self._write_lock = threading.Lock()
        self._unflushed = self._unflushed_triples = 0

    # --- writes ----------------------------------------------------------------------------------
    def replace_graphs(self, writes: Sequence[GraphWrite]) -> None:
        """New graphs by ``bulk_load`` (all or nothing on a crash; the GIL is released, so mapping goes
        on meanwhile), existing ones by one transactional UPDATE. If the store refuses the data of a
        bulk load, RecordDataError: the caller rewrites record by record, which also clears any part of
        the refused load (``replace_graphs`` of one graph always goes through the UPDATE)."""
        if not writes:
            return
        with self._write_lock:
            exists = [len(writes) == 1 or self.has_graph(w.graph) for w in writes]
            new = [w for w, e in zip(writes, exists) if not e]
            old = [w for w, e in zip(writes, exists) if e]
            try:
                if new:
                    data = "".join(w.nquads() for w in new)
                    # lenient: records come from harvester.dcat.rdf, whose IRIs are checked when minted
                    self._store.bulk_load(data.encode("utf-8"), format=ox.RdfFormat.N_QUADS, lenient=True)
                if old:
                    self._store.update(_replace_update(old))
                    self._flush_now_and_then(len(old), sum(w.ntriples.count("\n") for w in old))
            except SyntaxError as exc:
                raise RecordDataError(str(exc)) from exc
            except OSError as exc:
                raise StoreError(f"store write failed: {exc}") from exc

    def _flush_now_and_then(self, graphs: int, triples: int = 0) -> None:
        """Transactional writes go through RocksDB's memtables, which otherwise grow to gigabytes: flushed
        every FLUSH_EVERY graphs they stay small, and the writes get faster (measured replacing 20,000
        records: 345 records/s in 0.5 GB flushing every 300, 207/s in 2.2 GB never flushing)."""
        self._unflushed += graphs
        self._unflushed_triples += triples
        if self._unflushed >= FLUSH_EVERY or self._unflushed_triples >= FLUSH_TRIPLES:
            self._store.flush()
            self._unflushed = self._unflushed_triples = 0

    def drop_graphs(self, graphs: Sequence[str]) -> None:
        if not graphs:
            return
        with self._write_lock:
            try:
                self._store.update(";\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs))
                self._flush_now_and_then(len(graphs))
            except (OSError, SyntaxError) as exc:
                raise StoreError(f"store delete failed: {exc}") from exc

    def patch_graph(self, graph: str, removed: Sequence[Triple], added: Sequence[Triple]) -> None:
        with self._write_lock:
            try:
                for update, triples in _patch_updates(graph, removed, added, FLUSH_TRIPLES):
                    self._store.update(update)
                    self._flush_now_and_then(0, triples)
                name = ox.NamedNode(graph)
                if removed and next(self._store.quads_for_pattern(None, None, None, name), None) is None:
                    self._store.remove_graph(name)  # no triples left: no graph, as on a SPARQL server
            except (OSError, SyntaxError) as exc:
                raise StoreError(f"store write failed: {exc}") from exc

    # --- reads -----------------------------------------------------------------------------------
    def has_graph(self, graph: str) -> bool:
        return bool(self._store.contains_named_graph(ox.NamedNode(graph)))

    def graph_triples(self, graph: str) -> list[Triple]:
        quads = self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        return [Triple(str(q.subject), str(q.predicate), _restored(q)) for q in quads]

    def iter_graphs(self, prefix: str) -> Iterator[tuple[str, list[Triple]]]:
        for graph in self._store.named_graphs():
            name = getattr(graph, "value", "")
            if name.startswith(prefix):
                yield name, self.graph_triples(name)

    def count_graphs(self, prefix: str) -> int:
        return sum(1 for g in self._store.named_graphs() if getattr(g, "value", "").startswith(prefix))

    def select(self, sparql: str) -> list[dict[str, str]]:
        try:
            solutions = self._store.query(sparql, use_default_graph_as_union=True)
        except (SyntaxError, OSError) as exc:
            raise StoreError(f"query failed: {exc}") from exc
        names = [v.value for v in solutions.variables]  # type: ignore[union-attr]
        return [{n: str(s[n]) for n in names if s[n] is not None} for s in solutions]  # type: ignore[union-attr]

    def query(self, sparql: str, accept: str, max_rows: int, timeout: float) -> QueryAnswer:
        """Run a user's query; SyntaxError for a bad query, QueryTimeout past ``timeout`` seconds."""
        future = self._pool.submit(_run_limited, self._store.query, sparql, accept, max_rows, time.monotonic() + timeout)
        try:
            return future.result(timeout=timeout + 0.5)
        except concurrent.futures.TimeoutError as exc:
            raise QueryTimeout(f"the query ran longer than {timeout:g} s") from exc

    def export(self, out: IO[bytes], fmt: str) -> None:
        if fmt not in _EXPORT_FORMATS:
            raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(_EXPORT_FORMATS)}")
        quads = (_restored_quad(q) for q in self._store.quads_for_pattern(None, None, None, None))
        if fmt in ("nq", "trig"):
            ox.serialize(quads, out, format=_EXPORT_FORMATS[fmt])
        else:
            ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads), out,
                         format=_EXPORT_FORMATS[fmt])

    def size_on_disk(self) -> int:
        if not self.path or not self.path.exists():
            return 0
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())

    def flush(self) -> None:
        self._store.flush()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        try:
            self._store.flush()
        except OSError:
            pass
        del self._store


# Oxigraph stores integer subtypes as xsd:integer. DCAT-AP 3 types dcat:byteSize xsd:nonNegativeInteger,
# so reads give it that datatype back (the value is the same number).
_BYTE_SIZE = ox.NamedNode("http://www.w3.org/ns/dcat#byteSize")
_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
_NON_NEGATIVE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")


def _restored(quad: ox.Quad) -> str:
    obj = quad.object
    if quad.predicate == _BYTE_SIZE and isinstance(obj, ox.Literal) and obj.datatype == _INTEGER:
        return f'"{obj.value}"^^<{_NON_NEGATIVE.value}>'
    return str(obj)


def _restored_quad(quad: ox.Quad) -> ox.Quad:
    obj = quad.object
    if quad.predicate == _BYTE_SIZE and isinstance(obj, ox.Literal) and obj.datatype == _INTEGER:
        return ox.Quad(quad.subject, quad.predicate, ox.Literal(obj.value, datatype=_NON_NEGATIVE), quad.graph_name)
    return quad


def _open_store(path: Path, open_files: int) -> ox.Store:
    """Oxigraph sizes RocksDB's table cache from the soft file-descriptor limit at the moment it opens a
    store: the limit is lowered for that moment only, then given back to the rest of the process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(open_files + _KEPT_BY_OXIGRAPH, _LEAST_DESCRIPTORS)
    if open_files <= 0 or wanted >= soft:
        return ox.Store(str(path))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    try:
        return ox.Store(str(path))
    except OSError:  # this process already holds more descriptors than that: open as it would anyway
        pass
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return ox.Store(str(path))


def _replace_update(writes: Sequence[GraphWrite]) -> str:
    drops = "".join(f"DROP SILENT GRAPH <{w.graph}> ;\n" for w in writes)
    body = "".join(f"GRAPH <{w.graph}> {{\n{w.ntriples}}}\n" for w in writes)
    return f"{drops}INSERT DATA {{\n{body}}}"


def _patch_updates(graph: str, removed: Sequence[Triple], added: Sequence[Triple],
                   per_update: int) -> Iterator[tuple[str, int]]:
    """``DELETE DATA`` then ``INSERT DATA`` updates of at most ``per_update`` triples each, with their sizes."""
    for verb, triples in (("DELETE", removed), ("INSERT", added)):
        for start in range(0, len(triples), per_update):
            part = triples[start:start + per_update]
            yield f"{verb} DATA {{ GRAPH <{graph}> {{\n{to_ntriples(part)}}} }}", len(part)


def _run_limited(query_fn, sparql: str, accept: str, max_rows: int, deadline: float) -> QueryAnswer:  # type: ignore[no-untyped-def]
    result = query_fn(sparql, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        media = negotiate(accept, SELECT_FORMATS, "application/sparql-results+json")
        return QueryAnswer(serialize_ask(bool(result), media), media, rows=1)
    if isinstance(result, ox.QuerySolutions):
        media = negotiate(accept, SELECT_FORMATS, "application/sparql-results+json")
        names = [v.value for v in result.variables]
        rows, cut_rows, cut_time = [], False, False
        for solution in result:
            if len(rows) >= max_rows:
                cut_rows = True
                break
            if time.monotonic() > deadline:
                cut_time = True
                break
            rows.append([solution[n] for n in names])
        body = serialize_select(names, rows, media)
        return QueryAnswer(body, _content_type(media), len(rows), cut_rows, cut_time)
    media = negotiate(accept, GRAPH_FORMATS, "text/turtle")
    triples, cut_rows, cut_time = [], False, False
    for triple in result:
        if len(triples) >= max_rows:
            cut_rows = True
            break
        if time.monotonic() > deadline:
            cut_time = True
            break
        triples.append(triple)
    body = ox.serialize(triples, format=_RDF_FORMATS[media]) or b""
    return QueryAnswer(body, _content_type(media), len(triples), cut_rows, cut_time)


def _content_type(media: str) -> str:
    if media in ("application/json",):
        media = "application/sparql-results+json"
    if media in ("application/xml",):
        media = "application/sparql-results+xml"
    return media + ("; charset=utf-8" if not media.endswith("xml") else "")
