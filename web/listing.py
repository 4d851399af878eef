"""Every dataset id of the merged catalog ("{source}/{key}") in one stable order, for paging through all of it:
the DCAT feed, the sitemap and CKAN ``package_list``.

The ids come from the search index's term dictionary (no stored documents are read); the sorted list is kept
until the index changes (a commit in any process), so paging a 100,000-dataset catalog lists it once.
"""

from __future__ import annotations

import threading

from flask import current_app

from harvester.index import SearchQuery
from harvester.index.directory import commit_stamp
from harvester.index.search import MAX_FACET_LIMIT
from web import harvester_context


class IdListing:
    """The sorted ids of the catalog, recomputed when the index's commit stamp or count changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple[object, ...] | None = None
        self._ids: list[str] = []

    def ids(self) -> list[str]:
        index = harvester_context().index
        version = (commit_stamp(index.path), index.count())
        with self._lock:
            if version != self._version:
                self._ids = _all_ids()
                self._version = version
            return self._ids


def _all_ids() -> list[str]:
    index = harvester_context().index
    sources = index.search(SearchQuery(per_page=1, facet_limit=MAX_FACET_LIMIT)).facets.get("source", [])
    ids: set[str] = set()
    for source_id, _count in sources:
        ids |= index.ids_for_source(source_id)
    return sorted(ids)


def all_dataset_ids() -> list[str]:
    """The sorted ids of every dataset (shared by the app's threads; do not change the list)."""
    listing = current_app.extensions.setdefault("harvester.id_listing", IdListing())
    return listing.ids()  # type: ignore[no-any-return]
