"""Builds tantivy queries and facet aggregations from analysed query terms and facet filters.

User input never reaches tantivy's query parser: every query is assembled with the Query API, so quotes,
colons, brackets or ``*`` are just characters. Constructors that panic in the binding (a phrase of one
term, a search with limit 0) are avoided by construction.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping

import orjson
import tantivy
from tantivy import Occur, Query

from harvester.index.analysis import QueryTerm, single_char_regex
from harvester.index.schema import (
    ANY_FIELD,
    FACET_PARTS,
    FILTERS,
    TEXT_FIELD_BOOSTS,
    TOO_MANY,
    VALUE_SET_FACETS,
    facet_field,
    part_field,
    value_set_field,
)

#: At most this many selected values per facet are honoured.
MAX_FILTER_VALUES = 50
#: Per-segment bucket budget of a terms aggregation: above any facet's cardinality, so counts are exact.
#: The cost follows the distinct values present, not this number; tantivy's 65,000-bucket limit applies to
#: the returned buckets (size), not to this.
FACET_SEGMENT_SIZE = 1_000_000
#: value sets asked for per facet; a result with more is counted again from the multi-valued column
MAX_VALUE_SETS = 10_000
#: Lets a document matching in several fields score a little above one matching in only its best field.
DISMAX_TIE_BREAKER = 0.2


def text_query(schema: tantivy.Schema, terms: list[QueryTerm]) -> Query | None:
    """All terms must match (AND); each term may match in any analysed field, scored by its best field."""
    return _all_of([_any_field_query(schema, term) for term in terms])


def match_query(schema: tantivy.Schema, terms: list[QueryTerm]) -> Query | None:
    """The documents ``text_query`` finds, unscored, from the one field holding all the text (for counting)."""
    return _all_of([_field_query(schema, ANY_FIELD, term) for term in terms])


def _all_of(per_term: list[Query]) -> Query | None:
    if len(per_term) <= 1:
        return per_term[0] if per_term else None
    return Query.boolean_query([(Occur.Must, q) for q in per_term])


def _any_field_query(schema: tantivy.Schema, term: QueryTerm) -> Query:
    per_field = [
        Query.boost_query(_field_query(schema, field, term), boost) for field, boost in TEXT_FIELD_BOOSTS.items()
    ]
    return Query.disjunction_max_query(per_field, tie_breaker=DISMAX_TIE_BREAKER)


def _field_query(schema: tantivy.Schema, field: str, term: QueryTerm) -> Query:
    if term.single_char:
        return Query.regex_query(schema, field, single_char_regex(term.tokens[0]))
    if len(term.tokens) == 1:
        return Query.term_query(schema, field, term.tokens[0])
    return Query.phrase_query(schema, field, list(term.tokens))


def clean_filters(filters: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Known facets and filters only, in FILTERS order, string values deduplicated and capped; empty
    selections dropped."""
    cleaned: dict[str, list[str]] = {}
    for facet in FILTERS:
        raw = filters.get(facet) or ()
        if isinstance(raw, str):
            raw = (raw,)
        values = list(dict.fromkeys(v for v in raw if isinstance(v, str) and v))[:MAX_FILTER_VALUES]
        if values:
            cleaned[facet] = values
    return cleaned


def filter_query(schema: tantivy.Schema, facet: str, values: list[str]) -> Query:
    """Documents having any of ``values`` in the facet (OR within a facet); it does not affect scores."""
    field = facet_field(facet)
    if len(values) == 1:
        selection = Query.term_query(schema, field, values[0])
    else:
        selection = Query.term_set_query(schema, field, values)
    return Query.const_score_query(selection, 0.0)


def combine(text: Query | None, filters: Mapping[str, Query]) -> Query:
    """The text query AND every facet filter (AND across facets); everything when both are absent."""
    clauses = [(Occur.Must, q) for q in filters.values()]
    if text is not None:
        if not clauses:
            return text
        clauses.insert(0, (Occur.Must, text))
    if not clauses:
        return Query.all_query()
    return Query.boolean_query(clauses)


def counted_as(facet: str) -> list[str]:
    """The names a facet is counted under: itself, or one per part of a FACET_PARTS facet ("keyword/0")."""
    parts = FACET_PARTS.get(facet)
    return [f"{facet}/{part}" for part in range(parts)] if parts else [facet]


def facet_aggregation(names: Iterable[str], limit: int, value_sets: bool = True) -> dict[str, Any]:
    """One terms aggregation per facet or part (``counted_as``), in a single request: exact top-``limit``
    buckets by count. A facet of VALUE_SET_FACETS asks for every value set instead (``facet_buckets`` adds
    them up), unless ``value_sets`` is false."""
    request: dict[str, Any] = {}
    for name in names:
        facet, _, part = name.partition("/")
        if part:
            field, size = part_field(facet, int(part)), limit
        elif value_sets and facet in VALUE_SET_FACETS:
            field, size = value_set_field(facet), MAX_VALUE_SETS
        else:
            field, size = facet_field(facet), limit
        request[name] = {"terms": {"field": field, "size": size, "segment_size": FACET_SEGMENT_SIZE}}
    return request


def facet_buckets(
    result: Mapping[str, Any], names: Iterable[str], limit: int, value_sets: bool = True
) -> tuple[dict[str, list[tuple[str, int]]], list[str]]:
    """[(value, count)] per name from the result of ``facet_aggregation(names, limit, value_sets)``, count
    descending then value ascending, at most ``limit``; and the facets whose value sets could not be added up
    (a document with too many values, or more sets than asked for), to be counted again without value sets.
    Parts stay apart until ``join_parts``."""
    counts: dict[str, list[tuple[str, int]]] = {}
    again: list[str] = []
    for name in names:
        found = result.get(name, {})
        pairs = [(str(b["key"]), int(b["doc_count"])) for b in found.get("buckets", [])]
        if value_sets and name in VALUE_SET_FACETS:
            if found.get("sum_other_doc_count") or any(key == TOO_MANY for key, _ in pairs):
                again.append(name)
                continue
            pairs = _value_counts(pairs)
        counts[name] = _ranked(pairs, limit)
    return counts, again


def join_parts(counts: Mapping[str, list[tuple[str, int]]], limit: int) -> dict[str, list[tuple[str, int]]]:
    """The counts with the parts of each FACET_PARTS facet merged into the facet's top ``limit``."""
    joined: dict[str, list[tuple[str, int]]] = {}
    for name, buckets in counts.items():
        joined.setdefault(name.partition("/")[0], []).extend(buckets)
    return {facet: _ranked(buckets, limit) if facet in FACET_PARTS else buckets for facet, buckets in joined.items()}


def _ranked(pairs: list[tuple[str, int]], limit: int) -> list[tuple[str, int]]:
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))[:limit]


def _value_counts(sets: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Documents per value from documents per value set."""
    totals: Counter[str] = Counter()
    for key, count in sets:
        for value in orjson.loads(key):
            totals[value] += count
    return list(totals.items())
