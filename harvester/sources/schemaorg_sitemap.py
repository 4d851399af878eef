"""Reading a site's sitemaps (sitemaps.org 0.9): the pages they list, each with its ``lastmod``.

A sitemap is a ``urlset`` (pages), a ``sitemapindex`` (more sitemaps), gzipped or not, or a text file of one
URL a line. Every sitemap is read once: an index that names itself or an earlier sitemap is not read again,
so a loop of indexes ends. More than ``max_sitemaps`` sitemaps, or more than ``max_pages`` pages, fail the
gather (a site whose sitemaps never end). Sitemaps are XML read by harvester.sources.oai_xml (no DOCTYPE, no
entity expansion); a sitemap that cannot be read fails the gather, so no page is deleted for it.
"""

from __future__ import annotations

import logging
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin

from harvester.errors import FetchError, GatherError
from harvester.http import PoliteClient
from harvester.sources.oai_xml import (
    Element,
    UnreadableXml,
    local_name,
    parse_untrusted_xml,
    text_of,
)

log = logging.getLogger(__name__)

DEFAULT_MAX_SITEMAPS = 1_000
DEFAULT_MAX_PAGES = 100_000
ACCEPT = "application/xml, text/xml;q=0.9, text/plain;q=0.5, */*;q=0.1"
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class ListedPage:
    url: str
    lastmod: str | None = None


def sitemap_pages(client: PoliteClient, url: str, max_sitemaps: int = DEFAULT_MAX_SITEMAPS,
                  max_pages: int = DEFAULT_MAX_PAGES) -> list[ListedPage]:
    """Every page the sitemap at ``url`` lists (through its indexes), each once, in order."""
    pages: dict[str, ListedPage] = {}
    queue, read = deque([url]), set()
    while queue:
        sitemap = queue.popleft()
        key = urldefrag(sitemap)[0]
        if key in read:
            log.info("sitemap %s is named again; it was read once already", sitemap)
            continue
        read.add(key)
        if len(read) > max_sitemaps:
            raise GatherError(f"more than {max_sitemaps:,} sitemaps (source option max_sitemaps); "
                              f"stopped at {sitemap}")
        for kind, found in _entries(client, sitemap, len(read)):
            if kind == "sitemap":
                queue.append(found.url)
            elif found.url not in pages:
                pages[found.url] = found
                if len(pages) > max_pages:
                    raise GatherError(f"the sitemaps list more than {max_pages:,} pages (source option "
                                      f"max_pages); stopped in {sitemap}")
    return list(pages.values())


def _entries(client: PoliteClient, url: str, number: int) -> Iterator[tuple[str, ListedPage]]:
    """("sitemap" | "page", entry) of one sitemap; GatherError when it cannot be read."""
    try:
        response = client.get(url, headers={"Accept": ACCEPT})
    except FetchError as exc:
        raise GatherError(f"sitemap {number} ({url}): {exc}") from exc
    body = _gunzipped(response.content, url, client.max_bytes)
    if not body.lstrip().startswith(b"<"):
        lines = _text_lines(body)
        if not lines:
            raise GatherError(f"sitemap {number} ({url}) is neither XML nor a list of web addresses")
        yield from (("page", ListedPage(urljoin(url, line))) for line in lines)
        return
    try:
        root = parse_untrusted_xml(body, response.url, response.headers.get("content-type", ""))
    except UnreadableXml as exc:
        raise GatherError(f"sitemap {number}: {exc}") from exc
    kind = local_name(root)
    if kind not in ("urlset", "sitemapindex"):
        raise GatherError(f"sitemap {number} ({url}) is neither a urlset nor a sitemapindex (its root element "
                          f"is {kind or root.tag!r})")
    for entry in root:
        loc = text_of(_child(entry, "loc"))
        if loc and local_name(entry) in ("url", "sitemap"):
            listed = ListedPage(urljoin(response.url, loc), text_of(_child(entry, "lastmod")) or None)
            yield ("sitemap" if kind == "sitemapindex" else "page"), listed


def _child(entry: Element, name: str) -> Element | None:
    return next((c for c in entry if local_name(c) == name), None)


def _text_lines(body: bytes) -> list[str]:
    lines = body.decode("utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip().startswith(("http://", "https://"))]


def _gunzipped(body: bytes, url: str, max_bytes: int) -> bytes:
    """A gzipped sitemap (``sitemap.xml.gz``) unpacked, at most ``max_bytes`` of it (a gzip bomb stops there)."""
    if not body.startswith(_GZIP_MAGIC):
        return body
    unpacker = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        out = unpacker.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise GatherError(f"sitemap {url} is not valid gzip: {exc}") from exc
    if len(out) > max_bytes:
        raise GatherError(f"sitemap {url} unpacks to more than {max_bytes:,} bytes (http.max_bytes)")
    if not unpacker.eof:
        raise GatherError(f"sitemap {url} is not valid gzip: the stream is cut short")
    return out

