"""The data.europa.eu Metadata Quality Assessment (MQA) of one record.

``measure(triples, dataset_iri)`` scores a mapped record (N-Triples text tuples) on the MQA's five
dimensions: 405 points, bands excellent ≥ 351, good ≥ 221, sufficient ≥ 121, else bad (the methodology:
https://data.europa.eu/mqa/methodology). It runs for every harvested record, so it is one pass over the
triples and set lookups (60–80 µs for the demo portal's 119-triple records). Two indicators
need facts from outside the record and stay ``None`` ("not yet assessable") until they come:
DCAT-AP compliance (``shacl_conforms``, harvester.dcat.validate) and URL accessibility (``url_status``,
harvester.trust.links.LinkChecker.statuses).

How a record earns its points:

* dataset properties (keyword, theme, spatial, temporal, access rights, contact point, publisher) score all
  or nothing (the number of keywords does not count);
* distribution properties score the share of the dataset's distributions that have them, rounded half up
  to whole points, as the MQA's reports count them; licence, rights, issued and modified may be stated on the
  dataset instead, and then hold for every distribution;
* accessURL / downloadURL accessible: the share of distributions with a URL of that kind answering 2xx (a
  distribution without one does not answer). The indicator is None while ``url_status`` lacks any of these
  URLs (missing = not checked yet; a status None = checked and failed, so 0);
* interoperability: only the best-scoring distribution counts ("identical content with several
  distributions"); its format / media type is non-proprietary or machine-readable when the EU file type of
  either is on the data.europa.eu list (vocab/quality/); format / media type "from a vocabulary" when every
  format and media type the distribution states is one and it states at least one;
* "from a controlled vocabulary": the IRI is in the EU authority table of the property (file-type, licence,
  access-right), the IANA media-types namespace, or, for licences, the SPDX licence list (harvester.vocab
  maps licences the EU table lacks there).

Its W3C DQV form (measurements in the record, read back) is harvester.trust.dqv.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import pyoxigraph as ox

from harvester import VOCAB_DIR, vocab
from harvester.dcat.rdf import HARV, iri_value, term
from harvester.vocab.concept import EU_AUTHORITY, IANA_MEDIA_TYPES, SPDX_LICENSES

PV = "https://piveau.eu/ns/voc#"
DQV = "http://www.w3.org/ns/dqv#"
MQA = HARV + "mqa:"  # our metrics where piveau's vocabulary has none
EDP = "https://europeandataportal.eu/voc#"
FILE_TYPE = EU_AUTHORITY + "file-type/"
MAX_POINTS = 405
DIMENSIONS = ("findability", "accessibility", "interoperability", "reusability", "contextuality")
#: (lowest total, band), best first
BANDS = ((351, "excellent"), (221, "good"), (121, "sufficient"), (0, "bad"))
BAND_LABELS = {"excellent": {"en": "Excellent", "zh": "优秀"}, "good": {"en": "Good", "zh": "良好"},
               "sufficient": {"en": "Sufficient", "zh": "合格"}, "bad": {"en": "Bad", "zh": "较差"}}
DIMENSION_LABELS = {"findability": ("Findability", "可发现性"), "accessibility": ("Accessibility", "可访问性"),
                    "interoperability": ("Interoperability", "互操作性"),
                    "reusability": ("Reusability", "可重用性"), "contextuality": ("Contextuality", "情境性")}


class Indicator(NamedTuple):
    name: str
    dimension: str
    points: int  # the most it can award
    metric: str  # the piveau metric IRI


#: The MQA scheme, the one place its indicators, points and metric IRIs are written.
INDICATORS: tuple[Indicator, ...] = tuple(Indicator(n, d, pts, PV + m) for n, d, pts, m in (
    ("keyword", "findability", 30, "keywordAvailability"),
    ("theme", "findability", 30, "categoryAvailability"),
    ("spatial", "findability", 20, "spatialAvailability"),
    ("temporal", "findability", 20, "temporalAvailability"),
    ("access_url_status", "accessibility", 50, "accessUrlStatusCode"),
    ("download_url", "accessibility", 20, "downloadUrlAvailability"),
    ("download_url_status", "accessibility", 30, "downloadUrlStatusCode"),
    ("format", "interoperability", 20, "formatAvailability"),
    ("media_type", "interoperability", 10, "mediaTypeAvailability"),
    ("format_vocabulary", "interoperability", 10, "formatMediaTypeVocabularyAlignment"),
    ("non_proprietary", "interoperability", 20, "formatMediaTypeNonProprietary"),
    ("machine_readable", "interoperability", 20, "formatMediaTypeMachineInterpretable"),
    ("dcat_ap_compliance", "interoperability", 30, "dcatApCompliance"),
    ("licence", "reusability", 20, "licenceAvailability"),
    ("licence_vocabulary", "reusability", 10, "knownLicence"),
    ("access_rights", "reusability", 10, "accessRightsAvailability"),
    ("access_rights_vocabulary", "reusability", 5, "accessRightsVocabularyAlignment"),
    ("contact_point", "reusability", 20, "contactPointAvailability"),
    ("publisher", "reusability", 10, "publisherAvailability"),
    ("rights", "contextuality", 5, "rightsAvailability"),
    ("byte_size", "contextuality", 5, "byteSizeAvailability"),
    ("issued", "contextuality", 5, "dateIssuedAvailability"),
    ("modified", "contextuality", 5, "dateModifiedAvailability"),
))
INDICATOR = {ind.name: ind for ind in INDICATORS}
_ORDER = tuple((ind.name, ind.dimension) for ind in INDICATORS)
DIMENSION_IRIS = {d: PV + d for d in DIMENSIONS}
DIMENSION_METRICS = {d: f"{MQA}{d}Score" for d in DIMENSIONS}
TOTAL_METRIC = PV + "score"
RATING_METRIC = MQA + "rating"
#: piveau's SKOS concepts of the bands (its "enough" is the methodology's "sufficient"), for links from the site
RATING_CONCEPTS = {"excellent": "https://piveau.eu/ns/scoring#excellent", "good": "https://piveau.eu/ns/scoring#good",
                   "sufficient": "https://piveau.eu/ns/scoring#enough", "bad": "https://piveau.eu/ns/scoring#bad"}


class Score(NamedTuple):
    points: int
    maximum: int


@dataclass(frozen=True)
class Quality:
    """One record's MQA result; an indicator is None while it cannot be assessed (it then awards 0)."""

    dimensions: Mapping[str, int]
    indicators: Mapping[str, Score | None]
    total: int
    band: str  # "excellent" | "good" | "sufficient" | "bad"
    maximum: int = MAX_POINTS

    @property
    def pending(self) -> tuple[str, ...]:
        """The indicators not assessable yet (no SHACL report, URLs not checked)."""
        return tuple(name for name, score in self.indicators.items() if score is None)


def band_of(total: int) -> str:
    return next(band for lowest, band in BANDS if total >= lowest)


# --- the record's properties ----------------------------------------------------------------------

KEYWORD, THEME, DISTRIBUTION = term("dcat:keyword"), term("dcat:theme"), term("dcat:distribution")
ACCESS_URL, DOWNLOAD_URL, MEDIA_TYPE = term("dcat:accessURL"), term("dcat:downloadURL"), term("dcat:mediaType")
CONTACT_POINT, BYTE_SIZE = term("dcat:contactPoint"), term("dcat:byteSize")
SPATIAL, TEMPORAL, FORMAT = term("dct:spatial"), term("dct:temporal"), term("dct:format")
LICENSE, ACCESS_RIGHTS, PUBLISHER = term("dct:license"), term("dct:accessRights"), term("dct:publisher")
RIGHTS, ISSUED, MODIFIED = term("dct:rights"), term("dct:issued"), term("dct:modified")
_WANTED = frozenset({KEYWORD, THEME, DISTRIBUTION, ACCESS_URL, DOWNLOAD_URL, MEDIA_TYPE, CONTACT_POINT,
                     BYTE_SIZE, SPATIAL, TEMPORAL, FORMAT, LICENSE, ACCESS_RIGHTS, PUBLISHER, RIGHTS,
                     ISSUED, MODIFIED})
Props = dict[str, list[str]]


def _properties(triples: Iterable[Sequence[str]]) -> dict[str, Props]:
    """subject → predicate → objects, for the predicates the MQA looks at (a third of a typical record)."""
    found: dict[str, Props] = {}
    wanted = _WANTED
    for s, p, o in triples:
        if p in wanted:
            props = found.get(s)
            if props is None:
                found[s] = {p: [o]}
            elif p in props:
                props[p].append(o)
            else:
                props[p] = [o]
    return found


def as_term(value: str) -> str:
    """An IRI as an N-Triples term, whether or not it came in angle brackets."""
    return value if value.startswith("<") else f"<{value}>"


def link_urls(triples: Iterable[Sequence[str]], dataset_iri: str) -> list[str]:
    """The access and download URLs of the dataset's distributions: what the link checker should check."""
    found = _properties(triples)
    urls: dict[str, None] = {}
    for dist in found.get(as_term(dataset_iri), {}).get(DISTRIBUTION, ()):
        for p in (ACCESS_URL, DOWNLOAD_URL):
            urls.update((iri_value(o), None) for o in found.get(dist, {}).get(p, ()) if o.startswith("<"))
    return list(urls)


# --- vocabularies ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def format_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(non-proprietary, machine-readable) EU file-type IRIs, from data.europa.eu's lists in vocab/quality/."""
    def read(name: str, flag: str) -> frozenset[str]:
        quads = ox.parse(path=VOCAB_DIR / "quality" / name, format=ox.RdfFormat.RDF_XML)
        return frozenset(q.subject.value for q in quads
                         if q.predicate.value == EDP + flag and q.object.value == "true")
    return (read("edp-non-proprietary-format.rdf", "isNonProprietary"),
            read("edp-machine-readable-format.rdf", "isMachineReadable"))


@lru_cache(maxsize=4096)
def _file_type(term_text: str) -> str | None:
    """The EU file-type IRI of a dct:format or dcat:mediaType IRI term (media types via harvester.vocab)."""
    value = iri_value(term_text) if term_text.startswith("<") else ""
    if value.startswith(FILE_TYPE):
        return value
    media = _iana_media_type(value)
    concept = vocab.file_type(media) if media else None
    return concept.iri if concept else None


@lru_cache(maxsize=4096)
def _is_media_type(term_text: str) -> bool:
    return term_text.startswith("<") and _iana_media_type(iri_value(term_text)) is not None


def _iana_media_type(value: str) -> str | None:
    for prefix in (IANA_MEDIA_TYPES, "http://www.iana.org/assignments/media-types/"):
        if value.startswith(prefix) and len(value) > len(prefix):
            return value[len(prefix):]
    return None


_FILE_TYPE_TERM, _ACCESS_RIGHT_TERM = f"<{FILE_TYPE}", f"<{EU_AUTHORITY}access-right/"
_LICENCE_TERMS = (f"<{EU_AUTHORITY}licence/", f"<{SPDX_LICENSES}")


def _known_licence(o: str) -> bool:
    return o.startswith(_LICENCE_TERMS)


# --- indicators -----------------------------------------------------------------------------------

def _share(maximum: int, hits: int, population: int) -> int:
    """``maximum`` scaled by hits / population, rounded half up (0 for no population)."""
    return (2 * maximum * hits + population) // (2 * population) if population else 0


def _dataset_indicators(ds: Props) -> dict[str, int]:
    rights = ds.get(ACCESS_RIGHTS, ())
    points = {name: INDICATOR[name].points if ds.get(p) else 0 for name, p in (
        ("keyword", KEYWORD), ("theme", THEME), ("spatial", SPATIAL), ("temporal", TEMPORAL),
        ("access_rights", ACCESS_RIGHTS), ("contact_point", CONTACT_POINT), ("publisher", PUBLISHER))}
    points["access_rights_vocabulary"] = 5 if any(o.startswith(_ACCESS_RIGHT_TERM) for o in rights) else 0
    return points


def _inherited(ds: Props, dists: list[Props], name: str, p: str,
               accept: Callable[[str], bool] | None = None) -> int:
    """Points for a property a distribution has itself or through its dataset."""
    def has(props: Props) -> bool:
        values = props.get(p, ())
        return any(map(accept, values)) if accept else bool(values)
    maximum = INDICATOR[name].points
    if has(ds):
        return maximum
    return _share(maximum, sum(1 for d in dists if has(d)), len(dists))


def _distribution_indicators(ds: Props, dists: list[Props]) -> dict[str, int]:
    n = len(dists)
    return {
        "download_url": _share(20, sum(1 for d in dists if d.get(DOWNLOAD_URL)), n),
        "byte_size": _share(5, sum(1 for d in dists if d.get(BYTE_SIZE)), n),
        "licence": _inherited(ds, dists, "licence", LICENSE),
        "licence_vocabulary": _inherited(ds, dists, "licence_vocabulary", LICENSE, _known_licence),
        "rights": _inherited(ds, dists, "rights", RIGHTS),
        "issued": _inherited(ds, dists, "issued", ISSUED),
        "modified": _inherited(ds, dists, "modified", MODIFIED),
    }


def _url_indicator(dists: list[Props], p: str, maximum: int,
                   url_status: Mapping[str, int | None] | None) -> int | None:
    """The share of distributions whose ``p`` URL answered 2xx; None while a URL is unchecked."""
    per_dist = [[iri_value(o) for o in d.get(p, ()) if o.startswith("<")] for d in dists]
    urls = [url for urls in per_dist for url in urls]
    if urls and (url_status is None or any(url not in url_status for url in urls)):
        return None
    status = url_status or {}
    hits = sum(1 for urls in per_dist if any(200 <= (status.get(url) or 0) < 300 for url in urls))
    return _share(maximum, hits, len(dists))


_INTEROPERABILITY = ("format", "media_type", "format_vocabulary", "non_proprietary", "machine_readable")


@lru_cache(maxsize=4096)
def _interoperability(formats: tuple[str, ...], media: tuple[str, ...]) -> tuple[int, ...]:
    """The points of one distribution, in ``_INTEROPERABILITY`` order (memoised: the same few format and
    media type pairs recur on every record)."""
    non_proprietary, machine_readable = format_lists()
    aligned = bool(formats or media) and all(o.startswith(_FILE_TYPE_TERM) for o in formats) and all(
        map(_is_media_type, media))
    types = {_file_type(o) for o in formats + media}
    return (20 if formats else 0, 10 if media else 0, 10 if aligned else 0,
            20 if types & non_proprietary else 0, 20 if types & machine_readable else 0)


def _best_distribution(dists: list[Props]) -> dict[str, int]:
    """The interoperability points of the best-scoring distribution (the first of equals)."""
    scored = [_interoperability(tuple(d.get(FORMAT, ())), tuple(d.get(MEDIA_TYPE, ()))) for d in dists]
    return dict(zip(_INTEROPERABILITY, max(scored, key=sum, default=(0, 0, 0, 0, 0))))


def measure(triples: Iterable[Sequence[str]], dataset_iri: str, *, shacl_conforms: bool | None = None,
            url_status: Mapping[str, int | None] | None = None) -> Quality:
    """The MQA score of one record (its triples as N-Triples text tuples; ``dataset_iri`` with or without
    angle brackets). ``url_status``: HTTP status per URL from the link checker (None = failed; a URL
    missing = not checked yet)."""
    found = _properties(triples)
    ds = found.get(as_term(dataset_iri), {})
    dists = [found.get(o, {}) for o in ds.get(DISTRIBUTION, ())]
    points: dict[str, int | None] = {
        **_dataset_indicators(ds), **_distribution_indicators(ds, dists), **_best_distribution(dists),
        "access_url_status": _url_indicator(dists, ACCESS_URL, 50, url_status),
        "download_url_status": _url_indicator(dists, DOWNLOAD_URL, 30, url_status),
        "dcat_ap_compliance": None if shacl_conforms is None else 30 if shacl_conforms else 0}
    return assemble(points)


#: every Score an indicator can give, made once: a record's 23 scores are then lookups
_SCORES = {ind.name: [Score(pts, ind.points) for pts in range(ind.points + 1)] for ind in INDICATORS}


def assemble(points: Mapping[str, int | None]) -> Quality:
    indicators: dict[str, Score | None] = {}
    dimensions = dict.fromkeys(DIMENSIONS, 0)
    for name, dimension in _ORDER:  # the scheme's order
        awarded = points.get(name)
        if awarded is None:
            indicators[name] = None
        else:
            indicators[name] = _SCORES[name][awarded]
            dimensions[dimension] += awarded
    total = sum(dimensions.values())
    return Quality(dimensions, indicators, total, band_of(total))


__all__ = ["Quality", "Score", "Indicator", "INDICATORS", "INDICATOR", "DIMENSIONS", "MAX_POINTS", "BANDS",
           "BAND_LABELS", "RATING_CONCEPTS", "measure", "link_urls", "band_of", "format_lists"]
