"""The MQA score of a record: crafted records hitting each indicator, the best distribution, URL checks,
bands, the DQV round trip, and a real CKAN package of the demo portal mapped and scored."""

from __future__ import annotations

import time

import pyoxigraph as ox
import pytest

from harvester.dcat.rdf import Triple, iri, literal, term, to_ntriples, typed
from harvester.dcat.validate import validate_ntriples
from harvester.demo.portal import DemoPortal
from harvester.trust.dqv import dqv_triples, quality_from_triples, vocabulary_triples
from harvester.trust.quality import DIMENSIONS, INDICATOR, INDICATORS, MAX_POINTS, Score, band_of, format_lists, link_urls, measure
from harvester.vocab.sources import eu_path, read_eu_table
from tests.mapping_helpers import map_package

DS = "https://catalog.example/dataset/src/k"
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
XSD = "http://www.w3.org/2001/XMLSchema#"
CSV_URL = "https://data.example/k.csv"
Triples = list[Triple]


def ds_triple(p: str, o: str, s: str = DS) -> Triple:
    return Triple(iri(s), term(p), o)


def distribution(n: int, fmt: str | None = "CSV", media: str | None = "text/csv", url: str | None = CSV_URL,
                 **extra: str) -> Triples:
    node = f"{DS}/distribution/{n}"
    out = [ds_triple("dcat:distribution", iri(node)), ds_triple("rdf:type", term("dcat:Distribution"), node)]
    if url:
        out += [ds_triple("dcat:accessURL", iri(url), node), ds_triple("dcat:downloadURL", iri(url), node)]
    if fmt:
        out.append(ds_triple("dct:format", fmt if fmt[0] in '<"' else iri(EU + "file-type/" + fmt), node))
    if media:
        out.append(ds_triple("dcat:mediaType", media if media[0] in '<"' else iri(IANA + media), node))
    out += [ds_triple(p, o, node) for p, o in extra.items()]
    return out


def minimal_record() -> Triples:
    return [ds_triple("rdf:type", term("dcat:Dataset")), ds_triple("dct:title", literal("济南市公交线路", "zh"))]


def complete_record() -> Triples:
    """Every MQA property, from the controlled vocabularies; licence and rights on the distribution."""
    return minimal_record() + [
        ds_triple("dcat:keyword", literal("公交", "zh")),
        ds_triple("dcat:theme", iri(EU + "data-theme/TRAN")),
        ds_triple("dct:spatial", iri(DS + "#spatial")),
        ds_triple("dct:temporal", iri(DS + "#temporal")),
        ds_triple("dct:accessRights", iri(EU + "access-right/PUBLIC")),
        ds_triple("dcat:contactPoint", iri(DS + "#contact")),
        ds_triple("dct:publisher", iri("https://catalog.example/organization/src/jtj")),
        ds_triple("dct:issued", typed("2024-01-02", XSD + "date")),
        ds_triple("dct:modified", typed("2025-03-04", XSD + "date")),
    ] + distribution(1, **{"dct:license": iri(EU + "licence/CC_BY_4_0"), "dct:rights": iri(DS + "#rights"),
                           "dcat:byteSize": typed("1024", XSD + "nonNegativeInteger")})


def without(triples: Triples, curie: str) -> Triples:
    return [t for t in triples if t[1] != term(curie)]


def all_ok(triples: Triples, status: int | None = 200) -> dict[str, int | None]:
    return dict.fromkeys(link_urls(triples, DS), status)


def points(triples: Triples, **kwargs: object) -> dict[str, int | None]:
    quality = measure(triples, DS, **kwargs)  # type: ignore[arg-type]
    return {name: score.points if score else None for name, score in quality.indicators.items()}


# --- the scheme -----------------------------------------------------------------------------------

def test_the_scheme_adds_up_to_405_points() -> None:
    per_dimension = {d: sum(i.points for i in INDICATORS if i.dimension == d) for d in DIMENSIONS}
    assert per_dimension == {"findability": 100, "accessibility": 100, "interoperability": 110, "reusability": 75,
                             "contextuality": 20}
    assert sum(per_dimension.values()) == MAX_POINTS == 405


def test_the_format_lists_are_data_europa_eus_and_name_eu_file_types() -> None:
    non_proprietary, machine_readable = format_lists()
    assert (len(non_proprietary), len(machine_readable)) == (29, 20)
    known = {c.iri for c in read_eu_table(eu_path("file-type.ttl"), EU + "file-type").values()}
    assert non_proprietary | machine_readable <= known
    assert EU + "file-type/CSV" in non_proprietary & machine_readable
    assert EU + "file-type/XLSX" in machine_readable - non_proprietary
    assert EU + "file-type/PDF" not in non_proprietary | machine_readable


@pytest.mark.parametrize(("total", "band"), [(405, "excellent"), (351, "excellent"), (350, "good"), (221, "good"),
                                             (220, "sufficient"), (121, "sufficient"), (120, "bad"), (0, "bad")])
def test_bands(total: int, band: str) -> None:
    assert band_of(total) == band


# --- crafted records ------------------------------------------------------------------------------

def test_a_minimal_record_is_bad() -> None:
    record = minimal_record() + distribution(1, fmt=None, media=None)
    quality = measure(record, DS)
    assert quality.total == 0 + 20  # only: a download URL is given
    assert quality.band == "bad"
    assert set(quality.pending) == {"access_url_status", "download_url_status", "dcat_ap_compliance"}


def test_a_complete_record_is_excellent_with_every_point() -> None:
    record = complete_record()
    quality = measure(record, DS, shacl_conforms=True, url_status=all_ok(record))
    assert quality.dimensions == {"findability": 100, "accessibility": 100, "interoperability": 110,
                                  "reusability": 75, "contextuality": 20}
    assert (quality.total, quality.maximum, quality.band, quality.pending) == (405, 405, "excellent", ())
    assert all(score == Score(i.points, i.points) for i, score in zip(INDICATORS, quality.indicators.values()))


def test_the_dataset_iri_may_come_with_or_without_angle_brackets() -> None:
    record = complete_record()
    assert measure(record, DS) == measure(record, f"<{DS}>")


@pytest.mark.parametrize(("dropped", "lost"), [
    ("dcat:keyword", {"keyword": 30}),
    ("dcat:theme", {"theme": 30}),
    ("dct:spatial", {"spatial": 20}),
    ("dct:temporal", {"temporal": 20}),
    ("dcat:accessURL", {"access_url_status": 50}),
    ("dcat:downloadURL", {"download_url": 20, "download_url_status": 30}),
    ("dct:format", {"format": 20}),  # the media type alone keeps vocabulary, non-proprietary, machine-readable
    ("dcat:mediaType", {"media_type": 10}),
    ("dct:license", {"licence": 20, "licence_vocabulary": 10}),
    ("dct:accessRights", {"access_rights": 10, "access_rights_vocabulary": 5}),
    ("dcat:contactPoint", {"contact_point": 20}),
    ("dct:publisher", {"publisher": 10}),
    ("dct:rights", {"rights": 5}),
    ("dcat:byteSize", {"byte_size": 5}),
    ("dct:issued", {"issued": 5}),
    ("dct:modified", {"modified": 5}),
])
def test_each_property_earns_its_indicators_points(dropped: str, lost: dict[str, int]) -> None:
    record = without(complete_record(), dropped)
    quality = measure(record, DS, shacl_conforms=True, url_status=all_ok(complete_record()))
    assert quality.total == 405 - sum(lost.values())
    for name, loss in lost.items():
        maximum = INDICATOR[name].points
        assert quality.indicators[name] == Score(maximum - loss, maximum)


def test_values_outside_the_controlled_vocabularies_earn_presence_only() -> None:
    record = minimal_record() + [ds_triple("dct:accessRights", literal("无条件开放", "zh"))] + distribution(
        1, fmt=literal("CSV"), media=iri("https://example.org/media/csv"),
        **{"dct:license": iri("https://portal.example/licence")})
    got = points(record)
    assert (got["format"], got["media_type"], got["format_vocabulary"]) == (20, 10, 0)
    assert (got["non_proprietary"], got["machine_readable"]) == (0, 0)
    assert (got["licence"], got["licence_vocabulary"]) == (20, 0)
    assert (got["access_rights"], got["access_rights_vocabulary"]) == (10, 0)


def test_an_spdx_licence_is_a_known_licence() -> None:
    record = minimal_record() + distribution(1, **{"dct:license": iri("https://spdx.org/licenses/MulanPSL-2.0")})
    assert points(record)["licence_vocabulary"] == 10


def test_format_vocabulary_needs_every_stated_value_from_a_vocabulary() -> None:
    assert points(minimal_record() + distribution(1, media=None))["format_vocabulary"] == 10
    assert points(minimal_record() + distribution(1, fmt=None))["format_vocabulary"] == 10
    assert points(minimal_record() + distribution(1, media=literal("text/csv")))["format_vocabulary"] == 0
    assert points(minimal_record() + distribution(1, fmt=None, media=None))["format_vocabulary"] == 0


@pytest.mark.parametrize(("fmt", "media", "non_proprietary", "machine_readable"), [
    ("CSV", "text/csv", 20, 20),
    ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 0, 20),
    ("PDF", "application/pdf", 0, 0),
    ("ZIP", "application/zip", 20, 0),
    (None, "application/geo+json", 20, 20),  # the media type's EU file type counts
    ('"Excel"', "text/csv", 20, 20),  # either of format and media type is enough
])
def test_non_proprietary_and_machine_readable_formats(fmt: str | None, media: str, non_proprietary: int,
                                                      machine_readable: int) -> None:
    got = points(minimal_record() + distribution(1, fmt=fmt, media=media))
    assert (got["non_proprietary"], got["machine_readable"]) == (non_proprietary, machine_readable)


def test_only_the_best_distribution_counts_for_interoperability() -> None:
    pdf = distribution(1, fmt="PDF", media=None, url="https://data.example/k.pdf")
    csv = distribution(2, fmt="CSV", media="text/csv")
    for record in (minimal_record() + pdf + csv, minimal_record() + csv + pdf):
        quality = measure(record, DS, shacl_conforms=True)
        assert quality.dimensions["interoperability"] == 20 + 10 + 10 + 20 + 20 + 30
    assert measure(minimal_record() + pdf, DS, shacl_conforms=True).dimensions["interoperability"] == 20 + 10 + 30


def test_dcat_ap_compliance_follows_the_shacl_report() -> None:
    record = complete_record()
    assert points(record, shacl_conforms=True)["dcat_ap_compliance"] == 30
    assert points(record, shacl_conforms=False)["dcat_ap_compliance"] == 0
    assert points(record)["dcat_ap_compliance"] is None


def test_urls_answering_404_earn_no_accessibility_points() -> None:
    record = complete_record()
    quality = measure(record, DS, url_status=all_ok(record, 404))
    assert quality.indicators["access_url_status"] == Score(0, 50)
    assert quality.indicators["download_url_status"] == Score(0, 30)
    assert quality.dimensions["accessibility"] == 20  # the download URL is there, it does not answer
    assert measure(record, DS, url_status=all_ok(record, None)).dimensions["accessibility"] == 20  # failed


def test_url_points_are_the_share_of_distributions_that_answer() -> None:
    record = minimal_record() + distribution(1, url="https://data.example/a") + distribution(
        2, url="https://data.example/b") + distribution(3, url="https://data.example/c")
    status = {"https://data.example/a": 200, "https://data.example/b": 204, "https://data.example/c": 500}
    got = points(record, url_status=status)
    assert (got["access_url_status"], got["download_url_status"]) == (33, 20)  # 2/3 of 50 and of 30
    del status["https://data.example/c"]
    got = points(record, url_status=status)
    assert (got["access_url_status"], got["download_url_status"]) == (None, None)  # one not checked yet


def test_distribution_properties_score_their_share_rounded_half_up() -> None:
    sized = {"dcat:byteSize": typed("1", XSD + "nonNegativeInteger")}
    one_of_two = minimal_record() + distribution(1, **sized) + distribution(2, url=None)
    got = points(one_of_two)
    assert (got["byte_size"], got["download_url"]) == (3, 10)  # 2.5 → 3
    one_of_three = one_of_two + distribution(3, url=None)
    assert points(one_of_three)["byte_size"] == 2  # 1.67 → 2


def test_a_licence_on_the_dataset_holds_for_every_distribution() -> None:
    record = minimal_record() + [ds_triple("dct:license", iri(EU + "licence/CC0"))] + distribution(1) + distribution(2)
    got = points(record)
    assert (got["licence"], got["licence_vocabulary"]) == (20, 10)


def test_a_record_without_distributions() -> None:
    quality = measure(minimal_record() + [ds_triple("dct:license", iri(EU + "licence/CC0"))], DS, url_status={})
    assert quality.indicators["access_url_status"] == Score(0, 50)  # nothing to reach, nothing pending
    assert quality.dimensions["interoperability"] == 0
    assert quality.dimensions["reusability"] == 30


def test_scoring_is_fast() -> None:
    record = map_package(DemoPortal(size=30).package(5), with_record=True)
    measure(record, DS)
    started = time.perf_counter()
    for _ in range(1000):
        measure(record, DS, shacl_conforms=True, url_status={})
    assert time.perf_counter() - started < 1.0  # ~60 µs each when measured; a wide margin for busy machines


# --- DQV --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("assessed", [True, False])
def test_dqv_parses_and_reads_back_equal(assessed: bool) -> None:
    record = complete_record()
    quality = measure(record, DS, shacl_conforms=True if assessed else None,
                      url_status=all_ok(record) if assessed else None)
    dqv = dqv_triples(quality, DS)
    parsed = list(ox.parse(to_ntriples(dqv), format=ox.RdfFormat.N_TRIPLES))
    assert len(parsed) == len(dqv)
    assert all(isinstance(q.subject, ox.NamedNode) for q in parsed)  # the project uses no blank nodes
    assert {q.subject.value.split("#")[0] for q in parsed} == {DS}
    assert quality_from_triples(record + dqv, DS) == quality
    assert quality_from_triples(record + dqv, f"<{DS}>") == quality


def test_dqv_measurements_say_dimensions_total_and_band() -> None:
    record = complete_record()
    store = ox.Store()
    dqv = dqv_triples(measure(record, DS, shacl_conforms=True, url_status=all_ok(record)), DS)
    store.load(to_ntriples(dqv + vocabulary_triples()), format=ox.RdfFormat.N_TRIPLES)
    solutions = store.query(
        f"PREFIX dqv: <http://www.w3.org/ns/dqv#> SELECT ?metric ?value WHERE {{ ?m dqv:computedOn <{DS}> ; "
        "dqv:isMeasurementOf ?metric ; dqv:value ?value . FILTER NOT EXISTS { ?metric dqv:inDimension ?d . "
        "FILTER STRSTARTS(STR(?metric), 'https://piveau.eu/ns/voc#') } }")
    assert isinstance(solutions, ox.QuerySolutions)
    answers = {(str(r["metric"].value), r["value"].value) for r in solutions}
    assert answers == {("urn:harvester:mqa:findabilityScore", "100"), ("urn:harvester:mqa:accessibilityScore", "100"),
                       ("urn:harvester:mqa:interoperabilityScore", "110"),
                       ("urn:harvester:mqa:reusabilityScore", "75"), ("urn:harvester:mqa:contextualityScore", "20"),
                       ("https://piveau.eu/ns/voc#score", "405"), ("urn:harvester:mqa:rating", "excellent")}


def test_a_record_without_dqv_has_no_stored_quality() -> None:
    assert quality_from_triples(complete_record(), DS) is None


def test_dqv_measurement_iris_follow_the_base() -> None:
    quality = measure(complete_record(), DS)
    subjects = {s for s, _, _ in dqv_triples(quality, DS, "https://catalog.example/record/src/k")}
    assert "<https://catalog.example/record/src/k#quality-score>" in subjects


# --- a real mapped record ---------------------------------------------------------------------------

@pytest.mark.parametrize(("index", "total", "band"), [(5, 380, "excellent"), (8, 346, "good")])
def test_a_mapped_demo_ckan_package_scores_what_it_has(index: int, total: int, band: str) -> None:
    package = DemoPortal(size=30).package(index)
    extras = {e["key"]: e["value"] for e in package["extras"]}
    resources = package["resources"]
    record = map_package(package, key="k", with_record=True)
    ds = "https://catalog.example/dataset/demo/k"
    urls = link_urls(record, ds)
    assert len(urls) == len(resources)  # each resource: one URL, as access and download URL
    status = dict.fromkeys(urls, 200) | {urls[0]: 404}
    conforms = validate_ntriples(to_ntriples(record)).violation_count == 0
    quality = measure(record, ds, shacl_conforms=conforms, url_status=status)

    assert package["tags"] and package["groups"] and "时间范围" in extras
    assert {"spatial", "空间范围"} & set(extras)
    assert quality.dimensions["findability"] == 100
    # every resource has a download URL; one of them answers 404
    n = len(resources)
    assert quality.dimensions["accessibility"] == 20 + round_half_up(50 * (n - 1), n) + round_half_up(30 * (n - 1), n)
    # both packages have a CSV resource with its media type (the best distribution: every point), and conform
    assert any(r["format"] == "CSV" and r["mimetype"] == "text/csv" for r in resources) and conforms
    assert quality.dimensions["interoperability"] == 110
    # the organisation publishes, the maintainer is the contact, 开放类型 says the access right; CKAN's
    # "other-open" names no licence
    licence = 0 if package["license_id"] == "other-open" else 30
    assert quality.dimensions["reusability"] == licence + 15 + 20 + 10
    # 开放条件 → dct:rights; resources with a size → byteSize; 发布日期, metadata_modified → issued, modified
    rights = 5 if "开放条件" in extras else 0
    sized = sum(1 for r in resources if r.get("size"))
    assert quality.dimensions["contextuality"] == rights + round_half_up(5 * sized, n) + 5 + 5
    assert (quality.total, quality.band) == (total, band)


def round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def test_records_carry_the_total_and_rating_and_read_back_their_breakdown() -> None:
    record = complete_record()
    quality = measure(record, DS)
    sizes = {level: len(dqv_triples(quality, DS, level=level)) for level in ("indicators", "dimensions", "total")}
    assert sizes["total"] == 8 and sizes["dimensions"] == 28 and sizes["indicators"] > 100
    back = quality_from_triples(record + dqv_triples(quality, DS, level="total"), DS)
    assert back is not None and (back.total, back.band, back.dimensions) == (quality.total, quality.band,
                                                                              quality.dimensions)
    with pytest.raises(ValueError, match="unknown DQV level"):
        dqv_triples(quality, DS, level="some")
