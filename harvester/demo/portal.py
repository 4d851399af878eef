"""The demo CKAN portal: generated packages plus the edits, removals, additions and faults tests inject between
harvests, and ``serve`` to put it on a loopback port.

Packages are generated on demand from (index, seed); the portal only remembers what changed, so a portal of a
million datasets costs a few small per-index keys, computed when a query first needs them.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from typing import Any, Iterable

from harvester.demo.departments import DEPARTMENTS
from harvester.demo.generator import DEFAULT_BASE_URL, generate_package
from harvester.demo.identity import (
    PLACEMENTS, format_ckan_time, index_from_name, index_from_package_id, package_id, package_name,
    package_times_us,
)
from harvester.demo.ordering import PackageKeys
from harvester.demo.search import Filters, SortOrder, ordinals_matching, parse_fq, parse_sort
from harvester.demo.server import RunningPortal, serve

__all__ = ["BROKEN_KINDS", "DEFAULT_SIZE", "DemoPortal", "RunningPortal", "serve"]

DEFAULT_SIZE = 360

#: the malformations ``DemoPortal.broken`` can inject into a package
BROKEN_KINDS = ("missing_title", "bad_date", "bad_field")

_QUERY_CACHE_SIZE = 16
_LISTING_FIELDS = frozenset({"id", "name", "metadata_modified"})


class DemoPortal:
    """A CKAN portal's worth of demo packages, indexes 0..size-1, minus removed ones.

    Fault switches, read on every request:
      fail_search_page: package_search answers HTTP 500 for this page (1-based, ``start // rows + 1``)
      fail_search_times: how often that page fails before it recovers; None fails it every time
      search_disabled: package_search answers 404, like a CKAN without a search index
      repeat_pages: package_search ignores ``start`` and serves the first page again (a paging loop)
      broken: index → one of BROKEN_KINDS, injected into that package wherever it is served
    """

    def __init__(self, size: int = DEFAULT_SIZE, seed: int = 1, *, base_url: str = DEFAULT_BASE_URL) -> None:
        self.seed = seed
        self.base_url = base_url
        self.fail_search_page: int | None = None
        self.fail_search_times: int | None = None
        self.search_disabled = False
        self.repeat_pages = False
        self.broken: dict[int, str] = {}
        #: index → the 开放类型 the department gave it since (e.g. 不予开放), see set_open_type
        self.open_types: dict[int, str] = {}
        self._size = size
        #: indexes at or past this were added after the portal started
        self._first_added = size
        self._removed: set[int] = set()
        self._edits: dict[int, int] = {}
        #: (created, modified) in µs for edited and added packages
        self._times: dict[int, tuple[int, int]] = {}
        self._version = 0
        self._last_now = 0
        self._lock = threading.RLock()
        self._keys = PackageKeys(seed)
        self._queries: OrderedDict[tuple[Any, ...], list[int]] = OrderedDict()

    @property
    def size(self) -> int:
        """How many indexes exist, removed ones included; new packages get the next ones."""
        return self._size

    @property
    def count(self) -> int:
        """How many packages the portal lists."""
        return self._size - len(self._removed)

    def is_live(self, index: int) -> bool:
        return 0 <= index < self._size and index not in self._removed

    def package(self, index: int) -> dict[str, Any]:
        """The package_show result at index (live or removed), with the portal's edits and faults applied."""
        package = generate_package(index, self.seed, self.base_url)
        times = self._times.get(index)
        if times is not None:
            _restamp(package, times, added=index >= self._first_added)
        edits = self._edits.get(index)
        if edits:
            _mark_edited(package, edits)
        open_type = self.open_types.get(index)
        if open_type is not None:
            _set_open_type(package, open_type)
        kind = self.broken.get(index)
        if kind is not None:
            _break(package, kind)
        return package

    def fields(self, index: int, names: list[str]) -> dict[str, Any]:
        """Some fields of the package at index; the listing fields come without generating the package."""
        if index in self.broken or not set(names) <= _LISTING_FIELDS:
            package = self.package(index)
            return {name: package.get(name) for name in names}
        cheap = {"id": lambda: package_id(index, self.seed), "name": lambda: package_name(index, self.seed),
                 "metadata_modified": lambda: format_ckan_time(self.modified_us(index))}
        return {name: cheap[name]() for name in names}

    def find(self, id_or_name: str) -> int | None:
        """The live index of the package with this id or name, or None."""
        index = index_from_name(id_or_name, self.seed)
        if index is None:
            index = index_from_package_id(id_or_name, self.seed)
        return index if index is not None and self.is_live(index) else None

    def modified_us(self, index: int) -> int:
        """The package's current metadata_modified, µs since the epoch (UTC)."""
        times = self._times.get(index)
        return times[1] if times is not None else package_times_us(index, self.seed)[1]

    # -- mutations ---------------------------------------------------------------------------------------------

    def edit(self, indexes: Iterable[int]) -> None:
        """Change the title and description of these packages and set their metadata_modified to now."""
        with self._lock:
            chosen = list(indexes)
            for index in chosen:
                self._require_live(index)
            for index in chosen:
                self._edits[index] = self._edits.get(index, 0) + 1
                created = self._times.get(index, package_times_us(index, self.seed))[0]
                self._set_times(index, created, self._now_us())

    def set_open_type(self, indexes: Iterable[int], open_type: str) -> None:
        """Give these packages another 开放类型 (无条件开放 / 有条件开放 / 不予开放), modified now."""
        with self._lock:
            for index in indexes:
                self._require_live(index)
                self.open_types[index] = open_type
                created = self._times.get(index, package_times_us(index, self.seed))[0]
                self._set_times(index, created, self._now_us())

    def remove(self, indexes: Iterable[int]) -> None:
        """Delete these packages: they leave every listing and package_show answers 404."""
        with self._lock:
            doomed = list(indexes)
            for index in doomed:
                self._require_live(index)
            self._removed.update(doomed)
            self._version += 1

    def add(self, count: int) -> range:
        """Publish count new packages, created now, at the next indexes; returns those indexes."""
        with self._lock:
            added = range(self._size, self._size + count)
            self._size += count
            for index in added:
                now = self._now_us()
                self._set_times(index, now, now)
            self._version += 1
            return added

    def take_search_fault(self, page: int) -> bool:
        """Whether this package_search page must fail now (counting down fail_search_times)."""
        with self._lock:
            if self.fail_search_page != page:
                return False
            if self.fail_search_times is None:
                return True
            if self.fail_search_times <= 0:
                return False
            self.fail_search_times -= 1
            return True

    def _require_live(self, index: int) -> None:
        if not self.is_live(index):
            raise KeyError(f"no live package at index {index}")

    def _set_times(self, index: int, created: int, modified: int) -> None:
        self._times[index] = (created, modified)
        self._keys.set_modified(index, modified)
        self._version += 1

    def _now_us(self) -> int:
        """Now in µs, strictly increasing, so every edit sorts after the ones before it."""
        self._last_now = max(time.time_ns() // 1000, self._last_now + 1)
        return self._last_now

    # -- queries -----------------------------------------------------------------------------------------------

    def search(self, q: str = "", fq: str = "", sort: str = "", start: int = 0,
               rows: int = 10) -> tuple[int, list[int]]:
        """(count, indexes of the requested page) of a package_search; raises search.SearchQueryError."""
        order, filters = parse_sort(sort), parse_fq(fq)
        matches = self._matches(q, filters, order)
        return len(matches), matches[start:start + rows]

    def package_names(self, offset: int = 0, limit: int | None = None) -> list[str]:
        """package_list: the names of live packages in name order."""
        with self._lock:
            names = self._keys.keys("name", self._size)
            order = self._keys.order("name", self._size, self._removed, self._version)
            chosen = order[offset:] if limit is None else order[offset:offset + limit]
            return [names[index] for index in chosen]

    def organization_counts(self) -> dict[str, int]:
        """Live packages per organization name, for every department."""
        counts = {department.slug: 0 for department in DEPARTMENTS}
        with self._lock:
            placements = self._keys.placements(self._size)
            for ordinal, number in enumerate(self._count_codes(placements, len(PLACEMENTS))):
                counts[PLACEMENTS[ordinal][0].slug] += number
        return counts

    def group_counts(self) -> dict[str, int]:
        """Live packages per group name, for groups that have any."""
        counts: dict[str, int] = {}
        with self._lock:
            codes, group_sets = self._keys.group_codes(self._size)
            for code, number in enumerate(self._count_codes(codes, len(group_sets))):
                for name in group_sets[code]:
                    counts[name] = counts.get(name, 0) + number
        return counts

    def _count_codes(self, codes: bytearray, distinct: int) -> list[int]:
        counts = [codes.count(code) for code in range(distinct)]
        for index in self._removed:
            counts[codes[index]] -= 1
        return counts

    def _matches(self, q: str, filters: Filters, order: SortOrder) -> list[int]:
        """All matching live indexes in the requested order, cached per query until the next mutation."""
        with self._lock:
            cache_key = (q, filters, order, self._version)
            cached = self._queries.get(cache_key)
            if cached is None:
                cached = self._queries[cache_key] = self._compute_matches(q, filters, order)
                if len(self._queries) > _QUERY_CACHE_SIZE:
                    self._queries.popitem(last=False)
            return cached

    def _compute_matches(self, q: str, filters: Filters, order: SortOrder) -> list[int]:
        size = self._size
        matches = self._keys.order(order.field, size, self._removed, self._version)
        if filters.limits_modified:
            modified = self._keys.keys("metadata_modified", size)
            low = -1 if filters.modified_from is None else filters.modified_from
            high = 1 << 62 if filters.modified_until is None else filters.modified_until
            if order.field == "metadata_modified":
                matches = matches[bisect_left(matches, low, key=modified.__getitem__):
                                  bisect_right(matches, high, key=modified.__getitem__)]
            else:
                matches = [index for index in matches if low <= modified[index] <= high]
        matches = self._filter_placements(matches, q, filters)
        return matches[::-1] if order.descending else matches  # never modified: orders are rebuilt, not mutated

    def _filter_placements(self, matches: list[int], q: str, filters: Filters) -> list[int]:
        ordinals = ordinals_matching(q)
        if filters.organization is not None:
            in_organization = frozenset(n for n, (d, _) in enumerate(PLACEMENTS) if d.slug == filters.organization)
            ordinals = in_organization if ordinals is None else ordinals & in_organization
        if ordinals is not None:
            placements = self._keys.placements(self._size)
            matches = [index for index in matches if placements[index] in ordinals]
        if filters.group is not None:
            codes, group_sets = self._keys.group_codes(self._size)
            wanted = {code for code, names in enumerate(group_sets) if filters.group in names}
            matches = [index for index in matches if codes[index] in wanted]
        return matches


def _restamp(package: dict[str, Any], times: tuple[int, int], *, added: bool) -> None:
    """Give an edited package its new modification time, and an added one its creation time everywhere."""
    created, modified = format_ckan_time(times[0]), format_ckan_time(times[1])
    package["metadata_modified"] = modified
    if not added:
        return
    package["metadata_created"] = created
    for resource in package["resources"]:
        resource["created"], resource["last_modified"] = created, modified
    issued = format_ckan_time(times[0] + 8 * 3_600_000_000)[:19].replace("T", " ")
    for extra in package["extras"]:
        if extra["key"] == "发布日期":
            extra["value"] = issued


def _mark_edited(package: dict[str, Any], edits: int) -> None:
    package["title"] += f"（第{edits}次修订）"
    package["notes"] += f"第{edits}次修订。"
    if "title_translated" in package:
        package["title_translated"] = {"zh": package["title"],
                                       "en": f"{package['title_translated']['en']} (revision {edits})"}
        package["notes_translated"] = {"zh": package["notes"],
                                       "en": f"{package['notes_translated']['en']} Revision {edits}."}


def _set_open_type(package: dict[str, Any], open_type: str) -> None:
    extras = [e for e in package["extras"] if e["key"] not in ("开放类型", "开放条件")]
    package["extras"] = [{"key": "开放类型", "value": open_type}, *extras]


def _break(package: dict[str, Any], kind: str) -> None:
    if kind == "missing_title":
        package["title"] = ""
        package.pop("title_translated", None)
    elif kind == "bad_date":
        package["metadata_modified"] = "not-a-date"
    elif kind == "bad_field":
        package["resources"] = "见附件"
        package["tags"] = "交通,出行"
    else:
        raise ValueError(f"unknown broken kind {kind!r}; expected one of {BROKEN_KINDS}")
