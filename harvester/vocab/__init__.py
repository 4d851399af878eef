"""Controlled vocabularies: portal values → EU authority concepts, labels in Chinese and English, SHACL typing.

The data lives in vocab/ (EU authority tables, IANA media types, the SPDX licence list and the curated
crosswalks in vocab/crosswalk/; sources in vocab/PROVENANCE.txt). It is read once per process; every
lookup afterwards is a dict lookup on a normalised key, memoised per value::

    >>> from harvester import vocab
    >>> vocab.theme("交通出行").code, vocab.frequency("每月").code, vocab.licence("cc-by").code
    ('TRAN', 'MONTHLY', 'CC_BY_4_0')
    >>> vocab.label("http://publications.europa.eu/resource/authority/data-theme/TRAN", "en")
    'Transport'

Kinds: "theme", "file_type", "frequency", "access_right", "licence", "language", "availability",
"distribution_status". Lookups answer None for unknown values and for values known to name no concept.
"""

from harvester.vocab.concept import IANA_MEDIA_TYPES, KINDS, Concept, KindInfo
from harvester.vocab.index import load_index
from harvester.vocab.lookup import (access_right, concept, file_type, frequency, label, language, licence,
                                    lookup_all, media_type, theme, themes)
from harvester.vocab.rdf_typing import typing_triples

__all__ = [
    "Concept", "KindInfo", "KINDS", "IANA_MEDIA_TYPES",
    "theme", "themes", "file_type", "media_type", "licence", "frequency", "access_right", "language",
    "concept", "label", "lookup_all", "typing_triples", "load_index",
]
