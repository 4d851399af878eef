"""``/sparql``: the SPARQL 1.1 Protocol endpoint (query only) over the union of all record graphs.

Queries come by GET ``?query=``, POST form ``query=`` or a POST ``application/sparql-query`` body; updates
(``update=``, ``application/sparql-update`` or update text) are refused with 400. Results follow the Accept
header or ``format=``. Row and time limits cut answers; the cut is stated in ``X-Harvester-Truncated``
(``rows`` or ``time``), and the limits in ``X-Harvester-Row-Limit`` / ``X-Harvester-Time-Limit``.
Browsers get an HTML query page (an editor, examples, the results as a table with downloads); ``/sparql/graph``
documents the graph layout and the limits. A store that cannot answer (a SPARQL server down or failing) gives
503 with ``Retry-After``.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field

from flask import Blueprint, Response, render_template, request, url_for

from harvester.dcat.rdf import PREFIXES
from harvester.index import SearchQuery
from harvester.store import QueryAnswer, QueryTimeout, StoreError
from web import harvester_context
from web.i18n import current_language
from web.i18n import gettext as _
from web.sparql_examples import EXAMPLES

bp = Blueprint("sparql", __name__)
log = logging.getLogger(__name__)
#: seconds a client is asked to wait when the store cannot answer
RETRY_AFTER = 30

#: ``format=`` values → the media type asked of the store
FORMATS = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
    "tsv": "text/tab-separated-values", "ttl": "text/turtle", "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml", "nt": "application/n-triples",
}
#: what a non-browser client without preference gets first; HTML only when asked for
_MACHINE_TYPES = ["application/sparql-results+json", "application/json", "application/sparql-results+xml",
                  "text/csv", "text/tab-separated-values", *list(FORMATS.values())[4:]]
_HTML_ACCEPT = "application/sparql-results+json, text/turtle"
UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})
MAX_QUERY_CHARS = 100_000
_TOKENS_OR_COMMENT = re.compile(r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|<[^<>\s]*>)|#[^\n]*")
_PROLOGUE = re.compile(r"^\s*(?:(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s+<[^>]*>)\s*)*", re.IGNORECASE)

class UpdateRefused(Exception):
    """The request asked for a SPARQL Update; this endpoint only answers queries."""


def prologue() -> str:
    """PREFIX declarations of every standard prefix (the query box starts with them)."""
    return "".join(f"PREFIX {name}: <{ns}>\n" for name, ns in PREFIXES.items())


def with_prefixes(text: str) -> str:
    """The query with PREFIX declarations for the standard prefixes it uses."""
    used = [name for name in PREFIXES if re.search(rf"(?<![\w:]){name}:", text)]
    return "".join(f"PREFIX {name}: <{PREFIXES[name]}>\n" for name in used) + text


def is_update(text: str) -> bool:
    """Whether the text is a SPARQL Update (its first keyword after the prologue and comments)."""
    without_comments = _TOKENS_OR_COMMENT.sub(lambda m: m.group(1) or "", text)
    rest = _PROLOGUE.sub("", without_comments, count=1)
    match = re.match(r"[A-Za-z]+", rest)
    return bool(match) and match.group(0).upper() in UPDATE_KEYWORDS  # type: ignore[union-attr]


def query_of_request() -> str | None:
    """The query text of a SPARQL Protocol request; UpdateRefused for an update in any of its forms."""
    if "update" in request.args or "update" in request.form or request.mimetype == "application/sparql-update":
        raise UpdateRefused
    text: str | None
    if request.method == "POST" and request.mimetype == "application/sparql-query":
        text = request.get_data(as_text=True)
    else:
        text = request.form.get("query") or request.args.get("query")
    if text is None or not text.strip():
        return None
    if is_update(text):
        raise UpdateRefused
    return text


@dataclass
class HtmlResult:
    columns: list[str] = field(default_factory=list)
    rows: list[list[dict[str, str]]] = field(default_factory=list)
    boolean: bool | None = None
    graph_text: str = ""


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    fmt = request.values.get("format", "")
    wants_html = fmt == "html" or (fmt not in FORMATS and _browser())
    try:
        query = query_of_request()
    except UpdateRefused:
        return _failure(400, _("sparql.read_only"), wants_html, "")
    if query is None:
        if wants_html:
            return _page(query=None)
        return _failure(400, _("sparql.missing_query"), False, "")
    if len(query) > MAX_QUERY_CHARS:
        return _failure(400, _("sparql.too_long", limit=MAX_QUERY_CHARS), wants_html, query[:2000])
    accept = _HTML_ACCEPT if wants_html else FORMATS.get(fmt) or request.headers.get("Accept", "*/*")
    settings = harvester_context().settings
    try:
        answer = harvester_context().store.query(query, accept, int(settings["sparql.max_rows"]),
                                                 float(settings["sparql.timeout"]))
    except SyntaxError as exc:
        return _failure(400, _("sparql.syntax_error", message=str(exc)), wants_html, query)
    except QueryTimeout:
        return _failure(503, _("sparql.timeout", seconds=f"{float(settings['sparql.timeout']):g}"), wants_html, query)
    except StoreError as exc:  # a store server down or failing: the service is unavailable, not broken
        log.warning("/sparql: the store could not answer: %s", exc)
        response = _failure(503, _("error.503.message"), wants_html, query)
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response
    if wants_html:
        return _page(query=query, answer=answer)
    response = Response(answer.body, content_type=answer.content_type)
    return _with_limit_headers(response, answer)


def _browser() -> bool:
    best = request.accept_mimetypes.best_match([*_MACHINE_TYPES, "text/html"])
    return best == "text/html"


def _with_limit_headers(response: Response, answer: QueryAnswer | None) -> Response:
    settings = harvester_context().settings
    response.headers["X-Harvester-Row-Limit"] = str(int(settings["sparql.max_rows"]))
    response.headers["X-Harvester-Time-Limit"] = f"{float(settings['sparql.timeout']):g}"
    if answer is not None and (answer.truncated_by_rows or answer.truncated_by_time):
        response.headers["X-Harvester-Truncated"] = "rows" if answer.truncated_by_rows else "time"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = (
        "X-Harvester-Truncated, X-Harvester-Row-Limit, X-Harvester-Time-Limit")
    response.vary.add("Accept")
    return response


def _failure(status: int, message: str, wants_html: bool, query: str) -> Response:
    if wants_html:
        return _page(query=query or None, error=message, status=status)
    response = Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    return _with_limit_headers(response, None)


def _page(query: str | None, answer: QueryAnswer | None = None, error: str = "", status: int = 200) -> Response:
    settings = harvester_context().settings
    result = _html_result(answer) if answer is not None else None
    downloads = []
    if query and answer is not None:
        kinds = ("json", "csv", "tsv", "xml") if answer.content_type.startswith("application/sparql-results") \
            else ("ttl", "jsonld", "rdf", "nt")
        downloads = [(k, url_for("sparql.endpoint", query=query, format=k)) for k in kinds]
    html = render_template(
        "sparql/page.html", query=query, default_query=prologue() + "\n" + EXAMPLES[0][1], error=error,
        answer=answer, result=result, downloads=downloads,
        examples=[(key, url_for("sparql.endpoint", query=with_prefixes(text), format="html"))
                  for key, text in EXAMPLES],
        max_rows=int(settings["sparql.max_rows"]), timeout=f"{float(settings['sparql.timeout']):g}",
        endpoint_url=url_for("sparql.endpoint", _external=True),
    )
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    return _with_limit_headers(response, answer)


def _html_result(answer: QueryAnswer) -> HtmlResult:
    if not answer.content_type.startswith("application/sparql-results+json"):
        return HtmlResult(graph_text=answer.body.decode("utf-8", errors="replace"))
    data = json.loads(answer.body)
    if "boolean" in data:
        return HtmlResult(boolean=bool(data["boolean"]))
    columns = list(data.get("head", {}).get("vars", []))
    rows = [[binding.get(c, {}) for c in columns] for binding in data.get("results", {}).get("bindings", [])]
    return HtmlResult(columns=columns, rows=rows)


@bp.get("/sparql/graph")
def graph_layout() -> str:
    """How the merged graph is laid out (named graph per record, CatalogRecord, IRIs), with live examples."""
    ctx = harvester_context()
    settings = ctx.settings
    sample = ctx.index.search(SearchQuery(per_page=1, sort="modified")).hits
    source_id, key = sample[0].doc.id.split("/", 1) if sample else ("SOURCE", "KEY")
    graph_query = f"SELECT ?s ?p ?o WHERE {{\n  GRAPH <{ctx.iris.graph(source_id, key)}> {{ ?s ?p ?o }}\n}}"
    template = f"sparql/graph_{current_language()}.html"
    return render_template(
        template, iris=ctx.iris, source_id=source_id, key=key, has_sample=bool(sample),
        graph_query_url=url_for("sparql.endpoint", query=graph_query, format="html"),
        max_rows=int(settings["sparql.max_rows"]), timeout=f"{float(settings['sparql.timeout']):g}",
        endpoint_url=url_for("sparql.endpoint", _external=True),
    )
