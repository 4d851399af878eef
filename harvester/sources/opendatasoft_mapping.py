"""The OpenDataSoft mapping: mappings/opendatasoft.yaml behind a preparation of each Explore API dataset, and
the DCAT RDF mapping for datasets read from the portal's DCAT export (see OpenDataSoftMapping).

A JSON payload is an Explore API v2.1 dataset (``{"dataset_id", "metas": {"default", "dcat"}, "fields",
"attachments", "features", …}``) with the portal's root URL added as ``_portal`` by the source.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any
from urllib.parse import quote

import lxml.etree
import lxml.html

from harvester import vocab
from harvester.errors import MappingError
from harvester.mapping import Mapping, load_mapping
from harvester.mapping.emitters import MapContext
from harvester.mapping.paths import is_empty
from harvester.sources.rdf_normalise import RDF_MAPPING
from harvester.sources.socrata_mapping import (
    as_list,
    distinct_texts,
    first_text,
    object_at,
)

ODS_MAPPING_REF = "python:harvester.sources.opendatasoft_mapping:ODS_MAPPING"
EXPLORE_PATH = "/api/explore/v2.1"
GEO_FIELD_TYPES = frozenset({"geo_point_2d", "geo_shape"})
#: (export format, dcat format name, media type); geojson only for datasets with a geographic field
EXPORTS = (("csv", "CSV", "text/csv"), ("json", "JSON", "application/json"),
           ("geojson", "GeoJSON", "application/geo+json"))
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(?:p|div|li|h[1-6]|tr|ul|ol)\s*>")


def dataset_id(record: Any) -> str | None:
    value = record.get("dataset_id") if isinstance(record, dict) else None
    return None if is_empty(value) or isinstance(value, (dict, list)) else str(value).strip()


def is_explore_payload(payload: Any) -> bool:
    """An Explore API dataset (else a dataset of the DCAT export: ``{"id", "node", "ntriples"}``)."""
    return isinstance(payload, dict) and ("dataset_id" in payload or "metas" in payload or "_error" in payload)


def landing_page(portal: str, remote_id: str) -> str:
    return f"{portal}/explore/dataset/{quote(remote_id, safe='')}/"


class OpenDataSoftMapping:
    """mappings/opendatasoft.yaml, behind a preparation of each dataset: ``derived`` gets

    - the description as text (ODS writes HTML), keywords (``keyword``, and the ``theme`` values that name no
      EU data theme), themes;
    - the licence: ``license_url`` or ``license``, whichever the vocabulary knows, else a licence document;
    - the contact point and time period of the ``dcat`` metadata template (``contact_name``,
      ``contact_email``, ``temporal_coverage_start``/``end``);
    - the landing page and the distributions: the CSV, JSON (and, with a geographic field, GeoJSON) exports
      of a dataset that has records, the CSV one with the fields as its table schema; and the attachments.

    Payloads of the portal's DCAT export go to the DCAT RDF mapping (harvester.sources.rdf_normalise).
    """

    name = "opendatasoft"
    ref = ODS_MAPPING_REF

    @cached_property
    def table(self) -> Mapping:
        return load_mapping("opendatasoft")

    @property
    def digest(self) -> str:
        return f"{self.table.digest}-1-{RDF_MAPPING.digest}"

    def remote_id(self, payload: Any) -> str | None:
        return dataset_id(payload) if is_explore_payload(payload) else RDF_MAPPING.remote_id(payload)

    def change_marker(self, payload: Any) -> str | None:
        """``modified`` and ``metadata_processed`` together: ``modified`` may follow the data only, and
        ``metadata_processed`` the metadata only (``modified_updates_on_metadata_change``)."""
        if not is_explore_payload(payload):
            return RDF_MAPPING.change_marker(payload)
        metas = payload.get("metas")
        default = metas.get("default") if isinstance(metas, dict) else None
        if not isinstance(default, dict):
            return None
        stamps = [str(default[k]) for k in ("modified", "metadata_processed") if not is_empty(default.get(k))]
        return "|".join(stamps) or None

    def apply(self, payload: Any, ctx: MapContext) -> None:
        if not is_explore_payload(payload):
            RDF_MAPPING.apply(payload, ctx)
            return
        if payload.get("_error"):
            raise MappingError(str(payload["_error"]))
        prepared = self.prepare(payload)
        language = object_at(prepared["metas"], "default").get("language")
        if isinstance(language, str) and _LANGUAGE_TAG.match(language.strip().lower()):
            ctx.lang = language.strip().lower()  # the dataset says its language: it beats the source's
        self.table.apply(prepared, ctx)

    def prepare(self, payload: dict[str, Any]) -> dict[str, Any]:
        remote_id = dataset_id(payload)
        if remote_id is None:
            raise MappingError("the dataset has no dataset_id")
        metas = object_at(payload, "metas")
        default, dcat = object_at(metas, "default"), object_at(metas, "dcat")
        themes = distinct_texts(as_list(default.get("theme")))
        portal = str(payload.get("_portal") or "").rstrip("/")
        derived = {
            "description": html_text(default.get("description")),
            "keywords": distinct_texts([*as_list(default.get("keyword")), *(t for t in themes if vocab.theme(t) is None)]),
            "themes": themes,
            "contact": _present({"name": dcat.get("contact_name"), "email": dcat.get("contact_email")}),
            "temporal": _present({"start": dcat.get("temporal_coverage_start"),
                                  "end": dcat.get("temporal_coverage_end")}),
            "landing_page": landing_page(portal, remote_id) if portal else None,
            "distributions": _exports(payload, portal, remote_id) + _attachments(payload, portal, remote_id),
            **_licence(default),
        }
        return {**payload, "metas": {**metas, "default": default, "dcat": dcat}, "derived": derived}


def _licence(default: dict[str, Any]) -> dict[str, Any]:
    """``licence``: the first of ``license_url``, ``license`` the vocabulary knows; else ``licence_document``."""
    url, name = (first_text(default.get(k)) for k in ("license_url", "license"))
    for candidate in (url, name):
        if candidate and (vocab.licence(None, candidate) if "://" in candidate else vocab.licence(candidate)):
            return {"licence": candidate}
    return {"licence_document": _present({"label": name or url, "url": url})}


def _exports(payload: dict[str, Any], portal: str, remote_id: str) -> list[dict[str, Any]]:
    if payload.get("has_records") is False or not portal:
        return []
    fields = [f for f in as_list(payload.get("fields")) if isinstance(f, dict)]
    geographic = any(f.get("type") in GEO_FIELD_TYPES for f in fields) or "geo" in as_list(payload.get("features"))
    base = f"{portal}{EXPLORE_PATH}/catalog/datasets/{quote(remote_id, safe='')}/exports/"
    out = []
    for export, format_name, media_type in EXPORTS:
        if export == "geojson" and not geographic:
            continue
        out.append({"url": base + export, "format": format_name, "media_type": media_type, "title": format_name,
                    **({"columns": fields} if export == "csv" and fields else {})})
    return out


def _attachments(payload: dict[str, Any], portal: str, remote_id: str) -> list[dict[str, Any]]:
    """Files attached to the dataset (``odsfile://…``), served at ``…/datasets/<id>/attachments/<id>``."""
    out = []
    for item in as_list(payload.get("attachments")):
        if not isinstance(item, dict) or is_empty(item.get("id")) or not portal:
            continue
        title = first_text(item.get("title"), item.get("id"))
        extension = title.rpartition(".")[2] if title and "." in title else None
        out.append({"url": f"{portal}{EXPLORE_PATH}/catalog/datasets/{quote(remote_id, safe='')}/attachments/"
                           f"{quote(str(item['id']), safe='')}",
                    "title": title, "media_type": item.get("mimetype"), "format": extension})
    return out


def html_text(value: Any) -> str | None:
    """ODS descriptions are HTML: their text, paragraphs and line breaks kept as line breaks."""
    if is_empty(value) or not isinstance(value, str):
        return None
    if "<" not in value:
        return value.strip()
    marked = _BLOCK_END.sub("\n", value)
    try:
        text = lxml.html.fragment_fromstring(marked, create_parent="div").text_content()
    except (ValueError, lxml.etree.ParserError):
        return value.strip()
    return re.sub(r"[ \t]*\n\s*", "\n", text).strip() or None


def _present(values: dict[str, Any]) -> dict[str, Any] | None:
    kept = {k: v for k, v in values.items() if not is_empty(v)}
    return kept or None


ODS_MAPPING = OpenDataSoftMapping()
