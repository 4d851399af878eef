"""The W3C DQV form of a record's MQA (harvester.trust.quality): measurements written into the record, and
read back from a stored one.

DQV (``dqv_triples``): one dqv:QualityMeasurement (``<{dataset}#quality-{key}>``, no blank nodes) per
assessed indicator, per dimension, for the total and for the rating band, each ``dqv:computedOn`` the
dataset, ``dqv:isMeasurementOf`` a metric, with an ``xsd:integer`` ``dqv:value`` of points (the band: a
plain literal such as "excellent"). Metric and dimension IRIs are data.europa.eu's (piveau's DQV
vocabulary, ``https://piveau.eu/ns/voc#``: the dimensions, one metric per indicator, ``pv:score`` for the
total). Piveau has no metric for a dimension's points or the band, so those are ours, under
``urn:harvester:mqa:``. Piveau records a boolean or an HTTP status per distribution under its metrics; this
module records the indicator's points for the dataset, which the record-level shares need.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from harvester.dcat.rdf import SKOS, XSD, A, Triple, iri_value, literal, literal_parts
from harvester.trust.quality import (
    DIMENSION_IRIS,
    DIMENSION_LABELS,
    DIMENSION_METRICS,
    DIMENSIONS,
    DQV,
    INDICATORS,
    RATING_METRIC,
    TOTAL_METRIC,
    Quality,
    as_term,
    assemble,
    band_of,
    measure,
)

_MEASUREMENT, _COMPUTED_ON = f"<{DQV}QualityMeasurement>", f"<{DQV}computedOn>"
_IS_MEASUREMENT_OF, _VALUE = f"<{DQV}isMeasurementOf>", f"<{DQV}value>"
_BY_METRIC = {f"<{ind.metric}>": ind for ind in INDICATORS}


def _integer(value: int) -> str:
    return f'"{value}"^^<{XSD}integer>'


#: (indicator or dimension, IRI fragment key, metric term) of the measurements, worked out once
_INDICATOR_KEYS = tuple((ind.name, ind.name.replace("_", "-"), f"<{ind.metric}>") for ind in INDICATORS)
_DIMENSION_KEYS = tuple((d, d, f"<{DIMENSION_METRICS[d]}>") for d in DIMENSIONS)


#: how much of a Quality ``dqv_triples`` writes: every indicator, the five dimensions, or the total only
#: (each level also writes the total and the rating)
LEVELS = ("indicators", "dimensions", "total")


def _measurements(quality: Quality, level: str) -> Iterable[tuple[str, str, str]]:
    """(IRI fragment key, metric term, value term) of the measurements of ``quality`` at ``level``."""
    if level not in LEVELS:
        raise ValueError(f"unknown DQV level {level!r}; use one of {', '.join(LEVELS)}")
    for name, key, metric in _INDICATOR_KEYS if level == "indicators" else ():
        score = quality.indicators.get(name)
        if score is not None:
            yield key, metric, _integer(score.points)
    for dimension, key, metric in _DIMENSION_KEYS if level != "total" else ():
        yield key, metric, _integer(quality.dimensions[dimension])
    yield "score", f"<{TOTAL_METRIC}>", _integer(quality.total)
    yield "rating", f"<{RATING_METRIC}>", literal(quality.band)


def dqv_triples(quality: Quality, dataset_iri: str, measurement_iri_base: str | None = None,
                level: str = "indicators") -> list[Triple]:
    """W3C DQV measurements of ``quality`` computed on the dataset, named ``<{base}#quality-{key}>``
    (``base`` defaults to the dataset IRI; the project uses no blank nodes). Records in the store carry
    ``level="total"``: the score and the rating, 8 triples (the dimensions add 20, the indicators ~90; both
    are measured again from the record itself in ~60 µs, as the dataset page does)."""
    dataset = as_term(dataset_iri)
    base = iri_value(as_term(measurement_iri_base or dataset_iri)).split("#", 1)[0]
    out: list[Triple] = []
    for key, metric, value in _measurements(quality, level):
        node = f"<{base}#quality-{key}>"
        out += [Triple(node, A, _MEASUREMENT), Triple(node, _COMPUTED_ON, dataset),
                Triple(node, _IS_MEASUREMENT_OF, metric), Triple(node, _VALUE, value)]
    return out


def quality_from_triples(triples: Iterable[Sequence[str]], dataset_iri: str) -> Quality | None:
    """The Quality a stored record's DQV says (dimension points and band recomputed from its indicators, or
    the total as stored when only it is, with the dimensions as stored or, absent, measured from the record
    itself), or None when the record holds no MQA measurement."""
    dataset = as_term(dataset_iri)
    triples = list(triples)
    measured = {s for s, p, o in triples if p == _COMPUTED_ON and o == dataset}
    metric_of = {s: o for s, p, o in triples if s in measured and p == _IS_MEASUREMENT_OF}
    value_of = {s: o for s, p, o in triples if s in measured and p == _VALUE}
    points: dict[str, int | None] = {}
    for node, metric in metric_of.items():
        ind = _BY_METRIC.get(metric)
        text = literal_parts(value_of[node])[0] if node in value_of else ""
        if ind is not None and text.lstrip("-").isdigit():  # a boolean measurement (SHACL conformance) is not points
            points[ind.name] = min(max(int(text), 0), ind.points)
    if points:
        return assemble(points)
    # a lighter level (dqv_triples level="dimensions" or "total"): what is stored
    stored = {metric: int(literal_parts(value_of[node])[0]) for node, metric in metric_of.items()
              if node in value_of and literal_parts(value_of[node])[0].lstrip("-").isdigit()}
    total = stored.get(f"<{TOTAL_METRIC}>")
    if total is None:
        return None
    if all(f"<{DIMENSION_METRICS[d]}>" in stored for d in DIMENSIONS):
        dimensions = {d: stored[f"<{DIMENSION_METRICS[d]}>"] for d in DIMENSIONS}
    else:
        dimensions = measure(triples, dataset[1:-1]).dimensions
    return Quality(dimensions, {ind.name: None for ind in INDICATORS}, total, band_of(total))


def vocabulary_triples() -> list[Triple]:
    """The dimensions and metrics the measurements refer to, with labels: load once, not per record."""
    out: list[Triple] = []
    label = f"<{SKOS}prefLabel>"
    in_dimension = f"<{DQV}inDimension>"
    for dimension, (en, zh) in DIMENSION_LABELS.items():
        node, metric = f"<{DIMENSION_IRIS[dimension]}>", f"<{DIMENSION_METRICS[dimension]}>"
        out += [Triple(node, A, f"<{DQV}Dimension>"), Triple(node, label, literal(en, "en")),
                Triple(node, label, literal(zh, "zh")), Triple(metric, A, f"<{DQV}Metric>"),
                Triple(metric, in_dimension, node), Triple(metric, label, literal(f"{en} points", "en")),
                Triple(metric, f"<{DQV}expectedDataType>", f"<{XSD}integer>")]
    for ind in INDICATORS:
        out += [Triple(f"<{ind.metric}>", A, f"<{DQV}Metric>"),
                Triple(f"<{ind.metric}>", in_dimension, f"<{DIMENSION_IRIS[ind.dimension]}>")]
    for metric, text in ((TOTAL_METRIC, "MQA score"), (RATING_METRIC, "MQA rating")):
        out += [Triple(f"<{metric}>", A, f"<{DQV}Metric>"), Triple(f"<{metric}>", label, literal(text, "en"))]
    return out
