"""Dataset pages: ``/dataset/<source_id>/<key>`` as HTML, or as the record graph in RDF by Accept or suffix.

The page is read from the record's named graph (the truth), not from the search index. Every value in it
is harvested text: the template escapes it, and links pass ``safe_href``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable

from flask import Blueprint, Response, abort, render_template, request, url_for

from harvester import vocab
from harvester.dcat.rdf import Triple, is_iri, iri_value, literal_parts, term
from harvester.dcat.serialize import RDF_MEDIA_TYPES, RDF_SUFFIXES, serialize_triples
from web import harvester_context
from web.i18n import current_language
from web.search import source_title

bp = Blueprint("dataset", __name__)

HTML = "text/html"
#: China Standard Time: dates are shown as the portals' users read them
CST = timezone(timedelta(hours=8))
#: properties whose objects name something: their labels are looked up in this order
LABEL_PROPERTIES = tuple(term(c) for c in ("skos:prefLabel", "foaf:name", "vcard:fn", "rdfs:label", "dct:title"))
CLOSED_ACCESS = ("RESTRICTED", "NON_PUBLIC")


class RecordGraph:
    """One record graph indexed by subject, with the lookups a page needs in the request's language."""

    def __init__(self, triples: Iterable[Triple], lang: str) -> None:
        self.lang = lang
        self.props: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in triples:
            self.props[s][p].append(o)

    def objects(self, subject: str | None, curie: str) -> list[str]:
        if subject is None or subject not in self.props:
            return []
        return self.props[subject].get(term(curie), [])

    def first(self, subject: str | None, curie: str) -> str | None:
        found = self.objects(subject, curie)
        return found[0] if found else None

    def text(self, subject: str | None, curie: str) -> str:
        """The literal of a property in the request's language, else Chinese/untagged, else any."""
        return pick_language([o for o in self.objects(subject, curie) if not is_iri(o)], self.lang)

    def texts(self, subject: str | None, curie: str) -> list[str]:
        return [literal_parts(o)[0] for o in self.objects(subject, curie) if not is_iri(o)]

    def label(self, node: str) -> str:
        """A node's name: its label in the graph, a vocabulary label, the IRI; a literal's text."""
        if not is_iri(node):
            return literal_parts(node)[0]
        for prop in LABEL_PROPERTIES:
            found = [o for o in self.props.get(node, {}).get(prop, []) if not is_iri(o)]
            if found:
                return pick_language(found, self.lang)
        return vocab.label(iri_value(node), self.lang)


def pick_language(literals: list[str], lang: str) -> str:
    ranked: dict[str, str] = {}
    for lit in literals:
        text, tag, _ = literal_parts(lit)
        tag = (tag or "").lower()
        rank = "0" if tag.startswith(lang) else "1" if not tag or tag.startswith("zh") else "2"
        ranked.setdefault(rank, text)
    return ranked[min(ranked)] if ranked else ""


@dataclass
class Distribution:
    title: str
    description: str
    format: str
    media_type: str
    byte_size: int | None
    license: str
    download_url: str | None
    access_url: str | None
    modified: str


@dataclass
class DatasetPage:
    iri: str
    title: str
    title_other: str
    description: str
    facts: list[tuple[str, list[tuple[str, str | None]]]] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    publisher: str = ""
    contact: dict[str, str] = field(default_factory=dict)
    access_code: str = ""
    access_label: str = ""
    conditions: list[str] = field(default_factory=list)
    distributions: list[Distribution] = field(default_factory=list)
    properties: list[tuple[str, str]] = field(default_factory=list)
    original: str | None = None
    harvested: str = ""
    landing_page: str | None = None

    @property
    def closed(self) -> bool:
        return self.access_code in CLOSED_ACCESS


def dataset_page(graph: RecordGraph, dataset_iri: str, record_iri: str) -> DatasetPage:
    """What the dataset page shows; ``record_iri`` is our dcat:CatalogRecord (the portal's own record,
    its ``dct:source``, may be in the graph as a CatalogRecord too)."""
    ds, record = f"<{dataset_iri}>", f"<{record_iri}>"
    titles = graph.objects(ds, "dct:title")
    title = pick_language(titles, graph.lang)
    other = pick_language(titles, "zh" if graph.lang == "en" else "en")
    access = graph.first(ds, "dct:accessRights")
    access_concept = vocab.concept(iri_value(access), "access_right") if access and is_iri(access) else None
    original, landing = graph.first(record, "dct:source"), graph.first(ds, "dcat:landingPage")
    return DatasetPage(
        iri=dataset_iri, title=title, title_other=other if other != title else "",
        description=graph.text(ds, "dct:description"),
        facts=_facts(graph, ds),
        keywords=list(dict.fromkeys(graph.texts(ds, "dcat:keyword"))),
        publisher=next((graph.label(p) for p in graph.objects(ds, "dct:publisher")), ""),
        contact=_contact(graph, graph.first(ds, "dcat:contactPoint")),
        access_code=access_concept.code if access_concept else "",
        access_label=graph.label(access) if access else "",
        conditions=[graph.label(r) for r in graph.objects(ds, "dct:rights")],
        distributions=[_distribution(graph, d) for d in sorted(graph.objects(ds, "dcat:distribution"))],
        properties=_additional_properties(graph, ds),
        original=iri_value(original) if original and is_iri(original) else None,
        harvested=show_datetime(graph.first(record, "dct:modified")),
        landing_page=iri_value(landing) if landing and is_iri(landing) else None,
    )


def _facts(graph: RecordGraph, ds: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """(label key, [(text, href or None)]) rows of the metadata table, empty rows left out."""
    themes = graph.objects(ds, "dcat:theme")
    eu_themes = [t for t in themes if vocab.concept(iri_value(t), "theme") is not None]
    local_themes = [t for t in themes if t not in eu_themes]
    temporal = graph.first(ds, "dct:temporal")
    period = " – ".join(x for x in (show_date(graph.first(temporal, "dcat:startDate")),
                                    show_date(graph.first(temporal, "dcat:endDate"))) if x)
    rows: list[tuple[str, list[tuple[str, str | None]]]] = [
        ("dataset.identifier", [(graph.label(i), None) for i in graph.objects(ds, "dct:identifier")]),
        ("dataset.themes", [(graph.label(t), None) for t in eu_themes]),
        ("dataset.categories", [(graph.label(t), None) for t in local_themes]),
        ("dataset.license", [(graph.label(x), _iri(x)) for x in graph.objects(ds, "dct:license")]),
        ("dataset.frequency", [(graph.label(x), None) for x in graph.objects(ds, "dct:accrualPeriodicity")]),
        ("dataset.spatial", [(graph.label(x), None) for x in graph.objects(ds, "dct:spatial")]),
        ("dataset.temporal", [(period, None)] if period else []),
        ("dataset.issued", [(show_date(x), None) for x in graph.objects(ds, "dct:issued")]),
        ("dataset.modified", [(show_date(x), None) for x in graph.objects(ds, "dct:modified")]),
        ("dataset.language", [(graph.label(x), None) for x in graph.objects(ds, "dct:language")]),
        ("dataset.version", [(graph.label(x), None) for x in graph.objects(ds, "dcat:version")]),
        ("dataset.landing_page", [(iri_value(x), iri_value(x)) for x in graph.objects(ds, "dcat:landingPage")
                                  if is_iri(x)]),
    ]
    return [(key, values) for key, values in rows if values]


def _iri(node: str) -> str | None:
    return iri_value(node) if is_iri(node) else None


def _contact(graph: RecordGraph, node: str | None) -> dict[str, str]:
    if node is None:
        return {}
    contact = {"name": graph.text(node, "vcard:fn")}
    email = graph.first(node, "vcard:hasEmail")
    if email:
        contact["email_href"] = iri_value(email) if is_iri(email) else "mailto:" + literal_parts(email)[0]
        contact["email"] = contact["email_href"].removeprefix("mailto:")
    tel = graph.first(node, "vcard:hasTelephone")
    if tel:
        contact["tel_href"] = iri_value(tel) if is_iri(tel) else "tel:" + literal_parts(tel)[0]
        contact["tel"] = contact["tel_href"].removeprefix("tel:")
    return {k: v for k, v in contact.items() if v}


def _distribution(graph: RecordGraph, node: str) -> Distribution:
    size = graph.first(node, "dcat:byteSize")
    fmt, media = graph.first(node, "dct:format"), graph.first(node, "dcat:mediaType")
    download, access = graph.first(node, "dcat:downloadURL"), graph.first(node, "dcat:accessURL")
    download_url = _iri(download) if download else None
    access_url = _iri(access) if access else None
    return Distribution(
        title=graph.text(node, "dct:title"), description=graph.text(node, "dct:description"),
        format=graph.label(fmt) if fmt else "", media_type=graph.label(media) if media else "",
        byte_size=_int(literal_parts(size)[0]) if size and not is_iri(size) else None,
        license=", ".join(graph.label(x) for x in graph.objects(node, "dct:license")),
        download_url=download_url, access_url=access_url if access_url != download_url else None,
        modified=show_date(graph.first(node, "dct:modified")),
    )


def _additional_properties(graph: RecordGraph, ds: str) -> list[tuple[str, str]]:
    rows = []
    for node in sorted(graph.objects(ds, "schema:additionalProperty"), key=_natural_key):
        name = graph.text(node, "schema:name")
        values = [graph.label(v) for v in graph.objects(node, "schema:value")]
        if name or values:
            rows.append((name, "; ".join(values)))
    return rows


def _natural_key(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def show_date(node: str | None) -> str:
    """A date or dateTime literal as YYYY-MM-DD (dateTimes in China Standard Time)."""
    moment = _moment(node)
    if isinstance(moment, datetime):
        return moment.date().isoformat()
    return moment or ""


def show_datetime(node: str | None) -> str:
    moment = _moment(node)
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%d %H:%M") + " (UTC+8)"
    return moment or ""


def _moment(node: str | None) -> datetime | str | None:
    if not node or is_iri(node):
        return None
    text = literal_parts(node)[0]
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if len(text) <= 10:
        return text
    return moment.astimezone(CST) if moment.tzinfo else moment


# --- the route -------------------------------------------------------------------------------------

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
    graph = RecordGraph(triples, current_language())
    page = dataset_page(graph, ctx.iris.dataset(source_id, key), ctx.iris.record(source_id, key))
    html = render_template(
        "dataset/show.html", page=page, source_id=source_id, key=key, source_title=source_title(source_id),
        source_homepage=_source_homepage(source_id),
        formats=[(suffix, media_type, url_for("dataset.show", source_id=source_id, key=f"{key}.{suffix}"))
                 for suffix, media_type in RDF_SUFFIXES.items()],
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    response.vary.add("Accept")
    return response


def _requested_representation(source_id: str, key: str) -> tuple[str, str]:
    """(key, media type): a ``.ttl``/``.jsonld``/``.rdf``/``.nt`` suffix wins over the Accept header."""
    stem, dot, suffix = key.rpartition(".")
    if dot and suffix in RDF_SUFFIXES:
        ctx = harvester_context()
        if ctx.store.has_graph(ctx.iris.graph(source_id, stem)):
            return stem, RDF_SUFFIXES[suffix]
    best = request.accept_mimetypes.best_match([HTML, *RDF_MEDIA_TYPES], default=HTML)
    return key, best or HTML


def _source_homepage(source_id: str) -> str | None:
    ctx = harvester_context()
    catalog = f"<{ctx.iris.source_catalog(source_id)}>"
    homepage = term("foaf:homepage")
    for s, p, o in ctx.store.graph_triples(ctx.iris.source_graph(source_id)):
        if s == catalog and p == homepage and is_iri(o):
            return iri_value(o)
    return None
