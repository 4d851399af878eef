"""Rebuilding the search index from the triple store (the store is the truth; the index is derived)."""

from __future__ import annotations

from typing import Callable

from harvester.context import Context
from harvester.index import SearchIndex
from harvester.index.docs import doc_from_triples
from harvester.index.errors import IndexFormatError
from harvester.trust import duplicates

BATCH = 2000


def reindex(ctx: Context, progress: Callable[[int], None] | None = None) -> int:
    """Clear the index and add a document for every record graph; returns the number of documents.

    An index in an older format (or damaged) is recreated from nothing."""
    try:
        ctx.index.clear()
    except IndexFormatError:
        ctx.__dict__["index"] = SearchIndex.recreate(ctx.settings.index_path)
    docs, count = [], 0
    for graph, triples in ctx.store.iter_graphs(ctx.iris.graph_prefix()):
        names = ctx.iris.split_graph(graph)
        if names is None:
            continue
        doc = doc_from_triples(names[0], names[1], triples)
        if doc is not None:
            docs.append(doc)
        if len(docs) >= BATCH:
            ctx.index.upsert(duplicates.mark(ctx.trust, docs))
            count += len(docs)
            docs = []
            if progress:
                progress(count)
    ctx.index.upsert(duplicates.mark(ctx.trust, docs))
    count += len(docs)
    ctx.index.commit()
    return count
