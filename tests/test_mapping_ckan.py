"""The CKAN → DCAT-AP 3 mapping: real portal responses against golden graphs, generated Chinese records
against the rules, and the official DCAT-AP 3 SHACL shapes on every record of the demo portal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from rdflib import DCAT, DCTERMS, FOAF, RDF, SKOS, Literal, Namespace, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from harvester.dcat.rdf import to_ntriples
from harvester.dcat.validate import validate_ntriples
from harvester.demo.portal import DemoPortal
from harvester.errors import MappingError
from tests.mapping_helpers import as_graph, map_package

FIXTURES = Path(__file__).parent / "fixtures" / "ckan"
GOLDEN = Path(__file__).parent / "fixtures" / "golden"
REAL_PACKAGES = {  # fixture → the portal's language
    "demockan_package_show_17be64bb-da74-4195-9bb8-565c39846af2.json": "it",
    "datitrentino_package_show_multilingual.json": "it",
    "hdx_unesco_package_show_result.json": "en",
}
EU = "http://publications.europa.eu/resource/authority/"
SCHEMA = Namespace("http://schema.org/")
DS = URIRef("https://catalog.example/dataset/demo/k")


def load(name: str) -> dict:
    doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return doc.get("result", doc)


@pytest.mark.parametrize("name", REAL_PACKAGES)
def test_real_ckan_packages_map_to_their_golden_graph(name: str) -> None:
    got = as_graph(map_package(load(name), lang=REAL_PACKAGES[name], with_record=True))
    want = rdflib.Graph().parse(GOLDEN / name.replace(".json", ".ttl"))
    if not isomorphic(got, want):
        _, only_got, only_want = graph_diff(to_isomorphic(got), to_isomorphic(want))
        pytest.fail(f"mapping differs from golden:\n+ {sorted(only_got)[:10]}\n- {sorted(only_want)[:10]}")


@pytest.mark.parametrize("name", REAL_PACKAGES)
def test_real_ckan_packages_are_valid_dcat_ap_3(name: str) -> None:
    report = validate_ntriples(to_ntriples(map_package(load(name), lang=REAL_PACKAGES[name], with_record=True)))
    assert report.violation_count == 0, report.violations[:5]


def test_scheming_fields_of_an_italian_portal_are_read_in_its_language() -> None:
    g = as_graph(map_package(load("datitrentino_package_show_multilingual.json"), lang="it"))
    assert {o.language for o in g.objects(DS, DCTERMS.title)} == {"it"}
    assert (DS, DCTERMS.accrualPeriodicity, URIRef(EU + "frequency/IRREG")) in g
    assert {URIRef(EU + "language/DEU"), URIRef(EU + "language/ITA")} <= set(g.objects(DS, DCTERMS.language))


def test_a_generated_jinan_package_maps_every_field() -> None:
    package = DemoPortal(size=30).package(5)
    extras = {e["key"]: e["value"] for e in package["extras"]}
    g = as_graph(map_package(package))
    assert (DS, DCTERMS.title, Literal(package["title"], lang="zh")) in g
    assert (DS, DCTERMS.title, Literal(package["title_translated"]["en"], lang="en")) in g \
        if package.get("title_translated") else True
    assert {str(k) for k in g.objects(DS, DCAT.keyword)} == {t["display_name"] for t in package["tags"]}
    # groups: an EU data theme, and the portal's own category kept as a SKOS concept matched to it
    themes = set(g.objects(DS, DCAT.theme))
    eu_themes = {t for t in themes if str(t).startswith(EU + "data-theme/")}
    local = [t for t in themes if t not in eu_themes]
    assert eu_themes and local
    assert {str(g.value(t, SKOS.prefLabel)) for t in local} == {grp["title"] for grp in package["groups"]}
    assert all(g.value(t, SKOS.closeMatch) in eu_themes for t in local)
    publisher = g.value(DS, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Organization) in g
    assert str(g.value(publisher, FOAF.name)) == package["organization"]["title"]
    frequency = g.value(DS, DCTERMS.accrualPeriodicity)
    assert str(frequency).startswith(EU + "frequency/")
    access = g.value(DS, DCTERMS.accessRights)
    assert access == URIRef(EU + "access-right/" + {"无条件开放": "PUBLIC", "有条件开放": "RESTRICTED"}[extras["开放类型"]])
    assert str(g.value(DS, DCTERMS.issued)).endswith("+08:00")  # 发布日期 is local time in Jinan
    distributions = list(g.objects(DS, DCAT.distribution))
    assert len(distributions) == len(package["resources"])
    for dist in distributions:
        assert g.value(dist, DCAT.accessURL) is not None
        size = g.value(dist, DCAT.byteSize)
        assert size is None or size.datatype == rdflib.XSD.nonNegativeInteger


def test_values_with_no_dcat_home_are_kept_not_dropped() -> None:
    package = dict(DemoPortal(size=30).package(3))
    package["extras"] = package["extras"] + [{"key": "数据来源系统", "value": "交通运输综合管理平台"}]
    package["custom_top_level"] = {"a": 1}
    g = as_graph(map_package(package))
    kept = {(str(g.value(n, SCHEMA.name)), str(g.value(n, SCHEMA.value)))
            for n in g.objects(DS, SCHEMA.additionalProperty)}
    assert ("数据来源系统", "交通运输综合管理平台") in kept
    assert ("custom_top_level", '{"a": 1}') in kept
    assert not any(name in ("title", "notes", "更新频率", "开放类型") for name, _ in kept)


@pytest.mark.parametrize("change, message", [
    ({"title": "", "title_translated": {}}, "title is missing"),
    ({"metadata_modified": "not-a-date"}, "invalid date"),
    ({"tags": "交通,公交"}, "'tags' should be a list"),
    ({"resources": [{"name": "no url"}]}, "resource url is missing"),
    ({"extras": "oops"}, "'extras' should be a list"),
])
def test_broken_packages_raise_a_clear_mapping_error(change: dict, message: str) -> None:
    package = {**DemoPortal(size=30).package(2), **change}
    with pytest.raises(MappingError, match=message):
        map_package(package)


def test_every_record_of_the_demo_portal_is_valid_dcat_ap_3() -> None:
    portal = DemoPortal()  # the demo's default size: 360 datasets
    failing = {}
    for index in range(portal.size):
        triples = map_package(portal.package(index), key=f"k{index}", with_record=True)
        report = validate_ntriples(to_ntriples(triples))
        if report.violation_count:
            failing[index] = report.violations[:3]
    assert portal.size >= 300
    assert failing == {}
