"""Custom portals: a home-made JSON API or HTML list pages, read by a mapping file alone (no code).

The source names its mapping (``--mapping jinan-sthjj`` → mappings/jinan-sthjj.yaml). ``gather`` pages
through the mapping's ``listing`` section; every listed record carries its listing entry as payload and the
value of the mapping's ``marker`` as its change marker, so unchanged records cost no further request.
``fetch`` requests the record's ``detail`` page (when the mapping has that section) and merges it in. A
listed entry that is not an object, or has no id, fails alone with that reason. See docs/sources.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from harvester.errors import FetchError, GatherError, MappingError
from harvester.http import PoliteClient
from harvester.mapping import load_mapping
from harvester.model import RemoteRef, Source
from harvester.sources.listing import (
    DetailSpec, Document, ListingPage, PortalSpec, compile_portal, fill_template, get_document, listing_pages,
)


class CustomSource:
    def __init__(self, source: Source, client: PoliteClient, settings: Any) -> None:
        self.source = source
        self.client = client
        if not source.mapping:
            raise GatherError(f"custom source {source.id!r} names no mapping file (--mapping NAME)")
        try:
            self.mapping = load_mapping(source.mapping)
            self.portal: PortalSpec = compile_portal(self.mapping.sections, self.mapping.name)
        except ValueError as exc:
            raise GatherError(f"mapping {source.mapping!r}: {exc}") from exc
        self.expected_total: int | None = None
        self._options = {k: v for k, v in source.options.items() if isinstance(v, (str, int, float))}
        self._base = source.url.rstrip("/")
        self._unreadable: dict[str, str] = {}  # listed entries that cannot be records → why

    # --- gather --------------------------------------------------------------------------------
    def gather(self, since: datetime | None) -> Iterator[RemoteRef]:
        """Every listed record (a custom portal has no change query: ``since`` is not used; the change
        marker spares the detail request of unchanged records)."""
        seen: set[str] = set()
        for page in listing_pages(self.portal.listing, self.client, {**self._options, "url": self._base}):
            if page.total is not None:
                self.expected_total = page.total
            for position, entry in enumerate(page.records, start=1):
                ref = self._ref(entry, page, position)
                if ref.remote_id not in seen:
                    seen.add(ref.remote_id)
                    yield ref

    def _ref(self, entry: Any, page: ListingPage, position: int) -> RemoteRef:
        where = f"listing page {page.number}, record {position}"
        if not isinstance(entry, dict):
            return self._unreadable_ref(where, f"{where} is {type(entry).__name__}, not an object", page.url)
        try:
            remote_id = self.mapping.remote_id(entry)
            marker = self.mapping.change_marker(entry)
        except MappingError as exc:
            return self._unreadable_ref(where, f"{where}: {exc}", page.url)
        if remote_id is None or not remote_id.strip():
            return self._unreadable_ref(where, f"{where} has no id ({_preview(entry)})", page.url)
        return RemoteRef(remote_id.strip(), marker, None, entry)

    def _unreadable_ref(self, where: str, reason: str, url: str) -> RemoteRef:
        self._unreadable[where] = reason
        return RemoteRef(where, None, url, None)

    # --- fetch ---------------------------------------------------------------------------------
    def fetch(self, ref: RemoteRef) -> Any:
        if ref.remote_id in self._unreadable:
            raise FetchError(self._unreadable[ref.remote_id], ref.url)
        record = ref.payload if isinstance(ref.payload, dict) else {}
        if self.portal.detail is None:
            return record
        return self._with_detail(self.portal.detail, ref.remote_id, record)

    def _with_detail(self, detail: DetailSpec, remote_id: str, record: dict[str, Any]) -> dict[str, Any]:
        values = self._values(remote_id, record)
        try:
            url = fill_template(detail.request.url, values)
            params = {k: fill_template(v, values) for k, v in detail.request.params.items()}
        except ValueError as exc:
            raise FetchError(f"detail of {remote_id}: {exc}") from exc
        document = get_document(self.client, detail.request, url, params)
        found = _detail_object(detail, document)
        return {**record, **found} if detail.merge is None else {**record, detail.merge: found}

    def _values(self, remote_id: str, record: dict[str, Any]) -> dict[str, Any]:
        """What a detail or page template can name: source options, the record's fields (also as
        ``record.NAME``), ``url`` (the source's URL) and ``id`` (the record's id)."""
        return {**self._options, **record, "record": record, "url": self._base, "id": remote_id}

    def original_url(self, ref: RemoteRef, payload: Any) -> str | None:
        record = payload if isinstance(payload, dict) else {}
        template = self.portal.page
        if template is None and self.portal.detail is not None and self.portal.detail.request.format == "html":
            template = self.portal.detail.request.url
        if template is None:
            return None
        try:
            return fill_template(template, self._values(ref.remote_id, record))
        except ValueError:
            return None


def _detail_object(detail: DetailSpec, document: Document) -> dict[str, Any]:
    """The detail's fields: the JSON object at ``select`` (or the page), plus what fields/rows/tables take."""
    root = document.root
    try:
        if detail.select is not None:
            found = [f for f in detail.select.elements(root) if f is not None]
            if not found:
                raise FetchError(f"{document.url}: the detail has nothing at {detail.select.text}", document.url)
            root = found[0]
        if detail.extract is None and not isinstance(root, dict):
            what = "HTML/XML: say what to take from it (detail.fields, rows, tables or children)" \
                if document.format != "json" else f"{type(root).__name__}, not an object"
            raise FetchError(f"{document.url}: the detail is {what}", document.url)
        extracted = detail.extract.apply(root, document.url) if detail.extract is not None else {}
    except ValueError as exc:
        raise FetchError(f"{document.url}: {exc}", document.url) from exc
    return {**(root if isinstance(root, dict) else {}), **extracted}


def _preview(entry: dict[str, Any]) -> str:
    """A short sight of an entry for an error message (harvested text: cut, on one line)."""
    text = ", ".join(f"{k}={str(v)[:30]!r}" for k, v in list(entry.items())[:4])
    return text[:160] or "an empty object"
