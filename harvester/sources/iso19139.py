"""ISO 19139 (``gmd:MD_Metadata``, ``gmi:MI_Metadata``) and ISO 19115-3 (``mdb:MD_Metadata``) records → DCAT-AP 3,
the GeoDCAT-AP way.

A record travels as ``{"id", "schema", "xml", "datestamp", "page"}`` (harvester.sources.csw). ``apply`` parses
the XML (no entities, no DTD, no network), reads it into plain values (this module and iso_parts), and the
field table mappings/iso19139.yaml turns those into triples; the bounding boxes become ``dct:Location`` nodes
with a WKT ``dcat:bbox`` here, the one part the table language has no kind for.

    fileIdentifier / metadataIdentifier        dct:identifier (and the remote id)
    citation title, abstract (PT_FreeText)      dct:title, dct:description, one literal per language
    keywords, INSPIRE themes, topic categories  dcat:keyword, dcat:theme (EU data themes)
    citation dates, dateStamp                   dct:issued (publication, else creation), dct:modified
                                                (revision, else the metadata's date stamp)
    responsible parties                         dct:publisher (by role), dcat:contactPoint (vcard)
    EX_Extent                                   dct:spatial (dcat:bbox), dct:temporal
    resource constraints                        dct:accessRights, dct:license, dct:rights
    maintenance frequency, language, lineage    dct:accrualPeriodicity, dct:language, dct:provenance
    online resources                            dcat:distribution (accessURL, downloadURL, format,
                                                dcat:accessService for OGC services), foaf:page
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from lxml import etree

from harvester.dcat import rdf
from harvester.dcat.rdf import A, literal, term, typed
from harvester.errors import MappingError
from harvester.mapping import Mapping, load_mapping
from harvester.mapping.emitters import MapContext
from harvester.sources import iso_codes, iso_parts
from harvester.sources.iso_xml import (
    Element, Languages, UnsafeXml, code, find, find_all, first_text, free_text, language_tag, local, parse_xml,
    texts,
)

ISO_MAPPING_REF = "python:harvester.sources.iso19139:ISO_MAPPING"
#: bump when the reading code changes, so that stored records are mapped again
CODE_VERSION = "1"
#: root elements of the records this mapping reads, by the schema name a payload carries
RECORD_ROOTS = {"MD_Metadata", "MI_Metadata"}
MAX_BBOXES = 10
WKT = rdf.GSP + "wktLiteral"


def schema_of(root: Element) -> str | None:
    """"iso19139", "iso19115-3", or None for an element that is no ISO metadata record."""
    if local(root.tag) not in RECORD_ROOTS:
        return None
    uri = root.tag.partition("}")[0]
    if "isotc211.org/2005" in uri:
        return "iso19139"
    if "iso/19115/-3/" in uri or "iso/19115/-2/" in uri:
        return "iso19115-3"
    return None


def record_id(root: Element) -> str | None:
    return first_text(root, "fileIdentifier", "metadataIdentifier/MD_Identifier/code")


def datestamp(root: Element) -> str | None:
    """When the metadata last changed: dateStamp (19139), else the revision or creation dateInfo (19115-3)."""
    found = first_text(root, "dateStamp")
    if found:
        return found
    dates = {code(find(d, "dateType")): first_text(d, "date") for d in find_all(root, "dateInfo/CI_Date")}
    return dates.get("revision") or dates.get("creation")


def languages(root: Element, default: str) -> Languages:
    """The record's main language (``default`` when it names none) and its locales."""
    main = language_tag(_language_code(find(root, "language", "defaultLocale/PT_Locale/language")))
    langs = Languages(main or default, declared=main is not None)
    for locale in find_all(root, "locale/PT_Locale") + find_all(root, "otherLocale/PT_Locale"):
        tag = language_tag(_language_code(find(locale, "languageCode", "language")))
        if tag and locale.get("id"):
            langs.locales[locale.get("id")] = tag
    return langs


def _language_code(prop: Element | None) -> str | None:
    return code(prop) if prop is not None else None


def read_record(root: Element, default_language: str) -> dict[str, Any]:
    """The record as the plain values mappings/iso19139.yaml reads."""
    langs = languages(root, default_language)
    ident = find(root, "identificationInfo/*")
    if ident is None:
        raise MappingError("the record has no identificationInfo (no title, no abstract)")
    citation = find(ident, "citation/CI_Citation")
    dates = {code(find(d, "dateType")): first_text(d, "date")
             for d in (find_all(citation, "date/CI_Date") if citation is not None else [])}
    resource, metadata = iso_parts.parties(root, ident, langs)
    keywords, themes = iso_parts.keywords_and_themes(ident, langs)
    distributions, pages = iso_parts.online_resources(root, ident, langs)
    resource_languages = [language_tag(v) for v in [*texts(ident, "language", "defaultLocale/PT_Locale/language"),
                                                    *map(code, find_all(ident, "language"))]]
    return {
        "identifier": record_id(root),
        "title": free_text(find(citation, "title"), langs) if citation is not None else {},
        "description": free_text(find(ident, "abstract"), langs),
        "keywords": keywords, "themes": themes,
        "identifiers": texts(citation, "identifier/*/code") if citation is not None else [],
        "issued": dates.get("publication") or dates.get("creation"),
        "modified": dates.get("revision") or datestamp(root),
        "edition": first_text(citation, "edition") if citation is not None else None,
        "frequency": iso_codes.frequency(code(find(
            ident, "resourceMaintenance/MD_MaintenanceInformation/maintenanceAndUpdateFrequency"))),
        "languages": [tag for tag in dict.fromkeys(resource_languages) if tag]
        or ([langs.main] if langs.declared else []),
        "publisher": iso_parts.publisher(resource, metadata),
        "contacts": iso_parts.contacts(resource, metadata),
        **iso_parts.extents(ident, langs),
        **iso_parts.constraints(ident, langs),
        "lineage": free_text(find(root, "dataQualityInfo/DQ_DataQuality/lineage/LI_Lineage/statement",
                                  "resourceLineage/LI_Lineage/statement"), langs) or None,
        "distributions": distributions, "pages": pages,
    }


def wkt_box(box: list[float]) -> str:
    """``[west, south, east, north]`` as a WKT polygon (CRS84: longitude first), or a point."""
    west, south, east, north = (f"{x:.6f}".rstrip("0").rstrip(".") for x in box)
    if (west, south) == (east, north):
        return f"POINT({west} {south})"
    return f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}))"


def add_spatial(record: dict[str, Any], ctx: MapContext) -> None:
    """dct:spatial: one dct:Location per bounding box (DCAT-AP allows one dcat:bbox per location), the
    extent's place name on the first; a place name alone is a location too."""
    subject = f"<{ctx.dataset}>"
    boxes = record.get("bboxes") or []
    place = record.get("place") or {}
    for n in range(max(len(boxes[:MAX_BBOXES]), 1 if place else 0)):
        node = f"<{ctx.dataset}#spatial{'-' + str(n + 1) if n else ''}>"
        ctx.add(subject, term("dct:spatial"), node)
        ctx.add(node, A, term("dct:Location"))
        if n < len(boxes):
            ctx.add(node, term("dcat:bbox"), typed(wkt_box(boxes[n]), WKT))
        if n == 0:
            for lang, label in place.items():
                ctx.add(node, term("skos:prefLabel"), literal(label, lang))


class IsoMapping:
    """The mapping object of CSW sources (see the module docstring)."""

    name = "iso19139"
    ref = ISO_MAPPING_REF

    @cached_property
    def table(self) -> Mapping:
        return load_mapping("iso19139")

    @property
    def digest(self) -> str:
        return f"{self.table.digest}-{CODE_VERSION}"

    def remote_id(self, payload: Any) -> str | None:
        return str(payload["id"]) if isinstance(payload, dict) and payload.get("id") else None

    def change_marker(self, payload: Any) -> str | None:
        return str(payload["datestamp"]) if isinstance(payload, dict) and payload.get("datestamp") else None

    def apply(self, payload: Any, ctx: MapContext) -> None:
        if not isinstance(payload, dict):
            raise MappingError(f"expected a record object, got {type(payload).__name__}")
        if payload.get("error"):
            raise MappingError(str(payload["error"]))
        if not isinstance(payload.get("xml"), str):
            raise MappingError("the record carries no XML")
        try:
            root = parse_xml(payload["xml"].encode("utf-8"))
        except (etree.XMLSyntaxError, UnsafeXml) as exc:
            raise MappingError(f"the record's XML cannot be read: {exc}") from exc
        if schema_of(root) is None:
            raise MappingError(f"{local(root.tag)} is not an ISO 19139 or ISO 19115-3 metadata record")
        record = read_record(root, ctx.lang)
        record["landing_page"] = payload.get("page")
        self.table.apply(record, ctx)
        add_spatial(record, ctx)


ISO_MAPPING = IsoMapping()
