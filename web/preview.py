"""Data previews: the first rows of an open distribution in a text format (CSV, TSV, JSON, XML, plain text).

The site fetches a file only from the host of the portal the dataset was harvested from: a harvested URL
must never make this server request an address the operator did not configure. It asks for the first
``PREVIEW_BYTES`` with a Range header, refuses bodies past ``MAX_BYTES``, waits at most ``web.preview_timeout``
seconds (0 turns previews off) and shows at most ``PREVIEW_ROWS`` rows, escaped by the template. Previews are
kept ``CACHE_SECONDS`` so a busy page does not hammer the portal.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, render_template

from harvester.errors import FetchError
from harvester.http.client import PoliteClient, decode_body
from web import harvester_context
from web.dataset_page import DatasetPage, Distribution, dataset_page
from web.i18n import current_language
from web.i18n import gettext as _
from web.record import RecordGraph

bp = Blueprint("preview", __name__)

PREVIEW_BYTES = 64 * 1024
MAX_BYTES = 1024 * 1024
PREVIEW_ROWS = 20
PREVIEW_COLUMNS = 30
PREVIEW_CHARS = 6000
CELL_CHARS = 200
CACHE_SECONDS = 600
CACHE_ENTRIES = 128
#: EU file-type code or media type → how it is shown
KIND_BY_FORMAT = {"CSV": "csv", "TSV": "tsv", "JSON": "json", "GEOJSON": "json", "XML": "text", "TXT": "text",
                  "RDF_XML": "text", "RDF_TURTLE": "text", "RDF": "text"}
KIND_BY_MEDIA = {"text/csv": "csv", "text/tab-separated-values": "tsv", "application/json": "json",
                 "application/geo+json": "json", "application/xml": "text", "text/xml": "text",
                 "text/plain": "text", "text/turtle": "text"}


@dataclass
class Preview:
    kind: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    text: str = ""
    truncated: bool = False


def preview_kind(dist: Distribution) -> str | None:
    return KIND_BY_FORMAT.get(dist.format_code) or KIND_BY_MEDIA.get(dist.media_type)


def can_preview(page: DatasetPage, dist: Distribution, portal_url: str | None) -> bool:
    """Open data, a text format, and a download URL on the harvested portal's own host."""
    url = dist.download_url or dist.access_url
    return (not page.closed and preview_kind(dist) is not None and url is not None and portal_url is not None
            and same_host(url, portal_url))


def same_host(url: str, portal_url: str) -> bool:
    target, portal = urlsplit(url), urlsplit(portal_url)
    return target.scheme in ("http", "https") and bool(target.netloc) and \
        (target.scheme, target.netloc.lower()) == (portal.scheme, portal.netloc.lower())


def portal_url_of(source_id: str) -> str | None:
    try:
        return harvester_context().source(source_id).url
    except KeyError:
        return None


def distribution_id(dist: Distribution) -> str:
    return dist.node.rsplit("/distribution/", 1)[-1]


@bp.get("/dataset/<source_id>/<key>/distribution/<dist_id>/preview")
def preview_page(source_id: str, key: str, dist_id: str) -> tuple[str, int]:
    ctx = harvester_context()
    triples = ctx.store.graph_triples(ctx.iris.graph(source_id, key))
    if not triples:
        abort(404)
    page = dataset_page(RecordGraph(triples, current_language()), ctx.iris.dataset(source_id, key),
                        ctx.iris.record(source_id, key))
    dist = next((d for d in page.distributions if distribution_id(d) == dist_id), None)
    if dist is None:
        abort(404)
    portal_url = portal_url_of(source_id)
    timeout = float(ctx.settings["web.preview_timeout"])
    error, preview, status = "", None, 200
    if timeout <= 0 or not can_preview(page, dist, portal_url):
        error, status = _("preview.not_available"), 404
    else:
        try:
            preview = cached_preview(dist, timeout)
        except FetchError as exc:
            error, status = _("preview.failed", reason=str(exc)[:300]), 502
    return render_template("dataset/preview.html", page=page, dist=dist, preview=preview, error=error,
                           source_id=source_id, key=key, max_rows=PREVIEW_ROWS), status


_cache: dict[str, tuple[float, Preview]] = {}
_cache_lock = threading.Lock()


def cached_preview(dist: Distribution, timeout: float) -> Preview:
    url = dist.download_url or dist.access_url or ""
    now = time.monotonic()
    with _cache_lock:
        kept = _cache.get(url)
        if kept and now - kept[0] < CACHE_SECONDS:
            return kept[1]
    preview = fetch_preview(url, preview_kind(dist) or "text", timeout, harvester_context().settings)
    with _cache_lock:
        if len(_cache) >= CACHE_ENTRIES:
            _cache.clear()
        _cache[url] = (now, preview)
    return preview


def fetch_preview(url: str, kind: str, timeout: float, settings: Any) -> Preview:
    """Fetch the start of the file and shape it for display; FetchError when the portal fails (or its
    robots.txt forbids the file)."""
    client = PoliteClient(timeout=timeout, retries=0, max_bytes=MAX_BYTES, contact_url=settings["http.contact_url"],
                          obey_robots=bool(settings["http.obey_robots"]))
    try:
        response = client.get(url, headers={"Range": f"bytes=0-{PREVIEW_BYTES - 1}"})
    finally:
        client.close()
    body = response.content
    cut = len(body) > PREVIEW_BYTES or response.status == 206
    text = decode_body(body[:PREVIEW_BYTES], response.headers.get("content-type", ""))
    return shape_preview(text, kind, cut)


def shape_preview(text: str, kind: str, cut: bool) -> Preview:
    """Rows of a CSV/TSV, pretty JSON, or the text itself — bounded in rows, columns and characters."""
    if kind in ("csv", "tsv"):
        return _table(text, "\t" if kind == "tsv" else None, cut)
    if kind == "json" and not cut:
        try:
            text = json.dumps(json.loads(text), ensure_ascii=False, indent=2)
        except ValueError:
            pass
    return Preview("text", text=text[:PREVIEW_CHARS], truncated=cut or len(text) > PREVIEW_CHARS)


def _table(text: str, delimiter: str | None, cut: bool) -> Preview:
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if cut and lines:
        lines = lines[:-1]  # the last line may be cut in the middle
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff("\n".join(lines[:5]), delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    rows = list(csv.reader(io.StringIO("\n".join(lines[: PREVIEW_ROWS + 1])), delimiter=delimiter))
    rows = [[cell[:CELL_CHARS] for cell in row[:PREVIEW_COLUMNS]] for row in rows]
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    return Preview("table", columns=header, rows=body, truncated=cut or len(lines) > PREVIEW_ROWS + 1)
