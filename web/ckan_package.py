"""A CKAN package dict built from a record graph, so CKAN clients can read the merged catalog.

The mapping (documented in docs/website.md) follows ckanext-dcat's DCAT ↔ CKAN correspondence where one
exists: ``name`` and ``id`` are "{source}/{key}" (so ``/dataset/{name}`` is the dataset page), the
department (dct:publisher) is the organization, EU data themes are groups, keywords are tags,
distributions are resources, and everything else DCAT-AP says goes into ``extras``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from harvester import vocab
from harvester.dcat.rdf import Triple
from harvester.index.docs import doc_from_triples
from harvester.model import DatasetDoc
from web.dataset_page import DatasetPage, Distribution, dataset_page
from web.record import RecordGraph

#: the language CKAN fields are filled in (the catalog's first language); English goes to extras
PACKAGE_LANGUAGE = "zh"


def ckan_time(text: str) -> str | None:
    """An ISO 8601 date or date-time as CKAN writes timestamps: UTC, no offset, microseconds."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def organization_dict(name: str, package_count: int | None = None) -> dict[str, Any]:
    """A CKAN organization for a department: its name is the department's name as the catalog shows it."""
    org: dict[str, Any] = {"id": name, "name": name, "title": name, "display_name": name, "type": "organization",
                           "is_organization": True, "state": "active", "approval_status": "approved",
                           "description": "", "image_url": ""}
    if package_count is not None:
        org["package_count"] = package_count
    return org


def group_dict(code: str) -> dict[str, Any]:
    concept = vocab.concept(code, "theme")
    title = concept.label(PACKAGE_LANGUAGE) if concept else code
    return {"id": code.lower(), "name": code.lower(), "title": title, "display_name": title,
            "description": concept.label("en") if concept else "", "image_display_url": ""}


def package_dict(source_id: str, key: str, triples: list[Triple], iris: Any, portal_title: str) -> dict[str, Any]:
    """The CKAN package of one record graph; ``iris`` is the catalog's Iris."""
    graph = RecordGraph(triples, PACKAGE_LANGUAGE)
    page = dataset_page(graph, iris.dataset(source_id, key), iris.record(source_id, key))
    doc = doc_from_triples(source_id, key, triples) or DatasetDoc(f"{source_id}/{key}", page.iri, source_id, page.title)
    licence = vocab.concept(doc.license, "licence") if doc.license else None
    package: dict[str, Any] = {
        "id": doc.id, "name": doc.id, "title": doc.title, "notes": doc.description,
        "url": page.landing_page or "", "version": _fact(page, "dataset.version"),
        "author": page.publisher or None, "author_email": None,
        "maintainer": page.contact.get("name"), "maintainer_email": page.contact.get("email"),
        "license_id": doc.license or None, "license_title": licence.label(PACKAGE_LANGUAGE) if licence else None,
        "license_url": page.license_iris[0] if page.license_iris else None,
        "isopen": doc.access == "PUBLIC" and licence is not None,
        "metadata_created": ckan_time(page.issued_iso) or ckan_time(page.harvested_iso),
        "metadata_modified": ckan_time(page.modified_iso) or ckan_time(page.harvested_iso),
        "state": "active", "private": False, "type": "dataset",
        "owner_org": doc.publisher or None,
        "organization": organization_dict(doc.publisher) if doc.publisher else None,
        "groups": [group_dict(code) for code in doc.themes],
        "tags": [{"name": kw, "display_name": kw, "state": "active", "vocabulary_id": None} for kw in doc.keywords],
        "resources": [_resource(doc.id, n, d) for n, d in enumerate(page.distributions)],
        "extras": _extras(page, doc, portal_title),
    }
    package["num_resources"] = len(package["resources"])
    package["num_tags"] = len(package["tags"])
    return package


def _fact(page: DatasetPage, key: str) -> str | None:
    for fact_key, values in page.facts:
        if fact_key == key and values:
            return values[0][0]
    return None


def _resource(package_id: str, position: int, dist: Distribution) -> dict[str, Any]:
    checksum = next((values[0][0] for key, values in dist.details if key == "dataset.checksum"), "")
    return {
        "id": dist.node.rsplit("/distribution/", 1)[-1], "package_id": package_id, "position": position,
        "name": dist.title, "description": dist.description,
        "format": dist.format_code or dist.format, "mimetype": dist.media_type or None,
        "url": dist.download_url or dist.access_url or "", "download_url": dist.download_url,
        "access_url": dist.access_url or dist.download_url, "size": dist.byte_size,
        "hash": checksum.split(" ", 1)[-1] if checksum else "",
        "created": ckan_time(_detail_iso(dist, "dct:issued")), "last_modified": ckan_time(_detail_iso(dist, "dct:modified")),
        "state": "active", "url_type": None, "uri": dist.node,
    }


def _detail_iso(dist: Distribution, curie: str) -> str:
    return dist.dates.get(curie, "")


def _extras(page: DatasetPage, doc: DatasetDoc, portal_title: str) -> list[dict[str, str]]:
    start, end = page.temporal
    pairs = [
        ("uri", page.iri), ("harvest_source", doc.source), ("harvest_source_title", portal_title),
        ("original_record", page.original or ""), ("harvested", page.harvested_iso),
        ("issued", page.issued_iso), ("modified", page.modified_iso),
        ("access_rights", doc.access), ("access_rights_label", page.access_label),
        ("conditions", " ".join(page.conditions)), ("themes", " ".join(doc.themes)),
        ("frequency", _fact(page, "dataset.frequency") or ""), ("spatial", "; ".join(page.spatial)),
        ("temporal_start", start), ("temporal_end", end), ("identifier", "; ".join(page.identifiers)),
        ("language", _fact(page, "dataset.language") or ""),
        ("contact_tel", page.contact.get("tel", "")),
        ("title_en", doc.title_en), ("notes_en", doc.description_en),
    ]
    pairs += [(f"property:{name}", value) for name, value in page.properties if name]
    return [{"key": k, "value": v} for k, v in pairs if v]

