"""The merged search page (``/`` and ``/search``): one search box, facets, results, sorting and paging."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

from flask import Blueprint, g, render_template, request
from werkzeug.datastructures import MultiDict

from harvester.dcat.rdf import literal_parts
from harvester.index import FACETS, FILTERS, SearchQuery, SearchResult
from harvester.index.search import MAX_PER_PAGE, MAX_RESULT_WINDOW, SORTS
from web import also_on, harvester_context, url_with
from web.i18n import gettext as _
from web.i18n import vocab_label

bp = Blueprint("search", __name__)

PER_PAGE = 20
MAX_QUERY_CHARS = 200
#: facet → vocabulary kind of its codes (the other facets hold display values already)
FACET_KINDS = {"theme": "theme", "format": "file_type", "license": "licence", "access": "access_right"}
#: facet values shown before the rest fold into "more"
FACET_SHOWN = 8
PAGE_WINDOW = 2


@dataclass
class FacetItem:
    value: str
    label: str
    count: int
    selected: bool
    url: str


@dataclass
class FacetView:
    name: str
    title: str
    items: list[FacetItem] = field(default_factory=list)


def search_query_from_args(args: MultiDict[str, str], per_page: int = PER_PAGE) -> SearchQuery:
    """The SearchQuery of the URL parameters q, the facets (repeatable), sort, page (and per_page)."""
    sort = args.get("sort", "relevance")
    filters = {f: [v for v in args.getlist(f) if v] for f in FILTERS if args.getlist(f)}
    return SearchQuery(
        q=args.get("q", "").strip()[:MAX_QUERY_CHARS],
        filters=filters,
        sort=sort if sort in SORTS else "relevance",
        page=_positive_int(args.get("page"), 1),
        per_page=min(MAX_PER_PAGE, _positive_int(args.get("per_page"), per_page)),
        # the same dataset on several portals shows once, unless portals are chosen: then each shows its own
        collapse="source" not in filters,
    )


def landing_query() -> SearchQuery:
    """The home page's search (no words, no filters): a serving process computes it before anyone asks."""
    return search_query_from_args(MultiDict())


def _positive_int(text: str | None, default: int) -> int:
    try:
        value = int(text or default)
    except ValueError:
        return default
    return value if value > 0 else default


QUALITY_BANDS = ("excellent", "good", "sufficient", "bad")


def facet_label(facet: str, value: str) -> str:
    """What a person reads for a facet value: a vocabulary label, a portal's title, or the value itself."""
    if facet in FACET_KINDS:
        return vocab_label(value, FACET_KINDS[facet])
    if facet == "source":
        return source_title(value)
    if facet == "quality":
        return _(f"quality.{value}") if value in QUALITY_BANDS else value
    return value


def source_titles() -> dict[str, str]:
    """Source id → portal title, from the configured sources and the source catalogs in the store."""
    if "source_titles" not in g:
        ctx = harvester_context()
        g.source_titles = {s.id: s.title for s in ctx.sources() if s.title}
    return g.source_titles  # type: ignore[no-any-return]


def source_title(source_id: str) -> str:
    """The title of a source's dcat:Catalog (configured title first); the id if none is known."""
    titles = source_titles()
    if source_id not in titles:
        ctx = harvester_context()
        title_p = "<http://purl.org/dc/terms/title>"
        catalog = f"<{ctx.iris.source_catalog(source_id)}>"
        found = [literal_parts(t.o)[0] for t in ctx.store.graph_triples(ctx.iris.source_graph(source_id))
                 if t.s == catalog and t.p == title_p]
        titles[source_id] = found[0] if found else source_id
    return titles[source_id]


def facet_views(result: SearchResult, query: SearchQuery) -> list[FacetView]:
    views = []
    for facet in FACETS:
        selected = query.filters.get(facet, [])
        counts = list(result.facets.get(facet, []))
        known = {value for value, _count in counts}
        counts += [(value, 0) for value in selected if value not in known]
        view = FacetView(facet, _(f"facet.{facet}"))
        for value, count in counts:
            chosen = value in selected
            toggled = [v for v in selected if v != value] if chosen else [*selected, value]
            label = facet_label(facet, value)
            view.items.append(FacetItem(value, label, count, chosen, url_with(**{facet: toggled, "page": None})))
        if view.items:
            views.append(view)
    return views


def active_filters(query: SearchQuery) -> list[FacetItem]:
    """The chosen facet values, each with the URL that removes it."""
    chips = []
    for facet, values in query.filters.items():
        for value in values:
            rest = [v for v in values if v != value]
            label = facet_label(facet, value)
            chips.append(FacetItem(facet, f"{_('facet.' + facet)}: {label}", 0, True,
                                   url_with(**{facet: rest, "page": None})))
    return chips


def page_links(total: int, query: SearchQuery) -> list[tuple[int | None, str | None]]:
    """(page, url) for the pagination bar; (None, None) marks a gap."""
    last = max(1, min(ceil(total / query.per_page), MAX_RESULT_WINDOW // query.per_page))
    pages = sorted({1, last, *range(max(1, query.page - PAGE_WINDOW), min(last, query.page + PAGE_WINDOW) + 1)})
    links: list[tuple[int | None, str | None]] = []
    for page in pages:
        if links and links[-1][0] is not None and page - links[-1][0] > 1:  # type: ignore[operator]
            links.append((None, None))
        links.append((page, url_with(page=page if page > 1 else None)))
    return links


@dataclass
class Relaxation:
    """A way out of an empty result: what to drop, how many results that gives, and the URL."""

    label: str
    count: int
    url: str


def relaxations(query: SearchQuery) -> list[Relaxation]:
    """For an empty result: the count without each chosen filter, and without the words (filters kept)."""
    index = harvester_context().index
    found: list[Relaxation] = []
    for facet, values in query.filters.items():
        for value in values:
            rest = {f: [v for v in vs if not (f == facet and v == value)] for f, vs in query.filters.items()}
            kept = {f: v for f, v in rest.items() if v}
            total = index.search(SearchQuery(q=query.q, filters=kept, per_page=1, facet_limit=1,
                                             collapse="source" not in kept)).total
            label = _("search.relax_filter", filter=f"{_('facet.' + facet)}: {facet_label(facet, value)}")
            found.append(Relaxation(label, total, url_with(**{facet: rest[facet], "page": None})))
    if query.q:
        total = index.search(SearchQuery(filters=query.filters, per_page=1, facet_limit=1,
                                         collapse=query.collapse)).total
        found.append(Relaxation(_("search.relax_words", words=query.q), total, url_with(q=None, page=None)))
    return sorted((r for r in found if r.count > 0), key=lambda r: -r.count)


@bp.get("/", endpoint="home")
@bp.get("/search")
def search_page() -> str:
    ctx = harvester_context()
    query = search_query_from_args(request.args)
    result = ctx.index.search(query)
    query = result.query
    last_page = max(1, ceil(result.total / query.per_page))
    return render_template(
        "search/index.html",
        result=result, query=query, facets=facet_views(result, query), chips=active_filters(query),
        pages=page_links(result.total, query), last_page=last_page,
        sorts=[(s, _(f"sort.{s}"), url_with(sort=None if s == "relevance" else s, page=None)) for s in SORTS],
        facet_shown=FACET_SHOWN, source_title=source_title, facet_label=facet_label,
        relaxations=relaxations(query) if not result.total else [], also_on=also_on(result.hits),
    )
