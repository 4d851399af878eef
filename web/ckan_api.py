"""CKAN-compatible reads of the merged catalog: ``/api/3/action/`` (and ``/api/action/``, where ckanapi goes)
``package_search``, ``package_show``, ``package_list``, ``organization_list``, ``organization_show``,
``group_list`` and ``status_show``.

Parameters come as query string, form or JSON body (GET or POST), answers in CKAN's envelope
``{"help", "success", "result"}``; errors carry CKAN's ``__type`` so CKAN clients raise their usual
exceptions. Packages are built from the record graphs (web.ckan_package); the plan of a search from
web.ckan_query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from harvester.dcat.rdf import iri_value
from harvester.index import SearchQuery
from harvester.index.search import MAX_PER_PAGE, MAX_RESULT_WINDOW
from web import harvester_context
from web.ckan_package import group_dict, organization_dict, package_dict
from web.ckan_query import (
    FIELD_FACETS,
    CkanError,
    CkanErrorKind,
    CkanSearch,
    Engine,
    parse_search,
    whole_number,
)
from web.listing import all_dataset_ids
from web.portals import all_facet_values
from web.search import facet_label, source_title

bp = Blueprint("ckan_api", __name__)

CKAN_VERSION = "2.10.0"
Action = Callable[[dict[str, Any]], Any]


def request_params() -> dict[str, Any]:
    """Action parameters from the query string, a form, or a JSON object body."""
    params: dict[str, Any] = {k: (v if len(v) > 1 else v[0]) for k, v in request.args.lists()}
    if request.method == "POST":
        body = request.get_json(silent=True) if request.is_json else None
        if isinstance(body, dict):
            params.update(body)
        elif request.form:
            params.update({k: (v if len(v) > 1 else v[0]) for k, v in request.form.lists()})
    return params


@bp.route("/api/3/action/<name>", methods=["GET", "POST"])
@bp.route("/api/action/<name>", methods=["GET", "POST"])
def action(name: str) -> tuple[Response, int]:
    help_url = url_for("ckan_api.action", name="help_show", _external=True) + f"?name={name}"
    handler = ACTIONS.get(name)
    try:
        if handler is None:
            raise CkanError(CkanErrorKind.UNKNOWN_ACTION, f"Action name not known: {name}")
        result = handler(request_params())
    except CkanError as error:
        kind, status = error.kind.value
        body = {"__type": kind, "message": f"{kind}: {error.message}", **error.fields}
        return _cors(jsonify({"help": help_url, "success": False, "error": body})), status
    return _cors(jsonify({"help": help_url, "success": True, "result": result})), 200


def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# --- packages -------------------------------------------------------------------------------------

def package_of(doc_id: str) -> dict[str, Any] | None:
    ctx = harvester_context()
    source_id, _, key = doc_id.partition("/")
    if not key:
        return None
    triples = ctx.store.graph_triples(ctx.iris.graph(source_id, key))
    return package_dict(source_id, key, triples, ctx.iris, source_title(source_id)) if triples else None


def package_show(params: dict[str, Any]) -> dict[str, Any]:
    """One package by ``id`` (its name "{source}/{key}", or the dataset IRI)."""
    wanted = str(params.get("id") or params.get("name") or "")
    ctx = harvester_context()
    if wanted.startswith(ctx.iris.dataset("", "").rstrip("/") + "/"):  # the dataset IRI works too
        wanted = wanted.removeprefix(ctx.iris.dataset("", "").rstrip("/") + "/")
    package = package_of(wanted) if wanted else None
    if package is None:
        raise CkanError(CkanErrorKind.NOT_FOUND, "Not found" if wanted else "Missing value: id",
                        {} if wanted else {"id": ["Missing value"]})
    return package


def package_list(params: dict[str, Any]) -> list[str]:
    """Every package name in id order; ``limit`` and ``offset`` page through them."""
    ids = all_dataset_ids()
    offset = whole_number(params, "offset", 0, 0)
    limit = whole_number(params, "limit", len(ids), 0)
    return ids[offset: offset + limit]


def package_search(params: dict[str, Any]) -> dict[str, Any]:
    """Packages matching ``q`` and ``fq``, ``rows`` from ``start`` in ``sort`` order, with ``facet.field`` counts."""
    search = parse_search(params)
    doc_ids: list[str]
    if search.matches_nothing:
        doc_ids, count = [], 0
    elif search.engine is Engine.IDS:
        doc_ids, count = _ids_window(search)
    elif search.engine is Engine.MODIFIED:
        doc_ids, count = _modified_window(search)
    else:
        doc_ids, count = _index_window(search)
    packages = [p for p in (package_of(doc_id) for doc_id in doc_ids) if p is not None]
    facets = _facets(search) if search.facet_fields else {}
    return {
        "count": count, "results": packages, "sort": str(params.get("sort") or "score desc, metadata_modified desc"),
        "facets": {name: {item["name"]: item["count"] for item in items} for name, items in facets.items()},
        "search_facets": {name: {"title": name, "items": items} for name, items in facets.items()},
    }


def _index_window(search: CkanSearch) -> tuple[list[str], int]:
    """Ids of results start…start+rows from the search index (pages of 100 put together)."""
    if search.start >= MAX_RESULT_WINDOW and search.rows:
        raise CkanError(CkanErrorKind.SEARCH_QUERY, f"start is past the {MAX_RESULT_WINDOW:,} results a search "
                        "can page through; list everything with sort=name asc (no q, no fq) or package_list")
    end = min(search.start + search.rows, MAX_RESULT_WINDOW)
    doc_ids: list[str] = []
    page = search.start // MAX_PER_PAGE + 1
    count = 0
    while True:
        result = harvester_context().index.search(SearchQuery(
            q=search.q, filters=search.filters, sort=search.sort, page=page, per_page=MAX_PER_PAGE, facet_limit=1))
        count = result.total
        first = (page - 1) * MAX_PER_PAGE
        doc_ids += [h.doc.id for n, h in enumerate(result.hits, start=first) if search.start <= n < end]
        if not result.hits or first + MAX_PER_PAGE >= end:
            return doc_ids, count
        page += 1


def _ids_window(search: CkanSearch) -> tuple[list[str], int]:
    ids = all_dataset_ids()
    ordered = list(reversed(ids)) if search.descending else ids
    return ordered[search.start: search.start + search.rows], len(ids)


def _modified_window(search: CkanSearch) -> tuple[list[str], int]:
    """Datasets by their dct:modified (CKAN's metadata_modified), from SPARQL over the store."""
    ctx = harvester_context()
    low, high = search.modified_range or (None, None)
    bounds = [f'?m >= "{low}"^^xsd:dateTime' if low else "", f'?m <= "{high}"^^xsd:dateTime' if high else ""]
    records = ctx.iris.record("", "").rstrip("/") + "/"
    where = (f"?r a dcat:CatalogRecord ; foaf:primaryTopic ?d . ?d dct:modified ?m . "
             f"FILTER(STRSTARTS(STR(?r), \"{records}\") && DATATYPE(?m) = xsd:dateTime"
             + "".join(f" && {b}" for b in bounds if b) + ")")
    prefixes = ("PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/> "
                "PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> ")
    counted = ctx.store.select(prefixes + f"SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ {where} }}")
    order = "DESC(?m)" if search.descending else "?m"
    rows = ctx.store.select(prefixes + f"SELECT DISTINCT ?d ?m WHERE {{ {where} }} ORDER BY {order} ?d "
                            f"LIMIT {search.rows} OFFSET {search.start}") if search.rows else []
    prefix = ctx.iris.dataset("", "").rstrip("/") + "/"
    doc_ids = [iri_value(row["d"]).removeprefix(prefix) for row in rows]
    total = counted[0].get("n", '"0"').split('"')[1] if counted else "0"
    return doc_ids, int(total)


def _facets(search: CkanSearch) -> dict[str, list[dict[str, Any]]]:
    """CKAN facet items for the asked fields, counted by the search index (for the index engine, under the
    same words and filters; otherwise over the whole catalog)."""
    query = SearchQuery(per_page=1, facet_limit=search.facet_limit)
    if search.engine is Engine.INDEX and not search.matches_nothing:
        query = SearchQuery(q=search.q, filters=search.filters, per_page=1, facet_limit=search.facet_limit)
    result = harvester_context().index.search(query)
    answer: dict[str, list[dict[str, Any]]] = {}
    for name in search.facet_fields:
        facet = FIELD_FACETS.get(name)
        buckets = result.facets.get(facet, []) if facet and not search.matches_nothing else []
        answer[name] = [{"name": value.lower() if facet == "theme" else value, "count": count,
                         "display_name": facet_label(facet, value) if facet else value} for value, count in buckets]
    return answer


# --- organizations, groups, status ----------------------------------------------------------------

def organization_list(params: dict[str, Any]) -> list[Any]:
    """The departments (publishers) by name; ``all_fields`` gives dicts with ``package_count``."""
    departments = sorted(all_facet_values("publisher"), key=lambda pair: pair[0])
    if str(params.get("sort", "")).startswith("package_count"):
        departments.sort(key=lambda pair: -pair[1])
    wanted = params.get("organizations")
    if wanted:
        names = set(_names(wanted))
        departments = [pair for pair in departments if pair[0] in names]
    offset = whole_number(params, "offset", 0, 0)
    departments = departments[offset: offset + whole_number(params, "limit", len(departments) or 1, 0)]
    if str(params.get("all_fields", "false")).lower() in ("true", "1"):
        return [organization_dict(name, count) for name, count in departments]
    return [name for name, _count in departments]


def _names(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [v for v in str(value).split(",") if v]


def organization_show(params: dict[str, Any]) -> dict[str, Any]:
    """One department by ``id`` (its name)."""
    name = str(params.get("id") or "")
    counts = dict(all_facet_values("publisher"))
    if name not in counts:
        raise CkanError(CkanErrorKind.NOT_FOUND, "Not found")
    return organization_dict(name, counts[name])


def group_list(params: dict[str, Any]) -> list[Any]:
    """The EU data themes in use, by lower-case code; ``all_fields`` gives dicts with ``package_count``."""
    themes = all_facet_values("theme")
    if str(params.get("all_fields", "false")).lower() in ("true", "1"):
        return [{**group_dict(code), "package_count": count} for code, count in themes]
    return [code.lower() for code, _count in themes]


def status_show(params: dict[str, Any]) -> dict[str, Any]:
    """The site and the CKAN API version it imitates."""
    ctx = harvester_context()
    return {"ckan_version": CKAN_VERSION, "site_title": str(ctx.settings["web.title"]),
            "site_url": url_for("search.home", _external=True).rstrip("/"), "site_description": "",
            "locale_default": "zh_Hans_CN", "extensions": ["harvester-merged-catalog"]}


def help_show(params: dict[str, Any]) -> str:
    """What an action does (its documentation), as CKAN's help_show answers."""
    handler = ACTIONS.get(str(params.get("name") or ""))
    if handler is None:
        raise CkanError(CkanErrorKind.NOT_FOUND, "Action not found")
    return (handler.__doc__ or "").strip() + "\n\nSee docs/website.md (CKAN-compatible API)."


ACTIONS: dict[str, Action] = {
    "package_search": package_search, "package_show": package_show, "package_list": package_list,
    "organization_list": organization_list, "organization_show": organization_show,
    "group_list": group_list, "status_show": status_show, "help_show": help_show,
}
