"""Builds tantivy queries and facet aggregations from analysed query terms and facet filters.

User input never reaches tantivy's query parser: every query is assembled with the Query API, so quotes,
colons, brackets or ``*`` are just characters. Constructors that panic in the binding (a phrase of one
term, a search with limit 0) are avoided by construction.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import tantivy
from tantivy import Occur, Query

from harvester.index.analysis import QueryTerm, single_char_regex
from harvester.index.schema import FILTERS, TEXT_FIELD_BOOSTS, facet_field

#: At most this many selected values per facet are honoured.
MAX_FILTER_VALUES = 50
#: Per-segment bucket budget of a terms aggregation: above any facet's cardinality, so counts are exact.
#: The cost follows the distinct values present, not this number; tantivy's 65,000-bucket limit applies to
#: the returned buckets (size), not to this.
FACET_SEGMENT_SIZE = 1_000_000
#: Lets a document matching in several fields score a little above one matching in only its best field.
DISMAX_TIE_BREAKER = 0.2


def text_query(schema: tantivy.Schema, terms: list[QueryTerm]) -> Query | None:
    """All terms must match (AND); each term may match in any analysed field, scored by its best field."""
    if not terms:
        return None
    per_term = [_any_field_query(schema, term) for term in terms]
    if len(per_term) == 1:
        return per_term[0]
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


def facet_aggregation(facets: Iterable[str], limit: int) -> dict[str, Any]:
    """One terms aggregation per facet, in a single request: exact top-``limit`` buckets by count."""
    return {
        facet: {"terms": {"field": facet_field(facet), "size": limit, "segment_size": FACET_SEGMENT_SIZE}}
        for facet in facets
    }


def facet_buckets(result: Mapping[str, Any], facets: Iterable[str]) -> dict[str, list[tuple[str, int]]]:
    """[(value, count)] per facet from an aggregation result, count descending then value ascending."""
    counts: dict[str, list[tuple[str, int]]] = {}
    for facet in facets:
        buckets = result.get(facet, {}).get("buckets", [])
        pairs = [(str(b["key"]), int(b["doc_count"])) for b in buckets]
        counts[facet] = sorted(pairs, key=lambda pair: (-pair[1], pair[0]))
    return counts
