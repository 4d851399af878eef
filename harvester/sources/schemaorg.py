"""schema.org Dataset pages: the pages a sitemap lists (or the source option ``urls``), each read for the
``Dataset``s its JSON-LD, microdata or RDFa describes.

The gather reads the sitemaps (harvester.sources.schemaorg_sitemap), then every page (conditionally: a page
unchanged since the last harvest answers 304 and costs no download), and yields one record per dataset, with
its description as payload and the page's ``lastmod`` as change marker: a page whose lastmod is unchanged is
not mapped again. The datasets of a page and their remote ids are harvester.sources.schemaorg_extract's; the
mapping is harvester.sources.schemaorg_map.

A page that cannot be read (HTTP error, too large, broken JSON-LD) fails as one record (its page URL) and
keeps what it gave before: as its datasets are then unknown, that harvest deletes nothing. A page without any
Dataset is reported as a failed record too (the source option ``include`` keeps a sitemap's other pages out).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from harvester.errors import FetchError, GatherError
from harvester.http import PoliteClient
from harvester.mapping import load_mapping
from harvester.model import RemoteRef, Source
from harvester.sources.listing import response_text
from harvester.sources.oaipmh import positive_option
from harvester.sources.schemaorg_extract import (
    TooManyNodes,
    assign_remote_ids,
    describe_types,
    find_datasets,
    normalise_items,
)
from harvester.sources.schemaorg_map import SCHEMAORG_MAPPING_REF
from harvester.sources.schemaorg_markup import PageMarkup, read_html, read_json_ld
from harvester.sources.schemaorg_sitemap import (
    DEFAULT_MAX_PAGES,
    DEFAULT_MAX_SITEMAPS,
    ListedPage,
    sitemap_pages,
)

ACCEPT = "text/html, application/xhtml+xml, application/ld+json;q=0.9, */*;q=0.5"


class SchemaOrgSource:
    """Source options: ``urls`` (page URLs to read instead of the sitemap at the source's URL: a list, or one
    string with URLs separated by spaces or commas), ``include`` (a regular expression a page URL must match to
    be read), ``max_pages`` (default 100,000), ``max_sitemaps`` (default 1,000)."""

    def __init__(self, source: Source, client: PoliteClient, settings: Any) -> None:
        self.source = source
        self.client = client
        self.mapping = load_mapping(source.mapping or SCHEMAORG_MAPPING_REF)
        options = source.options
        self.urls = _url_list(options.get("urls"))
        try:
            self.include = re.compile(str(options["include"])) if options.get("include") else None
        except re.error as exc:
            raise GatherError(f"source option include {options['include']!r} is not a regular expression: "
                              f"{exc}") from exc
        self.max_pages = positive_option(options, "max_pages", DEFAULT_MAX_PAGES)
        self.max_sitemaps = positive_option(options, "max_sitemaps", DEFAULT_MAX_SITEMAPS)
        self.expected_total: int | None = None
        self.complete_listing = True
        self._failed: dict[str, str] = {}  # remote id → why that page gave no record

    # --- gather --------------------------------------------------------------------------------
    def gather(self, since: datetime | None) -> Iterator[RemoteRef]:
        """Every dataset of every listed page, each once (``since`` is not used: pages carry lastmod)."""
        self.complete_listing = True
        pages = self._listed_pages()
        self.expected_total = len(pages)
        seen: set[str] = set()
        for page in pages:
            for ref in self._page_refs(page):
                if ref.remote_id not in seen:
                    seen.add(ref.remote_id)
                    yield ref

    def _listed_pages(self) -> list[ListedPage]:
        if self.urls:
            pages = list({url: ListedPage(url) for url in self.urls}.values())
            if len(pages) > self.max_pages:
                raise GatherError(f"the source option urls lists more than {self.max_pages:,} pages (max_pages)")
        else:
            pages = sitemap_pages(self.client, self.source.url, self.max_sitemaps, self.max_pages)
        return [p for p in pages if self.include is None or self.include.search(p.url)]

    def _page_refs(self, page: ListedPage) -> Iterator[RemoteRef]:
        """One ref per dataset of the page; a failed ref (the page URL) when it gives none."""
        try:
            markup, base = self._read_page(page.url)
            nodes = normalise_items(markup.items, base)
        except (FetchError, ValueError) as exc:  # TooManyNodes is a ValueError too
            self.complete_listing = False  # the page's datasets are unknown: delete none of them
            yield self._failed_ref(page.url, page, _reason(exc))
            return
        if markup.errors:
            self.complete_listing = False  # what the broken block described is unknown
        found = find_datasets(nodes)
        if not found:
            reason = "; ".join(markup.errors) or f"no schema.org Dataset on the page (it describes " \
                                                 f"{describe_types(nodes)})"
            yield self._failed_ref(page.url, page, reason)
            return
        assign_remote_ids(found, page.url)
        for dataset in found:
            payload = {"id": dataset.remote_id, "page": page.url, "dataset": dataset.node, "catalog": dataset.catalog}
            yield RemoteRef(dataset.remote_id, page.lastmod, page.url, payload)
        for number, error in enumerate(markup.errors, 1):
            yield self._failed_ref(f"{page.url} (unreadable markup {number})", page, error)

    def _read_page(self, url: str) -> tuple[PageMarkup, str]:
        """The page's structured data, and the URL its relative links resolve against."""
        response = self.client.get(url, headers={"Accept": ACCEPT}, conditional=True)
        text = response_text(response)
        content_type = response.headers.get("content-type", "").lower()
        if "json" in content_type or text.lstrip()[:1] in ("{", "["):
            return read_json_ld(text), response.url
        return read_html(text, response.url), response.url

    def _failed_ref(self, remote_id: str, page: ListedPage, reason: str) -> RemoteRef:
        self._failed[remote_id] = f"{page.url}: {reason}"
        return RemoteRef(remote_id, None, page.url, None)

    # --- fetch ---------------------------------------------------------------------------------
    def fetch(self, ref: RemoteRef) -> Any:
        if ref.remote_id in self._failed:
            raise FetchError(self._failed[ref.remote_id], ref.url)
        if ref.payload is None:
            raise FetchError(f"{ref.remote_id}: a page's datasets come with the gather", ref.url)
        return ref.payload

    def original_url(self, ref: RemoteRef, payload: Any) -> str | None:
        """The dataset's own ``url`` when it has one (a catalog page's entries do), else its page."""
        dataset = payload.get("dataset") if isinstance(payload, dict) else None
        for url in (dataset or {}).get("url", []):
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                return url
        return str(payload.get("page")) if isinstance(payload, dict) and payload.get("page") else ref.url


def _url_list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"[\s,]+", str(value or ""))
    return [str(u).strip() for u in items if str(u).strip()]


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if not isinstance(exc, TooManyNodes) else f"its structured data is too large: {text}"
