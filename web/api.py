"""``/api/search``: the search page's query as JSON (same parameters, plus ``per_page`` up to 100);
``/api/openapi.json``: the OpenAPI description of every machine interface; ``/api``: a page introducing them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from harvester.index import Hit
from harvester.index.search import MAX_PER_PAGE, MAX_RESULT_WINDOW, SORTS
from web import also_on, harvester_context
from web.api_errors import BadParameter
from web.openapi import openapi_document
from web.search import MAX_QUERY_CHARS, facet_label, search_query_from_args

bp = Blueprint("api", __name__)

DESCRIPTION_CHARS = 300


def check_search_args() -> None:
    """The JSON API says what is wrong with a parameter where the page would quietly use its default."""
    for name, high in (("page", MAX_RESULT_WINDOW), ("per_page", MAX_PER_PAGE)):
        text = request.args.get(name)
        if text is not None and not (text.isdigit() and 1 <= int(text) <= high):
            raise BadParameter(name, f"{name} must be a whole number from 1 to {high}, not {text[:40]!r}")
    sort = request.args.get("sort")
    if sort is not None and sort not in SORTS:
        raise BadParameter("sort", f"sort must be one of {', '.join(SORTS)}, not {sort[:40]!r}")
    if len(request.args.get("q", "")) > MAX_QUERY_CHARS:
        raise BadParameter("q", f"q is longer than {MAX_QUERY_CHARS} characters")


@bp.get("/api/search")
def search_api() -> Response:
    check_search_args()
    result = harvester_context().index.search(search_query_from_args(request.args))
    others = also_on(result.hits)
    body = {
        "count": result.total,
        "page": result.query.page,
        "per_page": result.query.per_page,
        "results": [_result(hit, others[hit.doc.id]) for hit in result.hits],
        "facets": {facet: [{"value": value, "label": facet_label(facet, value), "count": count}
                           for value, count in buckets]
                   for facet, buckets in result.facets.items()},
    }
    response = jsonify(body)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/api/openapi.json")
def openapi() -> Response:
    server = url_for("search.home", _external=True).rstrip("/")
    response = jsonify(openapi_document(server, str(harvester_context().settings["web.title_en"])))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/api")
def api_page() -> str:
    return render_template("api/index.html")


def _result(hit: Hit, others: list[str]) -> dict[str, Any]:
    doc = hit.doc
    source_id, _, key = doc.id.partition("/")
    return {
        "id": doc.id,
        "iri": doc.iri,
        "url": url_for("dataset.show", source_id=source_id, key=key, _external=True),
        "title": doc.title,
        "title_en": doc.title_en,
        "description": _truncate(" ".join(doc.description.split()), DESCRIPTION_CHARS),
        "publisher": doc.publisher,
        "themes": doc.themes,
        "formats": doc.formats,
        "license": doc.license,
        "access": doc.access,
        "modified": doc.modified.isoformat() if doc.modified else None,
        "source": doc.source,
        "also_on": [{"id": other, "url": url_for("dataset.show", source_id=other.split("/", 1)[0],
                                                 key=other.split("/", 1)[1], _external=True)} for other in others],
    }


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
