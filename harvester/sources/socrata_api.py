"""Reading a JSON catalog API page by page: Socrata's Discovery API and views API, OpenDataSoft's Explore API.

``get_json`` reads one answer: text that is valid UTF-8 is read as UTF-8 whatever its label, other bytes by the
declared charset, then GB18030; an HTTP error answer is reported with the portal's own explanation from its
JSON body (``{"message": "You must be logged in…"}``). ``read_pages`` walks the pages of a listing and stops,
with a GatherError that deletes nothing, at the first page that cannot be read, at a page listing only
datasets already listed (a portal that ignores the paging parameter: a paging loop), and past ``max_pages``.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from harvester.errors import FetchError, GatherError, HTTPStatusError
from harvester.http import PoliteClient
from harvester.sources.rdf_read import charset_of, is_utf8, transcode_to_utf8

DEFAULT_MAX_PAGES = 10_000
ACCEPT_JSON = {"Accept": "application/json"}
_MESSAGE_KEYS = ("message", "error", "errorMessage", "detail", "reason")


def get_json(client: PoliteClient, url: str, params: dict[str, Any] | None = None) -> tuple[str, Any]:
    """(the answer's URL, its parsed JSON); FetchError saying why it cannot be had."""
    try:
        response = client.get(url, params=params, headers=ACCEPT_JSON)
    except HTTPStatusError as exc:
        said = portal_message(exc.body)
        raise FetchError(f"{exc}: {said}" if said else str(exc), exc.url) from exc
    body = response.content.removeprefix(b"\xef\xbb\xbf")
    try:
        if not is_utf8(body) and not _utf8_cut_short(body):
            body = transcode_to_utf8(body, charset_of(response.headers.get("content-type", "")), response.url)
    except GatherError as exc:
        raise FetchError(str(exc), response.url) from exc
    try:
        return response.url, orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FetchError(f"{response.url} is not valid JSON: {exc}", response.url) from exc


def _utf8_cut_short(body: bytes) -> bool:
    """UTF-8 but for a character cut at the very end: a truncated answer, to be reported as such (not as a
    charset it would not be in either)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
    except UnicodeDecodeError:
        return False
    return True


def portal_message(body: bytes | Any) -> str:
    """What a JSON error answer says (``message``, ``error``, nested ``{"error": {"message"}}``), else ""."""
    document = body
    if isinstance(body, bytes):
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            return ""
    if not isinstance(document, dict):
        return ""
    for key in _MESSAGE_KEYS:
        value = document.get(key)
        if isinstance(value, dict):
            value = portal_message(value)
        if isinstance(value, str) and value.strip():
            return value.strip()[:500]
    return ""


@dataclass
class Page:
    number: int
    url: str
    records: list[Any]
    #: how many records the listing says it has (None when it does not say)
    total: int | None


@dataclass
class PagedListing:
    """One listing of a JSON API. ``step(number, count, previous_records)`` gives the paging parameters of
    page ``number`` (``count`` records read so far); ``records``/``total`` read a page's answer; ``record_id``
    names a record (for loop detection)."""

    client: PoliteClient
    url: str
    params: dict[str, Any]
    size: int
    step: Callable[[int, int, list[Any]], dict[str, Any]]
    records: Callable[[Any], list[Any] | None]
    total: Callable[[Any], int | None]
    record_id: Callable[[Any], str | None]
    max_pages: int = DEFAULT_MAX_PAGES
    #: where each id was first listed: a page of ids all seen before is a paging loop
    first_seen: dict[str, int] = field(default_factory=dict)

    def pages(self) -> Iterator[Page]:
        """Every page in turn; GatherError when the listing cannot be read to its end."""
        count, previous = 0, list[Any]()
        for number in range(1, self.max_pages + 1):
            page = self._page(number, {**self.params, **self.step(number, count, previous)})
            self._check_new(page)
            yield page
            count += len(page.records)
            if len(page.records) < self.size or (page.total is not None and count >= page.total):
                return
            previous = page.records
        raise GatherError(f"the listing did not end after {self.max_pages:,} pages (source option max_pages): "
                          "a portal whose paging never ends, or a larger max_pages is needed")

    def _page(self, number: int, params: dict[str, Any]) -> Page:
        try:
            url, document = get_json(self.client, self.url, params)
        except FetchError as exc:
            raise GatherError(f"page {number}: {exc}") from exc
        records = self.records(document)
        if records is None:
            said = portal_message(document)
            raise GatherError(f"page {number} ({url}) has no list of results" + (f": {said}" if said else ""))
        return Page(number, url, records, self.total(document))

    def _check_new(self, page: Page) -> None:
        ids = [i for i in (self.record_id(r) for r in page.records) if i is not None]
        earlier = {self.first_seen[i] for i in ids if i in self.first_seen}
        if ids and len(earlier) and all(i in self.first_seen for i in ids):
            raise GatherError(f"page {page.number} ({page.url}) lists only datasets already listed on page "
                              f"{min(earlier)}: paging loop (a portal that ignores the paging parameter)")
        for remote_id in ids:
            self.first_seen.setdefault(remote_id, page.number)


def list_at(document: Any, key: str) -> list[Any] | None:
    """``document[key]`` when it is a list, else None."""
    value = document.get(key) if isinstance(document, dict) else None
    return value if isinstance(value, list) else None


def count_at(document: Any, key: str) -> int | None:
    value = document.get(key) if isinstance(document, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
