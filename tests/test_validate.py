"""harvester.dcat.validate: one record graph against the official DCAT-AP 3.0.1 shapes, typed mode."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import rdflib
from rdflib import namespace as ns

from harvester.dcat import validate as validation
from harvester.dcat.validate import ValidationReport, Violation, validate_graph, validate_ntriples

EX = "https://data.example.cn/"
CATALOG = rdflib.URIRef(EX + "catalog/jinan-jtj")
RECORD = rdflib.URIRef(EX + "record/jinan-jtj/bus-stops")
DATASET = rdflib.URIRef(EX + "dataset/jinan-jtj/bus-stops")
DIST_CSV = rdflib.URIRef(EX + "dataset/jinan-jtj/bus-stops/distribution/1")
DIST_XLSX = rdflib.URIRef(EX + "dataset/jinan-jtj/bus-stops/distribution/2")
PUBLISHER = rdflib.URIRef(EX + "organization/jinan-jtj/jtj")
SH = "http://www.w3.org/ns/shacl#"
Mutation = Callable[[rdflib.Graph], object]
DCATAP_AVAILABILITY = "http://data.europa.eu/r5r/availability"

# A harvested dataset as the mapping writes it: Chinese literals, EU vocabulary IRIs, an IANA media type,
# no blank nodes. 75 triples.
VALID_RECORD = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix adms: <http://www.w3.org/ns/adms#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcatap: <http://data.europa.eu/r5r/> .
@prefix eu: <http://publications.europa.eu/resource/authority/> .
@prefix iana: <https://www.iana.org/assignments/media-types/> .
@prefix ex: <https://data.example.cn/> .

ex:catalog\\/jinan-jtj a dcat:Catalog ;
    dct:title "济南市交通运输局开放数据"@zh, "Jinan Transport Bureau open data"@en ;
    dct:description "济南市交通运输局在济南市公共数据开放平台发布的数据目录。"@zh ;
    dct:publisher ex:organization\\/jinan-jtj\\/jtj ;
    foaf:homepage <http://data.jinan.gov.cn/> ;
    dcat:themeTaxonomy eu:data-theme ;
    dct:language eu:language\\/ZHO ;
    dcat:dataset ex:dataset\\/jinan-jtj\\/bus-stops ;
    dcat:record ex:record\\/jinan-jtj\\/bus-stops .
<http://data.jinan.gov.cn/> a foaf:Document .

ex:record\\/jinan-jtj\\/bus-stops a dcat:CatalogRecord ;
    foaf:primaryTopic ex:dataset\\/jinan-jtj\\/bus-stops ;
    dct:issued "2024-03-01T08:00:00+08:00"^^xsd:dateTime ;
    dct:modified "2024-06-01T08:00:00+08:00"^^xsd:dateTime ;
    dct:language eu:language\\/ZHO ;
    dct:conformsTo dcatap: .
dcatap: a dct:Standard .

ex:dataset\\/jinan-jtj\\/bus-stops a dcat:Dataset ;
    dct:title "济南市公交站点信息"@zh, "Jinan bus stops"@en ;
    dct:description "济南市公交线路站点名称、位置及所属线路。"@zh ;
    dct:identifier "370100-JT-0001" ;
    adms:identifier ex:dataset\\/jinan-jtj\\/bus-stops\\#identifier ;
    dcat:keyword "公交"@zh, "站点"@zh, "交通"@zh, "bus"@en ;
    dcat:theme eu:data-theme\\/TRAN ;
    dct:publisher ex:organization\\/jinan-jtj\\/jtj ;
    dcat:contactPoint ex:dataset\\/jinan-jtj\\/bus-stops\\#contact ;
    dct:accrualPeriodicity eu:frequency\\/MONTHLY ;
    dct:accessRights eu:access-right\\/PUBLIC ;
    dct:language eu:language\\/ZHO ;
    dct:issued "2023-05-10"^^xsd:date ;
    dct:modified "2024-06-01T08:00:00+08:00"^^xsd:dateTime ;
    dcat:landingPage <http://data.jinan.gov.cn/dataset/bus-stops> ;
    dct:temporal ex:dataset\\/jinan-jtj\\/bus-stops\\#temporal ;
    dcat:distribution ex:dataset\\/jinan-jtj\\/bus-stops\\/distribution\\/1,
        ex:dataset\\/jinan-jtj\\/bus-stops\\/distribution\\/2 .
<http://data.jinan.gov.cn/dataset/bus-stops> a foaf:Document .
ex:dataset\\/jinan-jtj\\/bus-stops\\#identifier a adms:Identifier ; skos:notation "370100-JT-0001" .
ex:dataset\\/jinan-jtj\\/bus-stops\\#temporal a dct:PeriodOfTime ;
    dcat:startDate "2023-01-01"^^xsd:date ; dcat:endDate "2023-12-31"^^xsd:date .
ex:organization\\/jinan-jtj\\/jtj a foaf:Organization ;
    foaf:name "济南市交通运输局"@zh, "Jinan Municipal Transport Bureau"@en .
ex:dataset\\/jinan-jtj\\/bus-stops\\#contact a vcard:Organization ;
    vcard:fn "济南市交通运输局数据管理处"@zh ;
    vcard:hasEmail <mailto:data@jtj.jinan.gov.cn> ;
    vcard:hasTelephone <tel:+86-531-12345678> .

ex:dataset\\/jinan-jtj\\/bus-stops\\/distribution\\/1 a dcat:Distribution ;
    dct:title "公交站点（CSV）"@zh ;
    dct:description "全部站点，UTF-8 编码。"@zh ;
    dcat:accessURL <http://data.jinan.gov.cn/dataset/bus-stops/resource/1> ;
    dcat:downloadURL <http://data.jinan.gov.cn/download/bus-stops.csv> ;
    dct:format eu:file-type\\/CSV ;
    dcat:mediaType iana:text\\/csv ;
    dct:license eu:licence\\/CC_BY_4_0 ;
    dcat:byteSize "102400"^^xsd:nonNegativeInteger ;
    dcatap:availability eu:planned-availability\\/STABLE ;
    dct:issued "2023-05-10"^^xsd:date ;
    dct:modified "2024-06-01T08:00:00+08:00"^^xsd:dateTime .

ex:dataset\\/jinan-jtj\\/bus-stops\\/distribution\\/2 a dcat:Distribution ;
    dct:title "公交站点（Excel）"@zh ;
    dct:description "全部站点，Excel 工作簿。"@zh ;
    dcat:accessURL <http://data.jinan.gov.cn/dataset/bus-stops/resource/2> ;
    dcat:downloadURL <http://data.jinan.gov.cn/download/bus-stops.xlsx> ;
    dct:format eu:file-type\\/XLSX ;
    dcat:mediaType iana:application\\/vnd.openxmlformats-officedocument.spreadsheetml.sheet ;
    dct:license eu:licence\\/CC_BY_4_0 ;
    dcat:byteSize "204800"^^xsd:nonNegativeInteger ;
    dcatap:availability eu:planned-availability\\/STABLE .
"""


def valid_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=VALID_RECORD, format="turtle")
    return graph


def problems(report: ValidationReport) -> set[tuple[str, str | None, str | None]]:
    """(focus, path, constraint component) of each Violation-severity result."""
    return {(v.focus, v.path, v.component) for v in report.violations if v.severity == "Violation"}


def test_the_valid_record_has_75_triples_and_conforms() -> None:
    graph = valid_graph()
    report = validate_graph(graph)
    assert len(graph) == 75
    assert report.violations == []
    assert report.conforms and report.violation_count == 0


def test_the_valid_record_conforms_as_ntriples() -> None:
    report = validate_ntriples(valid_graph().serialize(format="nt"))
    assert (report.conforms, report.violations) == (True, [])


def test_validate_graph_leaves_the_input_graph_alone() -> None:
    graph = valid_graph()
    validate_graph(graph)
    assert len(graph) == 75


def _remove(subject: rdflib.URIRef, predicate: rdflib.URIRef) -> Mutation:
    return lambda g: g.remove((subject, predicate, None))


def _replace(subject: rdflib.URIRef, predicate: rdflib.URIRef, obj: rdflib.term.Node) -> Mutation:
    return lambda g: g.set((subject, predicate, obj))


def _add(subject: rdflib.URIRef, predicate: rdflib.URIRef, obj: rdflib.term.Node) -> Mutation:
    return lambda g: g.add((subject, predicate, obj))


VCARD_FN = "http://www.w3.org/2006/vcard/ns#fn"
BROKEN = {
    "dataset without title": (
        _remove(DATASET, ns.DCTERMS.title), {(DATASET, ns.DCTERMS.title, "MinCountConstraintComponent")}),
    "dataset without description": (
        _remove(DATASET, ns.DCTERMS.description), {(DATASET, ns.DCTERMS.description, "MinCountConstraintComponent")}),
    "distribution without accessURL": (
        _remove(DIST_CSV, ns.DCAT.accessURL), {(DIST_CSV, ns.DCAT.accessURL, "MinCountConstraintComponent")}),
    "byteSize as an xsd:decimal 'abc'": (
        _replace(DIST_CSV, ns.DCAT.byteSize, rdflib.Literal("abc", datatype=ns.XSD.decimal)),
        {(DIST_CSV, ns.DCAT.byteSize, "DatatypeConstraintComponent")}),
    "byteSize as a plain integer": (
        _replace(DIST_XLSX, ns.DCAT.byteSize, rdflib.Literal(204800)),
        {(DIST_XLSX, ns.DCAT.byteSize, "DatatypeConstraintComponent")}),
    "accessURL as a literal": (
        _replace(DIST_CSV, ns.DCAT.accessURL, rdflib.Literal("http://data.jinan.gov.cn/dataset/bus-stops/resource/1")),
        {(DIST_CSV, ns.DCAT.accessURL, "NodeKindConstraintComponent")}),
    "format as a literal": (
        _replace(DIST_CSV, ns.DCTERMS.format, rdflib.Literal("CSV")),
        {(DIST_CSV, ns.DCTERMS.format, "NodeKindConstraintComponent"),
         (DIST_CSV, ns.DCTERMS.format, "ClassConstraintComponent")}),
    "two formats on one distribution": (
        _add(DIST_CSV, ns.DCTERMS.format, rdflib.URIRef(
            "http://publications.europa.eu/resource/authority/file-type/XLSX")),
        {(DIST_CSV, ns.DCTERMS.format, "MaxCountConstraintComponent")}),
    "theme outside any known vocabulary (untyped)": (
        _replace(DATASET, ns.DCAT.theme, rdflib.URIRef("https://example.org/themes/bus")),
        {(DATASET, ns.DCAT.theme, "ClassConstraintComponent")}),
    "publisher without foaf:name": (
        _remove(PUBLISHER, ns.FOAF.name), {(PUBLISHER, ns.FOAF.name, "MinCountConstraintComponent")}),
    "catalog record without modified": (
        _remove(RECORD, ns.DCTERMS.modified), {(RECORD, ns.DCTERMS.modified, "MinCountConstraintComponent")}),
    "catalog without title (also checked as a dcat:Dataset, reported once)": (
        _remove(CATALOG, ns.DCTERMS.title), {(CATALOG, ns.DCTERMS.title, "MinCountConstraintComponent")}),
    "landing page not typed foaf:Document": (
        _remove(rdflib.URIRef("http://data.jinan.gov.cn/dataset/bus-stops"), rdflib.RDF.type),
        {(DATASET, ns.DCAT.landingPage, "ClassConstraintComponent")}),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_each_broken_variant_gives_exactly_its_violation(name: str) -> None:
    mutate, expected = BROKEN[name]
    graph = valid_graph()
    mutate(graph)
    report = validate_graph(graph)
    assert not report.conforms
    assert problems(report) == {(str(f), str(p), c) for f, p, c in expected}
    assert report.violation_count == len(report.violations) == len(expected)


def test_violations_carry_message_severity_and_value() -> None:
    graph = valid_graph()
    graph.set((DIST_CSV, ns.DCAT.byteSize, rdflib.Literal("abc", datatype=ns.XSD.decimal)))
    [violation] = validate_graph(graph).violations
    assert violation == Violation(focus=str(DIST_CSV), path=str(ns.DCAT.byteSize), severity="Violation",
                                  message=violation.message, component="DatatypeConstraintComponent", value="abc")
    assert "nonNegativeInteger" in violation.message


def test_without_the_typing_supplement_vocabulary_values_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "typing_triples", lambda iris: "")
    found = {(f, p) for f, p, c in problems(validate_graph(valid_graph())) if c == "ClassConstraintComponent"}
    on_dataset = (ns.DCAT.theme, ns.DCTERMS.accrualPeriodicity, ns.DCTERMS.accessRights, ns.DCTERMS.language)
    on_distributions = (ns.DCTERMS.format, ns.DCAT.mediaType, ns.DCTERMS.license, DCATAP_AVAILABILITY)
    assert found == {(str(DATASET), str(p)) for p in on_dataset} | {
        (str(d), str(p)) for d in (DIST_CSV, DIST_XLSX) for p in on_distributions} | {
        (str(CATALOG), str(ns.DCAT.themeTaxonomy)), (str(CATALOG), str(ns.DCTERMS.language)),
        (str(RECORD), str(ns.DCTERMS.language))}


def test_without_the_subclass_axioms_organizations_are_not_agents(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "SUBCLASS_AXIOMS", "")
    assert problems(validate_graph(valid_graph())) == {
        (str(CATALOG), str(ns.DCTERMS.publisher), "ClassConstraintComponent"),
        (str(DATASET), str(ns.DCTERMS.publisher), "ClassConstraintComponent"),
        (str(DATASET), str(ns.DCAT.contactPoint), "ClassConstraintComponent"),
        (str(RECORD), str(ns.FOAF.primaryTopic), "ClassConstraintComponent"),
    }


def test_violation_count_counts_only_violations() -> None:
    report = ValidationReport(conforms=True, violations=[
        Violation("urn:a", None, "m", "Warning"), Violation("urn:a", None, "m", "Info"),
        Violation("urn:b", "urn:p", "m", "Violation", "MinCountConstraintComponent")])
    assert report.violation_count == 1


def test_shapes_are_the_full_dcat_ap_3_0_1_set() -> None:
    shapes = validation._shapes()
    assert validation.SHAPES_FILE.name == "dcat-ap-SHACL.ttl"
    assert len(shapes.node_shapes) == 33
    assert f"{SH}NodeShape" not in shapes.node_shapes


def test_the_pyshacl_speed_up_keeps_the_same_parameter_list() -> None:
    import pyshacl.shape
    from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS

    validation._shapes()
    installed = pyshacl.shape.CONSTRAINT_PARAMS[0]  # type: ignore[attr-defined]
    assert isinstance(installed, validation._ListWithSetLookup)
    assert list(installed) == list(ALL_CONSTRAINT_PARAMETERS) and type(installed.copy()) is list
    assert ALL_CONSTRAINT_PARAMETERS[0] in installed and rdflib.URIRef("urn:not-a-parameter") not in installed
