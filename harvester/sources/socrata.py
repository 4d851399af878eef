"""Socrata portals: gather with the Discovery API (``/api/catalog/v1``), or with the older views API.

The Discovery API lists each dataset with its whole description (``resource``, ``classification``,
``metadata``, ``permalink``), ``limit`` at a time by ``offset`` (or by ``scroll_id``, the last id of the
previous page, for catalogs past the API's offset limit). It has no reliable "changed since" filter, so every
gather lists everything; ``resource.updatedAt`` is the change marker, and a dataset whose marker is as before
costs nothing more. With the source option ``api = "views"`` the listing is ``/api/views.json`` (page by
page), and each changed dataset is then read from ``/api/views/{id}.json`` (epoch-second timestamps).

The mapping is harvester.sources.socrata_mapping (mappings/socrata.yaml behind a preparation of each dataset).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from harvester.errors import FetchError, GatherError
from harvester.http import PoliteClient
from harvester.mapping import load_mapping
from harvester.model import RemoteRef, Source
from harvester.sources.socrata_api import (
    DEFAULT_MAX_PAGES,
    PagedListing,
    count_at,
    get_json,
    list_at,
)
from harvester.sources.socrata_mapping import (
    SOCRATA_MAPPING_REF,
    discovery_id,
    view_marker,
)

DISCOVERY_PATH = "/api/catalog/v1"
VIEWS_PATH = "/api/views"
DEFAULT_PAGE_SIZE = 100
APIS = ("catalog", "views")
PAGING = ("offset", "scroll")


class SocrataSource:
    """Source options: ``domain`` (default: the URL's host), ``api`` (catalog, views), ``paging`` (offset,
    scroll), ``page_size`` (default 100), ``max_pages`` (default 10,000), ``only`` (default datasets)."""

    def __init__(self, source: Source, client: PoliteClient, settings: Any) -> None:
        self.source = source
        self.client = client
        self.mapping = load_mapping(source.mapping or SOCRATA_MAPPING_REF)
        options = source.options
        self.base = _portal_base(source.url)
        self.domain = str(options.get("domain") or urlsplit(source.url).hostname or "")
        self.api = str(options.get("api", "catalog"))
        self.paging = str(options.get("paging", "offset"))
        if self.api not in APIS or self.paging not in PAGING:
            raise GatherError(f"source options: api should be one of {', '.join(APIS)} and paging one of "
                              f"{', '.join(PAGING)} (got api={self.api!r}, paging={self.paging!r})")
        self.size = max(1, int(options.get("page_size", DEFAULT_PAGE_SIZE)))
        self.max_pages = int(options.get("max_pages", DEFAULT_MAX_PAGES))
        self.only = str(options.get("only", "datasets"))
        self.expected_total: int | None = None

    # --- gather --------------------------------------------------------------------------------
    def gather(self, since: datetime | None) -> Iterator[RemoteRef]:
        """Every dataset of the domain; ``since`` is not used (see the module docstring)."""
        seen: set[str] = set()
        listing = self._views_listing() if self.api == "views" else self._discovery_listing()
        for page in listing.pages():
            if self.expected_total is None:
                self.expected_total = page.total
            for n, record in enumerate(page.records, 1):
                ref = self._view_ref(record) if self.api == "views" else self._discovery_ref(record)
                if ref is None:
                    yield _broken(page.number, n, record)
                elif ref.remote_id not in seen:
                    seen.add(ref.remote_id)
                    yield ref

    def _discovery_listing(self) -> PagedListing:
        params = {"domains": self.domain, "search_context": self.domain, "only": self.only, "limit": self.size}
        return PagedListing(self.client, self.base + DISCOVERY_PATH, params, self.size, self._discovery_step,
                            lambda doc: list_at(doc, "results"), lambda doc: count_at(doc, "resultSetSize"),
                            discovery_id, self.max_pages)

    def _discovery_step(self, number: int, count: int, previous: list[Any]) -> dict[str, Any]:
        if self.paging == "offset":
            return {"offset": count}
        # results come sorted by id when scroll_id is given: the first page asks for the ids after ""
        return {"scroll_id": (discovery_id(previous[-1]) or "") if previous else ""}

    def _views_listing(self) -> PagedListing:
        def view_id(view: Any) -> str | None:
            return str(view["id"]) if isinstance(view, dict) and view.get("id") else None

        return PagedListing(self.client, self.base + VIEWS_PATH + ".json", {"limit": self.size}, self.size,
                            lambda number, count, previous: {"page": number},
                            lambda doc: doc if isinstance(doc, list) else list_at(doc, "results"),
                            lambda doc: count_at(doc, "count"), view_id, self.max_pages)

    def _discovery_ref(self, record: Any) -> RemoteRef | None:
        remote_id = discovery_id(record)
        if remote_id is None:
            return None
        metadata = record.get("metadata")
        if not isinstance(metadata, dict) or not metadata.get("domain"):
            # the mapping builds the export URLs from the domain: a record must carry it
            record = {**record, "metadata": {**(metadata if isinstance(metadata, dict) else {}),
                                             "domain": self.domain}}
        return RemoteRef(remote_id, self.mapping.change_marker(record), _link(record.get("permalink")), record)

    def _view_ref(self, view: Any) -> RemoteRef | None:
        if not isinstance(view, dict) or not view.get("id"):
            return None
        remote_id = str(view["id"])
        return RemoteRef(remote_id, view_marker(view), self._permalink(remote_id))

    # --- fetch ---------------------------------------------------------------------------------
    def fetch(self, ref: RemoteRef) -> Any:
        """The listed payload (Discovery API), else ``/api/views/{id}.json`` with the portal's domain."""
        if ref.payload is not None:
            return ref.payload
        url, view = get_json(self.client, f"{self.base}{VIEWS_PATH}/{quote(ref.remote_id, safe='')}.json")
        if not isinstance(view, dict) or not view.get("id"):
            raise FetchError(f"{url} is not a view's metadata (an object with an id)", url)
        return {**view, "_domain": self.domain}

    def original_url(self, ref: RemoteRef, payload: Any) -> str | None:
        """The dataset's permalink (``https://<domain>/d/<id>``)."""
        if isinstance(payload, dict) and _link(payload.get("permalink")):
            return str(payload["permalink"])
        return ref.url or self._permalink(ref.remote_id)

    def _permalink(self, remote_id: str) -> str:
        return f"https://{self.domain}/d/{quote(remote_id, safe='')}"


def _portal_base(url: str) -> str:
    """The portal's root: the source URL may name the API itself (``…/api/catalog/v1``)."""
    for path in (DISCOVERY_PATH, VIEWS_PATH):
        if path in url:
            return url.split(path, 1)[0].rstrip("/")
    return url.split("?", 1)[0].rstrip("/")


def _link(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def _broken(page: int, n: int, record: Any) -> RemoteRef:
    """A listed entry without an id fails alone, named by where it was listed."""
    where = f"page {page}, record {n}"
    resource = record.get("resource", record) if isinstance(record, dict) else None
    name = resource.get("name") if isinstance(resource, dict) else None
    label = f"{where} ({str(name)[:80]!r})" if isinstance(name, str) and name else where
    reason = "has no id" if isinstance(record, dict) else "is not an object"
    return RemoteRef(f"{where} (no id)", None, None, {"_error": f"{label} {reason}"})
