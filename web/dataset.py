"""Dataset pages: ``/dataset/<source_id>/<key>`` as HTML, or as the record graph in RDF by Accept or suffix.

The page is read from the record's named graph (the truth), not from the search index; related datasets
(same department, same theme) come from the index. Every value is harvested text: the template escapes
it, links pass ``safe_href``, and the embedded schema.org JSON-LD is escaped for its script element.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for

from harvester.dcat.rdf import Triple, iri_value, is_iri, term
from harvester.dcat.serialize import RDF_MEDIA_TYPES, RDF_SUFFIXES, serialize_triples
from harvester.index import Hit, SearchQuery
from harvester.index.docs import doc_from_triples
from harvester.trust.quality import DIMENSION_LABELS, measure
from harvester.model import DatasetDoc
from web import harvester_context
from web.dataset_page import DatasetPage, dataset_page
from web.i18n import current_language
from web.preview import can_preview, distribution_id, portal_url_of
from web.record import RecordGraph
from web.schema_org import schema_org_dataset, script_json
from web.search import source_title

bp = Blueprint("dataset", __name__)

HTML = "text/html"
RELATED_SHOWN = 5


@bp.get("/dataset/<source_id>/<key>")
def show(source_id: str, key: str) -> Response | str:
    ctx = harvester_context()
    key, media = _requested_representation(source_id, key)
    triples = ctx.store.graph_triples(ctx.iris.graph(source_id, key))
    if not triples:
        abort(404)
    if media != HTML:
        body = serialize_triples(triples, media)
        charset = "; charset=utf-8" if media in ("text/turtle", "application/n-triples") else ""
        response = Response(body, content_type=media + charset)
        response.vary.add("Accept")
        return response
    response = Response(_render_page(source_id, key, triples), content_type="text/html; charset=utf-8")
    response.vary.add("Accept")
    return response




def _render_page(source_id: str, key: str, triples: list[Triple]) -> str:
    ctx = harvester_context()
    graph = RecordGraph(triples, current_language())
    page = dataset_page(graph, ctx.iris.dataset(source_id, key), ctx.iris.record(source_id, key))
    portal = source_title(source_id)
    portal_url = url_for("portals.portal", source_id=source_id, _external=True)
    page_url = url_for("dataset.show", source_id=source_id, key=key, _external=True)
    doc = doc_from_triples(source_id, key, triples)
    return render_template(
        "dataset/show.html", page=page, source_id=source_id, key=key, source_title=portal,
        source_homepage=source_homepage(source_id),
        formats=[(suffix, media_type, url_for("dataset.show", source_id=source_id, key=f"{key}.{suffix}"))
                 for suffix, media_type in RDF_SUFFIXES.items()],
        related=related_datasets(doc) if doc is not None else [],
        jsonld=script_json(schema_org_dataset(page, page_url, portal, portal_url)),
        previews=previewable_distributions(page, source_id, key),
        quality=measure(triples, page.iri), dimension_labels=DIMENSION_LABELS,
    )


def previewable_distributions(page: DatasetPage, source_id: str, key: str) -> dict[str, str]:
    """Distribution node → its preview URL, for open data in a text format on the portal's host (web.preview)."""
    if float(harvester_context().settings["web.preview_timeout"]) <= 0:
        return {}
    portal_url = portal_url_of(source_id)
    return {d.node: url_for("preview.preview_page", source_id=source_id, key=key, dist_id=distribution_id(d))
            for d in page.distributions if can_preview(page, d, portal_url)}


def related_datasets(doc: DatasetDoc) -> list[tuple[str, str, list[Hit]]]:
    """(heading key, filter URL, hits) for the same department and the same theme, the dataset itself left out."""
    groups: list[tuple[str, str, list[Hit]]] = []
    seen = {doc.id}
    wanted = [("dataset.related_publisher", "publisher", doc.publisher)]
    if doc.themes:
        wanted.append(("dataset.related_theme", "theme", doc.themes[0]))
    for heading, facet, value in wanted:
        if not value:
            continue
        result = harvester_context().index.search(
            SearchQuery(filters={facet: [value]}, sort="modified", per_page=RELATED_SHOWN + len(seen), facet_limit=1))
        hits = [h for h in result.hits if h.doc.id not in seen][:RELATED_SHOWN]
        seen.update(h.doc.id for h in hits)
        if hits:
            arguments: dict[str, Any] = {facet: value}
            groups.append((heading, url_for("search.search_page", **arguments), hits))
    return groups


def _requested_representation(source_id: str, key: str) -> tuple[str, str]:
    """(key, media type): a ``.ttl``/``.jsonld``/``.rdf``/``.nt`` suffix wins over the Accept header."""
    stem, dot, suffix = key.rpartition(".")
    if dot and suffix in RDF_SUFFIXES:
        ctx = harvester_context()
        if ctx.store.has_graph(ctx.iris.graph(source_id, stem)):
            return stem, RDF_SUFFIXES[suffix]
    best = request.accept_mimetypes.best_match([HTML, *RDF_MEDIA_TYPES], default=HTML)
    return key, best or HTML


def source_homepage(source_id: str) -> str | None:
    """The foaf:homepage of a source's dcat:Catalog."""
    ctx = harvester_context()
    catalog = f"<{ctx.iris.source_catalog(source_id)}>"
    homepage = term("foaf:homepage")
    for s, p, o in ctx.store.graph_triples(ctx.iris.source_graph(source_id)):
        if s == catalog and p == homepage and is_iri(o):
            return iri_value(o)
    return None
