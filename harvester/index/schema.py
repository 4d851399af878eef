"""The tantivy schema of the search index, and DatasetDoc ⇄ tantivy document.

Bump ``SCHEMA_VERSION`` whenever the schema, the analysis (analysis.py) or the stored document changes:
an index written with another version is refused until ``harvester reindex`` rebuilds it (directory.py).
"""

from __future__ import annotations

import zlib
from dataclasses import fields
from datetime import datetime, timezone
from typing import Any

import orjson
import tantivy

from harvester.index.analysis import analyze_for_index, normalize
from harvester.model import DatasetDoc

SCHEMA_VERSION = 4

#: URL parameter names of the facets, in display order.
FACETS = ("publisher", "theme", "format", "license", "source", "access", "quality", "keyword")
#: facet name → the DatasetDoc attribute holding its value(s)
FACET_DOC_FIELDS = {
    "publisher": "publisher",
    "theme": "themes",
    "format": "formats",
    "license": "license",
    "source": "source",
    "access": "access",
    "quality": "quality_band",
    "keyword": "keywords",
}
#: filters that are not counted as facets: ``column`` (a data-dictionary column name: "datasets with a
#: 统一社会信用代码 column") has too many distinct values to count on every search
FILTER_ONLY = ("column",)
FILTERS = FACETS + FILTER_ONLY
FILTER_DOC_FIELDS = {**FACET_DOC_FIELDS, "column": "columns"}

ID_FIELD = "id"
STORED_FIELD = "doc"
MODIFIED_FIELD = "modified"
QUALITY_FIELD = "quality"
TITLE_SORT_FIELD = "title_sort"
#: "1" for a document shown in the merged search, "0" for one folded into its cluster's primary
PRIMARY_FIELD = "f_primary"
#: analysed text field → query boost; title and keyword matches outrank description-only matches
TEXT_FIELD_BOOSTS = {"t_title": 3.0, "t_keywords": 2.5, "t_publisher": 1.5, "t_columns": 1.2, "t_body": 1.0}
#: every analysed text field again, in one field: the facet counts (which need no scores) match a word with
#: one term query there instead of a union over the five fields (at 1M documents, 数据: 12 → 5 ms a pass;
#: three words: 21 → 11 ms). Fields are joined with BOUNDARY, a token no query has, so that a phrase never
#: matches across two fields (as it cannot in them).
ANY_FIELD = "t_any"
BOUNDARY = "|"
#: raw values longer than this are cut before they go into a facet or sort column
MAX_RAW_CHARS = 256
TITLE_SORT_CHARS = 64
_DOC_ATTRIBUTES = tuple(f.name for f in fields(DatasetDoc))


#: multi-valued facets with few distinct values, counted from a second column holding each document's whole
#: set of values as one value (a JSON array): tantivy counts a single-valued column ~30× faster than a
#: multi-valued one (at 1M documents, the format counts of everything 35 → ~1.5 ms)
VALUE_SET_FACETS = ("theme", "format")
#: a document whose value set is longer than this (as JSON) gets ``TOO_MANY`` instead; its facet is then
#: counted from the multi-valued column
MAX_VALUE_SET_CHARS = 2048
TOO_MANY = "*"
#: facets with many values per document and many distinct ones, their values split by a hash of the value
#: over this many columns; each part is counted in a thread of its own and their top buckets merged (the
#: parts hold different values, so the merge is exact). At 1M documents the keyword counts of everything
#: take ~67 ms in one column.
FACET_PARTS = {"keyword": 2}


def facet_field(facet: str) -> str:
    """The tantivy field counting one facet, e.g. "publisher" → "f_publisher"."""
    return f"f_{facet}"


def value_set_field(facet: str) -> str:
    """The single-valued column of a VALUE_SET_FACETS facet, e.g. "format" → "s_format"."""
    return f"s_{facet}"


def part_field(facet: str, part: int) -> str:
    """The column counting one part of a FACET_PARTS facet's values, e.g. ("keyword", 1) → "p1_keyword"."""
    return f"p{part}_{facet}"


def part_of(value: str, parts: int) -> int:
    """Which of ``parts`` columns counts ``value`` (stable across processes and versions)."""
    return zlib.crc32(value.encode()) % parts


def value_set(values: list[str]) -> str:
    """One document's facet values as one column value: a JSON array, sorted (TOO_MANY when too long)."""
    encoded = orjson.dumps(sorted(values)).decode()
    return encoded if len(encoded) <= MAX_VALUE_SET_CHARS else TOO_MANY


def build_schema() -> tantivy.Schema:
    """Analysed text fields (whitespace-tokenised bigrams), raw fast facet columns, sort columns, stored JSON."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field(ID_FIELD, tokenizer_name="raw", index_option="basic")
    for name in (*TEXT_FIELD_BOOSTS, ANY_FIELD):
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    for facet in FILTERS:
        counted = facet in FACETS and facet not in FACET_PARTS
        builder.add_text_field(facet_field(facet), tokenizer_name="raw", fast=counted, index_option="basic")
    for facet in VALUE_SET_FACETS:
        builder.add_text_field(value_set_field(facet), tokenizer_name="raw", fast=True, index_option="basic")
    for facet, parts in FACET_PARTS.items():
        for part in range(parts):
            builder.add_text_field(part_field(facet, part), tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_text_field(PRIMARY_FIELD, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field(MODIFIED_FIELD, fast=True)
    builder.add_integer_field(QUALITY_FIELD, fast=True)
    builder.add_text_field(TITLE_SORT_FIELD, tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_bytes_field(STORED_FIELD, stored=True)
    return builder.build()


def to_tantivy(doc: DatasetDoc) -> tantivy.Document:
    """The tantivy document of one dataset: analysed text, facet values, sort keys and the stored original."""
    text = {
        "t_title": analyze_for_index((doc.title, doc.title_en)),
        "t_keywords": analyze_for_index(doc.keywords),
        "t_publisher": analyze_for_index((doc.publisher,)),
        "t_columns": analyze_for_index(doc.columns),
        "t_body": analyze_for_index((doc.description, doc.description_en)),
    }
    values: dict[str, Any] = {
        ID_FIELD: doc.id,
        **text,
        ANY_FIELD: f" {BOUNDARY} ".join(terms for terms in text.values() if terms),
        TITLE_SORT_FIELD: normalize(doc.title or doc.title_en)[:TITLE_SORT_CHARS],
        PRIMARY_FIELD: "0" if doc.duplicate_of else "1",
        STORED_FIELD: encode_stored(doc),
    }
    for facet, attribute in FILTER_DOC_FIELDS.items():
        facet_values = _facet_values(getattr(doc, attribute))
        if facet_values:
            values[facet_field(facet)] = facet_values
            if facet in VALUE_SET_FACETS:
                values[value_set_field(facet)] = value_set(facet_values)
            if facet in FACET_PARTS:
                values.update(_parted(facet, facet_values))
    if doc.modified is not None:
        values[MODIFIED_FIELD] = _epoch_seconds(doc.modified)
    if doc.quality is not None:
        values[QUALITY_FIELD] = doc.quality
    return tantivy.Document.from_dict(values)


def _facet_values(value: str | list[str]) -> list[str]:
    raw = [value] if isinstance(value, str) else value
    return list(dict.fromkeys(v[:MAX_RAW_CHARS] for v in raw if v))


def _parted(facet: str, facet_values: list[str]) -> dict[str, list[str]]:
    parts = FACET_PARTS[facet]
    split: dict[str, list[str]] = {}
    for value in facet_values:
        split.setdefault(part_field(facet, part_of(value, parts)), []).append(value)
    return split


def _epoch_seconds(moment: datetime) -> int:
    if moment.tzinfo is None:  # naive datetimes are taken as UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def encode_stored(doc: DatasetDoc) -> bytes:
    """The original field values as compact JSON (never the analysed text); datetimes as ISO 8601."""
    return orjson.dumps(doc)


def decode_stored(raw: bytes) -> DatasetDoc:
    """Rebuild the DatasetDoc from the stored JSON (fields unknown to this version are ignored)."""
    stored = orjson.loads(raw)
    data = {name: stored[name] for name in _DOC_ATTRIBUTES if name in stored}
    for key in ("modified", "issued"):
        if data.get(key):
            data[key] = datetime.fromisoformat(data[key])
    return DatasetDoc(**data)
