"""``/healthz``: liveness for load balancers and operators: can the store and the search index be read?"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify

from web import harvester_context

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    ctx = harvester_context()
    try:
        ctx.store.has_graph(ctx.iris.catalog)
    except Exception as exc:  # noqa: BLE001 - any failure to read means "not healthy", said once here
        log.warning("health check: store unreadable: %s", exc)
        return _no_cache(jsonify({"status": "error", "store": "unreadable"})), 503
    try:
        datasets = ctx.index.count()
    except Exception as exc:  # noqa: BLE001 - as above
        log.warning("health check: search index unreadable: %s", exc)
        return _no_cache(jsonify({"status": "error", "index": "unreadable"})), 503
    return _no_cache(jsonify({"status": "ok", "datasets": datasets})), 200


def _no_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
