"""Portal and department pages, the dataset page's DCAT-AP fields, schema.org JSON-LD, related datasets,
data previews fetched from the real demo portals, and the SPARQL documentation page.

The catalog is tests/web_catalog.py's: two demo CKAN portals harvested for real, plus a hostile record.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import lxml.html
import pytest
import rdflib
import requests

from harvester.context import Context
from harvester.dcat.rdf import A, Triple, iri, literal, term, to_ntriples
from harvester.dcat.record import catalog_record_triples
from harvester.index import SearchQuery
from harvester.store import GraphWrite
from tests.web_catalog import (
    PORTAL_TITLE,
    SECOND_SIZE,
    SECOND_TITLE,
    Catalog,
    built_catalog,
)
from web import create_app
from web.dataset_page import DATASET_FIELDS
from web.i18n import translate

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.DCTERMS


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    with built_catalog(tmp_path_factory.mktemp("pages")) as built:
        yield built


@pytest.fixture(scope="module")
def ctx(catalog: Catalog) -> Context:
    return catalog.ctx


@pytest.fixture()
def client(ctx: Context):  # type: ignore[no-untyped-def]
    app = create_app(ctx)
    app.testing = True
    return app.test_client()


def page(response) -> lxml.html.HtmlElement:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.data[:500]
    return lxml.html.fromstring(response.get_data(as_text=True))


def text_of(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def first_key(ctx: Context, **filters: str) -> str:
    hits = ctx.index.search(SearchQuery(filters={"source": ["jinan"], **{k: [v] for k, v in filters.items()}},
                                        sort="title", per_page=50)).hits
    return next(h.doc.id.split("/", 1)[1] for h in hits if h.doc.formats and h.doc.id != "jinan/hostile-record")


def record_graph(ctx: Context, key: str, source_id: str = "jinan") -> rdflib.Graph:
    triples = ctx.store.graph_triples(ctx.iris.graph(source_id, key))
    return rdflib.Graph().parse(data=to_ntriples(triples), format="nt")


# --- portals and departments ---------------------------------------------------------------------

def test_portal_list_shows_each_portal_with_its_count_and_last_harvest(client, ctx: Context) -> None:
    doc = page(client.get("/portals"))
    rows = {text_of(r.cssselect("td")[0]): [text_of(td) for td in r.cssselect("td")] for r in doc.cssselect("tbody tr")}
    counts = dict(ctx.index.search(SearchQuery(per_page=1)).facets["source"])
    assert rows[PORTAL_TITLE][1] == f"{counts['jinan']:,}" and rows[SECOND_TITLE][1] == str(SECOND_SIZE)
    for source_id, title in (("jinan", PORTAL_TITLE), (("jinan-tjj"), SECOND_TITLE)):
        job = ctx.state.jobs(source_id, limit=1)[0]
        assert job.finished is not None
        assert job.finished.astimezone().strftime("%Y") in rows[title][2] and "成功" in rows[title][2]


def test_portal_page_counts_by_theme_and_format_link_to_filtered_searches(client, ctx: Context) -> None:
    result = ctx.index.search(SearchQuery(filters={"source": ["jinan-tjj"]}, per_page=1, facet_limit=50))
    doc = page(client.get("/portal/jinan-tjj"))
    assert text_of(doc.cssselect("h1")[0]) == SECOND_TITLE
    assert text_of(doc.cssselect(".dataset-count")[0]) == str(result.total) == str(SECOND_SIZE)
    job = ctx.state.jobs("jinan-tjj", limit=1)[0]
    assert f"新增 {job.counts.added}" in text_of(doc.cssselect(".summary")[0]) and job.counts.added == SECOND_SIZE
    for facet in ("theme", "format"):
        rows = doc.cssselect(f'.breakdown[data-facet="{facet}"] tbody tr')
        assert [int(text_of(r.cssselect(".num")[0])) for r in rows] == [c for _v, c in result.facets[facet]]
        href = rows[0].cssselect("a")[0].get("href")
        value, count = result.facets[facet][0]
        assert "source=jinan-tjj" in href and f"{facet}={value}" in href
        assert text_of(page(client.get(href)).cssselect("#result-count")[0]) == f"共找到 {count:,} 个数据集"
    assert len(doc.cssselect(".newest li")) == min(10, SECOND_SIZE)


def test_unknown_portal_and_department_are_404(client) -> None:
    assert client.get("/portal/no-such-portal").status_code == 404
    assert client.get("/department/没有这个部门").status_code == 404


def test_department_page_lists_the_portals_that_publish_it(client, ctx: Context) -> None:
    second = ctx.index.search(SearchQuery(filters={"source": ["jinan-tjj"]}, per_page=1)).facets["publisher"]
    name, in_second = second[0]
    everywhere = ctx.index.search(SearchQuery(filters={"publisher": [name]}, per_page=1))
    doc = page(client.get(f"/department/{name}"))
    assert text_of(doc.cssselect("h1")[0]) == name
    assert text_of(doc.cssselect(".dataset-count")[0]) == f"{everywhere.total:,}"
    portals = {text_of(r.cssselect("td")[0]): text_of(r.cssselect("td")[1]) for r in doc.cssselect(".department-portals tbody tr")}
    assert portals[SECOND_TITLE] == str(in_second)
    assert set(portals) == {PORTAL_TITLE, SECOND_TITLE}
    listing = page(client.get("/departments"))
    names = [text_of(a) for a in listing.cssselect("tbody a")]
    assert name in names and len(names) == len(ctx.index.search(SearchQuery(per_page=1, facet_limit=1000)).facets["publisher"])


# --- the dataset page ----------------------------------------------------------------------------

def with_checksums(ctx: Context) -> str:
    """A public dataset whose distributions carry checksums."""
    hits = ctx.index.search(SearchQuery(filters={"source": ["jinan"], "access": ["PUBLIC"]}, per_page=50)).hits
    for hit in hits:
        key = hit.doc.id.split("/", 1)[1]
        if "spdx.org/rdf/terms#checksumValue" in to_ntriples(ctx.store.graph_triples(ctx.iris.graph("jinan", key))):
            return key
    raise AssertionError("no demo dataset has checksums")


def test_every_dcat_field_present_in_the_graph_is_shown(client, ctx: Context) -> None:
    key = with_checksums(ctx)
    graph = record_graph(ctx, key)
    ds = rdflib.URIRef(ctx.iris.dataset("jinan", key))
    doc = page(client.get(f"/dataset/jinan/{key}"))
    labels = {text_of(th) for th in doc.cssselect(".facts th")}
    present = [k for k, curie, _how in DATASET_FIELDS if list(graph.objects(ds, rdflib.URIRef(term(curie)[1:-1])))]
    assert len(present) >= 8
    assert {translate(k, "zh") for k in present} <= labels
    for identifier in graph.objects(ds, DCT.identifier):
        assert str(identifier) in text_of(doc.cssselect(".facts")[0])
    checksums = {str(v) for d in graph.objects(ds, DCAT.distribution) for c in graph.objects(d, rdflib.URIRef(
        "http://spdx.org/rdf/terms#checksum")) for v in graph.objects(c, rdflib.URIRef("http://spdx.org/rdf/terms#checksumValue"))}
    details = " ".join(text_of(d) for d in doc.cssselect(".dist-details"))
    assert checksums and all(c in details for c in checksums)


def test_schema_org_json_ld_describes_the_dataset(client, ctx: Context) -> None:
    key = first_key(ctx, access="PUBLIC")
    graph = record_graph(ctx, key)
    ds = rdflib.URIRef(ctx.iris.dataset("jinan", key))
    doc = page(client.get(f"/dataset/jinan/{key}"))
    [script] = doc.xpath('//script[@type="application/ld+json"]')
    data = json.loads(script.text)
    assert data["@context"] == "https://schema.org/" and data["@type"] == "Dataset"
    assert data["name"] == next(str(t) for t in graph.objects(ds, DCT.title) if t.language == "zh")
    assert data["url"].endswith(f"/dataset/jinan/{key}") and data["@id"] == str(ds)
    assert data["license"] == str(next(graph.objects(ds, DCT.license)))
    assert data["publisher"]["name"] in text_of(doc.cssselect(".dataset-head")[0])
    assert data["includedInDataCatalog"]["name"] == PORTAL_TITLE
    downloads = {str(u) for d in graph.objects(ds, DCAT.distribution) for u in graph.objects(d, DCAT.downloadURL)}
    assert {d["contentUrl"] for d in data["distribution"]} == downloads
    assert all(d["@type"] == "DataDownload" and d["encodingFormat"] for d in data["distribution"])
    assert len(data["description"]) >= 50 and "temporalCoverage" in data and set(data["keywords"])


def test_restricted_dataset_tells_how_to_apply_at_the_department(client, ctx: Context) -> None:
    key = first_key(ctx, access="RESTRICTED")
    doc = page(client.get(f"/dataset/jinan/{key}"))
    steps = doc.cssselect(".conditions .apply-steps li")
    assert len(steps) == 3
    department = steps[1].cssselect("a")[0]
    publisher = text_of(doc.cssselect(".dataset-head .publisher")[0])
    assert text_of(department) == publisher and department.get("href").startswith("/department/")
    assert any(a.get("href", "").startswith("mailto:") for a in steps[1].cssselect("a"))
    [script] = doc.xpath('//script[@type="application/ld+json"]')
    data = json.loads(script.text)
    assert data["isAccessibleForFree"] is False and "distribution" not in data and data["conditionsOfAccess"]
    assert not doc.cssselect("a.preview"), "no preview of conditional data"


def test_provenance_sentence_names_the_portal_and_the_original_record(client, ctx: Context) -> None:
    key = first_key(ctx, access="PUBLIC")
    line = page(client.get(f"/dataset/jinan/{key}")).cssselect(".provenance-line")[0]
    assert text_of(line).startswith("本数据集于 20") and PORTAL_TITLE in text_of(line)
    assert line.cssselect("a")[0].get("href") == "/portal/jinan"
    assert line.cssselect("a.original")[0].get("href").startswith("http://127.0.0.1:")
    english = page(client.get(f"/dataset/jinan/{key}", query_string={"lang": "en"})).cssselect(".provenance-line")[0]
    assert text_of(english).startswith("Harvested on 20")
    assert english.cssselect("a")[0].get("lang") == "zh-CN", "a Chinese portal name on an English page says so"


def test_related_datasets_share_the_department_or_theme(client, ctx: Context) -> None:
    key = first_key(ctx, access="PUBLIC")
    doc = page(client.get(f"/dataset/jinan/{key}"))
    me = ctx.index.get(f"jinan/{key}")
    assert me is not None
    related = doc.cssselect(".related-list")
    assert len(related) == 2
    shown = [a.get("href").removeprefix("/dataset/") for ul in related for a in ul.cssselect("a")]
    assert f"jinan/{key}" not in shown and len(shown) == len(set(shown))
    same_department = [ctx.index.get(h) for h in shown[: len(related[0].cssselect("a"))]]
    assert all(d is not None and d.publisher == me.publisher for d in same_department)
    theme = doc.cssselect(".related p a")[1].get("href").rsplit("theme=", 1)[1]
    assert theme in me.themes
    same_theme = [ctx.index.get(h) for h in shown[len(same_department):]]
    assert same_theme and all(d is not None and theme in d.themes for d in same_theme)


def test_english_page_marks_chinese_text_with_its_language(client, ctx: Context) -> None:
    key = first_key(ctx, access="PUBLIC")
    doc = page(client.get(f"/dataset/jinan/{key}", query_string={"lang": "en"}))
    assert doc.get("lang") == "en"
    assert doc.cssselect("h1")[0].get("lang") is None, "the English title needs no mark"
    assert doc.cssselect(".subtitle")[0].get("lang") == "zh-CN"
    assert doc.cssselect(".dataset-head .publisher")[0].get("lang") == "zh-CN"
    chinese = page(client.get(f"/dataset/jinan/{key}", query_string={"lang": "zh"}))
    assert chinese.cssselect(".dataset-head .publisher")[0].get("lang") is None
    assert chinese.cssselect(".subtitle")[0].get("lang") == "en"


# --- previews ------------------------------------------------------------------------------------

def test_preview_shows_the_first_rows_fetched_from_the_portal(client, ctx: Context) -> None:
    key = first_key(ctx, access="PUBLIC", format="CSV")
    doc = page(client.get(f"/dataset/jinan/{key}"))
    link = next(a for a in doc.cssselect("li.dist") if "CSV" in text_of(a.cssselect(".badge")[0]))
    download = link.cssselect("a.button:not(.preview)")[0].get("href")
    preview = page(client.get(link.cssselect("a.preview")[0].get("href")))
    expected = list(csv.reader(io.StringIO(requests.get(download, timeout=10).content.decode("utf-8-sig"))))
    assert [text_of(th) for th in preview.cssselect("thead th")] == expected[0]
    rows = [[text_of(td) for td in tr.cssselect("td")] for tr in preview.cssselect("tbody tr")]
    assert rows == expected[1:21] and rows


def test_preview_never_fetches_from_a_host_the_operator_did_not_configure(client, ctx: Context) -> None:
    source = ctx.source("jinan")
    dataset = ctx.iris.dataset("jinan", "elsewhere")
    foreign, missing = f"<{dataset}/distribution/foreign>", f"<{dataset}/distribution/missing>"
    triples = [
        Triple(f"<{dataset}>", A, term("dcat:Dataset")), Triple(f"<{dataset}>", term("dct:title"), literal("外部文件", "zh")),
        Triple(f"<{dataset}>", term("dcat:distribution"), foreign), Triple(f"<{dataset}>", term("dcat:distribution"), missing),
        Triple(foreign, term("dct:format"), iri("http://publications.europa.eu/resource/authority/file-type/CSV")),
        Triple(foreign, term("dcat:downloadURL"), iri("http://169.254.169.254/latest/meta-data.csv")),
        Triple(missing, term("dct:format"), iri("http://publications.europa.eu/resource/authority/file-type/CSV")),
        Triple(missing, term("dcat:downloadURL"), iri(source.url + "/dataset/none/resource/x/download/none.csv")),
    ] + catalog_record_triples(ctx.iris, source, "elsewhere", None, datetime(2024, 1, 1, tzinfo=timezone.utc), "0" * 40, None)
    ctx.store.replace_graphs([GraphWrite.of(ctx.iris.graph("jinan", "elsewhere"), triples)])
    try:
        doc = page(client.get("/dataset/jinan/elsewhere"))
        links = [a.get("href") for a in doc.cssselect("a.preview")]
        assert links == ["/dataset/jinan/elsewhere/distribution/missing/preview"], "only the portal's own host"
        refused = client.get("/dataset/jinan/elsewhere/distribution/foreign/preview")
        assert refused.status_code == 404 and "没有预览" in refused.get_data(as_text=True)
        failed = client.get(links[0])
        assert failed.status_code == 502 and "404" in text_of(lxml.html.fromstring(failed.data).cssselect(".error")[0])
    finally:
        ctx.store.drop_graphs([ctx.iris.graph("jinan", "elsewhere")])


def test_previews_can_be_turned_off(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctx, "settings", ctx.settings.with_values(web_preview_timeout=0))
    app = create_app(ctx)
    key = first_key(ctx, access="PUBLIC", format="CSV")
    doc = page(app.test_client().get(f"/dataset/jinan/{key}"))
    assert doc.cssselect("li.dist a.button") and not doc.cssselect("a.preview")


# --- SPARQL page and its documentation -----------------------------------------------------------

def test_sparql_page_loads_the_vendored_editor_and_still_has_the_plain_form(client) -> None:
    doc = page(client.get("/sparql", headers={"Accept": "text/html"}))
    scripts = [s.get("src") for s in doc.iter("script")]
    assert "/static/vendor/codemirror/codemirror-sparql.min.js" in scripts and "/static/sparql.js" in scripts
    for src in scripts:
        asset = client.get(src)
        assert asset.status_code == 200 and b"CodeMirror" in asset.data or src.endswith("site.js")
    assert doc.cssselect('form.sparql-form textarea[name="query"]') and doc.cssselect("form.sparql-form button")
    vendor = Path(__file__).resolve().parent.parent / "web/static/vendor/codemirror"
    assert (vendor / "LICENSE").read_text().startswith("MIT License") and "npm" in (vendor / "PROVENANCE.txt").read_text()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_graph_layout_page_shows_real_iris_and_a_working_record_query(client, ctx: Context, lang: str) -> None:
    doc = page(client.get("/sparql/graph", query_string={"lang": lang}))
    assert doc.get("lang") == {"zh": "zh-CN", "en": "en"}[lang]
    iris = {text_of(c) for c in doc.cssselect(".iri-table code")}
    newest = ctx.index.search(SearchQuery(per_page=1, sort="modified")).hits[0].doc.id.split("/", 1)
    assert ctx.iris.graph(*newest) in iris and ctx.iris.record(*newest) in iris and ctx.iris.catalog in iris
    assert "10000" in text_of(doc.cssselect("#limits")[0]).replace(",", "")
    run = page(client.get(doc.cssselect("#named-graphs a.button")[0].get("href")))
    triples = len(ctx.store.graph_triples(ctx.iris.graph(*newest)))
    assert len(run.cssselect(".results-table tbody tr")) == triples


def test_api_page_points_at_every_machine_interface(client) -> None:
    doc = page(client.get("/api", query_string={"lang": "en"}))
    hrefs = {a.get("href") for a in doc.cssselect("main a")}
    assert {"/api/openapi.json", "/catalog.ttl", "/sitemap.xml", "/sparql"} <= hrefs
    assert "package_search" in text_of(doc.cssselect("main")[0])


@pytest.mark.parametrize(("text", "kind", "cut", "columns", "rows", "truncated"), [
    ("名称,数量\r\n甲,1\r\n乙,2\r\n", "csv", False, ["名称", "数量"], [["甲", "1"], ["乙", "2"]], False),
    ("名称;数量\n甲;1\n乙;2\n丙;3", "csv", True, ["名称", "数量"], [["甲", "1"], ["乙", "2"]], True),
    ("a\tb\n1\t2\n", "tsv", False, ["a", "b"], [["1", "2"]], False),
    ("\ufeffid,x\n" + "".join(f"{n},{'y' * 300}\n" for n in range(30)), "csv", False, ["id", "x"], None, True),
])
def test_preview_tables_are_bounded(text: str, kind: str, cut: bool, columns: list[str],
                                    rows: list[list[str]] | None, truncated: bool) -> None:
    from web.preview import CELL_CHARS, PREVIEW_ROWS, shape_preview

    preview = shape_preview(text, kind, cut)
    assert (preview.kind, preview.columns, preview.truncated) == ("table", columns, truncated)
    if rows is not None:
        assert preview.rows == rows
    assert len(preview.rows) <= PREVIEW_ROWS and all(len(c) <= CELL_CHARS for r in preview.rows for c in r)


def test_json_previews_are_pretty_unless_cut() -> None:
    from web.preview import shape_preview

    assert shape_preview('{"名称":"甲","n":[1,2]}', "json", False).text.startswith('{\n  "名称": "甲"')
    assert shape_preview('{"名称":"甲","n":[1,', "json", True).text == '{"名称":"甲","n":[1,'
