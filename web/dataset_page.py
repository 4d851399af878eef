"""What a dataset page shows, read from the record's named graph: every DCAT-AP field in readable form.

Field tables are data (``DATASET_FIELDS``, ``DISTRIBUTION_FIELDS``): a row is (UI label key, property, how to
show it). Rows without a value are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from harvester import vocab
from harvester.dcat.rdf import iri_value, is_iri, literal_parts
from web.record import (
    RecordGraph,
    int_or_none,
    iri_or_none,
    pick_language,
    show_date,
    show_datetime,
)

CLOSED_ACCESS = ("RESTRICTED", "NON_PUBLIC")


class Show(Enum):
    """How a field's values become text: a label, a label linking to the IRI, a date, a link to itself."""

    LABEL = "label"
    LABEL_LINK = "label_link"
    DATE = "date"
    URL = "url"


#: (UI label key, property, how) — dataset fields in display order (themes, temporal and access are special)
DATASET_FIELDS = (
    ("dataset.identifier", "dct:identifier", Show.LABEL),
    ("dataset.other_identifier", "adms:identifier", Show.LABEL),
    ("dataset.license", "dct:license", Show.LABEL_LINK),
    ("dataset.frequency", "dct:accrualPeriodicity", Show.LABEL),
    ("dataset.spatial", "dct:spatial", Show.LABEL),
    ("dataset.issued", "dct:issued", Show.DATE),
    ("dataset.modified", "dct:modified", Show.DATE),
    ("dataset.language", "dct:language", Show.LABEL),
    ("dataset.version", "dcat:version", Show.LABEL),
    ("dataset.version_notes", "adms:versionNotes", Show.LABEL),
    ("dataset.type", "dct:type", Show.LABEL),
    ("dataset.conforms_to", "dct:conformsTo", Show.LABEL_LINK),
    ("dataset.creator", "dct:creator", Show.LABEL),
    ("dataset.provenance_statement", "dct:provenance", Show.LABEL),
    ("dataset.spatial_resolution", "dcat:spatialResolutionInMeters", Show.LABEL),
    ("dataset.temporal_resolution", "dcat:temporalResolution", Show.LABEL),
    ("dataset.legislation", "dcatap:applicableLegislation", Show.URL),
    ("dataset.in_series", "dcat:inSeries", Show.LABEL_LINK),
    ("dataset.documentation", "foaf:page", Show.URL),
    ("dataset.relation", "dct:relation", Show.URL),
    ("dataset.source_dataset", "dct:source", Show.URL),
    ("dataset.has_version", "dct:hasVersion", Show.URL),
    ("dataset.is_version_of", "dct:isVersionOf", Show.URL),
    ("dataset.referenced_by", "dct:isReferencedBy", Show.URL),
    ("dataset.landing_page", "dcat:landingPage", Show.URL),
)
#: distribution fields shown under "details" (title, format, size, links and dates are shown apart)
DISTRIBUTION_FIELDS = (
    ("dataset.media_type", "dcat:mediaType", Show.LABEL),
    ("dataset.license", "dct:license", Show.LABEL_LINK),
    ("dataset.rights", "dct:rights", Show.LABEL),
    ("dataset.issued", "dct:issued", Show.DATE),
    ("dataset.modified", "dct:modified", Show.DATE),
    ("dataset.language", "dct:language", Show.LABEL),
    ("dataset.conforms_to", "dct:conformsTo", Show.LABEL_LINK),
    ("dataset.status", "adms:status", Show.LABEL),
    ("dataset.availability", "dcatap:availability", Show.LABEL),
    ("dataset.compress_format", "dcat:compressFormat", Show.LABEL),
    ("dataset.package_format", "dcat:packageFormat", Show.LABEL),
    ("dataset.documentation", "foaf:page", Show.URL),
)

FactRow = tuple[str, list[tuple[str, str | None]]]


@dataclass
class Distribution:
    node: str
    title: str
    description: str
    format: str
    format_code: str
    #: the IANA media type (``text/csv``), '' when unknown
    media_type: str
    byte_size: int | None
    download_url: str | None
    access_url: str | None
    details: list[FactRow] = field(default_factory=list)
    #: ISO 8601 values of dct:issued and dct:modified (for machine-readable outputs)
    dates: dict[str, str] = field(default_factory=dict)


@dataclass
class DatasetPage:
    iri: str
    title: str
    title_other: str
    description: str
    facts: list[FactRow] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    publisher: str = ""
    publisher_description: str = ""
    contact: dict[str, str] = field(default_factory=dict)
    access_code: str = ""
    access_label: str = ""
    conditions: list[str] = field(default_factory=list)
    distributions: list[Distribution] = field(default_factory=list)
    properties: list[tuple[str, str]] = field(default_factory=list)
    original: str | None = None
    harvested: str = ""
    harvested_iso: str = ""
    landing_page: str | None = None
    temporal: tuple[str, str] = ("", "")
    spatial: list[str] = field(default_factory=list)
    license_iris: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    modified_iso: str = ""
    issued_iso: str = ""
    theme_codes: list[str] = field(default_factory=list)
    #: the data dictionary (信息项): (name, title, type, description) per column
    columns: list[tuple[str, str, str, str]] = field(default_factory=list)

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
    publisher = graph.first(ds, "dct:publisher")
    temporal = graph.first(ds, "dct:temporal")
    return DatasetPage(
        iri=dataset_iri, title=title, title_other=other if other != title else "",
        description=graph.text(ds, "dct:description"),
        facts=_facts(graph, ds),
        keywords=list(dict.fromkeys(graph.texts(ds, "dcat:keyword"))),
        publisher=graph.label(publisher) if publisher else "",
        publisher_description=graph.text(publisher, "dct:description"),
        contact=_contact(graph, graph.first(ds, "dcat:contactPoint")),
        access_code=access_concept.code if access_concept else "",
        access_label=graph.label(access) if access else "",
        conditions=[graph.label(r) for r in graph.objects(ds, "dct:rights")],
        distributions=[_distribution(graph, d) for d in sorted(graph.objects(ds, "dcat:distribution"))],
        properties=_additional_properties(graph, ds),
        original=iri_or_none(graph.first(record, "dct:source")),
        harvested=show_datetime(graph.first(record, "dct:modified")),
        harvested_iso=_lexical(graph.first(record, "dct:modified")),
        landing_page=iri_or_none(graph.first(ds, "dcat:landingPage")),
        temporal=(_lexical(graph.first(temporal, "dcat:startDate")), _lexical(graph.first(temporal, "dcat:endDate"))),
        spatial=[graph.label(x) for x in graph.objects(ds, "dct:spatial")],
        license_iris=[iri_value(x) for x in graph.objects(ds, "dct:license") if is_iri(x)],
        identifiers=graph.texts(ds, "dct:identifier"),
        modified_iso=_lexical(graph.first(ds, "dct:modified")),
        issued_iso=_lexical(graph.first(ds, "dct:issued")),
        theme_codes=[c.code for t in graph.objects(ds, "dcat:theme")
                     if is_iri(t) and (c := vocab.concept(iri_value(t), "theme")) is not None],
        columns=_columns(graph, [ds, *graph.objects(ds, "dcat:distribution")]),
    )


def _lexical(node: str | None) -> str:
    return literal_parts(node)[0] if node and not is_iri(node) else ""


def field_rows(graph: RecordGraph, subject: str, table: tuple[tuple[str, str, Show], ...]) -> list[FactRow]:
    """(label key, [(text, href or None)]) rows for the fields of ``table`` that have values."""
    rows: list[FactRow] = []
    for key, curie, how in table:
        values = [_shown(graph, node, how) for node in graph.objects(subject, curie)]
        values = [v for v in values if v[0]]
        if values:
            rows.append((key, values))
    return rows


def _shown(graph: RecordGraph, node: str, how: Show) -> tuple[str, str | None]:
    if how is Show.DATE:
        return show_date(node), None
    if how is Show.URL:
        return (iri_value(node), iri_value(node)) if is_iri(node) else (graph.label(node), None)
    return graph.label(node), (iri_or_none(node) if how is Show.LABEL_LINK else None)


def _facts(graph: RecordGraph, ds: str) -> list[FactRow]:
    themes = graph.objects(ds, "dcat:theme")
    eu_themes = [t for t in themes if is_iri(t) and vocab.concept(iri_value(t), "theme") is not None]
    local_themes = [t for t in themes if t not in eu_themes]
    temporal = graph.first(ds, "dct:temporal")
    period = " – ".join(x for x in (show_date(graph.first(temporal, "dcat:startDate")),
                                    show_date(graph.first(temporal, "dcat:endDate"))) if x)
    rows: list[FactRow] = []
    if eu_themes:
        rows.append(("dataset.themes", [(graph.label(t), None) for t in eu_themes]))
    if local_themes:
        rows.append(("dataset.categories", [(graph.label(t), None) for t in local_themes]))
    if period:
        rows.append(("dataset.temporal", [(period, None)]))
    return rows + field_rows(graph, ds, DATASET_FIELDS)


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
    url = iri_or_none(graph.first(node, "vcard:hasURL"))
    if url:
        contact["url"] = url
    return {k: v for k, v in contact.items() if v}


def _distribution(graph: RecordGraph, node: str) -> Distribution:
    size = graph.first(node, "dcat:byteSize")
    fmt = graph.first(node, "dct:format")
    fmt_concept = vocab.concept(iri_value(fmt), "file_type") if fmt and is_iri(fmt) else None
    media = iri_or_none(graph.first(node, "dcat:mediaType")) or ""
    download_url = iri_or_none(graph.first(node, "dcat:downloadURL"))
    access_url = iri_or_none(graph.first(node, "dcat:accessURL"))
    details = field_rows(graph, node, DISTRIBUTION_FIELDS) + _checksum_rows(graph, node) + _service_rows(graph, node)
    return Distribution(
        node=iri_value(node) if is_iri(node) else node,
        title=graph.text(node, "dct:title"), description=graph.text(node, "dct:description"),
        format=graph.label(fmt) if fmt else "", format_code=fmt_concept.code if fmt_concept else "",
        media_type=media.removeprefix(vocab.IANA_MEDIA_TYPES) if media.startswith(vocab.IANA_MEDIA_TYPES) else "",
        byte_size=int_or_none(literal_parts(size)[0]) if size and not is_iri(size) else None,
        download_url=download_url, access_url=access_url if access_url != download_url else None,
        details=details,
        dates={curie: _lexical(graph.first(node, curie)) for curie in ("dct:issued", "dct:modified")},
    )


def _checksum_rows(graph: RecordGraph, node: str) -> list[FactRow]:
    rows: list[FactRow] = []
    for checksum in graph.objects(node, "spdx:checksum"):
        algorithm = graph.first(checksum, "spdx:algorithm")
        name = iri_value(algorithm).rsplit("_", 1)[-1].upper() if algorithm and is_iri(algorithm) else ""
        value = graph.text(checksum, "spdx:checksumValue")
        if value:
            rows.append(("dataset.checksum", [(f"{name} {value}".strip(), None)]))
    return rows


def _service_rows(graph: RecordGraph, node: str) -> list[FactRow]:
    services = []
    for service in graph.objects(node, "dcat:accessService"):
        endpoint = iri_or_none(graph.first(service, "dcat:endpointURL"))
        services.append((graph.text(service, "dct:title") or endpoint or graph.label(service), endpoint))
    return [("dataset.access_service", services)] if services else []


def _additional_properties(graph: RecordGraph, ds: str) -> list[tuple[str, str]]:
    rows = []
    for node in sorted(graph.objects(ds, "schema:additionalProperty"), key=_natural_key):
        name = graph.text(node, "schema:name")
        values = [graph.label(v) for v in graph.objects(node, "schema:value")]
        if name or values:
            rows.append((name, "; ".join(values)))
    return rows


def _columns(graph: RecordGraph, nodes: list[str]) -> list[tuple[str, str, str, str]]:
    """The columns of the data dictionaries (csvw:tableSchema) of the dataset and its distributions, each
    name once, in the portal's order."""
    rows: dict[str, tuple[str, str, str, str]] = {}
    for node in nodes:
        for schema in graph.objects(node, "csvw:tableSchema"):
            for column in sorted(graph.objects(schema, "csvw:column"), key=_natural_key):
                name = graph.text(column, "csvw:name")
                datatype = graph.first(column, "csvw:datatype")
                kind = (iri_value(datatype).rsplit("#", 1)[-1] if is_iri(datatype) else graph.label(datatype)) \
                    if datatype else ""
                if name and name not in rows:
                    rows[name] = (name, graph.text(column, "csvw:titles"), kind, graph.text(column, "dct:description"))
    return list(rows.values())


def _natural_key(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]
