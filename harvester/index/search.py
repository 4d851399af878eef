"""The search index: a tantivy index derived from the triple store, rebuildable with ``harvester reindex``.

Concurrency: one SearchIndex per directory and process; one writer thread plus any number of reader threads.
Writes are serialised by a lock; searches never wait for it (tantivy releases the GIL while searching). Other
processes may open the same directory and search, but only one of them may write (tantivy's lock file).
A serving process calls ``follow_commits``: it then notices commits by itself and computes the browse-all
pages and counts asked before each commit again in the background (the landing page stays cached). While it
does, browse-all is answered with the previous commit's results when computing them takes long (a large
catalog), so that no visitor waits for them; a small catalog's are computed, or waited for, at once.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Hashable, Iterable, TypeVar

import tantivy
from tantivy import Order, Query

from harvester.index import directory, highlight, queries, schema
from harvester.index.analysis import MAX_QUERY_CHARS, analyze_query, highlight_pattern
from harvester.index.cache import BrowseCache, FacetCounts, FacetKey, Page, PageKey
from harvester.index.errors import IndexLockedError, SearchIndexError
from harvester.index.schema import FACETS
from harvester.model import DatasetDoc

log = logging.getLogger(__name__)
T = TypeVar("T")

SORTS = ("relevance", "modified", "title", "quality")
MAX_PER_PAGE = 100
MAX_FACET_LIMIT = 1000
#: Hits beyond this rank are never returned (bounds the top-k heap); the total is still exact.
MAX_RESULT_WINDOW = 10_000
WRITER_HEAP_BYTES = 128_000_000
#: browse-all pages computed again after a commit when following commits (the most recently asked)
WARM_PAGES = 8
#: a following index answers browse-all with the previous commit's results while it computes the new ones, when
#: these took at least this long to compute (at 1M documents the counts take ~90 ms; at 10k, ~2 ms)
STALE_WHILE_COMPUTING_ABOVE = 0.02


@dataclass
class SearchQuery:
    q: str = ""
    #: facet name → selected values; OR within a facet, AND across facets
    filters: dict[str, list[str]] = field(default_factory=dict)
    #: "relevance" | "modified" (newest first, undated last) | "title"
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    #: buckets returned per facet
    facet_limit: int = 20
    #: the same dataset on several portals counts and shows once (harvester.trust.duplicates)
    collapse: bool = False


@dataclass
class Hit:
    doc: DatasetDoc
    #: BM25 score for relevance sorting; 0.0 when sorted by a field
    score: float
    #: HTML-safe: about 120 characters of the description, matches in <mark>
    snippet: str
    #: HTML-safe title, matches in <mark>
    title_html: str


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    #: facet → [(value, count)], count desc then value; a facet's own filter is ignored for its counts
    facets: FacetCounts
    #: the query as executed (page, per_page, sort, facet_limit clamped; unknown facets dropped)
    query: SearchQuery


def clamp_query(query: SearchQuery) -> SearchQuery:
    """The query with its paging, sort and facet limit forced into the supported ranges."""
    return replace(
        query,
        q=(query.q or "")[:MAX_QUERY_CHARS],
        filters=queries.clean_filters(query.filters or {}),
        sort=query.sort if query.sort in SORTS else "relevance",
        page=max(1, int(query.page)),
        per_page=min(MAX_PER_PAGE, max(1, int(query.per_page))),
        facet_limit=min(MAX_FACET_LIMIT, max(1, int(query.facet_limit))),
    )


class SearchIndex:
    """Full-text search with facets over DatasetDocs, Chinese first (CJK bigrams), English second."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._index = directory.open_or_create(self.path)
        self._index.config_reader(reload_policy="manual")  # reloads follow commits, see _current_searcher
        self._schema = self._index.schema
        self._writer: tantivy.IndexWriter | None = None
        self._pending = False
        self._write_lock = threading.RLock()
        self._refresh_lock = threading.Lock()
        self._closed = False
        self._commit_stamp = directory.commit_stamp(self.path)
        self._cache = BrowseCache()
        self._pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="facets")
        self._inflight: dict[Hashable, Future[object]] = {}
        self._inflight_lock = threading.Lock()
        self._follower: threading.Thread | None = None
        self._wake = threading.Event()
        self._to_warm: tuple[list[PageKey], list[FacetKey]] | None = None
        #: the cache generation whose browse-all results the follower is about to compute (or is computing)
        self._warm_due: int | None = None

    @classmethod
    def recreate(cls, path: Path | str) -> SearchIndex:
        """Wipe the index at ``path`` (only its meta.json and tantivy/ directory) and create an empty one.

        Refuses (IndexLockedError) while any writer holds the directory; readers that still have it open
        keep serving the deleted files until they close.
        """
        directory.wipe(Path(path))
        return cls(path)

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- writing -----------------------------------------------------------------------------------

    def upsert(self, docs: Iterable[DatasetDoc]) -> None:
        """Add the documents, replacing any with the same id (visible after commit)."""
        with self._write_lock:
            writer = self._open_writer()
            for doc in docs:
                writer.delete_documents_by_term(schema.ID_FIELD, doc.id)
                writer.add_document(schema.to_tantivy(doc))
            self._pending = True

    def delete(self, ids: Iterable[str]) -> None:
        with self._write_lock:
            writer = self._open_writer()
            for doc_id in ids:
                writer.delete_documents_by_term(schema.ID_FIELD, doc_id)
            self._pending = True

    def delete_source(self, source_id: str) -> None:
        with self._write_lock:
            self._open_writer().delete_documents_by_term(schema.facet_field("source"), source_id)
            self._pending = True

    def clear(self) -> None:
        with self._write_lock:
            writer = self._open_writer()
            writer.commit()  # tantivy's delete-all rewinds its operation stamps to the last commit: commit first
            writer.delete_all_documents()
            self._pending = True

    def commit(self) -> None:
        """Make the changes so far visible to searches (here at once, in other processes shortly)."""
        with self._write_lock:
            self._check_open()
            if self._writer is None:
                return
            self._writer.commit()
            self._pending = False
            self._reload(force=True)

    def close(self) -> None:
        """Commit pending changes, wait for merges and release the write lock. Idempotent."""
        with self._write_lock:
            if self._closed:
                return
            if self._writer is not None:
                if self._pending:
                    self.commit()
                self._writer.wait_merging_threads()
                self._writer = None
            self._closed = True
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._follower is not None:
            self._wake.set()
            self._follower.join(timeout=5)

    def _open_writer(self) -> tantivy.IndexWriter:
        self._check_open()
        if self._writer is None:
            try:
                self._writer = self._index.writer(heap_size=WRITER_HEAP_BYTES)
            except ValueError as error:
                if "LockBusy" in str(error):
                    raise IndexLockedError(f"{self.path}: another process or SearchIndex is writing") from error
                raise
        return self._writer

    # --- reading -----------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        """One page of hits with snippets, the exact total, and disjunctive facet counts.

        The facet counts run on the index's thread pool while this thread finds the page (tantivy releases
        the GIL); a search with words or filters repeated before the next commit comes from the cache, and so
        does browse-all (see ``follow_commits``)."""
        query = clamp_query(query)
        searcher, generation = self._current_searcher()
        terms = analyze_query(query.q)
        text = queries.text_query(self._schema, terms)
        filters = {f: queries.filter_query(self._schema, f, v) for f, v in query.filters.items()}
        browsing = text is None and not filters
        key = None if browsing else _cache_key(query)
        page_key = _page_key(query)
        if key is not None:
            cached = self._cache.query(generation, key)
        else:  # while the follower computes this commit's browse-all, the previous one's if that is costly
            cached = self._stale_browse(generation, page_key, query.facet_limit)
        if cached is not None:
            (total, found), facets = cached
        else:
            if query.collapse:
                filters[schema.PRIMARY_FIELD] = self._primary_only
            # what needs no scores (the counts, a page sorted by a field) matches in the one all-text field
            match = queries.match_query(self._schema, terms)
            facet_counts = self._start_facet_counts(searcher, generation, match, filters, query)
            if browsing:
                total, found = self._browse_page(searcher, generation, page_key)
            else:
                by_score = _sort_order(query.sort, text is not None)[0] is None
                total, found = _top_hits(searcher, queries.combine(text if by_score else match, filters), query,
                                         text is not None)
            facets = facet_counts()
            if key is not None:
                self._cache.keep_query(generation, key, (total, found), facets)
        pattern = highlight_pattern(terms)
        hits = [_make_hit(raw, score, pattern) for score, raw in found]
        return SearchResult(total=total, hits=hits, facets=facets, query=query)

    def get(self, doc_id: str) -> DatasetDoc | None:
        searcher, _ = self._current_searcher()
        found = searcher.search(Query.term_query(self._schema, schema.ID_FIELD, doc_id), 1).hits
        if not found:
            return None
        return schema.decode_stored(_stored_bytes(searcher, found[0][1]))

    def count(self) -> int:
        """Number of committed (visible) documents."""
        return self._current_searcher()[0].num_docs

    def ids_for_source(self, source_id: str) -> set[str]:
        """Ids of the visible documents of one source (ids are "{source_id}/{key}")."""
        searcher, _ = self._current_searcher()
        of_source = Query.term_query(self._schema, schema.facet_field("source"), source_id)
        terms = searcher.terms_with_prefix(schema.ID_FIELD, f"{source_id}/", filter_query=of_source)
        return {term for term, doc_count in terms if doc_count > 0}

    @property
    def _primary_only(self) -> Query:
        return Query.const_score_query(Query.term_query(self._schema, schema.PRIMARY_FIELD, "1"), 0.0)

    def _browse_query(self, collapse: bool) -> Query:
        return self._primary_only if collapse else Query.all_query()

    def _stale_browse(self, generation: int, key: PageKey, limit: int) -> tuple[Page, FacetCounts] | None:
        """The previous commit's browse-all page and counts (all the facets), while the follower computes this
        commit's, if they are costly; else None: compute them (or wait for the follower's)."""
        if self._warm_due != generation:
            return None
        collapse = key[3]
        if self._cache.page(generation, key) is not None and self._cache.facets(generation, collapse) is not None:
            return None
        page, counts = self._cache.stale_page(key), self._cache.stale_facets(collapse)
        if page is None or counts is None or max(page[1], counts[1]) < STALE_WHILE_COMPUTING_ABOVE:
            return None
        return page[0], _cut(counts[0], limit)

    def _browse_page(self, searcher: tantivy.Searcher, generation: int, key: PageKey) -> Page:
        page = self._cache.page(generation, key)
        if page is None:
            sort, number, per_page, collapse = key
            request = SearchQuery(sort=sort, page=number, per_page=per_page, collapse=collapse)
            page, seconds = self._once((generation, "page", key), lambda: _timed(
                lambda: _top_hits(searcher, self._browse_query(collapse), request, has_text=False)))
            self._cache.keep_page(generation, key, page, seconds)
        return page

    def _once(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, or the result of the same computation already running in another thread."""
        with self._inflight_lock:
            running = self._inflight.get(key)
            if running is None:
                mine: Future[object] = Future()
                self._inflight[key] = mine
        if running is not None:
            return running.result()  # type: ignore[return-value]
        try:
            value = compute()
            mine.set_result(value)
            return value
        except BaseException as error:
            mine.set_exception(error)
            raise
        finally:
            with self._inflight_lock:
                del self._inflight[key]

    # --- facets ------------------------------------------------------------------------------------

    def _start_facet_counts(
        self,
        searcher: tantivy.Searcher,
        generation: int,
        match: Query | None,
        filters: dict[str, Query],
        query: SearchQuery,
    ) -> Callable[[], FacetCounts]:
        """Starts the counts under the full query (``match``: the words, unscored) for unfiltered facets, and
        for each filtered facet under the query without that facet's own filter (multi-select); returns the
        function that waits for them.
        The browse-all counts come from the cache."""
        limit, collapse = query.facet_limit, query.collapse
        browse_only = {schema.PRIMARY_FIELD} if collapse else set()
        if match is None and set(filters) == browse_only:
            return lambda: _cut(self._browse_facets(searcher, generation, collapse), limit)
        unfiltered = [f for f in FACETS if f not in filters]
        pending = self._count(searcher, queries.combine(match, filters), unfiltered, limit)
        from_browse = []
        for facet in (f for f in filters if f in FACETS):
            others = {f: q for f, q in filters.items() if f != facet}
            if match is None and set(others) == browse_only:
                from_browse.append(facet)
            else:
                pending += self._count(searcher, queries.combine(match, others), [facet], limit)

        def gather() -> FacetCounts:
            counts = _merged(pending, limit)
            if from_browse:
                browse = self._browse_facets(searcher, generation, collapse)
                counts.update({facet: browse[facet][:limit] for facet in from_browse})
            return {facet: counts[facet] for facet in FACETS}
        return gather

    def _count(self, searcher: tantivy.Searcher, query: Query, facets: list[str],
               limit: int) -> list[Future[FacetCounts]]:
        """Aggregations of ``facets`` under ``query`` started on the pool, one task per part of a FACET_PARTS
        facet (the costliest to count: at 1M documents a broad word's keywords take ~40 ms in one column, the
        seven other facets together ~6 ms), the other facets counted with the first part. Each task evaluates
        the query again: two evaluations on two cores beat one (at 1M, several words counted in one task took
        ~47 ms, in two ~25 ms each)."""
        names = [name for facet in facets for name in queries.counted_as(facet)]
        parts = [name for name in names if name not in facets]
        whole = [name for name in names if name in facets]
        groups = [[*parts[:1], *whole], *([part] for part in parts[1:])]
        return [self._pool.submit(_aggregate, searcher, query, group, limit) for group in groups if group]

    def _browse_facets(self, searcher: tantivy.Searcher, generation: int, collapse: bool) -> FacetCounts:
        """Every facet's counts over all documents, at the largest limit (shared with the cache: cut them)."""
        counts = self._cache.facets(generation, collapse)
        if counts is None:
            query, limit = self._browse_query(collapse), MAX_FACET_LIMIT
            counts, seconds = self._once((generation, "facets", collapse), lambda: _timed(
                lambda: _merged(self._count(searcher, query, list(FACETS), limit), limit)))
            self._cache.keep_facets(generation, collapse, counts, seconds)
        return counts

    # --- following commits (serving processes) ---------------------------------------------------

    def follow_commits(self, interval: float = 1.0, warm: Iterable[SearchQuery] = ()) -> None:
        """Notice commits, also other processes', within ``interval`` seconds, and after each one compute
        the browse-all pages and counts asked before it again, in a thread of this index's own; ``warm``:
        browse-all queries (no words, no filters: the landing page) to compute at once, before anyone asks."""
        with self._refresh_lock:
            if self._follower is not None:
                return
            first = [clamp_query(q) for q in warm if not q.q and not q.filters]
            if first:
                self._to_warm = ([_page_key(q) for q in first],
                                 list(dict.fromkeys(q.collapse for q in first)))
                self._wake.set()
            self._follower = threading.Thread(target=self._follow, args=(interval,), name="index-follower",
                                              daemon=True)
        self._follower.start()

    def _follow(self, interval: float) -> None:
        while not self._closed:
            self._wake.wait(interval)
            self._wake.clear()
            try:
                if directory.commit_stamp(self.path) != self._commit_stamp:
                    self._reload()
                self._warm()
            except SearchIndexError:
                return  # closed meanwhile
            except Exception:  # noqa: BLE001 - a failed warm-up only leaves the cache cold
                log.exception("%s: computing the browse-all results again failed", self.path)

    def _warm(self) -> None:
        with self._refresh_lock:
            asked, self._to_warm = self._to_warm, None
        if not asked:
            return
        searcher, generation = self._current_searcher()
        pages, collapses = asked
        try:
            for collapse in collapses:
                self._browse_facets(searcher, generation, collapse)
            for key in pages:
                self._browse_page(searcher, generation, key)
        finally:
            with self._refresh_lock:
                if self._warm_due == generation:
                    self._warm_due = None

    # --- freshness ---------------------------------------------------------------------------------

    def _current_searcher(self) -> tuple[tantivy.Searcher, int]:
        """A searcher on the latest commit, also one made by another process, and its cache generation."""
        self._check_open()
        if directory.commit_stamp(self.path) != self._commit_stamp:
            self._reload()
        generation = self._cache.generation  # read before taking the searcher: never cache old data as new
        return self._index.searcher(), generation

    def _reload(self, force: bool = False) -> None:
        """Point new searchers at the latest commit and drop the cached facet counts."""
        with self._refresh_lock:
            stamp = directory.commit_stamp(self.path)
            if stamp == self._commit_stamp and not force:
                return  # another thread reloaded already
            self._index.reload()
            self._commit_stamp = stamp
            warm = self._cache.asked(WARM_PAGES) if self._follower is not None else ([], [])
            self._cache.invalidate()
            if warm[0] or warm[1]:
                self._to_warm = warm
                self._warm_due = self._cache.generation
                self._wake.set()

    def _check_open(self) -> None:
        if self._closed:
            raise SearchIndexError(f"{self.path}: the search index is closed")


def _sort_order(sort: str, has_text: bool) -> tuple[str | None, Order]:
    """The fast field to sort on (None: by score) and its direction."""
    if sort == "title":
        return schema.TITLE_SORT_FIELD, Order.Asc
    if sort == "quality":  # best metadata first
        return schema.QUALITY_FIELD, Order.Desc
    if sort == "modified" or not has_text:  # without words, "relevance" shows the newest first
        return schema.MODIFIED_FIELD, Order.Desc  # tantivy puts documents without the value last
    return None, Order.Desc


def _top_hits(searcher: tantivy.Searcher, query: Query, request: SearchQuery, has_text: bool) -> Page:
    """The exact total and (score, stored bytes) of the requested page; score 0.0 when sorted by a field."""
    offset = (request.page - 1) * request.per_page
    if offset + request.per_page > MAX_RESULT_WINDOW:
        return _total(searcher.search(query, 1, count=True)), []
    sort_field, order = _sort_order(request.sort, has_text)
    result = searcher.search(
        query, request.per_page, count=True, order_by_field=sort_field, offset=offset, order=order
    )
    by_score = sort_field is None
    found = [(float(value) if by_score else 0.0, _stored_bytes(searcher, addr)) for value, addr in result.hits]
    return _total(result), found


def _total(result: tantivy.SearchResult) -> int:
    count: int = result.count  # type: ignore[attr-defined]  # missing from tantivy.pyi 0.27
    return count


def _stored_bytes(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> bytes:
    raw = searcher.doc(address).get_first(schema.STORED_FIELD)
    if not isinstance(raw, bytes):
        raise SearchIndexError("an indexed document has no stored original; run `harvester reindex`")
    return raw


def _merged(pending: list[Future[FacetCounts]], limit: int) -> FacetCounts:
    counts: FacetCounts = {}
    for future in pending:
        counts.update(future.result())
    return queries.join_parts(counts, limit)


def _timed(compute: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    return compute(), time.perf_counter() - started


def _cut(counts: FacetCounts, limit: int) -> FacetCounts:
    return {facet: buckets[:limit] for facet, buckets in counts.items()}


def _page_key(query: SearchQuery) -> PageKey:
    """The cache key of a browse-all page."""
    return query.sort, query.page, query.per_page, query.collapse


def _cache_key(query: SearchQuery) -> Hashable:
    filters = tuple((facet, tuple(values)) for facet, values in query.filters.items())
    return (" ".join(query.q.split()), filters, query.sort, query.page, query.per_page, query.facet_limit,
            query.collapse)


def _aggregate(searcher: tantivy.Searcher, query: Query, names: Iterable[str], limit: int) -> FacetCounts:
    """Counts of facets or their parts (``queries.counted_as``) under ``query``, keyed by those names."""
    names = list(names)
    result = searcher.aggregate(query, queries.facet_aggregation(names, limit))
    counts, again = queries.facet_buckets(result, names, limit)
    if again:  # rare: documents with very many values, or very many distinct sets of them
        result = searcher.aggregate(query, queries.facet_aggregation(again, limit, value_sets=False))
        counts.update(queries.facet_buckets(result, again, limit, value_sets=False)[0])
    return counts


def _make_hit(raw: bytes, score: float, pattern: re.Pattern[str] | None) -> Hit:
    doc = schema.decode_stored(raw)
    title_html = highlight.mark(doc.title, pattern)
    return Hit(doc=doc, score=score, snippet=highlight.snippet(doc, pattern), title_html=title_html)
