"""``/metrics``: the harvester's metrics in the Prometheus text format (see harvester.metrics)."""

from __future__ import annotations

from flask import Blueprint, Response

from harvester.metrics import exposition
from web import harvester_context

bp = Blueprint("metrics", __name__)
#: the text format every Prometheus version reads (our metric names are plain ASCII)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@bp.get("/metrics")
def metrics() -> Response:
    response = Response(exposition(harvester_context()))
    response.headers["Content-Type"] = CONTENT_TYPE
    response.headers["Cache-Control"] = "no-store"
    return response
