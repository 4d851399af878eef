"""The Socrata mapping: mappings/socrata.yaml, behind a preparation of each dataset (see SocrataMapping).

A payload is a Discovery API result (``{"resource", "classification", "metadata", "permalink", …}``) or
views metadata (``/api/views/{id}.json``, with the portal's domain added as ``_domain`` by the source).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import quote

from harvester import vocab
from harvester.errors import MappingError
from harvester.mapping import Mapping, load_mapping
from harvester.mapping.emitters import MapContext
from harvester.mapping.paths import is_empty

SOCRATA_MAPPING_REF = "python:harvester.sources.socrata_mapping:SOCRATA_MAPPING"
#: resource types whose rows can be exported (maps, charts, stories, files and links have none of their own)
EXPORTABLE_TYPES = frozenset({"dataset", "filter"})
GEO_TYPES = frozenset({"point", "location", "multipolygon", "polygon", "line", "multiline", "multipoint"})
#: (format, media type, URL template); the GeoJSON export only for datasets with a geographic column
EXPORTS = (("CSV", "text/csv", "https://{domain}/api/views/{id}/rows.csv?accessType=DOWNLOAD"),
           ("JSON", "application/json", "https://{domain}/resource/{id}.json"),
           ("GeoJSON", "application/geo+json", "https://{domain}/resource/{id}.geojson"))


def discovery_id(record: Any) -> str | None:
    """A Discovery API result's id (``resource.id``); None when it has none."""
    resource = record.get("resource") if isinstance(record, dict) else None
    value = resource.get("id") if isinstance(resource, dict) else None
    return None if is_empty(value) or isinstance(value, (dict, list)) else str(value).strip()


def view_marker(view: dict[str, Any]) -> str | None:
    """A view's change marker: the later of its data and metadata changes (epoch seconds)."""
    stamps = [v for v in (view.get("rowsUpdatedAt"), view.get("viewLastModified")) if isinstance(v, (int, float))]
    return str(int(max(stamps))) if stamps else None


class SocrataMapping:
    """mappings/socrata.yaml, behind a preparation of each dataset:

    - views metadata becomes a Discovery API result (``name`` → ``resource.name``, ``category`` →
      ``classification.domain_category``, ``licenseId`` → ``metadata.license``, epoch-second timestamps);
    - ``derived`` holds what the table reads beyond plain paths: keywords (tags and domain tags, and the
      categories that name no EU data theme), themes, the publisher (``attribution``, else the domain), the
      licence (Socrata's ids and names through the table's ``licences``), the landing page (the permalink),
      and the exports as distributions, the CSV one with the columns as its table schema.
    """

    name = "socrata"
    ref = SOCRATA_MAPPING_REF

    @cached_property
    def table(self) -> Mapping:
        return load_mapping("socrata")

    @property
    def digest(self) -> str:
        return self.table.digest + "-1"

    def remote_id(self, payload: Any) -> str | None:
        if isinstance(payload, dict) and "resource" not in payload and payload.get("id"):
            return str(payload["id"])
        return discovery_id(payload)

    def change_marker(self, payload: Any) -> str | None:
        if not isinstance(payload, dict):
            return None
        if "resource" not in payload:
            return view_marker(payload)
        resource = payload.get("resource")
        value = resource.get("updatedAt") if isinstance(resource, dict) else None
        return None if is_empty(value) else str(value)

    def apply(self, payload: Any, ctx: MapContext) -> None:
        if not isinstance(payload, dict):
            raise MappingError(f"expected a JSON object, got {type(payload).__name__}")
        if payload.get("_error"):
            raise MappingError(str(payload["_error"]))
        self.table.apply(self.prepare(payload), ctx)

    def prepare(self, payload: dict[str, Any]) -> dict[str, Any]:
        record = payload if "resource" in payload else view_as_result(payload)
        resource, classification, metadata = (object_at(record, key) for key in ("resource", "classification",
                                                                                  "metadata"))
        domain = str(metadata.get("domain") or "")
        remote_id = discovery_id(record)
        if remote_id is None:
            raise MappingError("the dataset has no id (resource.id)")
        categories = distinct_texts([classification.get("domain_category"), *as_list(classification.get("categories"))])
        unthemed = [c for c in categories if vocab.theme(c) is None]
        derived = {
            "keywords": distinct_texts([*as_list(classification.get("tags")), *as_list(classification.get("domain_tags")),
                                *unthemed]),
            "themes": categories,
            "publisher": first_text(resource.get("attribution"), domain),
            "licence": self._licence(metadata.get("license")),
            "landing_page": record.get("permalink") or f"https://{domain}/d/{quote(remote_id, safe='')}",
            "distributions": self._exports(resource, domain, remote_id),
        }
        return {**record, "derived": derived}

    def _licence(self, value: Any) -> str | None:
        if is_empty(value) or not isinstance(value, str):
            return None
        known: dict[str, str] = self.table.sections.get("licences") or {}
        return known.get(value.strip().lower(), value.strip())

    def _exports(self, resource: dict[str, Any], domain: str, remote_id: str) -> list[dict[str, Any]]:
        if str(resource.get("type") or "dataset").lower() not in EXPORTABLE_TYPES or not domain:
            return []
        columns = self._columns(resource)
        geographic = any(str(c.get("type", "")).lower() in GEO_TYPES for c in columns)
        out = []
        for format_name, media_type, template in EXPORTS:
            if format_name == "GeoJSON" and not geographic:
                continue
            url = template.format(domain=domain, id=quote(remote_id, safe=""))
            out.append({"url": url, "format": format_name, "media_type": media_type, "title": format_name,
                        **({"columns": columns} if format_name == "CSV" and columns else {})})
        return out

    def _columns(self, resource: dict[str, Any]) -> list[dict[str, Any]]:
        """The columns (``columns_field_name``, ``columns_name``, ``columns_datatype``, ``columns_description``,
        parallel lists) as data-dictionary items; Socrata's system columns (``:id``, ``:@computed_region…``)
        are left out."""
        types: dict[str, str] = self.table.sections.get("column_types") or {}
        parts = [as_list(resource.get(f"columns_{key}")) for key in ("field_name", "name", "datatype",
                                                                   "description")]
        count = max((len(p) for p in parts), default=0)
        parts = [p + [None] * (count - len(p)) for p in parts]
        columns = []
        for field_name, title, datatype, description in zip(*parts):
            name = field_name or title
            if is_empty(name) or str(name).startswith(":"):
                continue
            kind = str(datatype or "").strip()
            columns.append({"name": str(name), "title": title or "", "description": description or "",
                            "type": types.get(kind.lower().replace("_", " "), kind)})
        return columns


def view_as_result(view: dict[str, Any]) -> dict[str, Any]:
    """Views metadata (``/api/views/{id}.json``) in the shape of a Discovery API result."""
    columns = [c for c in as_list(view.get("columns")) if isinstance(c, dict)]
    licence = view.get("license")
    domain = str(view.get("_domain") or "")
    owner = object_at(view, "owner")
    tabular = str(view.get("viewType") or "tabular").lower() == "tabular"
    return {
        "resource": {
            "id": view.get("id"), "name": view.get("name"), "description": view.get("description"),
            "attribution": view.get("attribution"), "type": "dataset" if tabular else str(view.get("viewType")),
            "createdAt": view.get("publicationDate") or view.get("createdAt"),
            "updatedAt": view_marker(view),
            "columns_field_name": [c.get("fieldName") for c in columns],
            "columns_name": [c.get("name") for c in columns],
            "columns_datatype": [c.get("dataTypeName") for c in columns],
            "columns_description": [c.get("description") for c in columns],
        },
        "classification": {"domain_category": view.get("category"), "tags": as_list(view.get("tags"))},
        "metadata": {"domain": domain,
                     "license": licence.get("name") if isinstance(licence, dict) else view.get("licenseId")},
        "permalink": f"https://{domain}/d/{quote(str(view.get('id')), safe='')}" if domain else None,
        "owner": {"display_name": owner.get("displayName")},
    }


def object_at(record: dict[str, Any], key: str) -> dict[str, Any]:
    value = record.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(f"'{key}' should be an object, not {type(value).__name__}")
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def distinct_texts(values: list[Any]) -> list[str]:
    """The non-empty texts of ``values``, each once, in order."""
    return list(dict.fromkeys(str(v).strip() for v in values
                              if not is_empty(v) and not isinstance(v, (dict, list))))


def first_text(*values: Any) -> str | None:
    found = distinct_texts(list(values))
    return found[0] if found else None


SOCRATA_MAPPING = SocrataMapping()
