"""The same dataset published on several portals: found by shared keys, clustered, linked, shown once.

Each record's match keys are computed when it is mapped (``match_keys``): its identifier (when it looks
globally unique), its landing page and download URLs (normalised), and its department + title (normalised,
the department by its curated name, harvester.trust.departments). Records of *different* sources sharing a
key are one cluster (union-find over the shared keys, kept in trust.db).

``refresh`` recomputes the clusters after a harvest that changed anything and:
- links each cluster in the store, in graph ``{base}/graph/_duplicates``: ``owl:sameAs`` from the cluster's
  primary dataset to each other member (each source's record stays in its own graph, untouched);
- marks the search documents: each member other than the primary names its primary (``duplicate_of``) and
  is folded into it in the merged search (``SearchQuery.collapse``), still reachable by its own page and the
  APIs. Only the documents whose mark changed are read back and written again; a document written by a
  harvest, a reindex or a recovery gets its cluster's mark as it is indexed (``mark``).
The primary is the member from the source listed first (by source id), so the choice is stable. No document
lists the other members: where a record is shown, ``also_on`` reads them from the register, one query for a
page of hits. So a cluster that grows rewrites the new member's document only, and one whose primary stays
rewrites none of the others (each rewrite leaves a deleted version in the index until its segment is merged
again; written into every member, the marks of a first harvest of 20 overlapping portals left 640,000 of them
beside 1,000,000 documents).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harvester.dcat.rdf import Triple, iri_value, is_iri, literal_parts, term
from harvester.model import DatasetDoc
from harvester.trust.departments import normalise_name, shown_name
from harvester.trust.register import RELINK_ALL

_IDENTIFIER, _LANDING, _DOWNLOAD = term("dct:identifier"), term("dcat:landingPage"), term("dcat:downloadURL")
_SAME_AS = term("owl:sameAs")
_TITLE_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
#: search documents read back, marked and written at a time when relinking
MARK_CHUNK = 1000
#: identifiers shorter than this (or all digits) are portal-local numbers, not shared across portals
MIN_IDENTIFIER = 10


def match_keys(triples: Iterable[Triple], doc: DatasetDoc) -> list[tuple[str, str]]:
    """(kind, value) keys that tell this dataset on another portal."""
    keys: set[tuple[str, str]] = set()
    dataset = f"<{doc.iri}>"
    for s, p, o in triples:
        if p == _IDENTIFIER and s == dataset and not is_iri(o):
            value = literal_parts(o)[0].strip().lower()
            if len(value) >= MIN_IDENTIFIER and not value.isdigit():
                keys.add(("identifier", value))
        elif p in (_LANDING, _DOWNLOAD) and is_iri(o):
            url = normal_url(iri_value(o))
            if url:
                keys.add(("url", url))
    title = normal_title(doc.title)
    if title and doc.publisher:
        keys.add(("title", f"{normalise_name(shown_name(doc.publisher))}|{title}"))
    return sorted(keys)


def normal_url(url: str) -> str:
    """Scheme-less, lower-case host, no fragment, no trailing slash: http and https, / and no / are one."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if not parts.netloc:
        return ""
    return urlunsplit(("", parts.netloc.lower(), parts.path.rstrip("/"), parts.query, "")).lstrip("/")


def normal_title(title: str) -> str:
    return _TITLE_NOISE.sub("", unicodedata.normalize("NFKC", title)).lower()


def clusters(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Connected groups of record ids (``source/key``) from linked pairs, each sorted, groups sorted."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for x in parent:
        groups.setdefault(root(x), []).append(x)
    return sorted(sorted(g, key=record_order) for g in groups.values() if len(g) > 1)


def record_order(record_id: str) -> tuple[str, str]:
    """(source id, key): "jinan/…" before "jinan-tjj/…", whatever the characters sort like."""
    source_id, _, key = record_id.partition("/")
    return source_id, key


def refresh(ctx: Any, writing: Collection[str] = frozenset(), commit: bool = True) -> int:
    """Bring the clusters up to date with the match keys changed since the last time (trust.db keeps the
    records whose keys changed and the keys that became or stopped being shared), relink them in the store and
    re-mark the search documents of the records whose primary changed; how many records changed cluster. The
    documents of ``writing`` are about to be indexed with their marks (``mark``): a harvest relinks each batch
    after registering its match keys and before indexing it, so a new member is written once, marked, and
    the search folds it from the start. With ``commit`` False the caller commits the index. (``ctx``: a
    harvester.context.Context, which imports this module.)

    Only the region a change can reach is read: those records, the holders of those keys, and every record
    linked to them now or clustered with them before, transitively. Only what changed is written: the links
    of the members whose cluster changed are patched in the store, then their clusters saved, then the notes
    let go. A relinking cut short (a store that fails, a crash) leaves the keys and clusters as they were, so
    the next one computes the same patch and applies it again (a patch applied twice is the same patch)."""
    trust, index, store, iris = ctx.trust, ctx.index, ctx.store, ctx.iris
    upto, keys, records = trust.to_relink()
    links = iris.base + "/graph/_duplicates"
    linked = store.has_graph(links)
    if RELINK_ALL in keys or not linked:  # a register from before relink_keys, or the first links
        before = trust.cluster_members()
        after = {member: group for group in clusters(trust.duplicate_pairs()) for member in group}
    elif keys or records:
        region, pairs = _region(trust, trust.holders(keys) | records)
        before = trust.clusters_of(sorted(region))
        after = {member: group for group in clusters(pairs) for member in group}
    else:
        return 0
    changed = sorted(m for m in set(before) | set(after) if before.get(m) != after.get(m))
    if linked:
        removed, added = _link_changes(iris, before, after, changed)
        if removed or added:
            store.patch_graph(links, removed, added)
    elif after:
        store.patch_graph(links, [], sorted(_links(iris, after, after)))
    trust.update_clusters(changed, after)
    trust.relinked(upto)
    # a document's mark is its primary: a member whose cluster grew but kept its primary is not read back
    remark = [m for m in changed if m not in writing and _primary(before, m) != _primary(after, m)]
    marked_any = False
    for start in range(0, len(remark), MARK_CHUNK):  # a few documents at a time: a region can be 100,000s
        docs = []
        for doc in filter(None, (index.get(m) for m in remark[start:start + MARK_CHUNK])):
            marked = _marked(doc, after.get(doc.id, []))
            if marked.duplicate_of != doc.duplicate_of:
                docs.append(marked)
        if docs:
            index.upsert(docs)
            marked_any = True
    if marked_any and commit:
        index.commit()
    return len(changed)


def _region(trust: Any, changed: set[str]) -> tuple[set[str], list[tuple[str, str]]]:
    """The records whose cluster may have changed, with the pairs that link them now: the ``changed`` records
    (whose keys changed, or who hold a key that became or stopped being shared), then, until nothing is
    added, every record linked to one of them now or in the same cluster before."""
    region: set[str] = set()
    pairs: list[tuple[str, str]] = []
    frontier = set(changed)
    while frontier:
        region |= frontier
        ordered = sorted(frontier)
        found = trust.pairs_of(ordered)
        pairs.extend(found)
        frontier = ({b for _, b in found} | {m for group in trust.clusters_of(ordered).values() for m in group}) \
            - region
    return region, pairs


def _link_changes(iris: Any, before: dict[str, list[str]], after: dict[str, list[str]],
                  members: Iterable[str]) -> tuple[list[Triple], list[Triple]]:
    """The ``owl:sameAs`` links to ``members`` that go and that come: only those whose cluster's primary
    changed (most members of a grown cluster keep theirs, and their links stay as they are)."""
    removed, added = [], []
    for member in members:
        old, new = _primary(before, member), _primary(after, member)
        if old != new:
            if old:
                removed.append(_link(iris, old, member))
            if new:
                added.append(_link(iris, new, member))
    return sorted(removed), sorted(added)


def _primary(clustered: dict[str, list[str]], member: str) -> str | None:
    """The primary ``member`` is linked from, if it is clustered and not the primary itself."""
    group = clustered.get(member)
    return group[0] if group and group[0] != member else None


def _link(iris: Any, primary: str, member: str) -> Triple:
    return Triple(f"<{iris.dataset(*primary.split('/', 1))}>", _SAME_AS, f"<{iris.dataset(*member.split('/', 1))}>")


def _links(iris: Any, clustered: dict[str, list[str]], members: Iterable[str]) -> set[Triple]:
    """The ``owl:sameAs`` links to ``members`` from their clusters' primaries (a primary has none)."""
    return {_link(iris, primary, member) for member in members
            if (primary := _primary(clustered, member)) is not None}


def mark(trust: Any, docs: list[DatasetDoc]) -> list[DatasetDoc]:
    """``docs`` (new search documents of records just written or read back) with the marks of the clusters
    their records are in, as last computed (a harvester.trust.register.TrustRegister's)."""
    groups = trust.clusters_of([doc.id for doc in docs])
    return [_marked(doc, groups[doc.id]) if doc.id in groups else doc for doc in docs]


def _marked(doc: DatasetDoc, group: list[str]) -> DatasetDoc:
    primary = group[0] if group and group[0] != doc.id else ""
    return doc if doc.duplicate_of == primary else replace(doc, duplicate_of=primary)


def also_on(trust: Any, docs: list[DatasetDoc]) -> dict[str, list[str]]:
    """Record id → the ids of the same dataset on other portals, primary first, for each of ``docs``, read
    from the register in one query for all of them."""
    groups = trust.clusters_of([doc.id for doc in docs])
    return {doc.id: [m for m in groups.get(doc.id, []) if m != doc.id] for doc in docs}
