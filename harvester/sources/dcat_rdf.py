"""DCAT RDF feeds (Turtle, RDF/XML, JSON-LD, N-Triples, N-Quads, TriG): a whole-catalog file, or pages
linked by Hydra.

Paging follows ``hydra:next`` (``hydra:PartialCollectionView``) or ``hydra:nextPage`` (``hydra:PagedCollection``,
as ckanext-dcat writes it, often as a literal). A next link back to a page already read, a page that lists
the very datasets an earlier page listed, or more than ``max_pages`` pages stops the gather with an error.

A DCAT feed offers no listing of changes, so every gather reads the whole feed; each dataset comes with its
description as payload (``{"id", "node", "ntriples"}``, see harvester.sources.rdf_extract), and the job's
content hash tells the unchanged ones, which then cost no mapping and no store write. The mapping is
harvester.sources.rdf_normalise (DCAT-AP 1/2/3 and DCAT-AP.de → DCAT-AP 3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urldefrag, urljoin

from harvester.dcat.rdf import DCAT
from harvester.errors import FetchError, GatherError
from harvester.http import PoliteClient
from harvester.mapping import load_mapping
from harvester.model import RemoteRef, Source
from harvester.sources.rdf_extract import (
    Description,
    dataset_nodes,
    identifier_of,
    iter_descriptions,
)
from harvester.sources.rdf_read import (
    ACCEPT,
    RdfDocument,
    ScratchGraph,
    load_document,
    objects,
)

HYDRA = "http://www.w3.org/ns/hydra/core#"
NEXT_LINKS = (HYDRA + "next", HYDRA + "nextPage")
TOTAL_ITEMS = HYDRA + "totalItems"
DEFAULT_MAX_PAGES = 10_000
RDF_MAPPING = "python:harvester.sources.rdf_normalise:RDF_MAPPING"
_LANDING_PAGE = f"<{DCAT}landingPage>"


class DcatRdfSource:
    """Source options: ``format`` (turtle, rdfxml, jsonld, ntriples, nquads, trig) when the portal's media type
    is wrong; ``max_pages`` (default 10,000)."""

    def __init__(self, source: Source, client: PoliteClient, settings: Any) -> None:
        self.source = source
        self.client = client
        self.mapping = load_mapping(source.mapping or RDF_MAPPING)
        self.syntax = str(source.options["format"]) if source.options.get("format") else None
        self.max_pages = int(source.options.get("max_pages", DEFAULT_MAX_PAGES))
        self.expected_total: int | None = None

    # --- gather --------------------------------------------------------------------------------
    def gather(self, since: datetime | None) -> Iterator[RemoteRef]:
        """Every dataset of every page; ``since`` is not used (the feed lists no changes, see the docstring)."""
        seen: set[str] = set()
        visited: dict[str, int] = {}
        listings: dict[frozenset[str], int] = {}
        url: str | None = self.source.url
        number = 0
        while url is not None:
            number += 1
            if number > self.max_pages:
                raise GatherError(f"more than {self.max_pages:,} pages (source option max_pages); stopped at {url}")
            visited[_page_key(url)] = number
            with self._read_page(url, number) as page:
                visited.setdefault(_page_key(page.url), number)
                self._check_listing(page, url, number, listings)
                next_url = self._next_link(page, url)
                if number == 1 and self.expected_total is None and next_url is None:
                    self.expected_total = len(dataset_nodes(page.store))
                for description in iter_descriptions(page.store):
                    yield from self._ref(description, seen)
            if next_url is not None and _page_key(next_url) in visited:
                raise GatherError(f"page {number} ({url}) links to page {visited[_page_key(next_url)]} "
                                  f"({next_url}) again: paging loop")
            url = next_url

    def _read_page(self, url: str, number: int) -> ScratchGraph:
        try:
            response = self.client.get(url, headers={"Accept": ACCEPT})
        except FetchError as exc:
            raise GatherError(f"page {number} ({url}): {exc}") from exc
        return load_document(RdfDocument(response.url, response.content, response.headers.get("content-type", "")),
                             self.syntax)

    def _check_listing(self, page: ScratchGraph, url: str, number: int,
                       listings: dict[frozenset[str], int]) -> None:
        """A page naming exactly the datasets of an earlier page is the same page again: a paging loop."""
        ids = frozenset(str(identifier_of(page.store, node) or node) for node in dataset_nodes(page.store))
        if ids and ids in listings:
            raise GatherError(f"page {number} ({url}) lists the same {len(ids)} datasets as page "
                              f"{listings[ids]}: paging loop")
        listings[ids] = number
        totals = [value for _, value in objects(page, TOTAL_ITEMS) if value.strip().isdigit()]
        if totals and self.expected_total is None:
            self.expected_total = int(totals[0])

    def _next_link(self, page: ScratchGraph, url: str) -> str | None:
        """The page's hydra next link (its own view's first, when several resources carry one)."""
        links = sorted((subject not in (url, page.url), value)
                       for predicate in NEXT_LINKS for subject, value in objects(page, predicate))
        for _, value in links:
            target = urljoin(url, value.strip())
            if target.startswith(("http://", "https://")):
                return target
        return None

    def _ref(self, description: Description, seen: set[str]) -> Iterator[RemoteRef]:
        remote_id = description.remote_id
        if remote_id is None:
            remote_id = "blank:" + hashlib.sha1(description.ntriples.encode("utf-8")).hexdigest()[:16]
            payload: dict[str, Any] = {"id": remote_id, "error": "a blank-node dataset without dct:identifier "
                                       "cannot be followed from one harvest to the next"}
        elif description.error is not None:
            payload = {"id": remote_id, "error": description.error}
        else:
            payload = {"id": remote_id, "node": description.node, "ntriples": description.ntriples}
        if remote_id not in seen:
            seen.add(remote_id)
            yield RemoteRef(remote_id, None, None, payload)

    # --- fetch ---------------------------------------------------------------------------------
    def fetch(self, ref: RemoteRef) -> Any:
        if ref.payload is None:
            raise FetchError(f"{ref.remote_id}: a DCAT feed gives every dataset with its listing", ref.url)
        return ref.payload

    def original_url(self, ref: RemoteRef, payload: Any) -> str | None:
        """The dataset's landing page, else its IRI when that is a web address."""
        if isinstance(payload, dict) and payload.get("ntriples"):
            head = f"{payload.get('node')} {_LANDING_PAGE} <"
            for line in str(payload["ntriples"]).splitlines():
                if line.startswith(head):
                    return line[len(head):].split(">", 1)[0]
        return ref.remote_id if ref.remote_id.startswith(("http://", "https://")) else None


def _page_key(url: str) -> str:
    return urldefrag(url)[0]
