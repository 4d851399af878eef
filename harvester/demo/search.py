"""The part of CKAN's package_search language the demo portal understands: ``sort``, ``fq`` and ``q``.

Anything else raises SearchQueryError, which the portal answers as CKAN does (HTTP 409, "Search Query Error"),
so a harvester relying on a filter the demo does not implement fails loudly instead of harvesting too much.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from harvester.demo.identity import PLACEMENTS, parse_ckan_time

SORT_FIELDS = ("metadata_modified", "id", "name")
#: CKAN's default sort; the demo has no relevance score, so it is metadata_modified desc
DEFAULT_SORT = "score desc, metadata_modified desc"

_TERM = re.compile(r'\s*(?:(?:AND|&&)\s+)?(?P<sign>[+-]?)(?P<field>\w+):(?P<value>[\[{][^\]}]*[\]}]|"[^"]*"|\S+)')
_RANGE = re.compile(r"(?P<open>[\[{])\s*(?P<low>\S+)\s+TO\s+(?P<high>\S+)\s*(?P<close>[\]}])$")
_NOW_MATH = re.compile(r"NOW(?:-(?P<amount>\d+)(?P<unit>DAYS?|HOURS?|MINUTES?))?(?:/\w+)?$")
_UNIT_US = {"DAY": 86_400_000_000, "HOUR": 3_600_000_000, "MINUTE": 60_000_000}


class SearchQueryError(ValueError):
    """A query CKAN would refuse with HTTP 409 "Search Query Error"."""


@dataclass(frozen=True)
class SortOrder:
    field: str
    descending: bool


@dataclass(frozen=True)
class Filters:
    """What ``fq`` asked for; bounds are inclusive, in µs since the epoch (UTC)."""

    modified_from: int | None = None
    modified_until: int | None = None
    organization: str | None = None
    group: str | None = None

    @property
    def limits_modified(self) -> bool:
        return self.modified_from is not None or self.modified_until is not None


def parse_sort(text: str | None) -> SortOrder:
    """The first sortable clause of a CKAN sort ("metadata_modified asc", "id asc", "name desc", …)."""
    for clause in (text or DEFAULT_SORT).split(","):
        words = clause.split()
        if not words:
            continue
        direction = words[1].lower() if len(words) > 1 else "asc"
        if direction not in ("asc", "desc"):
            raise SearchQueryError(f"Invalid sort direction: {clause.strip()}")
        if words[0] == "score":
            continue
        if words[0] not in SORT_FIELDS:
            raise SearchQueryError(f"Can not sort on field: {words[0]}")
        return SortOrder(words[0], direction == "desc")
    return SortOrder("metadata_modified", True)


def parse_fq(text: str | None) -> Filters:
    """The filters of a CKAN ``fq``: metadata_modified ranges, organization, groups, dataset_type:dataset."""
    fields: dict[str, object] = {}
    rest = (text or "").strip()
    while rest:
        match = _TERM.match(rest)
        if match is None or match["sign"] == "-":
            raise SearchQueryError(f"Search Query is invalid: fq={text!r}")
        rest = rest[match.end():].strip()
        fields.update(_filter_term(match["field"], match["value"].strip('"')))
    return Filters(**fields)  # type: ignore[arg-type]


def _filter_term(field: str, value: str) -> dict[str, object]:
    if field == "metadata_modified":
        low, high = _parse_range(value)
        return {"modified_from": low, "modified_until": high}
    if field in ("organization", "groups"):
        return {"organization" if field == "organization" else "group": value}
    if field in ("dataset_type", "type") and value == "dataset":
        return {}
    raise SearchQueryError(f"Search Query is invalid: the demo portal cannot filter on {field}:{value}")


def _parse_range(value: str) -> tuple[int | None, int | None]:
    match = _RANGE.match(value)
    if match is None:
        raise SearchQueryError(f"Search Query is invalid: not a range: {value}")
    low, high = _parse_bound(match["low"]), _parse_bound(match["high"])
    if low is not None and match["open"] == "{":
        low += 1
    if high is not None and match["close"] == "}":
        high -= 1
    return low, high


def _parse_bound(text: str) -> int | None:
    """µs since the epoch; None for an open end ("*")."""
    if text == "*":
        return None
    now_math = _NOW_MATH.match(text)
    if now_math is not None:
        now = time.time_ns() // 1000
        if now_math["amount"] is None:
            return now
        return now - int(now_math["amount"]) * _UNIT_US[now_math["unit"].rstrip("S")]
    try:
        return parse_ckan_time(text)
    except ValueError:
        raise SearchQueryError(f"Search Query is invalid: not a date: {text}") from None


def ordinals_matching(q: str | None) -> frozenset[int] | None:
    """The placements (see identity.PLACEMENTS) whose wording contains every word of q; None matches all.

    Wording is the title pattern, English title, tags and the publisher's title: enough for "交通", "空气" or
    "GDP" to find what a real search would, without generating packages.
    """
    words = [w for w in (q or "").replace("title:", " ").split() if w not in ("*:*", "*")]
    if not words:
        return None
    return frozenset(
        ordinal for ordinal, (department, topic) in enumerate(PLACEMENTS)
        if all(word.lower() in _wording(department.title, topic.title, topic.title_en, *topic.tags)
               for word in words)
    )


def _wording(*parts: str) -> str:
    return " ".join(parts).replace("{year}", "").replace("{district}", "").lower()
