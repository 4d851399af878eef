"""CKAN ``package_search`` parameters (q, fq, rows, start, sort, facet.field, facet.limit) read into a plan.

CKAN speaks Solr; this catalog understands the part of it CKAN clients send in practice:

- ``fq``: ``field:value`` / ``field:"a value"`` terms joined by spaces or AND (OR within a field is two
  values of the same field), on organization, groups, tags, res_format, license_id, access_rights and
  harvest_source; ``metadata_modified:[2024-01-01T00:00:00Z TO *]`` ranges; ``dataset_type:dataset`` and
  the like, true of every package, are accepted and change nothing.
- ``sort``: ``score desc, metadata_modified desc`` (the default), ``metadata_modified desc|asc``,
  ``title_string asc``, ``name asc|desc`` / ``id asc|desc``.

Three engines answer: the search index (words and facet filters; results up to 10,000 deep), the sorted id
list (``name``/``id`` order without q or fq: any depth, for clients that dump everything) and SPARQL over the
store (``metadata_modified`` ranges and ascending order, for incremental harvesters).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from harvester.index.search import MAX_FACET_LIMIT

#: CKAN/Solr field → facet of the search index
FIELD_FACETS = {
    "organization": "publisher", "owner_org": "publisher", "publisher": "publisher",
    "groups": "theme", "theme": "theme", "tags": "keyword", "keyword": "keyword",
    "res_format": "format", "format": "format", "license_id": "license", "license": "license",
    "access_rights": "access", "access": "access", "harvest_source": "source", "source": "source",
}
#: fields every package of this catalog has with these values; any other value matches nothing
CONSTANT_FIELDS = {"dataset_type": {"dataset"}, "type": {"dataset"}, "state": {"active"},
                   "capacity": {"public"}, "private": {"false"}, "site_id": None}
MAX_ROWS = 1000
DEFAULT_ROWS = 10
DEFAULT_FACET_LIMIT = 50
_TERM = re.compile(r'\s*(?:(?:AND|&&)\s+)?(\+?)([A-Za-z_]+):("(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^\s"]+)\s*')
_RANGE = re.compile(r"^\[\s*(\S+)\s+TO\s+(\S+)\s*\]$")


class Engine(enum.Enum):
    INDEX = "index"
    IDS = "ids"
    MODIFIED = "modified"


class CkanErrorKind(enum.Enum):
    """CKAN's error ``__type`` values (ckanapi turns each into its own exception) and their HTTP status."""

    NOT_FOUND = ("Not Found Error", 404)
    VALIDATION = ("Validation Error", 409)
    SEARCH_QUERY = ("Search Query Error", 409)
    UNKNOWN_ACTION = ("Bad request - Action name not known", 400)


class CkanError(Exception):
    def __init__(self, kind: CkanErrorKind, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.fields = fields or {}


@dataclass
class CkanSearch:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    #: (from, to) ISO date-times of a metadata_modified range; None for an open end
    modified_range: tuple[str | None, str | None] | None = None
    sort: str = "relevance"  # relevance | modified | title | id
    descending: bool = True
    rows: int = DEFAULT_ROWS
    start: int = 0
    facet_fields: list[str] = field(default_factory=list)
    facet_limit: int = DEFAULT_FACET_LIMIT
    matches_nothing: bool = False

    @property
    def engine(self) -> Engine:
        if self.modified_range is not None or (self.sort == "modified" and not self.descending):
            return Engine.MODIFIED
        if self.sort == "id":
            return Engine.IDS
        return Engine.INDEX


def whole_number(params: Mapping[str, Any], name: str, default: int, low: int, high: int | None = None) -> int:
    raw = params.get(name, default)
    try:
        value = int(str(raw).strip()) if raw not in (None, "") else default
    except ValueError:
        raise CkanError(CkanErrorKind.VALIDATION, f"{name}: Invalid integer", {name: ["Invalid integer"]}) from None
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise CkanError(CkanErrorKind.VALIDATION, f"{name} must be {limit}", {name: [f"Must be {limit}"]})
    return value


def parse_search(params: Mapping[str, Any]) -> CkanSearch:
    """The plan of a package_search call; CkanError for parameters this catalog cannot honour."""
    search = CkanSearch(rows=whole_number(params, "rows", DEFAULT_ROWS, 0, MAX_ROWS),
                        start=whole_number(params, "start", 0, 0))
    search.q = _words_and_terms(str(params.get("q") or ""), search)
    for fq in _as_list(params.get("fq")) + _as_list(params.get("fq_list")):
        _apply_fq(str(fq), search)
    _apply_sort(str(params.get("sort") or "score desc, metadata_modified desc"), search)
    if str(params.get("facet", "true")).lower() != "false":
        search.facet_fields = [str(f) for f in _facet_field_list(params.get("facet.field"))]
    limit = whole_number(params, "facet.limit", DEFAULT_FACET_LIMIT, -1)
    search.facet_limit = MAX_FACET_LIMIT if limit < 0 else max(1, min(limit, MAX_FACET_LIMIT))
    if search.engine is not Engine.INDEX and (search.q or search.filters):
        raise CkanError(CkanErrorKind.SEARCH_QUERY, "sorting by name/id, ascending metadata_modified and "
                        "metadata_modified ranges work without q and other fq terms")
    return search


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _facet_field_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise CkanError(CkanErrorKind.VALIDATION, "facet.field must be a JSON list",
                            {"facet.field": ["Not a JSON list"]}) from None
    return [v for v in _as_list(value) if isinstance(v, str)]


def _words_and_terms(q: str, search: CkanSearch) -> str:
    """Text of q, with ``field:value`` terms on known fields moved into the filters."""
    if q.strip() in ("*:*", "*"):
        return ""
    words = []
    for token in q.split():
        name, colon, value = token.partition(":")
        if colon and value and name in FIELD_FACETS:
            _add_filter(search, name, value.strip('"'))
        else:
            words.append(token)
    return " ".join(words)


def _apply_fq(fq: str, search: CkanSearch) -> None:
    position = 0
    while position < len(fq):
        match = _TERM.match(fq, position)
        if not match or match.end() == position:
            raise CkanError(CkanErrorKind.SEARCH_QUERY, f"cannot read fq at {fq[position:position + 40]!r}: "
                            "use field:value terms joined by spaces or AND")
        _apply_term(match.group(2), _unquote(match.group(3)), search)
        position = match.end()


def _unquote(value: str) -> str:
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return re.sub(r"\\(.)", r"\1", value)


def _apply_term(name: str, value: str, search: CkanSearch) -> None:
    if name == "metadata_modified":
        search.modified_range = _range(value)
    elif name in FIELD_FACETS:
        _add_filter(search, name, value)
    elif name in CONSTANT_FIELDS:
        allowed = CONSTANT_FIELDS[name]
        if allowed is not None and value.lower() not in allowed:
            search.matches_nothing = True
    else:
        known = ", ".join(sorted([*FIELD_FACETS, "metadata_modified"]))
        raise CkanError(CkanErrorKind.SEARCH_QUERY, f"fq field {name!r} is not searchable here; use one of {known}")


def _add_filter(search: CkanSearch, name: str, value: str) -> None:
    facet = FIELD_FACETS[name]
    search.filters.setdefault(facet, []).append(value.upper() if facet == "theme" else value)


def _range(value: str) -> tuple[str | None, str | None]:
    match = _RANGE.match(value)
    if not match:
        raise CkanError(CkanErrorKind.SEARCH_QUERY, f"metadata_modified needs a range [FROM TO UNTIL], not {value!r}")
    return _bound(match.group(1)), _bound(match.group(2))


def _bound(text: str) -> str | None:
    if text == "*":
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CkanError(CkanErrorKind.SEARCH_QUERY, f"metadata_modified bounds are ISO 8601 date-times "
                        f"(2024-05-01T00:00:00Z) or *, not {text!r}") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


_SORTS = {
    ("score", "desc"): ("relevance", True), ("metadata_modified", "desc"): ("modified", True),
    ("metadata_modified", "asc"): ("modified", False), ("title_string", "asc"): ("title", False),
    ("title", "asc"): ("title", False), ("name", "asc"): ("id", False), ("name", "desc"): ("id", True),
    ("id", "asc"): ("id", False), ("id", "desc"): ("id", True),
}


def _apply_sort(sort: str, search: CkanSearch) -> None:
    """The first sort clause decides (CKAN's default "score desc, metadata_modified desc" is relevance,
    which without words is the newest first)."""
    first = sort.split(",")[0].split()
    key = (first[0], first[1].lower() if len(first) > 1 else "asc") if first else ("score", "desc")
    if key not in _SORTS:
        known = ", ".join(f"{k} {d}" for k, d in _SORTS)
        raise CkanError(CkanErrorKind.SEARCH_QUERY, f"cannot sort by {sort!r}; use one of {known}")
    search.sort, search.descending = _SORTS[key]
