"""Custom portals read by a mapping file alone: the mapping language's new parts (field aliases, selectors,
extraction, data dictionaries), the two home-made demo portals harvested over loopback, their broken
variants, and ``harvester source test``."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import click
import pytest
import rdflib
import yaml
from click.testing import CliRunner
from rdflib import RDF, XSD, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF

from harvester import MAPPINGS_DIR
import lxml.html

from harvester.context import Context
from harvester.index import SearchQuery
from harvester.dcat.rdf import to_ntriples
from harvester.dcat.validate import validate_ntriples
from harvester.demo.custom_portals import start_custom_demos
from harvester.demo.custom_server import CHARSET_FAULTS, RunningCustomPortal, serve_custom
from harvester.demo.scjgj import ScjgjPortal
from harvester.demo.sthjj import SthjjPortal
from harvester.errors import MappingError
from harvester.http.client import Response
from harvester.jobs import run_job
from web import create_app
from harvester.mapping.aliases import alias_table, expand_path, field_keys, xsd_datatype
from harvester.mapping.emitters import EMITTERS
from harvester.mapping.engine import compile_mapping
from harvester.mapping.extract import compile_extraction
from harvester.mapping.selectors import compile_selector, parse_page
from harvester.model import JobStatus, Source, Stage
from harvester.sources import source_types
from harvester.sources.custom import CustomSource
from harvester.sources.listing import SECTION_KEYS, compile_portal, fill_template, response_text
from tests.conftest import make_settings
from tests.mapping_helpers import BASE, as_graph

FIXTURES = Path(__file__).parent / "fixtures" / "china"
ROOT = Path(__file__).resolve().parent.parent
CSVW = Namespace("http://www.w3.org/ns/csvw#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"


# --- the registry hook and the portals -----------------------------------------------------------
class _RegisteredClass:
    """Stands in for an entry point: ``load()`` gives the class."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def load(self) -> type:
        return self.cls


@pytest.fixture
def custom_type(monkeypatch: pytest.MonkeyPatch) -> None:
    # The registry hook: until setup.cfg registers `custom = harvester.sources.custom:CustomSource`, the
    # class joins the cached registry for the test (monkeypatch restores the registry afterwards).
    types = source_types()
    if "custom" not in types:
        monkeypatch.setitem(types, "custom", _RegisteredClass(CustomSource))


@pytest.fixture
def sthjj(custom_type: None) -> Iterator[tuple[SthjjPortal, RunningCustomPortal]]:
    portal = SthjjPortal(size=25)  # two listing pages of 20
    with serve_custom(portal) as running:
        yield portal, running


@pytest.fixture
def scjgj(custom_type: None) -> Iterator[tuple[ScjgjPortal, RunningCustomPortal]]:
    portal = ScjgjPortal(size=22)  # three list pages of 10
    with serve_custom(portal) as running:
        yield portal, running


def source(running: RunningCustomPortal, mapping: str, source_id: str = "jinan-sthjj") -> Source:
    return Source(source_id, "custom", running.url, "演示", mapping=mapping)


def record_graphs(ctx: Context, source_id: str) -> dict[str, list[Any]]:
    return {g: sorted(t) for g, t in ctx.store.iter_graphs(ctx.iris.graph_prefix(source_id))}


def dataset_graph(ctx: Context, source_id: str, key: str) -> rdflib.Graph:
    triples = dict(ctx.store.iter_graphs(ctx.iris.graph(source_id, key)))[ctx.iris.graph(source_id, key)]
    return rdflib.Graph().parse(data=to_ntriples(triples), format="nt")


def short_mapping(tmp_path: Path, name: str, **listing: Any) -> str:
    """A copy of a shipped mapping with some listing keys changed (e.g. a small max_pages)."""
    raw = yaml.safe_load((MAPPINGS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    raw["listing"].update(listing)
    path = tmp_path / f"{name}-test.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return str(path)


# --- field aliases -------------------------------------------------------------------------------
def test_aliases_try_curated_chinese_and_pinyin_keys_first_then_every_cnpds_name() -> None:
    title = field_keys("title")
    assert title[:2] == ["资源名称", "信息资源名称"]
    assert {"zymc", "resourceName", "subjectBaseName", "资源信息名称"} <= set(title)
    cnpds = json.loads((ROOT / "vocab/fields/cnpds_field_mapping.json").read_text(encoding="utf-8"))["common"]
    assert len(cnpds) == 159
    every_key = {key for keys in alias_table().fields.values() for key in keys}
    assert set(cnpds) <= every_key  # all 159 names of 138 portals are reachable through some alias
    assert "开放条件" in field_keys("rights") and "开放条件" not in field_keys("is_open")  # curated wins


def test_alias_paths_expand_under_a_prefix_and_for_lists_and_fail_clearly() -> None:
    assert expand_path("/@columns")[0] == "/信息项"
    assert expand_path("detail.@title")[0] == "detail.资源名称"
    assert expand_path("@files[]")[0] == "资源文件[]"
    assert expand_path("plain.path") == ["plain.path"]
    assert expand_path("@id") == ["@id"] and expand_path("publisher.@type") == ["publisher.@type"]  # JSON-LD keys
    assert field_keys("title", {"title": ["标题名"]})[0] == "标题名"
    with pytest.raises(ValueError, match="unknown field alias @nonsense"):
        expand_path("@nonsense")


def test_a_rule_reading_an_alias_finds_whichever_key_the_portal_used() -> None:
    mapping = compile_mapping(
        "id: '@code'\naliases: {code: [编号]}\ndataset:\n  type: dcat:Dataset\n  keep_unmapped: true\n  rules:\n"
        "    - {to: dct:title, from: '@title', lang: zh, required: true}\n"
        "    - {to: dct:accessRights, from: '@is_open', as: 'vocab:access_right'}\n"
        "    - {to: dct:identifier, from: '@code'}\n", "t")
    for record in ({"资源名称": "甲", "开放状态": "有条件开放", "编号": "1"},
                   {"zymc": "甲", "kflx": "有条件开放", "编号": "1"},
                   {"resourceName": "甲", "openType": "有条件开放", "编号": "1"}):
        graph = as_graph(_map(mapping, record))
        assert set(graph.objects(None, DCTERMS.title)) == {Literal("甲", lang="zh")}
        assert set(graph.objects(None, DCTERMS.accessRights)) == {URIRef(EU + "access-right/RESTRICTED")}
        assert not set(graph.objects(None, URIRef("http://schema.org/additionalProperty")))  # all read
        assert mapping.remote_id(record) == "1"


def _map(mapping: Any, record: dict[str, Any]) -> list[Any]:
    from harvester.mapping.emitters import MapContext

    ctx = MapContext(BASE, "demo", "k", f"{BASE}/dataset/demo/k")
    mapping.apply(record, ctx)
    return ctx.triples


# --- data dictionaries (信息项) --------------------------------------------------------------------
TABLE_MAPPING = compile_mapping(
    "dataset:\n  type: dcat:Dataset\n  rules:\n    - {to: dct:title, from: '@title', lang: zh}\n"
    "    - {to: dct:description, from: '@title', lang: zh}\n"
    "    - {to: dcat:distribution, from: '@files[]', as: 'node:dist'}\n"
    "nodes:\n  dist:\n    iri: '{dataset}/distribution/{index}'\n    type: dcat:Distribution\n    rules:\n"
    "      - {to: dcat:accessURL, from: '@download_url', as: iri, required: true}\n"
    "      - {to: csvw:tableSchema, from: '/@columns', as: table_schema, lang: zh}\n", "table")


@pytest.mark.parametrize("columns", [
    [{"名称": "监测站点", "数据类型": "字符串"}, {"字段名称": "AQI", "字段类型": "NUMBER(10,2)", "说明": "空气质量指数"}],
    [{"zdmc": "监测站点", "sjlx": "varchar(50)"}, {"name": "AQI", "type": "decimal", "description": "空气质量指数"}],
    json.dumps([{"名称": "监测站点", "数据类型": "文本"}, {"名称": "AQI", "数据类型": "数值"}], ensure_ascii=False),
], ids=["chinese", "pinyin-english", "json-text"])
def test_a_data_dictionary_becomes_a_csvw_table_schema_that_validates(columns: Any) -> None:
    record = {"资源名称": "空气质量", "信息项": columns, "资源文件": [{"下载地址": "https://p.example/a.csv"}]}
    triples = _map(TABLE_MAPPING, record)
    graph = as_graph(triples)
    schema = graph.value(URIRef(f"{BASE}/dataset/demo/k/distribution/0"), CSVW.tableSchema)
    assert (schema, RDF.type, CSVW.Schema) in graph
    columns_found = {str(graph.value(c, CSVW.name)): graph.value(c, CSVW.datatype)
                     for c in graph.objects(schema, CSVW.column)}
    assert columns_found == {"监测站点": XSD.string, "AQI": XSD.decimal}
    assert validate_ntriples(to_ntriples(triples)).violation_count == 0


def test_data_dictionary_names_in_one_string_and_unknown_types_and_bad_items() -> None:
    graph = as_graph(_map(TABLE_MAPPING, {"资源名称": "甲", "资源文件": [{"下载地址": "https://p.example/a"}],
                                          "信息项": "站点、日期；数值"}))
    assert {str(o) for o in graph.objects(None, CSVW.name)} == {"站点", "日期", "数值"}
    assert xsd_datatype("VARCHAR2(100)") == str(XSD.string) and xsd_datatype("几何") is None
    graph = as_graph(_map(TABLE_MAPPING, {"资源名称": "甲", "资源文件": [{"下载地址": "https://p.example/a"}],
                                          "信息项": [{"名称": "范围", "数据类型": "几何"}]}))
    assert set(graph.objects(None, CSVW.datatype)) == {Literal("几何")}  # kept as the portal wrote it
    with pytest.raises(MappingError, match="should be an object or a name"):
        _map(TABLE_MAPPING, {"资源名称": "甲", "资源文件": [{"下载地址": "https://p.example/a"}], "信息项": [[1]]})
    with pytest.raises(MappingError, match="not valid JSON"):
        _map(TABLE_MAPPING, {"资源名称": "甲", "资源文件": [{"下载地址": "https://p.example/a"}], "信息项": "[{"})


def test_table_schema_is_a_documented_kind() -> None:
    assert "table_schema" in EMITTERS
    assert "| `table_schema` |" in (ROOT / "docs/mapping.md").read_text(encoding="utf-8")


# --- selectors and extraction -------------------------------------------------------------------
LIST_HTML = """<html><body><ul class="list">
<li data-id="A-1"><a class="t" href="/d/A-1.html"> 空气  质量 </a><span class="tag">甲</span><span class="tag">乙</span>
 <p>更新时间：2021-07-0603:25:19</p></li>
</ul><div class="pager"><a href="?page=2">下一页</a></div></body></html>"""


def test_selectors_read_json_xml_and_html_and_make_links_absolute() -> None:
    page = parse_page(LIST_HTML, "html")
    item = compile_selector("css:ul.list li").elements(page)[0]
    assert compile_selector("css:a.t").select(item) == ["空气 质量"]
    assert compile_selector("css:a.t::attr(href)").select(item, "http://p.example/list/") == \
        ["http://p.example/d/A-1.html"]
    assert compile_selector("xpath:@data-id").select(item) == ["A-1"]
    assert compile_selector("xpath://a[normalize-space()='下一页']/@href").select(page, "http://p.example/l") == \
        ["http://p.example/l?page=2"]
    data = parse_page('{"data": {"资源名称": "甲", "list": [{"a": 1}, {"a": 2}]}}', "json")
    assert compile_selector("$.data.'资源名称'").select(data) == ["甲"]
    assert compile_selector("$.data.list[?(@.a > 1)]").select(data) == [{"a": 2}]
    xml = parse_page('<?xml version="1.0" encoding="GBK"?><r><total>7</total></r>', "xml")
    assert compile_selector("xpath:/r/total").select(xml) == ["7"]


@pytest.mark.parametrize("text, reason", [
    ("$.data[", "does not compile"), ("xpath://a[", "does not compile"), ("css:a[", "does not compile"),
    ("//a", "should start with"),
])
def test_a_selector_that_does_not_compile_says_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        compile_selector(text)


def test_a_selector_of_the_wrong_language_for_the_page_says_so() -> None:
    with pytest.raises(ValueError, match="is JSONPath, but the page is HTML"):
        compile_selector("$.a").select(parse_page("<p>x</p>", "html"))
    with pytest.raises(ValueError, match="is CSS, but the page is JSON"):
        compile_selector("css:p").select({"a": 1})


def test_untrusted_xml_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do-not-read", encoding="utf-8")
    page = parse_page(f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
                      "<r><zymc>&s;</zymc></r>", "xml")
    assert "do-not-read" not in "".join(compile_selector("xpath://zymc").select(page))


def test_extraction_takes_fields_rows_tables_and_children() -> None:
    extraction = compile_extraction({
        "fields": {"id": {"select": "css:a.t::attr(href)", "pattern": r"/d/([^.]+)\.html"},
                   "tags": {"select": "css:span.tag", "all": True}},
        "rows": "css:p"}, "listing")
    item = compile_selector("css:ul.list li").elements(parse_page(LIST_HTML, "html"))[0]
    assert extraction.apply(item, "http://p.example/") == {"id": "A-1", "tags": ["甲", "乙"],
                                                          "更新时间": "2021-07-0603:25:19"}
    detail = parse_page(
        "<table class=i><tr><th>资源名称：</th><td>甲</td><th>联系邮箱</th><td>暂无</td></tr></table>"
        "<table class=c><tr><th>字段名称</th><th>数据类型</th><th>文件</th></tr>"
        "<tr><td>站点</td><td>字符串</td><td><a href='f/1.csv'>下载</a></td></tr></table>", "html")
    found = compile_extraction({"rows": "css:table.i tr", "tables": {"信息项": "css:table.c"}}, "detail") \
        .apply(detail, "http://p.example/d/")
    assert found == {"资源名称": "甲",  # 暂无 counts as nothing
                     "信息项": [{"字段名称": "站点", "数据类型": "字符串", "文件": "下载",
                              "文件_url": "http://p.example/d/f/1.csv"}]}
    xml = parse_page("<r><zymc>甲</zymc><gjz>a</gjz><gjz>b</gjz></r>", "xml")
    assert compile_extraction({"children": True}, "listing").apply(xml) == {"zymc": "甲", "gjz": ["a", "b"]}


def test_templates_fill_record_fields_encoded_and_links_as_they_are() -> None:
    values = {"url": "http://p.example/base", "id": "a b/c", "link": "http://p.example/d?x=1", "data": {"n": 5}}
    assert fill_template("{url}/detail?id={id}", values) == "http://p.example/base/detail?id=a%20b%2Fc"
    assert fill_template("{link}", values) == "http://p.example/d?x=1"
    assert fill_template("{url}/n/{data.n}", values) == "http://p.example/base/n/5"
    with pytest.raises(ValueError, match="needs {missing}"):
        fill_template("{url}/{missing}", values)


@pytest.mark.parametrize("sections, reason", [
    ({}, "has no 'listing' section"),
    ({"listing": {"url": "{url}/x"}}, "'records'"),
    ({"listing": {"url": "{url}/x", "records": "$.a", "pages": 3}}, "unknown key"),
    ({"listing": {"url": "{url}/x", "records": "$.a", "paging": {"kind": "pages"}}}, "one of page, offset"),
    ({"listing": {"url": "{url}/x", "records": "$.a", "paging": {"kind": "next"}}}, "kind next needs next"),
    ({"listing": {"url": "{url}/x", "records": "$.a", "paging": "page"}}, "kind page needs param"),
    ({"listing": {"url": "{url}/{id!r}", "records": "$.a"}}, "without ! or :"),
    ({"listing": {"url": "{url}/x", "records": "a.b"}}, "should start with"),
    ({"listing": {"url": "{url}/x", "records": "$.a", "format": "csv"}}, "one of json, html, xml"),
    ({"listing": {"url": "{url}/x", "records": "$.a", "max_pages": "many"}}, "max_pages should be a whole number"),
    ({"listing": {"url": "{url}/x", "records": "$.a", "paging": {"kind": "page", "param": "p", "size": "x"}}},
     "size should be a whole number"),
    ({"listing": {"url": "{url}/x", "records": "$.a", "fields": {"t": {"css": "a"}}}}, "listing.fields.t"),
    ({"listing": {"url": "{url}/x", "records": "$.a"}, "detail": {"select": "$.a"}}, "detail: 'url' is missing"),
])
def test_a_wrong_portal_section_names_what_is_wrong(sections: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        compile_portal(sections, "t")


def test_every_portal_section_key_is_documented() -> None:
    docs = (ROOT / "docs/mapping.md").read_text(encoding="utf-8")
    for section, keys in SECTION_KEYS.items():
        for key in keys:
            assert f"`{key}`" in docs, f"{section}.{key} is not in docs/mapping.md"


def test_every_unified_field_is_documented_and_the_example_is_the_shipped_file() -> None:
    docs = (ROOT / "docs/mapping.md").read_text(encoding="utf-8")
    for name in alias_table().fields:
        assert f"`@{name}`" in docs, f"@{name} is not in docs/mapping.md"
    assert (MAPPINGS_DIR / "jinan-sthjj.yaml").read_text(encoding="utf-8") in docs


@pytest.mark.parametrize("text", ['{"资源名称": "济南市空气质量日报", "来源部门": "济南市生态环境局"}',
                                  # runs of two Chinese characters: UTF-8 bytes that also decode as GB18030
                                  '{"名称": "济南", "部门": "环境"}'])
@pytest.mark.parametrize("encoding, label", [("gbk", "utf-8"), ("utf-8", "gbk"), ("gb18030", ""), ("utf-8", "")])
def test_page_text_survives_a_wrong_or_missing_charset_label(text: str, encoding: str, label: str) -> None:
    headers = {"content-type": f"application/json; charset={label}" if label else "application/json"}
    assert response_text(Response("http://p.example", 200, headers, text.encode(encoding))) == text


# --- the home-made demo portals, harvested ------------------------------------------------------
def test_json_api_portal_is_harvested_with_details_and_every_record_validates(ctx: Context, sthjj) -> None:
    portal, running = sthjj
    job = run_job(ctx, source(running, "jinan-sthjj"))
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert (job.counts.added, job.counts.failed) == (25, 0)
    assert running.requests["/api/catalog/list"] == 2 and running.requests["/api/catalog/detail"] == 25
    graphs = record_graphs(ctx, "jinan-sthjj")
    assert len(graphs) == 25
    for triples in list(graphs.values())[:12]:
        report = validate_ntriples(to_ntriples(triples))
        assert report.violation_count == 0, report.violations[:3]
    entry = portal.catalog.entry(1)
    graph = dataset_graph(ctx, "jinan-sthjj", entry.code)
    dataset = URIRef(ctx.iris.dataset("jinan-sthjj", entry.code))
    assert graph.value(dataset, DCTERMS.title) == Literal(entry.title, lang="zh")
    assert str(graph.value(dataset, DCTERMS.issued)).endswith("+08:00")  # epoch milliseconds shown in UTC+8
    assert graph.value(dataset, DCTERMS.accrualPeriodicity) == URIRef(EU + "frequency/DAILY")  # 每日
    assert graph.value(dataset, DCTERMS.accessRights) == URIRef(EU + "access-right/RESTRICTED")  # 有条件开放
    assert graph.value(graph.value(dataset, DCTERMS.publisher), FOAF.name) == Literal("济南市生态环境局", lang="zh")
    assert {str(k) for k in graph.objects(dataset, DCAT.keyword)} == set(entry.keywords.replace("、", ",").split(","))
    distribution = graph.value(dataset, DCAT.distribution)
    names = {str(graph.value(c, CSVW.name)) for c in graph.objects(graph.value(distribution, CSVW.tableSchema),
                                                                      CSVW.column)}
    assert names == {c.name for c in entry.columns}
    assert not any("信息项" in str(o) for o in graph.objects())  # read into the schema, not kept aside
    records = ctx.store.select("SELECT ?src WHERE { ?r <http://purl.org/dc/terms/source> ?src }")
    assert f"<{running.url}/portal/dataset/{entry.code}.html>" in {r["src"] for r in records}


def test_placeholders_count_as_nothing(ctx: Context, sthjj) -> None:
    portal, running = sthjj
    run_job(ctx, source(running, "jinan-sthjj"))
    blank = next(e for e in portal.catalog.live() if e.summary in ("暂无", "--"))
    graph = dataset_graph(ctx, "jinan-sthjj", blank.code)
    dataset = URIRef(ctx.iris.dataset("jinan-sthjj", blank.code))
    assert graph.value(dataset, DCTERMS.description) == Literal(blank.title, lang="zh")  # the title stands in
    no_mail = next(e for e in portal.catalog.live() if e.email == "暂无")
    graph = dataset_graph(ctx, "jinan-sthjj", no_mail.code)
    assert not set(graph.objects(None, VCARD.hasEmail))
    assert set(graph.objects(None, VCARD.hasTelephone)) == {URIRef(f"tel:{no_mail.phone}")}


def test_reharvest_skips_unchanged_details_and_counts_changes_exactly(ctx: Context, sthjj) -> None:
    portal, running = sthjj
    run_job(ctx, source(running, "jinan-sthjj"))
    before = record_graphs(ctx, "jinan-sthjj")
    job = run_job(ctx, source(running, "jinan-sthjj"))
    assert (job.counts.unchanged, job.counts.added, job.counts.updated) == (25, 0, 0)
    assert running.requests["/api/catalog/detail"] == 25  # the change marker spared every detail request
    assert record_graphs(ctx, "jinan-sthjj") == before
    portal.catalog.edit([2, 3])
    portal.catalog.remove([4])
    portal.catalog.add(1)
    job = run_job(ctx, source(running, "jinan-sthjj"))
    c = job.counts
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert (c.added, c.updated, c.deleted, c.unchanged, c.failed) == (1, 2, 1, 22, 0)
    assert running.requests["/api/catalog/detail"] == 25 + 3


def test_html_portal_is_harvested_through_next_links_rows_and_tables(ctx: Context, scjgj) -> None:
    portal, running = scjgj
    job = run_job(ctx, source(running, "jinan-scjgj", "jinan-scjgj"))
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert job.counts.added == 22
    assert running.requests_under("/sjkf/list_") == 2 and running.requests["/sjkf/index.html"] == 1
    for triples in list(record_graphs(ctx, "jinan-scjgj").values())[:8]:
        assert validate_ntriples(to_ntriples(triples)).violation_count == 0
    entry = portal.catalog.entry(5)
    graph = dataset_graph(ctx, "jinan-scjgj", entry.code)
    dataset = URIRef(ctx.iris.dataset("jinan-scjgj", entry.code))
    assert graph.value(dataset, DCTERMS.title) == Literal(entry.title, lang="zh")
    modified = graph.value(dataset, DCTERMS.modified)
    assert modified.datatype == XSD.dateTime and str(modified).endswith("+08:00")  # from 2021-07-0603:25:19
    assert graph.value(dataset, DCTERMS.identifier) == Literal(entry.code)
    urls = {str(graph.value(d, DCAT.downloadURL)) for d in graph.objects(dataset, DCAT.distribution)}
    assert urls == {f"{running.url}/sjkf/files/{entry.code}/{i}" for i in range(1, len(entry.files) + 1)}
    datatypes = set(graph.objects(None, CSVW.datatype))
    assert datatypes <= {XSD.string, XSD.decimal, XSD.date, XSD.dateTime} and XSD.string in datatypes


def test_the_mapping_runs_in_a_worker_process_too(tmp_path: Path, scjgj) -> None:
    _, running = scjgj
    context = Context(make_settings(tmp_path / "data", harvest_map_workers=1))
    try:
        job = run_job(context, source(running, "jinan-scjgj", "jinan-scjgj"))
        assert job.status == JobStatus.SUCCEEDED and job.counts.added == 22, job.message
    finally:
        context.close()


# --- fixture portals: XML with a cursor, JSON with offsets ---------------------------------------
class _FixtureHandler(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, tuple[str, str]]] = {
        "/catalog.xml": ("xml_catalog_1.xml", "application/xml"),
        "/catalog.xml?cursor=c2": ("xml_catalog_2.xml", "application/xml"),
        "/api/rows?limit=2&offset=0": ("json_offset_0.json", "application/json"),
        "/api/rows?limit=2&offset=2": ("json_offset_2.json", "application/json"),
    }

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = urlencode(sorted(parse_qsl(parts.query)))
        name = self.files.get(parts.path + (f"?{query}" if query else ""))
        body = (FIXTURES / name[0]).read_bytes() if name else b"not found"
        self.send_response(200 if name else 404)
        self.send_header("Content-Type", name[1] if name else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent."""


@pytest.fixture
def fixture_portal(custom_type: None) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FixtureHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("mapping, expected", [
    ("xml-cursor.yaml", {"370100-TJ-00001": ("ANNUAL", "PUBLIC", "2023-10-08"),
                         "370100-TJ-00002": ("MONTHLY", "RESTRICTED", "2022-01-15"),
                         "370100-TJ-00003": ("MONTHLY", "NON_PUBLIC", "2021-07-06T03:25:19+08:00")}),
    ("json-offset.yaml", {"jn-zj-001": ("MONTHLY", "PUBLIC", "2021-07-06"),
                          "jn-zj-002": ("IRREG", "RESTRICTED", "2020-03-01"),
                          "jn-zj-003": ("QUARTERLY", "PUBLIC", "2019-05-20")}),
])
def test_cursor_and_offset_paging_over_fixture_files(ctx: Context, fixture_portal: str, mapping: str,
                                                     expected: dict[str, tuple[str, str, str]]) -> None:
    job = run_job(ctx, Source("fixture", "custom", fixture_portal, mapping=str(FIXTURES / mapping)))
    assert job.status == JobStatus.SUCCEEDED, (job.message, job.errors)
    assert job.counts.added == 3
    for key, (frequency, access, issued) in expected.items():
        withheld = ctx.trust.withheld_ntriples("fixture", key)  # 不予开放: kept from the public store
        assert (withheld is not None) == (access == "NON_PUBLIC")
        graph = rdflib.Graph().parse(data=withheld, format="nt") if withheld else dataset_graph(ctx, "fixture", key)
        dataset = URIRef(ctx.iris.dataset("fixture", key))
        assert graph.value(dataset, DCTERMS.accrualPeriodicity) == URIRef(f"{EU}frequency/{frequency}")
        assert graph.value(dataset, DCTERMS.accessRights) == URIRef(f"{EU}access-right/{access}")
        assert str(graph.value(dataset, DCTERMS.issued)) == issued
        text = withheld or to_ntriples(graph_triples(ctx, "fixture", key))
        assert validate_ntriples(text).violation_count == 0


def test_listing_templates_name_the_sources_options(ctx: Context, fixture_portal: str, tmp_path: Path) -> None:
    raw = yaml.safe_load((FIXTURES / "json-offset.yaml").read_text(encoding="utf-8"))
    raw["listing"]["url"] = "{url}/api/{table}"
    mapping = tmp_path / "options.yaml"
    mapping.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    job = run_job(ctx, Source("fixture", "custom", fixture_portal, mapping=str(mapping), options={"table": "rows"}))
    assert job.status == JobStatus.SUCCEEDED and job.counts.added == 3, job.message
    job = run_job(ctx, Source("fixture", "custom", fixture_portal, mapping=str(mapping)))
    assert job.status == JobStatus.FAILED and "needs {table}" in job.message


def graph_triples(ctx: Context, source_id: str, key: str) -> list[Any]:
    return dict(ctx.store.iter_graphs(ctx.iris.graph(source_id, key)))[ctx.iris.graph(source_id, key)]


# --- broken portals ----------------------------------------------------------------------------
def test_a_truncated_listing_page_fails_the_gather_and_touches_nothing(ctx: Context, sthjj) -> None:
    portal, running = sthjj
    run_job(ctx, source(running, "jinan-sthjj"))
    before = record_graphs(ctx, "jinan-sthjj")
    portal.catalog.edit([1])
    portal.truncate_list_page = 2
    job = run_job(ctx, source(running, "jinan-sthjj"))
    assert job.status == JobStatus.FAILED
    assert "listing page 2" in job.message and "not valid JSON" in job.message and "nothing deleted" in job.message
    assert job.counts.deleted == 0
    assert record_graphs(ctx, "jinan-sthjj").keys() == before.keys()
    assert ctx.state.record_count("jinan-sthjj") == 25


def test_a_truncated_detail_fails_that_record_alone(ctx: Context, sthjj) -> None:
    portal, running = sthjj
    portal.truncate_detail = {portal.catalog.entry(7).code}
    job = run_job(ctx, source(running, "jinan-sthjj"))
    assert job.status == JobStatus.PARTIAL
    assert (job.counts.added, job.counts.failed) == (24, 1)
    [error] = job.errors
    assert error.stage == Stage.FETCH and error.remote_id == portal.catalog.entry(7).code
    assert "not valid JSON" in error.message


@pytest.mark.parametrize("fault", CHARSET_FAULTS)
@pytest.mark.parametrize("portal_name", ["sthjj", "scjgj"])
def test_mislabelled_charsets_still_give_the_right_chinese_text(ctx: Context, request, fault: str,
                                                                portal_name: str) -> None:
    portal, running = request.getfixturevalue(portal_name)
    portal.charset_fault = fault
    source_id = f"jinan-{portal_name}"
    job = run_job(ctx, source(running, source_id, source_id))
    assert job.status == JobStatus.SUCCEEDED, (job.message, job.errors[:2])
    entry = portal.catalog.entry(3)
    graph = dataset_graph(ctx, source_id, entry.code)
    assert graph.value(URIRef(ctx.iris.dataset(source_id, entry.code)), DCTERMS.title) == \
        Literal(entry.title, lang="zh")


@pytest.mark.parametrize("portal_name", ["sthjj", "scjgj"])
def test_a_listing_that_never_ends_fails_at_max_pages_and_deletes_nothing(ctx: Context, request, tmp_path: Path,
                                                                          portal_name: str) -> None:
    portal, running = request.getfixturevalue(portal_name)
    source_id = f"jinan-{portal_name}"
    mapping = short_mapping(tmp_path, source_id, max_pages=5)
    run_job(ctx, source(running, mapping, source_id))
    stored = ctx.state.record_count(source_id)
    portal.endless = True
    job = run_job(ctx, source(running, mapping, source_id))
    assert job.status == JobStatus.FAILED
    assert "did not end after 5 pages" in job.message
    assert ctx.state.record_count(source_id) >= stored and job.counts.deleted == 0


def test_a_portal_that_ignores_the_page_number_is_a_paging_loop(ctx: Context, sthjj) -> None:
    portal, running = sthjj
    portal.ignore_page_number = True
    job = run_job(ctx, source(running, "jinan-sthjj"))
    assert job.status == JobStatus.FAILED
    assert "listing page 2" in job.message and "repeats an earlier page: paging loop" in job.message


def test_a_next_link_back_to_the_first_page_is_a_paging_loop(ctx: Context, scjgj) -> None:
    portal, running = scjgj
    portal.next_loops = True
    job = run_job(ctx, source(running, "jinan-scjgj", "jinan-scjgj"))
    assert job.status == JobStatus.FAILED
    assert "links back to" in job.message and "paging loop" in job.message


@pytest.mark.parametrize("portal_name", ["sthjj", "scjgj"])
def test_a_record_missing_its_title_fails_alone_and_keeps_its_last_good_version(ctx: Context, request,
                                                                               portal_name: str) -> None:
    portal, running = request.getfixturevalue(portal_name)
    source_id = f"jinan-{portal_name}"
    run_job(ctx, source(running, source_id, source_id))
    entry = portal.catalog.entry(6)
    kept = graph_triples(ctx, source_id, entry.code)
    portal.catalog.missing_title.add(6)
    portal.catalog.edit([6])
    job = run_job(ctx, source(running, source_id, source_id))
    assert job.status == JobStatus.PARTIAL
    [error] = job.errors
    assert error.stage == Stage.MAP and "资源名称 is missing" in error.message
    assert graph_triples(ctx, source_id, entry.code) == kept  # the last good version stays, not deleted
    assert job.counts.deleted == 0


def test_a_listed_record_without_an_id_fails_alone_with_its_reason(ctx: Context, sthjj) -> None:
    portal, running = sthjj
    portal.missing_id = {9}
    job = run_job(ctx, source(running, "jinan-sthjj"))
    assert job.status == JobStatus.PARTIAL and (job.counts.added, job.counts.failed) == (24, 1)
    assert "listing page 1, record 9 has no id" in job.errors[0].message


def test_a_broken_mapping_fails_the_job_with_the_reason(ctx: Context, sthjj, tmp_path: Path) -> None:
    _, running = sthjj
    job = run_job(ctx, source(running, short_mapping(tmp_path, "jinan-sthjj", paging={"kind": "pages"})))
    assert job.status == JobStatus.FAILED and "listing.paging.kind 'pages'" in job.message
    job = run_job(ctx, Source("jinan-sthjj", "custom", running.url))
    assert job.status == JobStatus.FAILED and "names no mapping file" in job.message


# --- harvester source test ----------------------------------------------------------------------
@pytest.fixture
def source_cli(tmp_path: Path) -> tuple[click.Group, Path]:
    from harvester.cli import Obj
    from harvester.cli_sources import register

    @click.group()
    @click.pass_context
    def group(click_ctx: click.Context) -> None:
        click_ctx.obj = Obj(None)
        click_ctx.call_on_close(click_ctx.obj.close)

    register(group)
    config = tmp_path / "harvester.toml"
    config.write_text('[data]\ndir = "data"\n[http]\nretries = 1\nbackoff = 0.01\ndelay = 0.0\n', encoding="utf-8")
    return group, config


def test_source_test_prints_dcat_and_shacl_of_the_first_records_and_writes_nothing(source_cli, sthjj) -> None:
    group, config = source_cli
    portal, running = sthjj
    result = CliRunner().invoke(group, ["test", "jinan-sthjj", "--type", "custom", "--url", running.url,
                                        "--mapping", "jinan-sthjj", "--limit", "2", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert result.output.count("── record") == 2
    assert portal.catalog.entry(1).title in result.output and "dcat:Dataset" in result.output
    assert result.output.count("conforms, 0 violations") == 2
    assert "2 record(s) of 25 listed: 2 conform" in result.output
    assert running.requests["/api/catalog/detail"] == 2
    data = config.parent / "data"
    assert not (data / "store").exists() and not (data / "index").exists()


def test_source_test_exits_1_and_says_which_record_failed(source_cli, scjgj) -> None:
    group, config = source_cli
    portal, running = scjgj
    portal.catalog.missing_title.add(2)
    result = CliRunner().invoke(group, ["test", "jinan-scjgj", "--type", "custom", "--url", running.url,
                                        "--mapping", "jinan-scjgj", "--no-rdf", "--config", str(config)])
    assert result.exit_code == 1
    assert f"── record 2: {portal.catalog.entry(2).code}" in result.output
    assert "FAILED at map: 资源名称 is missing" in result.output
    assert "@prefix" not in result.output  # --no-rdf


def test_source_test_of_an_unknown_source_needs_type_and_url(source_cli) -> None:
    group, config = source_cli
    result = CliRunner().invoke(group, ["test", "nowhere", "--config", str(config)])
    assert result.exit_code != 0 and "give --type and --url" in result.output


def test_source_test_reports_a_listing_that_cannot_be_read(source_cli, sthjj) -> None:
    group, config = source_cli
    portal, running = sthjj
    portal.truncate_list_page = 1
    result = CliRunner().invoke(group, ["test", "jinan-sthjj", "--type", "custom", "--url", running.url,
                                        "--mapping", "jinan-sthjj", "--config", str(config)])
    assert result.exit_code == 1
    assert "the listing could not be read: listing page 1" in result.output


# --- the demo --------------------------------------------------------------------------------------
def test_start_custom_demos_serves_both_portals_with_their_shipped_mappings(custom_type: None) -> None:
    demos = start_custom_demos()
    try:
        assert [(d.source_id, d.mapping_name) for d in demos] == [("jinan-sthjj", "jinan-sthjj"),
                                                                    ("jinan-scjgj", "jinan-scjgj")]
        for demo in demos:
            assert demo.running.url.startswith("http://127.0.0.1:")
            assert (MAPPINGS_DIR / f"{demo.mapping_name}.yaml").exists()
    finally:
        for demo in demos:
            demo.running.stop()


def test_demo_catalogs_are_the_same_every_run() -> None:
    first, second = SthjjPortal(size=5), SthjjPortal(size=5)
    assert first.answer("/api/catalog/list", {"pageNum": "1", "pageSize": "5"}) == \
        second.answer("/api/catalog/list", {"pageNum": "1", "pageSize": "5"})
    assert ScjgjPortal(size=3).answer("/sjkf/index.html", {}) == ScjgjPortal(size=3).answer("/sjkf/index.html", {})



def test_data_dictionary_columns_are_searchable_filterable_and_shown(ctx: Context, sthjj) -> None:
    portal, running = sthjj
    assert run_job(ctx, source(running, "jinan-sthjj")).status == JobStatus.SUCCEEDED
    entry = portal.catalog.entry(1)
    column = entry.columns[0].name
    having = {portal.catalog.entry(n).code for n in range(1, 26)
              if column in {c.name for c in portal.catalog.entry(n).columns}}
    assert 0 < len(having) < 25  # the filter can both include and exclude
    doc = ctx.index.get(f"jinan-sthjj/{entry.code}")
    assert doc is not None and [c.name for c in entry.columns] == doc.columns[:len(entry.columns)]
    filtered = ctx.index.search(SearchQuery(filters={"column": [column]}, per_page=50))
    assert {h.doc.id.split("/", 1)[1] for h in filtered.hits} == having
    assert "column" not in filtered.facets  # a filter, not a counted facet
    found = ctx.index.search(SearchQuery(q=column, per_page=50))
    assert having <= {h.doc.id.split("/", 1)[1] for h in found.hits}
    client = create_app(ctx).test_client()
    page = client.get(f"/dataset/jinan-sthjj/{entry.code}").get_data(as_text=True)
    section = lxml.html.fromstring(page).get_element_by_id("columns")
    assert [a.text for a in section.iter("a")] == [c.name for c in entry.columns]
    listed = client.get("/search", query_string={"column": column}).get_data(as_text=True)
    assert all(f"/dataset/jinan-sthjj/{code}" in listed for code in having)
