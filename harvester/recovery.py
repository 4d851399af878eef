"""What a process that may write does first: mark jobs cut off by a crash, and bring the search index
back in line with the store (the store is the truth; the index is derived from it).

A kill between a batch's store write and its index commit leaves record graphs without documents; a kill
while deleting leaves documents without graphs. Recovery compares the ids of both sides and reindexes or
deletes the difference. It is cheap when nothing went wrong: the full comparison runs only after an
interrupted job or write (deletions, source removal: noted in state.db while they run), or when the
index holds a different number of documents than the state has records (both counts cost nothing).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from harvester.context import Context
from harvester.index.docs import doc_from_triples
from harvester.trust import duplicates

log = logging.getLogger(__name__)
_RECORD_GRAPHS = ("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?r a <http://www.w3.org/ns/dcat#CatalogRecord> } }")


@dataclass(frozen=True)
class Recovery:
    interrupted: int
    #: False when the cheap check found store and index in agreement
    compared: bool
    reindexed: int
    unindexed: int
    #: state rows whose record graph is missing from the store (forgotten, so the next run writes them again)
    forgotten: int


def recover(ctx: Context) -> Recovery:
    """Mark interrupted jobs, then reconcile the index (and the state's record list) with the store."""
    interrupted = ctx.state.mark_interrupted()
    if interrupted:
        log.warning("%d job(s) were interrupted by the end of an earlier process; the next run completes them",
                    interrupted)
    abandoned = ctx.state.abandoned_writes()
    for what in abandoned:
        log.warning("an earlier process ended while %s", what)
    if ctx.state.running_jobs():  # another live process is writing: its own end will be checked later
        return Recovery(interrupted, False, 0, 0, 0)
    if not interrupted and not abandoned and ctx.index.count() == ctx.state.record_count() - ctx.trust.withheld_count():
        return Recovery(interrupted, False, 0, 0, 0)
    return _reconcile(ctx, interrupted)


def store_record_ids(ctx: Context) -> set[str]:
    """``source/key`` of every record graph in the store (graphs holding a dcat:CatalogRecord)."""
    ids = set()
    for row in ctx.store.select(_RECORD_GRAPHS):
        names = ctx.iris.split_graph(row["g"].strip("<>"))
        if names is not None:
            ids.add(f"{names[0]}/{names[1]}")
    return ids


def index_record_ids(ctx: Context, sources: set[str]) -> set[str]:
    ids: set[str] = set()
    for source_id in sources:
        ids |= ctx.index.ids_for_source(source_id)
    return ids


def _reconcile(ctx: Context, interrupted: int) -> Recovery:
    in_store = store_record_ids(ctx)
    sources = {i.split("/", 1)[0] for i in in_store} | {s.id for s in ctx.sources()} | set(ctx.state.record_counts())
    in_index = index_record_ids(ctx, sources)
    missing, stale = sorted(in_store - in_index), sorted(in_index - in_store)
    docs = []
    for doc_id in missing:
        source_id, key = doc_id.split("/", 1)
        doc = doc_from_triples(source_id, key, ctx.store.graph_triples(ctx.iris.graph(source_id, key)))
        if doc is not None:
            docs.append(doc)
    if docs or stale:
        ctx.index.upsert(duplicates.mark(ctx.trust, docs))
        ctx.index.delete(stale)
        ctx.index.commit()
    forgotten = _forget_unstored(ctx, in_store)
    if docs or stale or forgotten:
        log.warning("recovery: %d record(s) indexed, %d stale document(s) removed, %d state row(s) forgotten",
                    len(docs), len(stale), forgotten)
    return Recovery(interrupted, True, len(docs), len(stale), forgotten)


def _forget_unstored(ctx: Context, in_store: set[str]) -> int:
    forgotten = 0
    for source_id in ctx.state.record_counts():
        withheld = ctx.trust.withheld_keys(source_id)  # kept from the public: in trust.db, not in the store
        gone = [r for r in ctx.state.records_of_source(source_id)
                if f"{source_id}/{r.key}" not in in_store and r.key not in withheld]
        ctx.state.delete_records(source_id, [r.remote_id for r in gone])
        forgotten += len(gone)
    return forgotten
