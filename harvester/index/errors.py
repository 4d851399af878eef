"""The exceptions of the search index.

::

    SearchIndexError
     ├── IndexFormatError   the directory holds an index of another or older format: run `harvester reindex`
     └── IndexLockedError   another IndexWriter (this or another process) holds the directory's write lock
"""


class SearchIndexError(Exception):
    """A problem with the search index or its directory (also: using a closed SearchIndex)."""


class IndexFormatError(SearchIndexError):
    """The on-disk index is missing its format marker, older, or otherwise incompatible."""


class IndexLockedError(SearchIndexError):
    """Another IndexWriter holds the write lock of the index directory."""
