"""The typing supplement for SHACL: rdf:type, skos:inScheme and skos:prefLabel of the vocabulary IRIs a record uses.

DCAT-AP 3 range shapes use ``sh:class`` (dct:Frequency, dct:LicenseDocument, skos:Concept with a prefLabel …)
and Dublin Core only suggests those classes, so a record that points at an EU concept fails unless the
concept's type is in the data graph. Adding these few triples per used IRI — never whole vocabularies — is
the "typed" validation mode of dcat-ap-shacl/VALIDATION.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from harvester.vocab.concept import DCT, IANA_MEDIA_TYPES, KINDS, SPDX_TERMS, Concept, KindInfo
from harvester.vocab.index import load_index
from harvester.vocab.normalise import canonical_eu_iri

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SKOS = "http://www.w3.org/2004/02/skos/core#"
_IANA_PREFIXES = (IANA_MEDIA_TYPES, "http://www.iana.org/assignments/media-types/")

#: The checksum algorithms of the SPDX 2.3 vocabulary (spdx:checksumAlgorithm_sha1 …).
SPDX_CHECKSUM_ALGORITHMS = frozenset(
    SPDX_TERMS + "checksumAlgorithm_" + name for name in (
        "adler32", "blake2b256", "blake2b384", "blake2b512", "blake3", "md2", "md4", "md5", "md6",
        "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512"))


#: Standards records point at with dct:conformsTo (range dct:Standard), with their titles.
KNOWN_STANDARDS = {"http://data.europa.eu/r5r/": "DCAT-AP"}


def typing_triples(iris: Iterable[str]) -> str:
    """N-Triples typing every known vocabulary IRI among ``iris``; unknown IRIs are skipped."""
    return "".join(_typing_of(iri) for iri in sorted(set(iris)))


@lru_cache(maxsize=16384)
def _typing_of(iri: str) -> str:
    index = load_index()
    canonical = canonical_eu_iri(iri)
    found = index.by_iri.get(canonical)
    if found is not None:
        return _concept_triples(iri, found)
    scheme = index.schemes.get(canonical)
    if scheme is not None:
        return _scheme_triples(iri, scheme)
    if any(iri.startswith(p) and iri[len(p):] in index.iana for p in _IANA_PREFIXES):
        return _triple(iri, RDF_TYPE, f"<{DCT}MediaType>")
    if iri in SPDX_CHECKSUM_ALGORITHMS:
        return _triple(iri, RDF_TYPE, f"<{SPDX_TERMS}ChecksumAlgorithm>")
    if iri in KNOWN_STANDARDS:
        return _triple(iri, RDF_TYPE, f"<{DCT}Standard>") + _triple(iri, f"<{DCT}title>",
                                                                      _literal(KNOWN_STANDARDS[iri], ""))
    return ""


def _concept_triples(iri: str, concept: Concept) -> str:
    range_class = KINDS[concept.kind].range_class
    lines = [_triple(iri, RDF_TYPE, f"<{SKOS}Concept>")]
    if range_class:
        lines.append(_triple(iri, RDF_TYPE, f"<{range_class}>"))
    lines.append(_triple(iri, f"<{SKOS}inScheme>", f"<{concept.scheme}>"))
    labels = {lang: concept.labels[lang] for lang in ("zh", "en") if concept.labels.get(lang)}
    for lang, text in labels.items() or [("", concept.code)]:
        lines.append(_triple(iri, f"<{SKOS}prefLabel>", _literal(text, lang)))
    return "".join(lines)


def _scheme_triples(iri: str, scheme: KindInfo) -> str:
    return "".join((
        _triple(iri, RDF_TYPE, f"<{SKOS}ConceptScheme>"),
        _triple(iri, f"<{DCT}title>", _literal(scheme.title_zh, "zh")),
        _triple(iri, f"<{DCT}title>", _literal(scheme.title_en, "en")),
    ))


def _triple(subject: str, predicate: str, obj: str) -> str:
    return f"<{subject}> {predicate} {obj} .\n"


def _literal(text: str, lang: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'
