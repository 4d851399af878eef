"""Search results kept until the next commit: the browse-all query (no words, no filters: the landing page,
and the costliest facet counts), and the most recent other queries (a public catalog's searches repeat:
topic links, popular words).

Entries belong to one index generation; ``invalidate`` (called on every reload) starts a new one. A value
computed under an older generation is never stored, so a reader racing a commit cannot cache stale data.
Browse-all facet counts are kept once per duplicates mode, at the largest facet limit; callers cut them to
the limit asked. A browse-all entry outlives its generation as the *stale* one, with the seconds it took to
compute: an index that follows commits answers with it while it computes the new generation's (see
SearchIndex._browse_facets), so that a visitor never waits for the costliest counts of a large catalog.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Hashable

FacetCounts = dict[str, list[tuple[str, int]]]
#: (total, [(score, stored document bytes)])
Page = tuple[int, list[tuple[float, bytes]]]
PageKey = tuple[str, int, int, bool]  # sort, page, per_page, duplicates folded
FacetKey = bool  # duplicates folded

#: more distinct pages or facet limits than this in one generation empties the cache (crawlers paging deep)
MAX_ENTRIES = 64
#: searches with words or filters remembered per generation, least recently used dropped first
MAX_QUERIES = 512


class BrowseCache:
    """Facet counts and hit pages of the browse-all query, valid until the next commit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.generation = 0
        #: browse-all entries of this generation, and the latest of earlier ones: (value, seconds to compute)
        self._facets: dict[FacetKey, tuple[FacetCounts, float]] = {}
        self._pages: dict[PageKey, tuple[Page, float]] = {}
        self._stale_facets: dict[FacetKey, tuple[FacetCounts, float]] = {}
        self._stale_pages: dict[PageKey, tuple[Page, float]] = {}
        self._queries: OrderedDict[Hashable, tuple[Page, FacetCounts]] = OrderedDict()

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self._stale_facets.update(self._facets)
            for key, entry in self._pages.items():  # the most recently computed last
                self._stale_pages.pop(key, None)
                _bounded(self._stale_pages)[key] = entry
            self._facets = {}
            self._pages = {}
            self._queries = OrderedDict()

    def query(self, generation: int, key: Hashable) -> tuple[Page, FacetCounts] | None:
        """The page and facet counts of a search with words or filters (copies), or None."""
        with self._lock:
            found = self._queries.get(key) if generation == self.generation else None
            if found is None:
                return None
            self._queries.move_to_end(key)
        page, counts = found
        return page, _copy(counts)

    def keep_query(self, generation: int, key: Hashable, page: Page, counts: FacetCounts) -> None:
        with self._lock:
            if generation != self.generation:
                return
            self._queries[key] = (page, _copy(counts))
            self._queries.move_to_end(key)
            while len(self._queries) > MAX_QUERIES:
                self._queries.popitem(last=False)

    def facets(self, generation: int, key: FacetKey) -> FacetCounts | None:
        """The cached counts, shared with other readers (cut, never change them), or None."""
        found = self._facets.get(key) if generation == self.generation else None
        return found[0] if found else None

    def keep_facets(self, generation: int, key: FacetKey, counts: FacetCounts, seconds: float = 0.0) -> None:
        with self._lock:
            if generation == self.generation:
                self._facets[key] = (_copy(counts), seconds)

    def stale_facets(self, key: FacetKey) -> tuple[FacetCounts, float] | None:
        """The latest counts of an earlier generation (shared: never change them), and their cost in seconds."""
        return self._stale_facets.get(key)

    def asked(self, pages: int) -> tuple[list[PageKey], list[FacetKey]]:
        """The browse-all pages (the ``pages`` most recently computed) and counts of this generation, and those
        of earlier ones that it has not computed again."""
        with self._lock:
            earlier = [key for key in self._stale_pages if key not in self._pages]
            return [*earlier, *self._pages][-pages:], list(dict.fromkeys([*self._stale_facets, *self._facets]))

    def page(self, generation: int, key: PageKey) -> Page | None:
        found = self._pages.get(key) if generation == self.generation else None
        return found[0] if found else None

    def keep_page(self, generation: int, key: PageKey, page: Page, seconds: float = 0.0) -> None:
        with self._lock:
            if generation == self.generation:
                _bounded(self._pages)[key] = (page, seconds)

    def stale_page(self, key: PageKey) -> tuple[Page, float] | None:
        return self._stale_pages.get(key)


def _copy(counts: FacetCounts) -> FacetCounts:
    """Counts that neither the cache nor its callers share: callers may change what they get."""
    return {facet: list(buckets) for facet, buckets in counts.items()}


def _bounded(entries: dict) -> dict:
    if len(entries) >= MAX_ENTRIES:
        entries.clear()
    return entries
