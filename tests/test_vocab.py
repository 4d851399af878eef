"""harvester.vocab: portal values → EU concepts, labels, the SHACL typing supplement, and the vocab/ data."""

from __future__ import annotations

import time

import pytest
import rdflib
from rdflib.namespace import DCTERMS, RDF, SKOS

from harvester import PROJECT_ROOT, VOCAB_DIR, vocab
from harvester.vocab.index import load_index

EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"


@pytest.mark.parametrize("value, code", [
    # the CKAN group titles of the Jinan demo portal
    ("交通出行", "TRAN"), ("生态环境", "ENVI"), ("经济发展", "ECON"), ("资源能源", "ENER"), ("教育科技", "EDUC"),
    ("医疗卫生", "HEAL"), ("社会保障", "SOCI"), ("公共安全", "JUST"), ("城建住房", "REGI"), ("机构团体", "GOVE"),
    ("农业农村", "AGRI"), ("文化休闲", "EDUC"),
    # variants seen on other Chinese portals
    ("交通运输", "TRAN"), ("环境保护", "ENVI"), ("经济建设", "ECON"), ("财税金融", "ECON"), ("统计", "ECON"),
    ("自然资源", "ENVI"), ("气象服务", "ENVI"), ("科技创新", "TECH"), ("卫生健康", "HEAL"), ("民生服务", "SOCI"),
    ("信用服务", "ECON"), ("安全生产", "JUST"), ("城市建设", "REGI"), ("政府机构", "GOVE"), ("农业", "AGRI"),
    ("文化旅游", "EDUC"), ("教育", "EDUC"), ("就业", "SOCI"), ("人口", "SOCI"), ("地理空间", "REGI"),
    ("对外事务", "INTR"), ("能源", "ENER"),
    # suffixes portals add
    ("交通出行类", "TRAN"), ("生态环境领域", "ENVI"),
    # the EU codes and labels themselves, odd spacing and case
    ("TRAN", "TRAN"), ("tran", "TRAN"), ("transport", "TRAN"), ("Transport", "TRAN"), (" TRANSPORT ", "TRAN"),
    ("Economy and finance", "ECON"), ("  交通 出行 ", "TRAN"), ("交通", "TRAN"),
    (EU + "data-theme/HEAL", "HEAL"), ("https://publications.europa.eu/resource/authority/data-theme/HEAL", "HEAL"),
    # unknown
    ("不存在的分类", None), ("", None), ("   ", None), ("TRANX", None), (EU + "file-type/CSV", None),
])
def test_theme(value: str, code: str | None) -> None:
    found = vocab.theme(value)
    assert (found.code if found else None) == code


@pytest.mark.parametrize("value, codes", [
    ("教育科技", ("EDUC", "TECH")), ("资源能源", ("ENER", "ENVI")), ("交通出行", ("TRAN",)), ("未知", ()),
])
def test_themes_lists_every_theme(value: str, codes: tuple[str, ...]) -> None:
    assert tuple(c.code for c in vocab.themes(value)) == codes


@pytest.mark.parametrize("value, code", [
    ("每年", "ANNUAL"), ("每年度", "ANNUAL"), ("年度", "ANNUAL"), ("每半年", "ANNUAL_2"), ("每季度", "QUARTERLY"),
    ("季度", "QUARTERLY"), ("每月", "MONTHLY"), ("月度", "MONTHLY"), ("每周", "WEEKLY"), ("每天", "DAILY"),
    ("每日", "DAILY"), ("实时", "UPDATE_CONT"), ("即时", "UPDATE_CONT"), ("实时更新", "UPDATE_CONT"),
    ("不定期", "IRREG"), ("一次性", "NEVER"), ("不更新", "NEVER"), ("每月更新", "MONTHLY"), ("每季度更新", "QUARTERLY"),
    ("annual", "ANNUAL"), ("Annually", "ANNUAL"), ("monthly", "MONTHLY"), ("DAILY", "DAILY"), ("weekly", "WEEKLY"),
    ("quarterly", "QUARTERLY"), ("irregular", "IRREG"), ("continuous", "UPDATE_CONT"), ("semiannual", "ANNUAL_2"),
    ("R/P1Y", "ANNUAL"), ("P1Y", "ANNUAL"), ("R/P1M", "MONTHLY"), ("P1M", "MONTHLY"), ("PT1M", "1MIN"),
    ("R/P3M", "QUARTERLY"), ("R/P6M", "ANNUAL_2"), ("P1W", "WEEKLY"), ("R/P1D", "DAILY"), ("PT1H", "HOURLY"),
    ("r/p2y", "BIENNIAL"), (EU + "frequency/WEEKLY", "WEEKLY"),
    ("每世纪", None), ("P9Q", None), ("", None),
])
def test_frequency(value: str, code: str | None) -> None:
    found = vocab.frequency(value)
    assert (found.code if found else None) == code


@pytest.mark.parametrize("value, code", [
    ("无条件开放", "PUBLIC"), ("有条件开放", "RESTRICTED"), ("不予开放", "NON_PUBLIC"),
    ("无条件共享", "PUBLIC"), ("有条件共享", "RESTRICTED"), ("不予共享", "NON_PUBLIC"), ("依申请开放", "RESTRICTED"),
    ("public", "PUBLIC"), ("Public", "PUBLIC"), ("restricted", "RESTRICTED"), ("non-public", "NON_PUBLIC"),
    ("NON_PUBLIC", "NON_PUBLIC"), ("Non Public", "NON_PUBLIC"), (" 无条件 开放 ", "PUBLIC"),
    (EU + "access-right/RESTRICTED", "RESTRICTED"), ("半开放", None), ("", None),
])
def test_access_right(value: str, code: str | None) -> None:
    found = vocab.access_right(value)
    assert (found.code if found else None) == code


@pytest.mark.parametrize("value, code", [
    ("CSV", "CSV"), ("csv", "CSV"), (".csv", "CSV"), (" .CSV ", "CSV"), ("text/csv", "CSV"),
    ("text/csv; charset=utf-8", "CSV"), ("XLS", "XLS"), ("xlsx", "XLSX"), ("Excel", "XLSX"), ("EXCEL", "XLSX"),
    ("application/vnd.ms-excel", "XLS"), ("JSON", "JSON"), ("application/json", "JSON"), ("XML", "XML"),
    ("text/xml", "XML"), ("SHP", "SHP"), ("Shapefile", "SHP"), ("ESRI Shapefile", "SHP"), ("GeoJSON", "GEOJSON"),
    ("geo json", "GEOJSON"), ("PDF", "PDF"), ("DOC", "DOC"), ("docx", "DOCX"), ("ZIP", "ZIP"),
    ("application/zip", "ZIP"), ("application/x-zip-compressed", "ZIP"), ("RDF", "RDF"), ("TTL", "RDF_TURTLE"),
    ("text/turtle", "RDF_TURTLE"), ("KML", "KML"), ("HTML", "HTML"), ("htm", "HTML"), ("TXT", "TXT"),
    ("WMS", "WMS_SRVC"), ("WFS", "WFS_SRVC"), ("jpg", "JPEG"), ("tif", "TIFF"), ("gz", "GZIP"), ("7z", "7Z"),
    ("rar", "RAR"), ("JSON-LD", "JSON_LD"), ("data.xlsx", "XLSX"),
    (IANA + "text/csv", "CSV"), (EU + "file-type/PDF", "PDF"),
    # an API is a dcat:DataService, not a file format; REST in the EU list is "Esri REST"
    ("API", None), ("接口", None), ("REST", None), ("其他", None), ("foo", None), ("", None),
])
def test_file_type(value: str, code: str | None) -> None:
    found = vocab.file_type(value)
    assert (found.code if found else None) == code


@pytest.mark.parametrize("value, media", [
    ("text/csv", "text/csv"), ("TEXT/CSV ", "text/csv"), ("text/csv;charset=UTF-8", "text/csv"),
    ("CSV", "text/csv"), (".csv", "text/csv"),
    ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("XLS", "application/vnd.ms-excel"), ("JSON", "application/json"), ("GeoJSON", "application/geo+json"),
    ("SHP", "application/vnd.shp"), ("PDF", "application/pdf"), ("ZIP", "application/zip"),
    ("application/x-zip-compressed", "application/zip"), ("TTL", "text/turtle"),
    ("KML", "application/vnd.google-earth.kml+xml"),
    ("report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (IANA + "application/json", "application/json"),
    ("API", None), ("WMS", None), ("application/x-unregistered", None), ("foo", None), ("", None),
])
def test_media_type(value: str, media: str | None) -> None:
    assert vocab.media_type(value) == (IANA + media if media else None)


@pytest.mark.parametrize("value, url, iri", [
    ("cc-by", None, EU + "licence/CC_BY_4_0"), ("cc-by-4.0", None, EU + "licence/CC_BY_4_0"),
    ("CC-BY-4.0", None, EU + "licence/CC_BY_4_0"), ("CC BY 4.0", None, EU + "licence/CC_BY_4_0"),
    ("cc-by-sa-4.0", None, EU + "licence/CC_BYSA_4_0"), ("cc-by-sa", None, EU + "licence/CC_BYSA_4_0"),
    ("cc-zero", None, EU + "licence/CC0"), ("CC0-1.0", None, EU + "licence/CC0"),
    ("odc-odbl", None, EU + "licence/ODC_BL"), ("ODbL-1.0", None, EU + "licence/ODC_BL"),
    ("odc-by", None, EU + "licence/ODC_BY"), ("odc-pddl", None, EU + "licence/ODC_PDDL"),
    ("MIT", None, EU + "licence/MIT"), ("Apache-2.0", None, EU + "licence/APACHE_2_0"),
    ("GPL-3.0-only", None, EU + "licence/GPL_3_0"),
    ("MulanPSL-2.0", None, "https://spdx.org/licenses/MulanPSL-2.0"),
    ("木兰宽松许可证第2版", None, "https://spdx.org/licenses/MulanPSL-2.0"),
    ("Unicode-DFS-2016", None, "https://spdx.org/licenses/Unicode-DFS-2016"),
    ("知识共享署名 4.0 国际许可协议", None, EU + "licence/CC_BY_4_0"),
    ("Creative Commons Attribution", None, EU + "licence/CC_BY_4_0"),
    (None, "https://creativecommons.org/licenses/by/4.0/", EU + "licence/CC_BY_4_0"),
    (None, "http://creativecommons.org/licenses/by-sa/4.0/legalcode.zh-Hans", EU + "licence/CC_BYSA_4_0"),
    (None, "https://creativecommons.org/licenses/by/3.0/nl/", EU + "licence/CC_BY_3_0_NL"),
    (None, "http://creativecommons.org/licenses/by/3.0/cn/", EU + "licence/CC_BY_3_0"),
    (None, "https://creativecommons.org/publicdomain/zero/1.0/deed.zh", EU + "licence/CC0"),
    (None, "http://www.opendefinition.org/licenses/cc-by", EU + "licence/CC_BY_4_0"),
    (None, "https://opendatacommons.org/licenses/odbl/1-0/", EU + "licence/ODC_BL"),
    (None, "https://spdx.org/licenses/MIT.html", EU + "licence/MIT"),
    (None, "https://publications.europa.eu/resource/authority/licence/CC_BY_4_0", EU + "licence/CC_BY_4_0"),
    (None, "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/", EU + "licence/OGL_3_0"),
    ("notspecified", "https://creativecommons.org/licenses/by/4.0/", EU + "licence/CC_BY_4_0"),
    ("other-open", None, None), ("notspecified", None, None), ("政府数据开放许可协议", None, None),
    ("no-such-licence", None, None), (None, "https://example.org/licence", None), (None, None, None), ("", "", None),
])
def test_licence(value: str | None, url: str | None, iri: str | None) -> None:
    found = vocab.licence(value, url)
    assert (found.iri if found else None) == iri


@pytest.mark.parametrize("value, code", [
    ("zh", "ZHO"), ("zh-CN", "ZHO"), ("zh_CN", "ZHO"), ("zh-Hans", "ZHO"), ("zh-Hant-TW", "ZHO"), ("chi", "ZHO"),
    ("zho", "ZHO"), ("ZHO", "ZHO"), ("中文", "ZHO"), ("汉语", "ZHO"), ("Chinese", "ZHO"),
    ("en", "ENG"), ("EN-us", "ENG"), ("eng", "ENG"), ("English", "ENG"), ("英文", "ENG"),
    ("de", "DEU"), ("fr", "FRA"), ("it", "ITA"), ("es", "SPA"), ("nl", "NLD"), ("ja", "JPN"), ("ko", "KOR"),
    ("ru", "RUS"), ("pt-BR", "POR"), ("no", "NOR"), ("Deutsch", "DEU"), ("français", "FRA"),
    (EU + "language/ENG", "ENG"), ("xx", None), ("klingon", None), ("", None),
])
def test_language(value: str, code: str | None) -> None:
    found = vocab.language(value)
    assert (found.code if found else None) == code


@pytest.mark.parametrize("iri, zh, en", [
    (EU + "data-theme/TRAN", "交通", "Transport"),
    (EU + "data-theme/ECON", "经济和金融", "Economy and finance"),
    (EU + "frequency/MONTHLY", "每月", "monthly"),
    (EU + "access-right/PUBLIC", "无条件开放", "public"),
    (EU + "file-type/XLSX", "Excel（XLSX）", "Excel XLSX"),
    (EU + "licence/CC_BY_4_0", "知识共享署名 4.0 国际", "Creative Commons Attribution 4.0 International"),
    (EU + "language/ZHO", "中文", "Chinese"),
    (EU + "data-theme", "数据主题", "Data theme"),
    (IANA + "text/csv", "text/csv", "text/csv"),
    ("https://spdx.org/licenses/MIT-0", "MIT No Attribution", "MIT No Attribution"),  # no zh: falls back to en
    ("https://example.org/concepts/local#bus", "bus", "bus"),
    ("https://example.org/concepts/local/", "local", "local"),
])
def test_label(iri: str, zh: str, en: str) -> None:
    assert (vocab.label(iri), vocab.label(iri, "en")) == (zh, en)


def test_concept_label_falls_back_to_zh_then_en_then_code() -> None:
    concept = vocab.Concept("urn:x", "X1", "urn:s", {"en": "Ex"})
    assert (concept.label("de"), concept.label("zh"), vocab.Concept("urn:y", "Y1", "urn:s").label("en")) == (
        "Ex", "Ex", "Y1")


def test_every_eu_theme_frequency_and_access_right_has_a_chinese_label() -> None:
    index = load_index()
    missing = [c.iri for kind in ("theme", "frequency", "access_right")
               for c in index.kinds[kind].by_code.values() if not c.labels.get("zh")]
    assert missing == []
    assert len(index.kinds["theme"].by_code) == 13


@pytest.mark.parametrize("value, kind, iri", [
    (EU + "data-theme/TRAN", None, EU + "data-theme/TRAN"),
    (EU + "data-theme/TRAN", "theme", EU + "data-theme/TRAN"),
    (EU + "data-theme/TRAN", "frequency", None),
    ("TRAN", "theme", EU + "data-theme/TRAN"), ("csv", "file_type", EU + "file-type/CSV"),
    ("ANNUAL", "frequency", EU + "frequency/ANNUAL"), ("PUBLIC", "access_right", EU + "access-right/PUBLIC"),
    ("CC_BY_4_0", "licence", EU + "licence/CC_BY_4_0"), ("ZHO", "language", EU + "language/ZHO"),
    ("MulanPSL-2.0", "licence", "https://spdx.org/licenses/MulanPSL-2.0"),
    ("STABLE", "availability", EU + "planned-availability/STABLE"),
    ("TRAN", None, EU + "data-theme/TRAN"), ("交通", "theme", None), ("NOPE", None, None),
    ("http://example.org/x", None, None),
])
def test_concept_reverse_lookup(value: str, kind: str | None, iri: str | None) -> None:
    found = vocab.concept(value, kind)
    assert (found.iri if found else None) == iri


def test_concept_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown vocabulary kind"):
        vocab.concept("TRAN", "themes")


def test_concepts_are_hashable_and_compare_by_identity_fields() -> None:
    assert len({vocab.theme("交通出行"), vocab.theme("TRAN"), vocab.theme("transport")}) == 1


SKOS_CONCEPT = SKOS.Concept
USED_IRIS = [
    EU + "data-theme/TRAN", EU + "file-type/CSV", EU + "frequency/MONTHLY", EU + "access-right/PUBLIC",
    EU + "licence/CC_BY_4_0", EU + "language/ZHO", IANA + "text/csv", "https://spdx.org/licenses/MulanPSL-2.0",
    EU + "data-theme", "http://spdx.org/rdf/terms#checksumAlgorithm_sha1",
    "https://publications.europa.eu/resource/authority/frequency/DAILY",
    "https://data.example.cn/dataset/x", IANA + "application/x-not-registered", "http://data.europa.eu/r5r/",
]


def _typing_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=vocab.typing_triples(USED_IRIS), format="nt")
    return graph


@pytest.mark.parametrize("iri, rdf_type", [
    (EU + "data-theme/TRAN", SKOS_CONCEPT),
    (EU + "file-type/CSV", DCTERMS.MediaTypeOrExtent), (EU + "file-type/CSV", SKOS_CONCEPT),
    (EU + "frequency/MONTHLY", DCTERMS.Frequency), (EU + "access-right/PUBLIC", DCTERMS.RightsStatement),
    (EU + "licence/CC_BY_4_0", DCTERMS.LicenseDocument), (EU + "language/ZHO", DCTERMS.LinguisticSystem),
    (IANA + "text/csv", DCTERMS.MediaType), ("https://spdx.org/licenses/MulanPSL-2.0", DCTERMS.LicenseDocument),
    (EU + "data-theme", SKOS.ConceptScheme),
    ("http://spdx.org/rdf/terms#checksumAlgorithm_sha1", rdflib.URIRef("http://spdx.org/rdf/terms#ChecksumAlgorithm")),
    ("https://publications.europa.eu/resource/authority/frequency/DAILY", DCTERMS.Frequency),
    ("http://data.europa.eu/r5r/", DCTERMS.Standard),
])
def test_typing_triples_type_each_known_iri(iri: str, rdf_type: rdflib.URIRef) -> None:
    assert (rdflib.URIRef(iri), RDF.type, rdf_type) in _typing_graph()


def test_typing_triples_give_scheme_and_labels_and_skip_unknown_iris() -> None:
    graph = _typing_graph()
    tran = rdflib.URIRef(EU + "data-theme/TRAN")
    assert graph.value(tran, SKOS.inScheme) == rdflib.URIRef(EU + "data-theme")
    assert set(graph.objects(tran, SKOS.prefLabel)) == {rdflib.Literal("交通", lang="zh"),
                                                        rdflib.Literal("Transport", lang="en")}
    assert not list(graph.triples((rdflib.URIRef("https://data.example.cn/dataset/x"), None, None)))
    assert not list(graph.triples((rdflib.URIRef(IANA + "application/x-not-registered"), None, None)))
    assert (rdflib.URIRef(EU + "file-type/CSV"), RDF.type, DCTERMS.MediaType) not in graph


def test_typing_triples_of_nothing_is_empty() -> None:
    assert vocab.typing_triples([]) == "" and vocab.typing_triples(["https://example.org/a"]) == ""


def test_curated_media_types_are_registered_at_iana() -> None:
    index = load_index()
    assert [m for m in index.file_type_media.values() if m not in index.iana] == []


def test_the_index_builds_in_under_half_a_second() -> None:
    started = time.perf_counter()
    fresh = load_index.__wrapped__()  # a cold build, bypassing the cache
    assert time.perf_counter() - started < 0.5
    assert len(fresh.by_iri) > 1000


def test_every_file_in_vocab_has_a_provenance_line() -> None:
    provenance = (VOCAB_DIR / "PROVENANCE.txt").read_text(encoding="utf-8")
    files = [p.relative_to(VOCAB_DIR).as_posix() for p in VOCAB_DIR.rglob("*")
             if p.is_file() and p.name != "PROVENANCE.txt" and "__pycache__" not in p.parts]
    assert files and [f for f in files if f not in provenance] == []


def test_vocab_code_never_reads_the_shared_research_folder() -> None:
    sources = [p for p in (PROJECT_ROOT / "harvester" / "vocab").glob("*.py")]
    sources.append(PROJECT_ROOT / "harvester" / "dcat" / "validate.py")
    assert [p.name for p in sources if "/work/shared" in p.read_text(encoding="utf-8")] == []
