"""OpenDataSoft portals: gather with the Explore API v2.1, or read the portal's DCAT export.

The Explore API lists datasets with their whole metadata (``/api/explore/v2.1/catalog/datasets``, ``limit``
at most 100 by ``offset``), but pages only through the first 10,000 (``offset + limit`` ≤ 10,000): a catalog
that says it has more (``total_count``), or that reaches the limit, is read from the catalog's JSON export
(``/catalog/exports/json``, one answer) instead. There is no reliable "changed since" query, so every gather
lists everything; ``modified`` and ``metadata_processed`` together are the change marker, so unchanged
datasets cost nothing more.

With the source option ``dcat = true`` the catalog is read from the portal's DCAT export
(``/catalog/exports/dcat``, or ``dcat_ap_de`` … with ``dcat_format``) by the dcat_rdf source type;
``dcat = "auto"`` reads the export when the portal serves it and the Explore API otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from harvester.errors import FetchError, GatherError, HTTPStatusError
from harvester.http import PoliteClient
from harvester.mapping import load_mapping
from harvester.model import RemoteRef, Source
from harvester.sources.dcat_rdf import DcatRdfSource
from harvester.sources.opendatasoft_mapping import (
    EXPLORE_PATH,
    ODS_MAPPING_REF,
    dataset_id,
    is_explore_payload,
    landing_page,
)
from harvester.sources.socrata_api import (
    DEFAULT_MAX_PAGES,
    PagedListing,
    count_at,
    get_json,
    list_at,
)

#: the Explore API pages through this many datasets at most (offset + limit)
OFFSET_LIMIT = 10_000
MAX_PAGE_SIZE = 100
DCAT_FORMATS = ("", "_ap_ch", "_ap_de", "_ap_se", "_ap_sp", "_ap_it", "_ap_vl", "_ap_benap")
#: answers of a portal whose DCAT export is not switched on: with ``dcat = "auto"``, read the Explore API
EXPORT_UNAVAILABLE = frozenset({400, 401, 403, 404, 405, 406, 501})


class _PastOffsetLimit(GatherError):
    """The listing reached the Explore API's offset limit: the rest comes from the catalog export."""


class OpenDataSoftSource:
    """Source options: ``dcat`` (false, true, auto), ``dcat_format`` (``_ap_de`` …), ``format`` (the DCAT
    export's syntax when its media type is wrong), ``where`` (an ODSQL filter of the catalog),
    ``page_size`` (at most 100, the default), ``max_pages`` (default 10,000)."""

    def __init__(self, source: Source, client: PoliteClient, settings: Any) -> None:
        self.source = source
        self.client = client
        self.mapping = load_mapping(source.mapping or ODS_MAPPING_REF)
        options = source.options
        self.portal = source.url.split(EXPLORE_PATH, 1)[0].split("?", 1)[0].rstrip("/")
        self.size = min(MAX_PAGE_SIZE, max(1, int(options.get("page_size", MAX_PAGE_SIZE))))
        self.max_pages = int(options.get("max_pages", DEFAULT_MAX_PAGES))
        self.where = str(options["where"]) if options.get("where") else None
        self.dcat_mode = _dcat_mode(options.get("dcat", False))
        self.dcat = self._dcat_source(str(options.get("dcat_format") or ""))
        self._total: int | None = None
        self._reading_dcat = False

    def _dcat_source(self, dcat_format: str) -> DcatRdfSource | None:
        if self.dcat_mode == "false":
            return None
        if dcat_format not in DCAT_FORMATS:
            raise GatherError(f"source option dcat_format {dcat_format!r}: one of "
                              f"{', '.join(f or '(none)' for f in DCAT_FORMATS)}")
        url = f"{self.portal}{EXPLORE_PATH}/catalog/exports/dcat{dcat_format}"
        return DcatRdfSource(dataclasses.replace(self.source, url=url, mapping=None), self.client, None)

    @property
    def expected_total(self) -> int | None:
        return self.dcat.expected_total if self._reading_dcat and self.dcat is not None else self._total

    # --- gather --------------------------------------------------------------------------------
    def gather(self, since: datetime | None) -> Iterator[RemoteRef]:
        """Every dataset of the catalog; ``since`` is not used (see the module docstring)."""
        if self.dcat is not None:
            refs = self.dcat.gather(since)
            first = self._first_dcat_ref(refs)
            if first is not None:
                self._reading_dcat = True
                yield first
                yield from refs
                return
        self._reading_dcat = False
        yield from self._gather_explore()

    def _first_dcat_ref(self, refs: Iterator[RemoteRef]) -> RemoteRef | None:
        """The export's first dataset; None (read the Explore API) when ``dcat = "auto"`` and the portal
        does not serve the export, or serves an empty one."""
        try:
            first = next(refs, None)
        except GatherError as exc:
            cause = exc.__cause__
            if self.dcat_mode == "auto" and isinstance(cause, HTTPStatusError) and \
                    cause.status in EXPORT_UNAVAILABLE:
                return None
            raise GatherError(f"the DCAT export: {exc}") from exc
        if first is None and self.dcat_mode == "true":
            raise GatherError(f"the DCAT export {self.dcat.source.url if self.dcat else ''} lists no dataset")
        return first

    def _gather_explore(self) -> Iterator[RemoteRef]:
        seen: set[str] = set()
        params: dict[str, Any] = {"limit": self.size, **({"where": self.where} if self.where else {})}
        listing = PagedListing(self.client, f"{self.portal}{EXPLORE_PATH}/catalog/datasets", params, self.size,
                               self._offset, lambda doc: list_at(doc, "results"),
                               lambda doc: count_at(doc, "total_count"), dataset_id, self.max_pages)
        try:
            for page in listing.pages():
                if page.number == 1:
                    self._total = page.total
                    if page.total is not None and page.total > OFFSET_LIMIT:
                        raise _PastOffsetLimit(f"the catalog lists {page.total:,} datasets")
                yield from self._refs(page.records, f"page {page.number}", seen)
        except _PastOffsetLimit as exc:
            yield from self._refs(self._catalog_export(str(exc)), "the catalog export", seen)

    def _offset(self, number: int, count: int, previous: list[Any]) -> dict[str, Any]:
        if count + self.size > OFFSET_LIMIT:
            raise _PastOffsetLimit(f"the listing reached offset {count:,}")
        return {"offset": count}

    def _catalog_export(self, why: str) -> list[Any]:
        """Every dataset in one answer, for catalogs past the Explore API's offset limit."""
        url = f"{self.portal}{EXPLORE_PATH}/catalog/exports/json"
        try:
            _, document = get_json(self.client, url, {"where": self.where} if self.where else None)
        except FetchError as exc:
            raise GatherError(f"{why}, more than the Explore API pages through (offset + limit ≤ "
                              f"{OFFSET_LIMIT:,}), and its JSON export failed: {exc}") from exc
        if not isinstance(document, list):
            raise GatherError(f"{why}, and its JSON export {url} is not a list of datasets")
        self._total = len(document)
        return document

    def _refs(self, records: list[Any], where: str, seen: set[str]) -> Iterator[RemoteRef]:
        for n, record in enumerate(records, 1):
            remote_id = dataset_id(record)
            if remote_id is None:
                reason = "has no dataset_id" if isinstance(record, dict) else "is not an object"
                yield RemoteRef(f"{where}, record {n} (no id)", None, None,
                                {"_error": f"{where}, record {n} {reason}"})
            elif remote_id not in seen:
                seen.add(remote_id)
                payload = {**record, "_portal": self.portal}
                yield RemoteRef(remote_id, self.mapping.change_marker(payload),
                                landing_page(self.portal, remote_id), payload)

    # --- fetch ---------------------------------------------------------------------------------
    def fetch(self, ref: RemoteRef) -> Any:
        if ref.payload is None:
            raise FetchError(f"{ref.remote_id}: the catalog gives every dataset with its listing", ref.url)
        return ref.payload

    def original_url(self, ref: RemoteRef, payload: Any) -> str | None:
        """The dataset's page, ``https://<portal>/explore/dataset/<id>/`` (DCAT: its landing page)."""
        if not is_explore_payload(payload) and self.dcat is not None:
            return self.dcat.original_url(ref, payload)
        return landing_page(self.portal, ref.remote_id)


def _dcat_mode(value: Any) -> str:
    text = str(value).strip().lower()
    if text in ("auto",):
        return "auto"
    if text in ("1", "true", "yes", "on"):
        return "true"
    if text in ("0", "false", "no", "off", "", "none"):
        return "false"
    raise GatherError(f"source option dcat {value!r}: true, false or auto")
