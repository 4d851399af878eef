"""The search index: derived from the triple store, rebuildable (``harvester reindex``), Chinese first."""

from harvester.index.errors import IndexFormatError, IndexLockedError, SearchIndexError
from harvester.index.schema import FACETS, FILTERS, SCHEMA_VERSION
from harvester.index.search import Hit, SearchIndex, SearchQuery, SearchResult

__all__ = [
    "FACETS",
    "FILTERS",
    "SCHEMA_VERSION",
    "Hit",
    "IndexFormatError",
    "IndexLockedError",
    "SearchIndex",
    "SearchIndexError",
    "SearchQuery",
    "SearchResult",
]
