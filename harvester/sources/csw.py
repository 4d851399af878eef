"""OGC CSW 2.0.2 catalogues (GeoNetwork, pycsw, deegree …): ISO 19139 or ISO 19115-3 records by GetRecords.

Requests are GET with KVP (``service=CSW&version=2.0.2&request=GetRecords&resultType=results&
elementSetName=full&outputSchema=…&startPosition=N&maxRecords=M``). Paging follows ``nextRecord``: 0, or past
``numberOfRecordsMatched``, ends the listing; a nextRecord that does not advance, a page listing the very
records an earlier page listed, or more than ``max_pages`` pages stop the gather with an error (nothing is
deleted). An ``ows:ExceptionReport`` answer fails the gather with its ExceptionText.

A full gather (no ``since``) lists every record and is complete, so records gone from the catalogue are
deleted. An incremental gather asks only for records changed since (CQL ``Modified >= '…'``) and is not
complete: unlisted records are kept. A catalogue that refuses the filter is read in full instead.

Every record comes with its listing: ``{"id", "schema", "xml", "datestamp", "page"}``, mapped by
harvester.sources.iso19139. Its page (``dcat:landingPage`` and the catalog record's source) is the ``page``
option's template, else the record's GetRecordById URL.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

from lxml import etree
from pyoxigraph import RdfFormat

from harvester.errors import FetchError, GatherError
from harvester.http import PoliteClient
from harvester.mapping import load_mapping
from harvester.model import RemoteRef, Source
from harvester.sources.iso19139 import ISO_MAPPING_REF, datestamp, record_id, schema_of
from harvester.sources.iso_xml import Element, UnsafeXml, children, find_all, local, parse_xml
from harvester.sources.rdf_read import RdfDocument, utf8_body

log = logging.getLogger(__name__)

CSW = "http://www.opengis.net/cat/csw/2.0.2"
DEFAULT_PAGE_SIZE = 50
DEFAULT_MAX_PAGES = 10_000
#: outputSchema option → (typeNames, namespace declaration, outputSchema URI)
SCHEMAS = {
    "iso19139": ("gmd:MD_Metadata", "xmlns(gmd=http://www.isotc211.org/2005/gmd)",
                 "http://www.isotc211.org/2005/gmd"),
    "iso19115-3": ("mdb:MD_Metadata", "xmlns(mdb=http://standards.iso.org/iso/19115/-3/mdb/2.0)",
                   "http://standards.iso.org/iso/19115/-3/mdb/2.0"),
}
ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.1"


@dataclass
class ResultsPage:
    """One GetRecords answer: its records and where the listing goes on."""

    records: list[Element]
    matched: int | None
    returned: int
    next_record: int | None
    ids: list[str] = field(default_factory=list)


class CswSource:
    """Source options: ``output_schema`` (iso19139, iso19115-3), ``type_names``, ``page_size`` (maxRecords,
    default 50), ``max_pages`` (10,000), ``constraint`` (CQL every request carries), ``modified_queryable``
    (``Modified``), ``incremental`` (true: ask for changed records only when the last harvest is known),
    ``page`` (the record page's template, ``{id}`` the file identifier)."""

    def __init__(self, source: Source, client: PoliteClient, settings: Any) -> None:
        self.source = source
        self.client = client
        self.mapping = load_mapping(source.mapping or ISO_MAPPING_REF)
        options = source.options
        schema = str(options.get("output_schema", "iso19139")).lower()
        if schema not in SCHEMAS:
            raise GatherError(f"unknown output_schema option {schema!r}; one of {', '.join(SCHEMAS)}")
        self.schema = schema
        self.type_names = str(options.get("type_names") or SCHEMAS[schema][0])
        self.page_size = _positive(options, "page_size", DEFAULT_PAGE_SIZE)
        self.max_pages = _positive(options, "max_pages", DEFAULT_MAX_PAGES)
        self.constraint = str(options.get("constraint") or "").strip()
        self.queryable = str(options.get("modified_queryable") or "Modified")
        self.incremental = str(options.get("incremental", True)).strip().lower() not in ("false", "0", "no", "off")
        self.page_template = str(options["page"]) if options.get("page") else None
        self.expected_total: int | None = None
        self.complete_listing = True

    # --- gather --------------------------------------------------------------------------------
    def gather(self, since: datetime | None) -> Iterator[RemoteRef]:
        """Every record the catalogue lists (changed since ``since``, when given; see the module docstring)."""
        since = since if self.incremental else None
        self.complete_listing = since is None
        first, since = self._first_page(since)
        seen: set[str] = set()
        listings: dict[tuple[str, ...], int] = {}
        page, start, number = first, 1, 1
        while True:
            self._check_listing(page, start, number, listings)
            yield from self._refs(page, seen)
            following = self._next_start(page, start, number)
            if following is None:
                return
            number += 1
            if number > self.max_pages:
                raise GatherError(f"more than {self.max_pages:,} pages (source option max_pages); stopped at "
                                  f"startPosition={following}")
            page, start = self._read_page(following, number, self._constraint(since)), following

    def _first_page(self, since: datetime | None) -> tuple[ResultsPage, datetime | None]:
        """Page 1, and the ``since`` the listing goes on with: an incremental listing refused by the catalogue
        (it knows no such filter) is read in full."""
        try:
            return self._read_page(1, 1, self._constraint(since)), since
        except CatalogueException as exc:
            if since is None:
                raise
            log.warning("%s refused the changed-since filter (%s); reading the whole catalogue", self.source.id, exc)
            self.complete_listing = True
            return self._read_page(1, 1, self._constraint(None)), None

    def _constraint(self, since: datetime | None) -> str:
        parts = [f"({self.constraint})"] if self.constraint else []
        if since is not None:
            parts.append(f"{self.queryable} >= '{since.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}'")
        return " AND ".join(parts)

    def _params(self, start: int, constraint: str) -> dict[str, Any]:
        _, namespace, output_schema = SCHEMAS[self.schema]
        params: dict[str, Any] = {
            "service": "CSW", "version": "2.0.2", "request": "GetRecords", "typeNames": self.type_names,
            "namespace": namespace, "resultType": "results", "elementSetName": "full",
            "outputSchema": output_schema, "startPosition": start, "maxRecords": self.page_size,
        }
        if constraint:
            params.update(constraintLanguage="CQL_TEXT", constraint_language_version="1.1.0", constraint=constraint)
        return params

    def _read_page(self, start: int, number: int, constraint: str) -> ResultsPage:
        where = f"page {number} (startPosition={start})"
        try:
            response = self.client.get(self.source.url, params=self._params(start, constraint),
                                       headers={"Accept": ACCEPT})
        except FetchError as exc:
            raise GatherError(f"{where}: {exc}") from exc
        return read_results(response.content, response.headers.get("content-type", ""), response.url, where)

    def _check_listing(self, page: ResultsPage, start: int, number: int,
                       listings: dict[tuple[str, ...], int]) -> None:
        if number == 1:
            self.expected_total = page.matched if page.matched is not None else len(page.records)
        key = tuple(page.ids)
        if key and key in listings:
            raise GatherError(f"page {number} (startPosition={start}) lists the same {len(key)} records as page "
                              f"{listings[key]}: paging loop")
        listings[key] = number

    def _next_start(self, page: ResultsPage, start: int, number: int) -> int | None:
        """The next page's startPosition; None at the end of the listing."""
        following = page.next_record
        if following is None:  # nextRecord is mandatory, but not every catalogue sends it
            following = start + page.returned if page.returned else 0
        if following == 0 or (page.matched is not None and following > page.matched):
            return None
        if following <= start:
            raise GatherError(f"page {number} (startPosition={start}) answers nextRecord={following}, which does "
                              "not advance: paging loop")
        if not page.records:
            raise GatherError(f"page {number} (startPosition={start}) holds no records, yet nextRecord={following} "
                              f"of {page.matched} matched: the listing is incomplete")
        return following

    def _refs(self, page: ResultsPage, seen: set[str]) -> Iterator[RemoteRef]:
        for element, remote_id in zip(page.records, page.ids):
            if remote_id in seen:
                continue
            seen.add(remote_id)
            yield RemoteRef(remote_id, None, self.record_url(remote_id), self._payload(element, remote_id))

    def _payload(self, element: Element, remote_id: str) -> dict[str, Any]:
        schema = schema_of(element)
        if schema is None:
            return {"id": remote_id, "error": f"{local(element.tag)} is not an ISO 19139 or ISO 19115-3 record "
                                              "(the catalogue ignored outputSchema)"}
        if record_id(element) is None:
            return {"id": remote_id, "error": "the record has no fileIdentifier: it cannot be followed from one "
                                              "harvest to the next"}
        return {"id": remote_id, "schema": schema, "xml": etree.tostring(element, encoding="unicode"),
                "datestamp": datestamp(element), "page": self.record_page(remote_id)}

    # --- fetch ---------------------------------------------------------------------------------
    def fetch(self, ref: RemoteRef) -> Any:
        if ref.payload is None:
            raise FetchError(f"{ref.remote_id}: GetRecords gives every record with its listing", ref.url)
        return ref.payload

    def original_url(self, ref: RemoteRef, payload: Any) -> str | None:
        page = payload.get("page") if isinstance(payload, dict) else None
        return str(page) if page else self.record_page(ref.remote_id)

    def record_url(self, remote_id: str) -> str:
        """The record's GetRecordById request."""
        query = {"service": "CSW", "version": "2.0.2", "request": "GetRecordById", "id": remote_id,
                 "outputSchema": SCHEMAS[self.schema][2], "elementSetName": "full"}
        separator = "&" if "?" in self.source.url else "?"
        return self.source.url + separator + urlencode(query)

    def record_page(self, remote_id: str) -> str:
        """The ``page`` option's template with the record's id, else its GetRecordById URL."""
        if self.page_template:
            return self.page_template.replace("{id}", quote(remote_id, safe=""))
        return self.record_url(remote_id)


class CatalogueException(GatherError):
    """The catalogue answered an ows:ExceptionReport."""


def read_results(body: bytes, content_type: str, url: str, where: str) -> ResultsPage:
    """A GetRecords answer's records and paging numbers; GatherError naming ``where`` and the reason."""
    try:
        root = parse_xml(utf8_body(RdfDocument(url, body, content_type), RdfFormat.RDF_XML))
    except UnsafeXml as exc:
        raise GatherError(f"{where} ({url}): {exc}") from exc
    except etree.XMLSyntaxError as exc:
        raise GatherError(f"{where} ({url}) is not well-formed XML: {exc}") from exc
    if local(root.tag) == "ExceptionReport":
        raise CatalogueException(f"{where}: the catalogue answered an exception: {exception_text(root)}")
    results = next((e for e in find_all(root, "SearchResults")), None)
    if local(root.tag) != "GetRecordsResponse" or results is None:
        raise GatherError(f"{where} ({url}) is no CSW GetRecordsResponse (root element {local(root.tag)})")
    records = list(children(results, "*"))
    return ResultsPage(records, _number(results, "numberOfRecordsMatched", where),
                       _number(results, "numberOfRecordsReturned", where) or len(records),
                       _number(results, "nextRecord", where), [_remote_id(r) for r in records])


def exception_text(root: Element) -> str:
    """The codes and texts of an ows:ExceptionReport."""
    parts = []
    for exception in find_all(root, "Exception"):
        texts = " ".join((t.text or "").strip() for t in find_all(exception, "ExceptionText"))
        label = exception.get("exceptionCode") or "exception"
        locator = exception.get("locator")
        parts.append(f"{label}{f' ({locator})' if locator else ''}: {texts or 'no ExceptionText'}")
    return "; ".join(parts) or "an empty ExceptionReport"


def _positive(options: dict[str, Any], name: str, default: int) -> int:
    try:
        value = int(options.get(name, default))
    except (TypeError, ValueError):
        value = 0
    if value < 1:
        raise GatherError(f"the source option {name} should be a whole number of at least 1, not "
                          f"{options.get(name)!r}")
    return value


def _number(element: Element, name: str, where: str) -> int | None:
    value = (element.get(name) or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise GatherError(f"{where}: {name}={value[:40]!r} is not a number") from None


def _remote_id(element: Element) -> str:
    """The record's identifier (ISO, or a Dublin Core csw:Record's); a content hash when it has none."""
    found = record_id(element) if schema_of(element) else None
    if found is None:
        found = next(((e.text or "").strip() for e in children(element, "identifier") if (e.text or "").strip()),
                     None)
    if found is None:
        digest = hashlib.sha1(etree.tostring(element)).hexdigest()[:16]
        return f"record-without-identifier:{digest}"
    return found
