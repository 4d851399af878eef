"""Rebuilding the search index from the triple store (the store is the truth; the index is derived)."""

from __future__ import annotations

from itertools import chain
from typing import Callable

from harvester.context import Context
from harvester.errors import OperationRefused
from harvester.index import SearchIndex
from harvester.index.docs import doc_from_triples
from harvester.index.errors import IndexFormatError
from harvester.trust import duplicates

BATCH = 2000


def reindex(ctx: Context, progress: Callable[[int], None] | None = None) -> int:
    """Clear the index and add a document for every record graph; returns the number of documents.

    An index in an older format (or damaged) is recreated from nothing. OperationRefused, the index left as
    it is, when the store holds named graphs but none under this catalog's base URL: its records were harvested
    under another ``web.base_url``, and an index rebuilt now would be empty."""
    prefix = ctx.iris.graph_prefix()
    graphs = iter(ctx.store.iter_graphs(prefix))
    first = next(graphs, None)
    if first is None and (others := ctx.store.count_graphs("")):
        raise OperationRefused(f"the store holds {others:,} named graphs, none under {prefix}: its records were "
                               "harvested under another web.base_url. Set it back to theirs (or harvest again under "
                               "this one); the search index was left as it is")
    try:
        ctx.index.clear()
    except IndexFormatError:
        ctx.__dict__["index"] = SearchIndex.recreate(ctx.settings.index_path)
    docs, count = [], 0
    for graph, triples in chain([first] if first else [], graphs):
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
