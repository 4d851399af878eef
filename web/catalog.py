"""The merged catalog as DCAT: ``/catalog.ttl`` (``.jsonld``, ``.rdf``, ``.nt``) ``?page=N&modified_since=…``.

A page holds the catalog of catalogs, the source portals' catalogs and the complete record graphs of up to
``PAGE_SIZE`` datasets, with Hydra paging in the style DCAT harvesters read (ckanext-dcat, piveau)::

    <…/catalog.ttl?page=2> a hydra:PagedCollection ; hydra:totalItems 360 ; hydra:itemsPerPage 100 ;
        hydra:firstPage "…?page=1" ; hydra:previousPage "…?page=1" ; hydra:nextPage "…?page=3" ;
        hydra:lastPage "…?page=4" .

Without ``modified_since`` datasets come in id order (source, then key). With it, only records harvested
(added or changed) at or after that moment, oldest change first, so a consumer can resume where it stopped.
``source=ID`` keeps one source portal's datasets.
"""

from __future__ import annotations

from datetime import datetime, timezone
from math import ceil
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, request, url_for

from harvester.dcat.rdf import XSD, A, Triple, iri_value, literal, term, typed
from harvester.dcat.serialize import RDF_SUFFIXES, serialize_triples
from web import harvester_context
from web.api_errors import BadParameter
from web.listing import all_dataset_ids
from web.portals import known_source_ids

bp = Blueprint("catalog", __name__)

PAGE_SIZE = 100
HYDRA = "http://www.w3.org/ns/hydra/core#"


@bp.get("/catalog.<fmt>")
def feed(fmt: str) -> Response:
    media = RDF_SUFFIXES.get(fmt)
    if media is None:
        abort(404)
    page = page_number(request.args.get("page"))
    since = parse_since(request.args.get("modified_since"))
    source_id = request.args.get("source") or None
    if source_id is not None and source_id not in known_source_ids():
        raise BadParameter("source", f"no source portal {source_id[:64]!r}; see /portals", status=404)
    keys, total = changed_since(since, page, source_id) if since else ids_page(page, source_id)
    last = max(1, ceil(total / PAGE_SIZE))
    if page > last:
        raise BadParameter("page", f"page {page} is past the last page ({last})", status=404)
    ctx = harvester_context()
    triples = catalog_triples(source_id)
    for source_id, key in keys:
        triples += ctx.store.graph_triples(ctx.iris.graph(source_id, key))
    triples += hydra_triples(fmt, page, last, total)
    charset = "; charset=utf-8" if media in ("text/turtle", "application/n-triples") else ""
    response = Response(serialize_triples(triples, media), content_type=media + charset)
    if page < last:
        response.headers["Link"] = f'<{page_url(fmt, page + 1)}>; rel="next"'
    return response


def page_number(text: str | None) -> int:
    if text is None or text == "":
        return 1
    if not text.isdigit() or int(text) < 1:
        raise BadParameter("page", f"page must be a positive whole number, not {text[:40]!r}")
    return int(text)


def parse_since(text: str | None) -> datetime | None:
    """An ISO 8601 date or date-time (UTC when no offset is given); BadParameter for anything else."""
    if not text:
        return None
    cleaned = text.strip().replace("Z", "+00:00")
    if "T" in cleaned:
        cleaned = cleaned.replace(" ", "+")  # an unencoded '+' of an offset arrives as a space
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise BadParameter("modified_since", f"modified_since must be an ISO 8601 date or date-time "
                           f"(2024-05-01 or 2024-05-01T08:00:00+08:00), not {text[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def ids_page(page: int, source_id: str | None) -> tuple[list[tuple[str, str]], int]:
    ids = all_dataset_ids()
    if source_id is not None:
        ids = [doc_id for doc_id in ids if doc_id.startswith(source_id + "/")]
    chosen = ids[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return [tuple(doc_id.split("/", 1)) for doc_id in chosen], len(ids)  # type: ignore[misc]


def changed_since(since: datetime, page: int, source_id: str | None) -> tuple[list[tuple[str, str]], int]:
    """(source, key) of the records harvested at or after ``since`` on this page, and how many there are."""
    ctx = harvester_context()
    where = _changed_where(since, source_id)
    total = int(_count(ctx.store.select(f"{_PREFIXES} SELECT (COUNT(?d) AS ?n) WHERE {{ {where} }}")))
    rows = ctx.store.select(f"{_PREFIXES} SELECT ?d ?m WHERE {{ {where} }} ORDER BY ?m ?d "
                            f"LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}")
    prefix = ctx.iris.dataset("", "").rstrip("/") + "/"
    keys = []
    for row in rows:
        dataset = iri_value(row["d"])
        source_id, _, key = dataset.removeprefix(prefix).partition("/")
        if dataset.startswith(prefix) and key:
            keys.append((source_id, key))
    return keys, total


_PREFIXES = ("PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/> "
             "PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>")


def _changed_where(since: datetime, source_id: str | None) -> str:
    records = harvester_context().iris.record(source_id or "", "").rstrip("/") + "/"
    stamp = since.astimezone(timezone.utc).isoformat(timespec="seconds")
    return (f'?r a dcat:CatalogRecord ; foaf:primaryTopic ?d ; dct:modified ?m . '
            f'FILTER(STRSTARTS(STR(?r), "{records}") && ?m >= "{stamp}"^^xsd:dateTime)')


def _count(rows: list[dict[str, str]]) -> str:
    value = rows[0].get("n", '"0"') if rows else '"0"'
    return value.split('"')[1] if '"' in value else value


def catalog_triples(only_source: str | None = None) -> list[Triple]:
    """The catalog of catalogs and each source portal's dcat:Catalog (their own graphs), titled in zh and en."""
    ctx = harvester_context()
    triples: list[Triple] = []
    for source_id in [only_source] if only_source else known_source_ids():
        triples += ctx.store.graph_triples(ctx.iris.source_graph(source_id))
    root = f"<{ctx.iris.catalog}>"
    titles = {"zh": str(ctx.settings["web.title"]), "en": str(ctx.settings["web.title_en"])}
    triples = [t for t in triples if not (t.s == root and t.p == term("dct:title"))]
    triples += [Triple(root, A, term("dcat:Catalog"))]
    triples += [Triple(root, term("dct:title"), literal(text, lang)) for lang, text in titles.items()]
    return triples


def page_url(fmt: str, page: int) -> str:
    args = {k: v for k, v in request.args.items() if k not in ("page",)}
    args["page"] = str(page)
    return url_for("catalog.feed", fmt=fmt, _external=True) + "?" + urlencode(args)


def hydra_triples(fmt: str, page: int, last: int, total: int) -> list[Triple]:
    this = f"<{page_url(fmt, page)}>"
    integer = XSD + "integer"
    triples = [
        Triple(this, A, f"<{HYDRA}PagedCollection>"),
        Triple(this, f"<{HYDRA}totalItems>", typed(str(total), integer)),
        Triple(this, f"<{HYDRA}itemsPerPage>", typed(str(PAGE_SIZE), integer)),
        Triple(this, f"<{HYDRA}firstPage>", literal(page_url(fmt, 1))),
        Triple(this, f"<{HYDRA}lastPage>", literal(page_url(fmt, last))),
    ]
    if page > 1:
        triples.append(Triple(this, f"<{HYDRA}previousPage>", literal(page_url(fmt, page - 1))))
    if page < last:
        triples.append(Triple(this, f"<{HYDRA}nextPage>", literal(page_url(fmt, page + 1))))
    return triples
