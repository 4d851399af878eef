"""OAI-PMH 2.0 repositories: ``ListRecords`` paged by resumptionToken, incremental with ``from``.

The metadata format is the source option ``metadata_prefix``; without it the repository's
``ListMetadataFormats`` is read and a DCAT-AP format (a prefix or namespace naming DCAT) is preferred to
``oai_dc``. A full harvest (``since`` None) is a complete listing. An incremental one asks for the records
changed ``from`` the last good harvest, at the repository's granularity (``Identify``), and lists only those:
unlisted records are kept, and records whose header says ``status="deleted"`` are deleted. ``noRecordsMatch``
is an empty list (nothing changed, or an empty repository); every other OAI error, a resumptionToken given
twice, or more than ``max_pages`` pages fails the gather. Each record carries its metadata as payload and its
header datestamp as change marker; the mapping is harvester.sources.oai_dc.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from lxml import etree

from harvester.errors import FetchError, GatherError
from harvester.http import PoliteClient
from harvester.mapping import load_mapping
from harvester.model import RemoteRef, Source
from harvester.sources.oai_dc import DC_ROOT, OAI_MAPPING_REF, landing_page_of
from harvester.sources.oai_xml import (
    Element,
    UnreadableXml,
    local_name,
    namespace,
    parse_untrusted_xml,
    text_of,
)
from harvester.sources.rdf_extract import iter_descriptions
from harvester.sources.rdf_read import RdfDocument, load_document

OAI = "{http://www.openarchives.org/OAI/2.0/}"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DCAT_NAMESPACES = ("http://www.w3.org/ns/dcat#", "http://data.europa.eu/r5r/")
DEFAULT_PREFIX = "oai_dc"
DEFAULT_MAX_PAGES = 100_000
ACCEPT = "text/xml, application/xml;q=0.9, */*;q=0.1"
#: ``from`` at each granularity Identify may announce (every repository supports days)
DAY, SECOND = "%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ"


class OaiPmhSource:
    """Source options: ``metadata_prefix`` (default: a DCAT-AP format when offered, else oai_dc), ``set``
    (a setSpec), ``max_pages`` (default 100,000 ListRecords answers)."""

    def __init__(self, source: Source, client: PoliteClient, settings: Any) -> None:
        self.source = source
        self.client = client
        self.mapping = load_mapping(source.mapping or OAI_MAPPING_REF)
        options = source.options
        self.prefix: str = str(options.get("metadata_prefix") or "")
        self.set_spec = str(options["set"]) if options.get("set") else None
        self.max_pages = positive_option(options, "max_pages", DEFAULT_MAX_PAGES)
        self.expected_total: int | None = None
        self.complete_listing = True

    # --- gather --------------------------------------------------------------------------------
    def gather(self, since: datetime | None) -> Iterator[RemoteRef]:
        """Every record of the list (each once); with ``since``, only those changed from then on."""
        self.complete_listing = since is None
        self.prefix = self.prefix or self._preferred_prefix()
        params = {"verb": "ListRecords", "metadataPrefix": self.prefix}
        if self.set_spec:
            params["set"] = self.set_spec
        if since is not None:
            params["from"] = self._from_stamp(since)
        seen: set[str] = set()
        for number, listing in self._list_pages(params):
            for position, record in enumerate(listing.iterfind(f"{OAI}record"), 1):
                ref = self._ref(record, f"page {number}, record {position}")
                if ref.remote_id not in seen:
                    seen.add(ref.remote_id)
                    yield ref

    def _list_pages(self, params: dict[str, str]) -> Iterator[tuple[int, Element]]:
        """(number, ListRecords element) of every answer, following resumptionTokens to the list's end."""
        tokens: dict[str, int] = {}
        for number in range(1, self.max_pages + 1):
            root = self._request(params, f"ListRecords page {number}")
            code, message = oai_error(root)
            if code == "noRecordsMatch":
                return  # an empty list: nothing changed since `from`, or an empty repository
            if code:
                raise GatherError(f"ListRecords page {number}: the repository answered {code}: {message}")
            listing = root.find(f"{OAI}ListRecords")
            if listing is None:
                raise GatherError(f"ListRecords page {number} ({self.source.url}) has no ListRecords element")
            yield number, listing
            token = self._resumption_token(listing)
            if not token:
                return
            if token in tokens:
                raise GatherError(f"ListRecords page {number} gives resumptionToken {token!r} again (first "
                                  f"given on page {tokens[token]}): paging loop")
            tokens[token] = number
            params = {"verb": "ListRecords", "resumptionToken": token}
        raise GatherError(f"the list did not end after {self.max_pages:,} pages (source option max_pages)")

    def _resumption_token(self, listing: Element) -> str:
        """The token of the next page; "" at the end (no element, or an empty one)."""
        element = listing.find(f"{OAI}resumptionToken")
        if element is None:
            return ""
        size = (element.get("completeListSize") or "").strip()
        if size.isdigit() and self.expected_total is None:
            self.expected_total = int(size)
        return text_of(element)

    def _ref(self, record: Element, where: str) -> RemoteRef:
        header = record.find(f"{OAI}header")
        identifier = text_of(header.find(f"{OAI}identifier")) if header is not None else ""
        if not identifier:
            return RemoteRef(f"{where} (no identifier)", None, None,
                             {"error": f"{where} has no header identifier: it cannot be followed"})
        datestamp = text_of(header.find(f"{OAI}datestamp")) or None
        if header.get("status") == "deleted":
            return RemoteRef(identifier, datestamp, deleted=True)
        payload = {"identifier": identifier, "datestamp": datestamp,
                   "sets": [text_of(s) for s in header.iterfind(f"{OAI}setSpec")],
                   **self._metadata(record.find(f"{OAI}metadata"), identifier)}
        return RemoteRef(identifier, datestamp, None, payload)

    def _metadata(self, metadata: Element | None, identifier: str) -> dict[str, Any]:
        """The record's metadata as payload fields: oai_dc as XML text, DCAT RDF/XML as one dataset's
        description (harvester.sources.rdf_extract), anything else as the reason it cannot be mapped."""
        element = next((e for e in metadata if isinstance(e.tag, str)), None) if metadata is not None else None
        if element is None:
            return {"error": "the record has no metadata"}
        if element.tag == DC_ROOT:
            return {"format": "oai_dc", "xml": etree.tostring(element, encoding="unicode")}
        if element.tag == f"{{{RDF_NS}}}RDF" or namespace(element) in DCAT_NAMESPACES:
            return dcat_description(element, self.record_url(identifier))
        return {"error": f"its metadata is {{{namespace(element)}}}{local_name(element)} (metadataPrefix "
                         f"{self.prefix}); only oai_dc and DCAT-AP RDF/XML are mapped"}

    # --- the repository's other verbs ------------------------------------------------------------
    def _preferred_prefix(self) -> str:
        """A DCAT-AP metadataPrefix when ListMetadataFormats offers one, else oai_dc (which every
        repository must offer)."""
        root = self._request({"verb": "ListMetadataFormats"}, "ListMetadataFormats")
        if oai_error(root)[0]:
            return DEFAULT_PREFIX
        for element in root.iterfind(f"{OAI}ListMetadataFormats/{OAI}metadataFormat"):
            prefix = text_of(element.find(f"{OAI}metadataPrefix"))
            schema_namespace = text_of(element.find(f"{OAI}metadataNamespace"))
            if prefix and ("dcat" in prefix.lower() or "dcat" in schema_namespace.lower()
                           or schema_namespace in DCAT_NAMESPACES):
                return prefix
        return DEFAULT_PREFIX

    def _from_stamp(self, since: datetime) -> str:
        """``since`` in UTC at the granularity Identify announces (days when it announces none)."""
        root = self._request({"verb": "Identify"}, "Identify")
        code, message = oai_error(root)
        if code:
            raise GatherError(f"Identify: the repository answered {code}: {message}")
        granularity = text_of(root.find(f"{OAI}Identify/{OAI}granularity"))
        moment = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
        return moment.strftime(SECOND if "T" in granularity else DAY)

    def _request(self, params: dict[str, str], what: str) -> Element:
        """One OAI-PMH answer's root element; GatherError saying which request failed and why."""
        try:
            response = self.client.get(self.source.url, params=params, headers={"Accept": ACCEPT})
        except FetchError as exc:
            raise GatherError(f"{what}: {exc}") from exc
        try:
            root = parse_untrusted_xml(response.content, response.url, response.headers.get("content-type", ""))
        except UnreadableXml as exc:
            raise GatherError(f"{what}: {exc}") from exc
        if root.tag != f"{OAI}OAI-PMH":
            raise GatherError(f"{what}: {response.url} is not an OAI-PMH 2.0 answer (its root element is "
                              f"{root.tag!r}, not OAI-PMH in the namespace {OAI[1:-1]})")
        return root

    # --- fetch ---------------------------------------------------------------------------------
    def fetch(self, ref: RemoteRef) -> Any:
        if ref.payload is None:
            raise FetchError(f"{ref.remote_id}: ListRecords gives every record with its metadata", ref.url)
        return ref.payload

    def original_url(self, ref: RemoteRef, payload: Any) -> str | None:
        """The record's landing page (a web address among its identifiers), else its GetRecord request."""
        page = landing_page_of(payload) if isinstance(payload, dict) else None
        return page or self.record_url(ref.remote_id)

    def record_url(self, identifier: str) -> str:
        separator = "&" if "?" in self.source.url else "?"
        return (f"{self.source.url}{separator}verb=GetRecord&metadataPrefix={quote(self.prefix or DEFAULT_PREFIX)}"
                f"&identifier={quote(identifier, safe='')}")


def positive_option(options: dict[str, Any], name: str, default: int) -> int:
    """A source option that is a whole number ≥ 1; GatherError naming it otherwise."""
    try:
        value = int(options.get(name, default))
    except (TypeError, ValueError):
        value = 0
    if value < 1:
        raise GatherError(f"source option {name} should be a whole number of at least 1, not {options[name]!r}")
    return value


def oai_error(root: Element) -> tuple[str, str]:
    """(code, message) of the answer's first ``error`` element; ("", "") when it has none."""
    error = root.find(f"{OAI}error")
    if error is None:
        return "", ""
    return error.get("code") or "unknownError", " ".join(text_of(error).split()) or "(no message)"


def dcat_description(element: Element, base: str) -> dict[str, Any]:
    """One DCAT dataset embedded as RDF/XML, cut out as rdf_extract does for DCAT feeds (``id``, ``node``,
    ``ntriples``), or ``error`` saying why it cannot be."""
    if element.tag != f"{{{RDF_NS}}}RDF":  # a bare dcat:Dataset element: give it the rdf:RDF it lacks
        wrapper = etree.Element(f"{{{RDF_NS}}}RDF", nsmap={"rdf": RDF_NS})
        wrapper.append(copy.deepcopy(element))
        element = wrapper
    body = etree.tostring(element, encoding="utf-8")
    try:
        with load_document(RdfDocument(base, body, "application/rdf+xml")) as graph:
            descriptions = list(iter_descriptions(graph.store))
    except GatherError as exc:
        return {"error": f"its RDF/XML cannot be read: {exc}"}
    if len(descriptions) != 1:
        return {"error": f"its RDF/XML describes {len(descriptions)} dcat:Dataset resources; one is expected"}
    found = descriptions[0]
    if found.error:
        return {"error": found.error}
    return {"format": "dcat", "id": found.remote_id, "node": found.node, "ntriples": found.ntriples}
