"""``/api/search``: the search page's query as JSON (same parameters, plus ``per_page`` up to 100)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from harvester.index import Hit
from web import harvester_context
from web.search import facet_label, search_query_from_args

bp = Blueprint("api", __name__)

DESCRIPTION_CHARS = 300


@bp.get("/api/search")
def search_api() -> Response:
    result = harvester_context().index.search(search_query_from_args(request.args))
    body = {
        "count": result.total,
        "page": result.query.page,
        "per_page": result.query.per_page,
        "results": [_result(hit) for hit in result.hits],
        "facets": {facet: [{"value": value, "label": facet_label(facet, value), "count": count}
                           for value, count in buckets]
                   for facet, buckets in result.facets.items()},
    }
    response = jsonify(body)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _result(hit: Hit) -> dict[str, Any]:
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
    }


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
