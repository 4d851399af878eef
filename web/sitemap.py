"""``/sitemap.xml`` (a sitemap index), its parts under ``/sitemap/``, ``/robots.txt`` pointing at it, and
``/favicon.ico``.

Search engines reach every dataset page: the datasets are split into files of ``URLS_PER_FILE`` (the
protocol allows 50,000), in the catalog's id order. Faceted search URLs are left out (and disallowed in
robots.txt): they are endless combinations of the same pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import ceil
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, redirect, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from web.listing import all_dataset_ids
from web.portals import all_facet_values, known_source_ids

bp = Blueprint("sitemap", __name__)

URLS_PER_FILE = 10_000
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _xml(body: str) -> Response:
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + body, content_type="application/xml; charset=utf-8")


def _urlset(urls: Iterable[str]) -> Response:
    entries = "".join(f"<url><loc>{escape(u)}</loc></url>\n" for u in urls)
    return _xml(f'<urlset xmlns="{SITEMAP_NS}">\n{entries}</urlset>\n')


@bp.get("/sitemap.xml")
def sitemap_index() -> Response:
    files = [url_for("sitemap.pages", _external=True)]
    files += [url_for("sitemap.datasets", number=n, _external=True)
              for n in range(1, ceil(len(all_dataset_ids()) / URLS_PER_FILE) + 1)]
    entries = "".join(f"<sitemap><loc>{escape(u)}</loc></sitemap>\n" for u in files)
    return _xml(f'<sitemapindex xmlns="{SITEMAP_NS}">\n{entries}</sitemapindex>\n')


@bp.get("/sitemap/pages.xml")
def pages() -> Response:
    urls = [url_for("search.home", _external=True), url_for("portals.portal_list", _external=True),
            url_for("portals.department_list", _external=True), url_for("sparql.endpoint", _external=True),
            url_for("sparql.graph_layout", _external=True)]
    urls += [url_for("portals.portal", source_id=s, _external=True) for s in known_source_ids()]
    urls += [url_for("portals.department", name=name, _external=True) for name, _count in all_facet_values("publisher")]
    return _urlset(urls)


@bp.get("/sitemap/datasets-<int:number>.xml")
def datasets(number: int) -> Response:
    chosen = all_dataset_ids()[(number - 1) * URLS_PER_FILE: number * URLS_PER_FILE]
    if number < 1 or not chosen:
        abort(404)
    return _urlset(url_for("dataset.show", source_id=doc_id.split("/", 1)[0], key=doc_id.split("/", 1)[1],
                           _external=True) for doc_id in chosen)


@bp.get("/favicon.ico")
def favicon() -> WerkzeugResponse:
    """Browsers ask for /favicon.ico whatever the page says; they get the site's SVG icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/robots.txt")
def robots() -> Response:
    lines = ["User-agent: *", "Disallow: /search?", "Disallow: /api/search", "Disallow: /sparql?",
             "Disallow: /dataset/*/preview", "Disallow: /admin/",
             f"Sitemap: {url_for('sitemap.sitemap_index', _external=True)}"]
    return Response("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
