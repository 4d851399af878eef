"""A custom portal's ``listing``, ``detail`` and ``page`` sections: compiled once, then paged through.

The listing is read page by page (page number, offset, next link, cursor, or one page); each page's records
are found with a selector (JSONPath, XPath, CSS) and, for HTML and XML, turned into objects by the section's
``fields``/``rows``/``tables``. Paging stops at an empty or short page, at the total the listing announces,
or when there is no next link/cursor. A page that repeats an earlier one, a next link or cursor seen before,
and a listing longer than ``max_pages`` fail the gather, so nothing is deleted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from string import Formatter
from typing import Any, Iterator, Mapping
from urllib.parse import quote

import orjson

from harvester.errors import FetchError, GatherError
from harvester.http import PoliteClient
from harvester.http.client import Response
from harvester.mapping.extract import Extraction, compile_extraction
from harvester.mapping.paths import compile_path
from harvester.mapping.selectors import FORMATS, Selector, compile_selector, detect_format, parse_page

PAGING_KINDS = ("page", "offset", "next", "cursor", "none")
DEFAULT_MAX_PAGES = 10_000
SECTION_KEYS = {
    "listing": {"url", "params", "format", "records", "total", "paging", "max_pages", "fields", "rows", "tables",
                "children"},
    "detail": {"url", "params", "format", "select", "merge", "fields", "rows", "tables", "children"},
    "paging": {"kind", "param", "size_param", "size", "start", "next"},
}


@dataclass(frozen=True)
class Paging:
    kind: str = "none"
    param: str = ""  # page: the page number's parameter; offset: the offset's; cursor: the cursor's
    size_param: str = ""
    size: int | None = None
    start: int = 1  # the first page's number (page paging)
    next: Selector | None = None  # where the next page's URL (next) or the next cursor (cursor) is


@dataclass(frozen=True)
class Request:
    url: str  # a template: {url} is the source's URL, other names are source options or record fields
    params: dict[str, str] = field(default_factory=dict)
    format: str | None = None  # json | html | xml; None: from the Content-Type


@dataclass(frozen=True)
class ListingSpec:
    request: Request
    records: Selector
    paging: Paging = Paging()
    total: Selector | None = None
    extract: Extraction | None = None
    max_pages: int = DEFAULT_MAX_PAGES


@dataclass(frozen=True)
class DetailSpec:
    request: Request
    select: Selector | None = None
    extract: Extraction | None = None
    merge: str | None = None  # None: the detail's fields join the record's; a name: under that field


@dataclass(frozen=True)
class PortalSpec:
    listing: ListingSpec
    detail: DetailSpec | None = None
    page: str | None = None  # template of the record's page for people


@dataclass(frozen=True)
class ListingPage:
    number: int
    url: str
    records: list[Any]
    total: int | None


@dataclass(frozen=True)
class Document:
    url: str
    format: str
    root: Any


# --- compiling ---------------------------------------------------------------------------------
def compile_portal(sections: Mapping[str, Any], name: str) -> PortalSpec:
    """The portal sections of mapping ``name``; ValueError naming the wrong key."""
    listing, detail = sections.get("listing"), sections.get("detail")
    if not isinstance(listing, dict):
        raise ValueError(f"mapping {name} has no 'listing' section: a custom portal needs one")
    page = sections.get("page")
    if page is not None:
        check_template(str(page), "page")
    return PortalSpec(_compile_listing(listing), _compile_detail(detail) if detail is not None else None,
                      str(page) if page is not None else None)


def _compile_listing(raw: dict[str, Any]) -> ListingSpec:
    _check_keys(raw, "listing")
    if "records" not in raw:
        raise ValueError("listing: 'records' (the selector of the page's records) is missing")
    max_pages = _number(raw, "max_pages", DEFAULT_MAX_PAGES, "listing")
    if max_pages is None or max_pages < 1:
        raise ValueError("listing.max_pages should be at least 1")
    return ListingSpec(_request(raw, "listing"), _selector(raw["records"], "listing.records"),
                       _paging(raw.get("paging") or {}),
                       _selector(raw["total"], "listing.total") if raw.get("total") else None,
                       compile_extraction(raw, "listing"), max_pages)


def _compile_detail(raw: Any) -> DetailSpec:
    if not isinstance(raw, dict):
        raise ValueError("detail: should be a section with at least 'url'")
    _check_keys(raw, "detail")
    merge = raw.get("merge")
    return DetailSpec(_request(raw, "detail"), _selector(raw["select"], "detail.select") if raw.get("select") else None,
                      compile_extraction(raw, "detail"), str(merge) if merge else None)


def _paging(raw: Any) -> Paging:
    if isinstance(raw, str):
        raw = {"kind": raw}
    if not isinstance(raw, dict):
        raise ValueError("listing.paging: should be a section with 'kind'")
    _check_keys(raw, "paging")
    kind = str(raw.get("kind", "none"))
    if kind not in PAGING_KINDS:
        raise ValueError(f"listing.paging.kind {kind!r}: one of {', '.join(PAGING_KINDS)}")
    needs = {"page": ["param"], "offset": ["param"], "next": ["next"], "cursor": ["param", "next"]}.get(kind, [])
    missing = [key for key in needs if not raw.get(key)]
    if missing:
        raise ValueError(f"listing.paging: kind {kind} needs {', '.join(missing)}")
    start = _number(raw, "start", 1, "listing.paging")
    return Paging(kind, str(raw.get("param", "")), str(raw.get("size_param", "")),
                  _number(raw, "size", None, "listing.paging"), 1 if start is None else start,
                  _selector(raw["next"], "listing.paging.next") if raw.get("next") else None)


def _number(raw: dict[str, Any], key: str, default: int | None, scope: str) -> int | None:
    value = raw.get(key, default)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{scope}.{key} should be a whole number, not {value!r}") from exc


def _request(raw: dict[str, Any], scope: str) -> Request:
    if not raw.get("url"):
        raise ValueError(f"{scope}: 'url' is missing")
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise ValueError(f"{scope}.params: should map parameter names to values")
    page_format = raw.get("format")
    if page_format is not None and page_format not in FORMATS:
        raise ValueError(f"{scope}.format {page_format!r}: one of {', '.join(FORMATS)}")
    check_template(str(raw["url"]), f"{scope}.url")
    for key, value in params.items():
        check_template(str(value), f"{scope}.params.{key}")
    return Request(str(raw["url"]), {str(k): str(v) for k, v in params.items()}, page_format)


def _selector(text: Any, scope: str) -> Selector:
    try:
        return compile_selector(str(text))
    except ValueError as exc:
        raise ValueError(f"{scope}: {exc}") from exc


def _check_keys(raw: dict[str, Any], section: str) -> None:
    unknown = sorted(set(raw) - SECTION_KEYS[section])
    if unknown:
        raise ValueError(f"{section}: unknown key(s) {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(SECTION_KEYS[section]))})")


# --- templates ---------------------------------------------------------------------------------
def check_template(template: str, scope: str) -> None:
    try:
        parts = list(Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{scope}: template {template!r}: {exc}") from exc
    if any(spec or conversion for _, name, spec, conversion in parts if name is not None):
        raise ValueError(f"{scope}: template {template!r}: write fields as {{name}}, without ! or :")


def fill_template(template: str, values: Mapping[str, Any]) -> str:
    """The template with its fields filled: a template that is one field alone takes the value as it is
    (a link); inside a longer template values are percent-encoded, except ``{url}`` (the source's URL).
    ValueError names a field that has no value."""
    parts = list(Formatter().parse(template))
    alone = len(parts) == 1 and not parts[0][0] and parts[0][1]
    out = []
    for text, name, _, _ in parts:
        out.append(text)
        if not name:
            continue
        found = compile_path(name)(values)
        if not found or isinstance(found[0], (dict, list)):
            raise ValueError(f"{template!r} needs {{{name}}}, which has no value here")
        value = str(found[0]).strip()
        out.append(value if alone or name == "url" else quote(value, safe=""))
    return "".join(out)


# --- reading pages -----------------------------------------------------------------------------
def response_text(response: Response) -> str:
    """Bytes that are valid UTF-8 read as UTF-8 whatever the label says (portals label UTF-8 pages GBK);
    others by the client's rule (the declared charset, then GB18030)."""
    try:
        return response.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return response.text


def get_document(client: PoliteClient, request: Request, url: str, params: dict[str, str] | None) -> Document:
    """GET and parse one page; FetchError (from the client, or saying why the page cannot be read)."""
    response = client.get(url, params=params or None)
    text = response_text(response)
    page_format = request.format or detect_format(response.headers.get("content-type", ""), text)
    try:
        return Document(response.url, page_format, parse_page(text, page_format))
    except ValueError as exc:
        raise FetchError(f"{response.url}: {exc}", response.url) from exc


def listing_pages(spec: ListingSpec, client: PoliteClient, variables: Mapping[str, Any]) -> Iterator[ListingPage]:
    """Every page of the listing, in order; GatherError when the listing cannot be read to its end."""
    try:
        url = fill_template(spec.request.url, variables)
        params = {k: fill_template(v, variables) for k, v in spec.request.params.items()}
    except ValueError as exc:
        raise GatherError(f"listing: {exc}") from exc
    walk = _PageWalk(spec)
    for number in range(1, spec.max_pages + 1):
        document = _listing_document(client, spec.request, url, {**params, **walk.params(number)}, number)
        page = ListingPage(number, document.url, _records(spec, document, number), _total(spec, document))
        walk.check_new(page)
        yield page
        following = walk.follow(page, document)
        if following is None:
            return
        if spec.paging.kind == "next":
            url, params = following, {}
    raise GatherError(f"the listing did not end after {spec.max_pages} pages (listing.max_pages): "
                      f"a portal whose paging never ends, or a larger max_pages is needed")


def _listing_document(client: PoliteClient, request: Request, url: str, params: dict[str, str],
                      number: int) -> Document:
    try:
        return get_document(client, request, url, params)
    except FetchError as exc:
        raise GatherError(f"listing page {number}: {exc}") from exc


def _records(spec: ListingSpec, document: Document, number: int) -> list[Any]:
    try:
        found = spec.records.elements(document.root)
        if spec.extract is None:
            if document.format != "json":
                raise ValueError("the records are HTML/XML elements: say what to take from each "
                                 "(listing.fields, rows, tables or children)")
            return found
        return [_extracted(spec.extract, item, document.url) for item in found]
    except ValueError as exc:
        raise GatherError(f"listing page {number} ({document.url}): {exc}") from exc


def _extracted(extract: Extraction, item: Any, page_url: str) -> Any:
    if isinstance(item, dict):
        return {**item, **extract.apply(item, page_url)}
    if isinstance(item, (list, str, int, float)) or item is None:
        return item  # not an object: the source reports it
    return extract.apply(item, page_url)


def _total(spec: ListingSpec, document: Document) -> int | None:
    if spec.total is None:
        return None
    try:
        values = spec.total.select(document.root, document.url)
        return int(str(values[0]).replace(",", "").strip()) if values else None
    except ValueError:
        return None  # a count that is not a number only costs the progress bar its total


class _PageWalk:
    """What paging knows between pages: the records counted, pages, links and cursors seen."""

    def __init__(self, spec: ListingSpec) -> None:
        self.spec = spec
        self.paging = spec.paging
        self.count = 0
        self.cursor: str | None = None
        self.signatures: set[bytes] = set()
        self.visited: set[str] = set()
        self.cursors: set[str] = set()

    def params(self, number: int) -> dict[str, str]:
        paging = self.paging
        out = {paging.size_param: str(paging.size)} if paging.size_param and paging.size else {}
        if paging.kind == "page":
            out[paging.param] = str(paging.start + number - 1)
        elif paging.kind == "offset":
            out[paging.param] = str(self.count)
        elif paging.kind == "cursor" and self.cursor is not None:
            out[paging.param] = self.cursor
        return out

    def check_new(self, page: ListingPage) -> None:
        """GatherError when the page repeats an earlier one (a portal that ignores the page parameter)."""
        self.visited.add(page.url)
        if not page.records:
            return
        signature = hashlib.sha1(orjson.dumps(page.records, option=orjson.OPT_SORT_KEYS,
                                              default=str)).digest()
        if signature in self.signatures:
            raise GatherError(f"listing page {page.number} ({page.url}) repeats an earlier page: paging loop")
        self.signatures.add(signature)

    def follow(self, page: ListingPage, document: Document) -> str | None:
        """What the next page needs (its URL, cursor, or "" for a numbered page); None at the end."""
        self.count += len(page.records)
        paging = self.paging
        if paging.kind == "none" or not page.records:
            return None
        if page.total is not None and self.count >= page.total:
            return None
        if paging.kind in ("page", "offset"):
            return "" if paging.size is None or len(page.records) >= paging.size else None
        return self._link(page, document)

    def _link(self, page: ListingPage, document: Document) -> str | None:
        assert self.paging.next is not None
        try:
            found = [v for v in self.paging.next.select(document.root, document.url) if v not in (None, "")]
        except ValueError as exc:
            raise GatherError(f"listing page {page.number}: {exc}") from exc
        if not found:
            return None
        link = str(found[0])
        if self.paging.kind == "cursor":
            if link in self.cursors:
                raise GatherError(f"listing page {page.number} gives cursor {link!r} again: paging loop")
            self.cursors.add(link)
            self.cursor = link
            return link
        if link in self.visited:
            raise GatherError(f"listing page {page.number} links back to {link}: paging loop")
        return link
