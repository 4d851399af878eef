"""The public web site: search, dataset pages, portal and department pages, the JSON and CKAN-compatible APIs,
DCAT feeds, the sitemap, the SPARQL endpoint and the health check (docs/website.md).

``create_app(ctx)`` builds the Flask app around one opened harvester Context; ``harvester serve`` hands
it to the WSGI server. Everything harvested is untrusted text: templates autoescape it, links from it
pass ``safe_href`` (http, https, mailto, tel only), and the Content-Security-Policy allows no inline script.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from harvester.context import Context
from harvester.index import Hit
from harvester.trust import duplicates
from web import i18n
from web.i18n import gettext as _

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_SAFE_HREF = re.compile(r"^(?:https?://[^\x00-\x20]+|mailto:[^\x00-\x20]+|tel:[^\x00-\x20]+)$", re.IGNORECASE)


def create_app(ctx: Context) -> Flask:
    """The Flask app serving ``ctx``: one blueprint per area (search, dataset pages and previews, portal and
    department pages, JSON and CKAN APIs, DCAT feed, sitemap, SPARQL, health, metrics, operator pages)."""
    from web import admin, api, catalog, ckan_api, dataset, health, metrics, portals, preview, search, sitemap, sparql
    from web.api_errors import BadParameter, bad_parameter_response
    from web.listing import IdListing

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=ctx.settings["web.secret_key"] or os.urandom(32).hex(),
        MAX_CONTENT_LENGTH=1024 * 1024,  # a SPARQL query or form; nothing bigger is ever posted
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["harvester"] = ctx
    app.extensions["harvester.id_listing"] = IdListing()
    i18n.init_app(app)
    for module in (search, dataset, preview, portals, api, ckan_api, catalog, sitemap, sparql, health, metrics):
        app.register_blueprint(module.bp)
    admin.register(app, ctx)  # the operator pages under /admin (login required)
    app.register_error_handler(BadParameter, bad_parameter_response)
    app.jinja_env.globals.update(safe_href=safe_href, url_with=url_with, site_title=site_title)
    app.jinja_env.filters.update(human_size=human_size)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _error_page)
    return app


def harvester_context() -> Context:
    """The Context of the running app (views call the engine through it)."""
    return current_app.extensions["harvester"]  # type: ignore[no-any-return]


def also_on(hits: list[Hit]) -> dict[str, list[str]]:
    """Record id → the ids of its dataset on other portals, for the documents of a page of hits
    (harvester.trust.duplicates.also_on)."""
    return duplicates.also_on(harvester_context().trust, [hit.doc for hit in hits])


def site_title() -> str:
    settings = harvester_context().settings
    return str(settings["web.title_en"] if i18n.current_language() == "en" else settings["web.title"])


def safe_href(value: Any) -> str | None:
    """``value`` when it is an http(s), mailto or tel URL a link may point to; None otherwise."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if _SAFE_HREF.match(value) else None


def url_with(**changes: Any) -> str:
    """The current URL with some query parameters replaced (a list sets repeated values; None removes)."""
    if "url_args" not in g:  # parsed once a request: pages call this for every facet value
        g.url_args = [(k, request.args.getlist(k)) for k in request.args if k != "lang"]
    args: dict[str, list[str]] = dict(g.url_args)
    for key, value in changes.items():
        if value is None or value == [] or value == "":
            args.pop(key, None)
        else:
            args[key] = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    query = urlencode([(k, v) for k, values in args.items() for v in values])
    return request.path + ("?" + query if query else "")


def human_size(size: Any) -> str:
    """A byte count as people read it: 532 B, 1.2 KB, 3.4 MB …"""
    try:
        value = float(size)
    except (TypeError, ValueError):
        return ""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if response.mimetype == "text/html":
        response.vary.add("Cookie")  # the language cookie changes the page
    return response


#: paths answered by machines: their errors are JSON, not pages
MACHINE_PATHS = ("/api/", "/catalog.", "/sitemap")


def _error_page(error: HTTPException) -> tuple[str | Response, int]:
    code = error.code or 500
    if request.path.startswith(MACHINE_PATHS):
        return jsonify({"error": {"status": code, "message": error.description or error.name}}), code
    key = f"error.{code}" if code in (400, 404, 405, 413, 500, 503) else "error.other"
    return render_template("errors/error.html", code=code, title=_(key + ".title"),
                           message=_(key + ".message")), code

