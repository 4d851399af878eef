"""The parts of an ISO 19139 / 19115-3 record that need more than a path: responsible parties, keywords and
themes, extents, constraints and online resources, each read into plain values for the field table
(mappings/iso19139.yaml). Paths list the ISO 19139 form first, then the ISO 19115-3 one.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from harvester import vocab
from harvester.sources import iso_codes
from harvester.sources.iso_xml import (
    Element, Languages, code, find, find_all, first_text, free_text, href, text, texts, unique,
)

#: who publishes a resource, the most telling role first (GeoDCAT-AP: "publisher" → dct:publisher)
PUBLISHER_ROLES = ("publisher", "owner", "custodian", "originator", "author", "resourceProvider", "distributor",
                   "pointOfContact", "principalInvestigator", "processor")
#: CI_OnLineFunctionCode values of links that are pages about the data, not the data
PAGE_FUNCTIONS = frozenset({"information", "search", "completeMetadata", "browseGraphic"})
MAX_CONTACTS = 5
MAX_RIGHTS = 5
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')]+")
_WEB = ("http://", "https://", "ftp://")
_BBOX_NAMES = ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude")


# --- responsible parties ----------------------------------------------------------------------------------------

def read_party(party: Element, langs: Languages) -> dict[str, Any]:
    """A CI_ResponsibleParty (19139) or CI_Responsibility (19115-3) as role, names and contact details."""
    contact = find(party, "contactInfo/CI_Contact", "party/*/contactInfo/CI_Contact")
    organisation = free_text(find(party, "organisationName", "party/CI_Organisation/name"), langs)
    individual = free_text(find(party, "individualName", "party/CI_Individual/name",
                                "party/CI_Organisation/individual/CI_Individual/name"), langs)
    return {
        "role": code(find(party, "role")) or "",
        "organisation": organisation, "individual": individual,
        "email": first_text(contact, "address/CI_Address/electronicMailAddress") if contact is not None else None,
        "tel": first_text(contact, "phone/CI_Telephone/voice", "phone/CI_Telephone/number") if contact is not None
        else None,
        "url": first_text(contact, "onlineResource/CI_OnlineResource/linkage") if contact is not None else None,
    }


def parties(root: Element, ident: Element, langs: Languages) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the resource's parties, the metadata's contacts)."""
    resource = [read_party(p, langs) for path in ("pointOfContact/*", "citation/CI_Citation/citedResponsibleParty/*")
                for p in find_all(ident, path)]
    metadata = [read_party(p, langs) for p in find_all(root, "contact/*")]
    return resource, metadata


def publisher(resource: list[dict[str, Any]], metadata: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The organisation with the most telling role (see PUBLISHER_ROLES), the resource's before the metadata's."""
    named = [p for p in [*resource, *metadata] if p["organisation"]]
    if not named:
        return None
    rank = {role: n for n, role in enumerate(PUBLISHER_ROLES)}
    best = min(named, key=lambda p: rank.get(p["role"], len(rank)))
    name = best["organisation"]
    return {"label": next(iter(name.values())), "name": name, "email": best["email"]}


def contacts(resource: list[dict[str, Any]], metadata: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The points of contact: the resource's (by role, else any with an address), else the metadata's."""
    chosen = [p for p in resource if p["role"] == "pointOfContact"] or \
        [p for p in resource if p["email"] or p["tel"]] or metadata
    out = [{"fn": p["organisation"] or p["individual"], "email": p["email"], "tel": p["tel"], "url": p["url"]}
           for p in chosen if p["organisation"] or p["individual"] or p["email"]]
    return unique(out)[:MAX_CONTACTS]


# --- keywords and themes ----------------------------------------------------------------------------------------

def keywords_and_themes(ident: Element, langs: Languages) -> tuple[list[dict[str, str]], list[str]]:
    """The keywords (each ``{language: text}``) and the EU data themes they and the topic categories name."""
    keywords: list[dict[str, str]] = []
    themes: list[str] = []
    for block in find_all(ident, "descriptiveKeywords/MD_Keywords"):
        kind = code(find(block, "type"))
        for prop in find_all(block, "keyword"):
            value = free_text(prop, langs)
            if not value:
                continue
            keywords.append(value)
            theme = iso_codes.keyword_theme(next(iter(value.values())), href(prop)) \
                if kind not in ("place", "temporal", "stratum") else None
            if theme:
                themes.append(theme)
    for category in texts(ident, "topicCategory"):
        theme = iso_codes.topic_theme(category)
        if theme:
            themes.append(theme)
    return unique(keywords), unique(themes)


# --- extents ----------------------------------------------------------------------------------------------------

def extents(ident: Element, langs: Languages) -> dict[str, Any]:
    """Bounding boxes ``[west, south, east, north]``, the extent's place name, and the time period."""
    boxes: list[list[float]] = []
    places: list[dict[str, str]] = []
    period: dict[str, str] = {}
    for extent in find_all(ident, "extent/EX_Extent"):
        place = free_text(find(extent, "description"), langs)
        if place:
            places.append(place)
        for element in find_all(extent, "geographicElement/EX_GeographicBoundingBox"):
            box = bounding_box(element)
            if box is not None and box not in boxes:
                boxes.append(box)
        if not period:
            period = time_period(extent)
    return {"bboxes": boxes, "place": places[0] if places else None, "temporal": period or None}


def bounding_box(element: Element) -> list[float] | None:
    """``[west, south, east, north]`` in degrees; None if a bound is missing or out of range."""
    try:
        west, south, east, north = (float(first_text(element, name) or "x") for name in _BBOX_NAMES)
    except ValueError:
        return None
    inside = all(-180 <= x <= 180 for x in (west, east)) and -90 <= south <= north <= 90
    return [west, south, east, north] if inside else None


def time_period(extent: Element) -> dict[str, str]:
    """``{"start", "end"}`` of the first gml:TimePeriod (or gml:TimeInstant) of an extent."""
    for element in find_all(extent, "temporalElement/*/extent/TimePeriod"):
        start = first_text(element, "beginPosition", "begin/TimeInstant/timePosition")
        end = first_text(element, "endPosition", "end/TimeInstant/timePosition")
        if start or end:
            return {key: value for key, value in (("start", start), ("end", end)) if value}
    for element in find_all(extent, "temporalElement/*/extent/TimeInstant"):
        moment = first_text(element, "timePosition")
        if moment:
            return {"start": moment, "end": moment}
    return {}


# --- constraints ------------------------------------------------------------------------------------------------

def constraints(ident: Element, langs: Languages) -> dict[str, Any]:
    """The EU access right, a recognised licence, and the other conditions as text (rights statements)."""
    blocks = find_all(ident, "resourceConstraints/*")
    codes = [value for block in blocks for prop in find_all(block, "accessConstraints")
             + find_all(block, "classification") if (value := code(prop))]
    props = [prop for block in blocks for path in ("otherConstraints", "useLimitation")
             for prop in find_all(block, path)]
    others = [(text(prop) or "", href(prop)) for prop in props]
    # a constraint that only names the access right or the licence ("无条件开放", "CC BY 4.0") says no more
    statements = [free_text(prop, langs) for prop, other in zip(props, others) if not _names_a_concept(*other)]
    return {"access_rights": iso_codes.access_right(codes, others), "licence": licence(others),
            "rights": unique(s for s in statements if s)[:MAX_RIGHTS]}


def _names_a_concept(value: str, link: str | None) -> bool:
    if iso_codes.access_right([], [(value, link)]) is not None:
        return True
    short = bool(value) and len(value) <= 200
    return (short and vocab.licence(value) is not None) or (link is not None and licence([("", link)]) is not None)


def licence(candidates: list[tuple[str, str | None]]) -> str | None:
    """The IRI of the first licence named by a constraint: its anchor, its text, or a web address in it."""
    for value, link in candidates:
        for url in [link, *_URL_IN_TEXT.findall(value)]:
            found = vocab.licence(None, url.rstrip(".,;")) if url else None
            if found is not None:
                return found.iri
        found = vocab.licence(value) if value and len(value) <= 200 else None
        if found is not None:
            return found.iri
    return None


# --- online resources -------------------------------------------------------------------------------------------

ONLINE_RESOURCES = (
    "distributionInfo/MD_Distribution/transferOptions/MD_DigitalTransferOptions/onLine/CI_OnlineResource",
    ("distributionInfo/MD_Distribution/distributor/MD_Distributor/distributorTransferOptions/"
     "MD_DigitalTransferOptions/onLine/CI_OnlineResource"),
)
FORMATS = (
    "distributionInfo/MD_Distribution/distributionFormat/MD_Format/name",
    "distributionInfo/MD_Distribution/distributionFormat/MD_Format/formatSpecificationCitation/CI_Citation/title",
    "distributionInfo/MD_Distribution/distributor/MD_Distributor/distributorFormat/MD_Format/name",
)


def online_resources(root: Element, ident: Element, langs: Languages) -> tuple[list[dict[str, Any]], list[str]]:
    """(distributions, pages): each online resource (and service connect point) becomes a distribution,
    except links to pages about the data (function ``information``, ``search`` …)."""
    formats = texts(root, *FORMATS)
    resources = [r for path in ONLINE_RESOURCES for r in find_all(root, path)]
    listed = {_base(url) for r in resources if (url := first_text(r, "linkage"))}
    # a service record's connect points usually repeat its distribution links with another query
    resources += [r for r in find_all(ident, "containsOperations/SV_OperationMetadata/connectPoint/CI_OnlineResource")
                  if _base(first_text(r, "linkage") or "") not in listed]
    distributions: list[dict[str, Any]] = []
    pages: list[str] = []
    seen: set[str] = set()
    for resource in resources:
        url = first_text(resource, "linkage")
        if not url or not url.lower().startswith(_WEB) or url in seen:
            continue
        seen.add(url)
        if code(find(resource, "function")) in PAGE_FUNCTIONS and not iso_codes.service_type(
                first_text(resource, "protocol")):
            pages.append(url)
        else:
            distributions.append(distribution(resource, url, formats, langs))
    return distributions, pages


def distribution(resource: Element, url: str, formats: list[str], langs: Languages) -> dict[str, Any]:
    """One online resource as a distribution: OGC services get their service type as format (``WMS_SRVC``);
    downloads (by function or protocol) a download URL and a format from the file name or, when the record
    names only one, the record's format."""
    protocol = first_text(resource, "protocol") or ""
    function = code(find(resource, "function")) or ""
    name = free_text(find(resource, "name"), langs)
    service = iso_codes.service_type(protocol)
    download = not service and (function == "download" or "DOWNLOAD" in protocol.upper()
                                or protocol.upper().startswith("FILE"))
    file_format = service or file_extension_format(url) or (formats[0] if len(formats) == 1 else None)
    return {
        "accessURL": url, "downloadURL": url if download else None, "title": name,
        "description": free_text(find(resource, "description"), langs),
        "format": iso_codes.SERVICE_FILE_TYPES.get(service, service) if service else file_format,
        "media_type": None if service else file_format,
    }


def file_extension_format(url: str) -> str | None:
    """The file type a download's name says (``…/dltb.zip`` → ``zip``), when the vocabulary knows it."""
    suffix = PurePosixPath(urlsplit(url).path).suffix.lstrip(".").lower()
    return suffix if suffix and vocab.file_type(suffix) is not None else None


def _base(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/")
