"""The schema.org ``Dataset`` description embedded in dataset pages (JSON-LD), for Google Dataset Search.

It follows Google's dataset guidelines: name, description, url, identifier, keywords, license, creator,
publisher, dates, coverage, ``includedInDataCatalog`` and ``distribution`` (``DataDownload``) for open data.
The JSON is escaped for a ``<script>`` data block: ``<``, ``>`` and ``&`` become ``\\u003c``… so harvested
text can never close the element.
"""

from __future__ import annotations

import json
from typing import Any

from web.dataset_page import DatasetPage

#: Google wants descriptions between 50 and 5,000 characters
MAX_DESCRIPTION = 5000
_HTML_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def schema_org_dataset(page: DatasetPage, page_url: str, catalog_name: str, catalog_url: str) -> dict[str, Any]:
    """The schema.org Dataset of a dataset page."""
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": page.iri,
        "name": page.title,
        "description": (page.description or page.title)[:MAX_DESCRIPTION],
        "url": page_url,
        "identifier": [page.iri, *page.identifiers],
        "isAccessibleForFree": True,
        "includedInDataCatalog": {"@type": "DataCatalog", "name": catalog_name, "url": catalog_url},
    }
    if page.title_other:
        data["alternateName"] = page.title_other
    if page.keywords:
        data["keywords"] = page.keywords
    if page.license_iris:
        data["license"] = page.license_iris[0]
    if page.publisher:
        data["publisher"] = data["creator"] = _organization(page)
    if page.modified_iso:
        data["dateModified"] = page.modified_iso
    if page.issued_iso:
        data["datePublished"] = page.issued_iso
    _coverage(page, data)
    _access(page, data)
    if page.original:
        data["sameAs"] = page.original
    return data


def _organization(page: DatasetPage) -> dict[str, Any]:
    organization: dict[str, Any] = {"@type": "Organization", "name": page.publisher}
    contact = {"@type": "ContactPoint", "contactType": "customer service"}
    for ours, theirs in (("name", "name"), ("email", "email"), ("tel", "telephone")):
        if page.contact.get(ours):
            contact[theirs] = page.contact[ours]
    if len(contact) > 2:
        organization["contactPoint"] = contact
    return organization


def _coverage(page: DatasetPage, data: dict[str, Any]) -> None:
    start, end = page.temporal
    if start or end:
        data["temporalCoverage"] = f"{start or '..'}/{end or '..'}"
    if page.spatial:
        data["spatialCoverage"] = [{"@type": "Place", "name": name} for name in page.spatial]


def _access(page: DatasetPage, data: dict[str, Any]) -> None:
    """Open data lists its downloads; conditional data states its conditions instead."""
    if page.closed:
        data["isAccessibleForFree"] = False
        data["conditionsOfAccess"] = " ".join(page.conditions) or page.access_label
        return
    downloads = []
    for dist in page.distributions:
        url = dist.download_url or dist.access_url
        if not url or not url.startswith(("http://", "https://")):
            continue
        download: dict[str, Any] = {"@type": "DataDownload", "contentUrl": url}
        if dist.title:
            download["name"] = dist.title
        encoding = dist.media_type or dist.format_code or dist.format
        if encoding:
            download["encodingFormat"] = encoding
        if dist.byte_size is not None:
            download["contentSize"] = f"{dist.byte_size} B"
        downloads.append(download)
    if downloads:
        data["distribution"] = downloads


def script_json(data: dict[str, Any]) -> str:
    """JSON safe inside ``<script type="application/ld+json">``: nothing in it can end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _HTML_UNSAFE.items():
        text = text.replace(char, escaped)
    return text
