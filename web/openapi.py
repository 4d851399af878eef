"""The OpenAPI 3.0 description of the site's machine interfaces, served at ``/api/openapi.json``.

Built as data from the same constants the views use (facet names, sorts, page limits, feed formats), so the
description cannot drift from the parameters the code accepts; tests validate it with openapi-spec-validator
and check real answers against its schemas.
"""

from __future__ import annotations

from typing import Any

from harvester.dcat.serialize import RDF_SUFFIXES
from harvester.index import FILTERS
from harvester.index.search import MAX_PER_PAGE, SORTS
from web.ckan_query import DEFAULT_ROWS, MAX_ROWS

FACET_HELP = {
    "publisher": "department (publisher) name", "theme": "EU data theme code (TRAN, ENVI …)",
    "format": "EU file type code (CSV, JSON …)", "license": "licence code (CC_BY_4_0 …)",
    "source": "source portal id", "access": "open type: PUBLIC (无条件开放), RESTRICTED (有条件开放), NON_PUBLIC",
    "keyword": "keyword", "quality": "metadata quality band (MQA): excellent, good, sufficient, bad",
    "column": "a column name of the data dictionary (信息项), e.g. 统一社会信用代码",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str, description: str, schema: dict[str, Any], where: str = "query", **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "description": description, "schema": schema,
            "required": where == "path", **extra}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def search_parameters() -> list[dict[str, Any]]:
    params = [_param("q", "words to find (Chinese or English); all must match", {"type": "string", "maxLength": 200})]
    params += [_param(f, f"filter by {FACET_HELP[f]}; repeat for OR within the facet",
                      {"type": "array", "items": {"type": "string"}}, style="form", explode=True) for f in FILTERS]
    params += [
        _param("sort", "relevance (newest first without q), modified (newest first), title or quality (best "
               "metadata first)",
               {"type": "string", "enum": list(SORTS), "default": "relevance"}),
        _param("page", "page number, from 1", {"type": "integer", "minimum": 1, "default": 1}),
        _param("per_page", "results per page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                                                 "default": 20}),
    ]
    return params


def schemas() -> dict[str, Any]:
    text, nullable_text = {"type": "string"}, {"type": "string", "nullable": True}
    strings = {"type": "array", "items": text}
    result = {"type": "object", "required": ["id", "iri", "url", "title", "source"], "properties": {
        "id": text, "iri": {"type": "string", "format": "uri"}, "url": {"type": "string", "format": "uri"},
        "title": text, "title_en": text, "description": text, "publisher": text, "themes": strings,
        "formats": strings, "license": text, "access": text, "modified": {**nullable_text, "format": "date-time"},
        "source": text, "also_on": {"type": "array", "items": {
            "type": "object", "description": "the same dataset on another portal", "properties": {
                "id": text, "url": {"type": "string", "format": "uri"}}}}}}
    bucket = {"type": "object", "required": ["value", "label", "count"],
              "properties": {"value": text, "label": text, "count": {"type": "integer", "minimum": 0}}}
    search = {"type": "object", "required": ["count", "page", "per_page", "results", "facets"], "properties": {
        "count": {"type": "integer", "minimum": 0}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
        "results": {"type": "array", "items": _ref("SearchResult")},
        "facets": {"type": "object", "additionalProperties": {"type": "array", "items": _ref("FacetBucket")}}}}
    resource = {"type": "object", "required": ["id", "package_id", "url", "format"], "properties": {
        "id": text, "package_id": text, "name": text, "description": text, "format": text, "mimetype": nullable_text,
        "url": text, "size": {"type": "integer", "nullable": True}, "created": nullable_text,
        "last_modified": nullable_text, "hash": text}}
    package = {"type": "object", "required": ["id", "name", "title", "resources", "tags", "groups", "extras"],
               "properties": {
                   "id": text, "name": text, "title": text, "notes": text, "url": text,
                   "license_id": nullable_text, "license_title": nullable_text, "metadata_created": nullable_text,
                   "metadata_modified": nullable_text, "owner_org": nullable_text,
                   "organization": {"type": "object", "nullable": True},
                   "resources": {"type": "array", "items": _ref("CkanResource")},
                   "tags": {"type": "array", "items": {"type": "object"}},
                   "groups": {"type": "array", "items": {"type": "object"}},
                   "extras": {"type": "array", "items": {"type": "object", "required": ["key", "value"], "properties": {
                       "key": text, "value": text}}}}}
    envelope = {"type": "object", "required": ["success"], "properties": {
        "help": text, "success": {"type": "boolean"}, "result": {},
        "error": {"type": "object", "properties": {"__type": text, "message": text}}}}
    error = {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "parameter": text, "message": text}}}}
    return {"SearchResult": result, "FacetBucket": bucket, "SearchResponse": search, "CkanResource": resource,
            "CkanPackage": package, "CkanEnvelope": envelope, "ParameterError": error}


def ckan_paths() -> dict[str, Any]:
    envelope = _json(_ref("CkanEnvelope"), "CKAN envelope: success, result (or error with __type)")
    actions = {
        "package_search": ("Search packages (CKAN/Solr subset; see docs/website.md)", [
            _param("q", "words; field:value terms on known fields act as filters", {"type": "string"}),
            _param("fq", "filter terms: organization, groups, tags, res_format, license_id, access_rights, "
                   "harvest_source, metadata_modified:[FROM TO UNTIL]", {"type": "string"}),
            _param("rows", "packages to return", {"type": "integer", "minimum": 0, "maximum": MAX_ROWS,
                                                   "default": DEFAULT_ROWS}),
            _param("start", "offset of the first package", {"type": "integer", "minimum": 0, "default": 0}),
            _param("sort", "score desc, metadata_modified desc|asc, title_string asc, name asc|desc",
                   {"type": "string"}),
            _param("facet.field", 'JSON list of fields to count, e.g. ["organization","res_format"]',
                   {"type": "string"}),
            _param("facet.limit", "values per facet (-1: all)", {"type": "integer", "default": 50})]),
        "package_show": ("One package by id (name or dataset IRI)", [
            _param("id", "package name {source}/{key}", {"type": "string"}, required=True)]),
        "package_list": ("Every package name", [
            _param("limit", "names to return", {"type": "integer", "minimum": 0}),
            _param("offset", "names to skip", {"type": "integer", "minimum": 0})]),
        "organization_list": ("Departments (publishers)", [
            _param("all_fields", "dicts with package_count instead of names", {"type": "boolean"}),
            _param("sort", "name (default) or package_count", {"type": "string"})]),
    }
    paths = {}
    for name, (summary, params) in actions.items():
        operation = {"summary": summary, "tags": ["CKAN-compatible"], "parameters": params,
                     "responses": {"200": envelope, "404": envelope, "409": envelope}}
        paths[f"/api/3/action/{name}"] = {"get": {**operation, "operationId": f"ckan_{name}"},
                                          "post": {**operation, "operationId": f"ckan_{name}_post"}}
    return paths


def rdf_paths() -> dict[str, Any]:
    rdf = {"description": "RDF", "content": {media: {"schema": {"type": "string"}} for media in RDF_SUFFIXES.values()}}
    return {
        "/catalog.{format}": {"get": {
            "operationId": "catalog_feed", "tags": ["DCAT"],
            "summary": "The merged catalog as DCAT-AP with Hydra paging (100 datasets a page)",
            "parameters": [
                _param("format", "serialisation", {"type": "string", "enum": list(RDF_SUFFIXES)}, where="path"),
                _param("page", "page number, from 1", {"type": "integer", "minimum": 1}),
                _param("modified_since", "only records harvested at or after this ISO 8601 date or date-time",
                       {"type": "string"}),
                _param("source", "only this source portal's datasets", {"type": "string"})],
            "responses": {"200": rdf, "400": _json(_ref("ParameterError"), "bad parameter"),
                          "404": _json(_ref("ParameterError"), "page past the last")}}},
        "/dataset/{source_id}/{key}": {"get": {
            "operationId": "dataset", "tags": ["DCAT"],
            "summary": "A dataset: HTML, or its record graph by Accept (or a .ttl/.jsonld/.rdf/.nt suffix)",
            "parameters": [_param("source_id", "source portal id", {"type": "string"}, where="path"),
                           _param("key", "record key", {"type": "string"}, where="path")],
            "responses": {"200": rdf, "404": {"description": "no such dataset"}}}},
        "/sparql": {"get": {
            "operationId": "sparql", "tags": ["SPARQL"], "summary": "SPARQL 1.1 Protocol (query only)",
            "parameters": [_param("query", "a SPARQL query", {"type": "string"}, required=True),
                           _param("format", "json, xml, csv, tsv, ttl, jsonld, rdf or nt", {"type": "string"})],
            "responses": {"200": {"description": "results by Accept; X-Harvester-Truncated tells a cut answer"},
                          "400": {"description": "syntax error or an update"},
                          "503": {"description": "the time limit passed"}}}},
    }


def openapi_document(server_url: str, title: str) -> dict[str, Any]:
    search = {"get": {"operationId": "search", "tags": ["Search"], "summary": "Search the merged catalog "
                      "(the search page's parameters)", "parameters": search_parameters(),
                      "responses": {"200": _json(_ref("SearchResponse"), "one page of results with facet counts")}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{title} API", "version": "1",
                 "description": "Search, CKAN-compatible reads, DCAT feeds and SPARQL over the merged catalog of "
                                "Jinan's department portals. Guide: docs/website.md."},
        "servers": [{"url": server_url}],
        "paths": {"/api/search": search, **ckan_paths(), **rdf_paths()},
        "components": {"schemas": schemas()},
    }
