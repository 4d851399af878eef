"""The public web site against a real Context: search page, dataset pages, the search API and SPARQL.

One module-scoped catalog (tests/web_catalog.py): two demo CKAN portals on loopback ephemeral ports,
harvested by ``run_job`` into an embedded store and search index under tmp, and a hand-made hostile record.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import lxml.html
import pytest
import rdflib
from rdflib.compare import isomorphic

from harvester.context import Context
from harvester.dcat.rdf import to_ntriples
from harvester.index import SearchQuery
from harvester.index.search import clamp_query
from harvester.model import JobStatus
from harvester.store import QueryTimeout
from tests.web_catalog import (
    HOSTILE_DESCRIPTION,
    HOSTILE_KEY,
    HOSTILE_TITLE,
    PORTAL_TITLE,
    SECOND_SIZE,
    built_catalog,
)
from web import create_app
from web.search import landing_query
from web.i18n import catalog

SPARQL_JSON = "application/sparql-results+json"


# --- the catalog ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Context]:
    with built_catalog(tmp_path_factory.mktemp("web")) as built:
        yield built.ctx


@pytest.fixture(scope="module")
def app(ctx: Context):  # type: ignore[no-untyped-def]
    flask_app = create_app(ctx)
    flask_app.testing = True
    return flask_app


@pytest.fixture()
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


def page(response) -> lxml.html.HtmlElement:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.data[:500]
    return lxml.html.fromstring(response.get_data(as_text=True))


def text_of(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def stored_graph(ctx: Context, key: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=to_ntriples(ctx.store.graph_triples(ctx.iris.graph("jinan", key))),
                                format="nt")


def transport_hits(ctx: Context):  # type: ignore[no-untyped-def]
    return ctx.index.search(SearchQuery(q="交通", per_page=100, collapse=True))


def dataset_key(ctx: Context, access: str) -> str:
    """The key of a harvested demo dataset with distributions and the given access code."""
    result = ctx.index.search(SearchQuery(filters={"access": [access], "source": ["jinan"]}, per_page=50))
    for hit in result.hits:
        key = hit.doc.id.split("/", 1)[1]
        if key != HOSTILE_KEY and hit.doc.formats:
            return key
    raise AssertionError(f"the demo portal has no {access} dataset with distributions")


# --- search page ---------------------------------------------------------------------------------

def test_search_page_lists_matching_datasets(client, ctx: Context) -> None:
    expected = transport_hits(ctx)
    assert 0 < expected.total < ctx.index.count()
    doc = page(client.get("/search", query_string={"q": "交通"}))
    assert doc.get("lang") == "zh-CN"
    assert text_of(doc.cssselect("#result-count")[0]) == f"共找到 {expected.total:,} 个数据集"
    hits = doc.cssselect("li.hit")
    assert len(hits) == min(20, expected.total)
    links = [h.cssselect("h2 a")[0].get("href") for h in hits]
    first_keys = [f"/dataset/{h.doc.id}" for h in expected.hits[:20]]
    assert links == first_keys
    assert doc.cssselect("li.hit h2 a mark, li.hit .snippet mark"), "matches are highlighted"
    assert doc.cssselect('input[name="q"]')[0].get("value") == "交通"


def test_home_page_is_the_search_page(client, ctx: Context) -> None:
    doc = page(client.get("/"))
    shown = ctx.index.search(SearchQuery(collapse=True)).total
    assert shown == ctx.index.count() - SECOND_SIZE  # the second portal's copies fold into the first's
    assert text_of(doc.cssselect("#result-count")[0]) == f"共找到 {shown:,} 个数据集"


def test_the_page_a_server_computes_before_the_first_visit_is_the_home_pages(
        client, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[SearchQuery] = []
    search = ctx.index.search
    monkeypatch.setattr(ctx.index, "search", lambda query: asked.append(clamp_query(query)) or search(query))
    assert client.get("/").status_code == 200
    warmed = clamp_query(landing_query())

    def key(query: SearchQuery) -> tuple:
        return query.q, query.filters, query.sort, query.page, query.per_page, query.collapse
    assert key(warmed) in [key(query) for query in asked]


def test_facet_filter_narrows_results_and_counts(client, ctx: Context) -> None:
    everything = transport_hits(ctx)
    (top, top_count), (second, second_count) = everything.facets["publisher"][:2]
    doc = page(client.get("/search", query_string={"q": "交通"}))
    facet_links = {text_of(a.cssselect(".label")[0]): (a.get("href"), text_of(a.cssselect(".count")[0]))
                   for a in doc.cssselect('[data-facet="publisher"] a.facet-value')}
    href, shown_count = facet_links[top]
    assert shown_count == str(top_count)

    narrowed = page(client.get(href))
    assert text_of(narrowed.cssselect("#result-count")[0]) == f"共找到 {top_count:,} 个数据集"
    assert top_count < everything.total
    assert {text_of(p) for p in narrowed.cssselect("li.hit .publisher")} == {top}
    selected = narrowed.cssselect('[data-facet="publisher"] a.facet-value.selected')
    assert [text_of(a.cssselect(".label")[0]) for a in selected] == [top]
    assert "q=%E4%BA%A4%E9%80%9A" in selected[0].get("href") and "publisher=" not in selected[0].get("href")

    both = client.get("/search", query_string=[("q", "交通"), ("publisher", top), ("publisher", second)])
    assert text_of(page(both).cssselect("#result-count")[0]) == f"共找到 {top_count + second_count:,} 个数据集"


def test_facet_labels_are_vocabulary_labels_not_codes(client) -> None:
    doc = page(client.get("/search"))
    access = [text_of(e) for e in doc.cssselect('[data-facet="access"] .label')]
    assert "无条件开放" in access and "PUBLIC" not in access
    assert PORTAL_TITLE in [text_of(e) for e in doc.cssselect('[data-facet="source"] .label')]


def test_english_switch_changes_ui_strings_and_lang(client) -> None:
    en = page(client.get("/search", query_string={"q": "交通", "lang": "en"}))
    assert en.get("lang") == "en"
    assert "datasets found" in text_of(en.cssselect("#result-count")[0])
    assert "Transport" in [text_of(e) for e in en.cssselect('[data-facet="theme"] .label')]
    remembered = page(client.get("/search"))
    assert remembered.get("lang") == "en", "the choice is remembered in a cookie"
    zh = page(client.get("/search", query_string={"lang": "zh"}))
    assert zh.get("lang") == "zh-CN"
    assert "个数据集" in text_of(zh.cssselect("#result-count")[0])
    assert "交通" in [text_of(e) for e in zh.cssselect('[data-facet="theme"] .label')]


def test_sort_and_pagination(client, ctx: Context) -> None:
    first = page(client.get("/search", query_string={"sort": "title"}))
    second = page(client.get("/search", query_string={"sort": "title", "page": 2}))
    titles = [h.doc.title for h in ctx.index.search(SearchQuery(sort="title", per_page=40, collapse=True)).hits]
    assert [text_of(a) for a in first.cssselect("li.hit h2 a")] == titles[:20]
    assert [text_of(a) for a in second.cssselect("li.hit h2 a")] == titles[20:40]
    assert second.cssselect('.pagination a[rel~="prev"]')
    assert second.cssselect(".pagination strong")[0].text == "2"


def test_empty_result_suggests_what_to_relax_with_counts(client, ctx: Context) -> None:
    args = {"q": "交通", "access": "PUBLIC", "keyword": "没有这个关键词"}
    doc = page(client.get("/search", query_string=args))
    assert not doc.cssselect("li.hit")
    without_keyword = ctx.index.search(SearchQuery(q="交通", filters={"access": ["PUBLIC"]}, collapse=True)).total
    assert without_keyword > 0
    suggestions = doc.cssselect(".empty .relaxations li")
    assert len(suggestions) == 1, "removing the access filter or the words alone still finds nothing"
    assert "没有这个关键词" in text_of(suggestions[0]) and f"{without_keyword:,}" in text_of(suggestions[0])
    href = suggestions[0].cssselect("a")[0].get("href")
    assert "keyword=" not in href and "access=PUBLIC" in href and "q=" in href
    assert text_of(page(client.get(href)).cssselect("#result-count")[0]) == f"共找到 {without_keyword:,} 个数据集"

    words = page(client.get("/search", query_string={"q": "不存在的词语组合xyzzy", "access": "RESTRICTED"}))
    restricted = ctx.index.search(SearchQuery(filters={"access": ["RESTRICTED"]}, collapse=True)).total
    [suggestion] = words.cssselect(".empty .relaxations li")
    assert "不限关键词" in text_of(suggestion) and f"{restricted:,}" in text_of(suggestion)
    assert "q=" not in suggestion.cssselect("a")[0].get("href")


# --- dataset page --------------------------------------------------------------------------------

def test_dataset_page_shows_metadata_distributions_and_provenance(client, ctx: Context) -> None:
    key = dataset_key(ctx, "PUBLIC")
    graph = stored_graph(ctx, key)
    DCAT, DCT = rdflib.Namespace("http://www.w3.org/ns/dcat#"), rdflib.DCTERMS
    ds = rdflib.URIRef(ctx.iris.dataset("jinan", key))
    title = next(str(t) for t in graph.objects(ds, DCT.title) if t.language == "zh")
    publisher = str(next(graph.objects(next(graph.objects(ds, DCT.publisher)), rdflib.FOAF.name)))
    record = rdflib.URIRef(ctx.iris.record("jinan", key))
    original = str(next(graph.objects(record, DCT.source)))
    downloads = {str(u) for d in graph.objects(ds, DCAT.distribution) for u in graph.objects(d, DCAT.downloadURL)}

    doc = page(client.get(f"/dataset/jinan/{key}"))
    assert text_of(doc.cssselect("h1")[0]) == title
    assert publisher in text_of(doc.cssselect(".dataset-head")[0])
    assert len(doc.cssselect("li.dist")) == len(list(graph.objects(ds, DCAT.distribution)))
    assert {a.get("href") for a in doc.cssselect("li.dist a.button:not(.preview)")} == downloads
    external = [a for a in doc.cssselect("li.dist a") if not a.get("href").startswith("/")]
    assert external and all(a.get("rel") == "noopener nofollow" for a in external)
    sizes = [int(s) for d in graph.objects(ds, DCAT.distribution) for s in graph.objects(d, DCAT.byteSize)]
    shown = re.findall(r"\d+(?:\.\d)? (?:B|KB|MB|GB)", " ".join(text_of(m) for m in doc.cssselect(".dist-meta")))
    assert len(shown) == len(sizes)
    provenance = doc.cssselect(".provenance")[0]
    assert PORTAL_TITLE in text_of(provenance)
    assert provenance.cssselect("a.original")[0].get("href") == original
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", text_of(provenance))
    formats = {a.get("href") for a in provenance.cssselect(".formats a")}
    assert formats == {f"/dataset/jinan/{key}.{s}" for s in ("ttl", "jsonld", "rdf", "nt")}
    assert "无条件开放" in text_of(doc.cssselect(".badge")[0])
    assert not doc.cssselect(".conditions")


def test_restricted_dataset_shows_conditions_instead_of_downloads(client, ctx: Context) -> None:
    key = dataset_key(ctx, "RESTRICTED")
    graph = stored_graph(ctx, key)
    ds = rdflib.URIRef(ctx.iris.dataset("jinan", key))
    conditions = [str(label) for r in graph.objects(ds, rdflib.DCTERMS.rights)
                  for label in graph.objects(r, rdflib.RDFS.label)]
    doc = page(client.get(f"/dataset/jinan/{key}"))
    box = text_of(doc.cssselect(".conditions")[0])
    assert conditions and all(c in box for c in conditions)
    assert not doc.cssselect("li.dist a.button"), "no download buttons for conditional data"
    assert "有条件开放" in text_of(doc.cssselect(".dataset-head")[0])


def test_dataset_page_in_english(client, ctx: Context) -> None:
    key = dataset_key(ctx, "PUBLIC")
    doc = page(client.get(f"/dataset/jinan/{key}", query_string={"lang": "en"}))
    assert doc.get("lang") == "en"
    assert "Provenance" in text_of(doc.cssselect(".provenance h2")[0])
    assert "public" in text_of(doc.cssselect(".dataset-head .badge")[0]).lower()


def test_unknown_dataset_is_a_404_page_in_the_users_language(client) -> None:
    response = client.get("/dataset/jinan/no-such-dataset")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
    response = client.get("/dataset/jinan/no-such-dataset.ttl", query_string={"lang": "en"})
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


@pytest.mark.parametrize(("accept", "rdflib_format"), [
    ("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml"),
    ("application/n-triples", "nt"),
])
def test_dataset_content_negotiation_gives_the_record_graph(client, ctx: Context, accept: str,
                                                            rdflib_format: str) -> None:
    key = dataset_key(ctx, "PUBLIC")
    response = client.get(f"/dataset/jinan/{key}", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == accept
    assert "Accept" in response.headers["Vary"]
    served = rdflib.Graph().parse(data=response.data, format=rdflib_format)
    assert isomorphic(served, stored_graph(ctx, key))


@pytest.mark.parametrize(("suffix", "rdflib_format", "media"), [
    ("ttl", "turtle", "text/turtle"), ("jsonld", "json-ld", "application/ld+json"),
    ("rdf", "xml", "application/rdf+xml"), ("nt", "nt", "application/n-triples"),
])
def test_dataset_suffixes_give_the_record_graph(client, ctx: Context, suffix: str, rdflib_format: str,
                                                media: str) -> None:
    key = dataset_key(ctx, "RESTRICTED")
    response = client.get(f"/dataset/jinan/{key}.{suffix}", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == media
    assert isomorphic(rdflib.Graph().parse(data=response.data, format=rdflib_format), stored_graph(ctx, key))


def test_turtle_uses_prefixes(client, ctx: Context) -> None:
    body = client.get(f"/dataset/jinan/{dataset_key(ctx, 'PUBLIC')}.ttl").get_data(as_text=True)
    assert "@prefix dcat: <http://www.w3.org/ns/dcat#> ." in body and "dcat:Dataset" in body


def test_browsers_get_html_from_the_dataset_url(client, ctx: Context) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get(f"/dataset/jinan/{dataset_key(ctx, 'PUBLIC')}", headers={"Accept": accept})
    assert response.mimetype == "text/html"


# --- JSON API ------------------------------------------------------------------------------------

def test_api_search_json_shape(client, ctx: Context) -> None:
    expected = ctx.index.search(SearchQuery(q="交通", filters={"access": ["PUBLIC"]}, per_page=5, collapse=True))
    data = client.get("/api/search", query_string={"q": "交通", "access": "PUBLIC", "per_page": 5}).get_json()
    assert (data["count"], data["page"], data["per_page"]) == (expected.total, 1, 5)
    assert [r["id"] for r in data["results"]] == [h.doc.id for h in expected.hits]
    first = data["results"][0]
    assert set(first) == {"id", "iri", "url", "title", "title_en", "description", "publisher", "themes",
                          "formats", "license", "access", "modified", "source", "also_on"}
    assert first["access"] == "PUBLIC" and first["source"] == "jinan"
    assert first["url"].endswith(f"/dataset/{first['id']}")
    assert first["iri"] == ctx.iris.dataset(*first["id"].split("/"))
    assert "<mark>" not in first["title"] + first["description"] and len(first["description"]) <= 300
    assert datetime.fromisoformat(first["modified"])
    assert set(data["facets"]) == {"publisher", "theme", "format", "license", "source", "access", "quality", "keyword"}
    access = {b["value"]: b for b in data["facets"]["access"]}
    assert access["PUBLIC"]["label"] == "无条件开放" and access["PUBLIC"]["count"] == expected.total


@pytest.mark.parametrize(("args", "parameter"), [
    ({"page": "0"}, "page"), ({"page": "two"}, "page"), ({"per_page": "500"}, "per_page"),
    ({"sort": "popular"}, "sort"), ({"q": "交" * 201}, "q"),
])
def test_api_search_says_which_parameter_is_wrong(client, args: dict[str, str], parameter: str) -> None:
    response = client.get("/api/search", query_string=args)
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == parameter
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# --- SPARQL --------------------------------------------------------------------------------------

DATASETS_QUERY = "SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }"


def _rows(body: bytes, media: str) -> int:
    if media == SPARQL_JSON:
        return len(json.loads(body)["results"]["bindings"])
    if media == "application/sparql-results+xml":
        ns = "{http://www.w3.org/2005/sparql-results#}"
        return len(ElementTree.fromstring(body).findall(f"{ns}results/{ns}result"))
    if media == "text/csv":
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert rows[0] == ["d"]
        return len(rows) - 1
    lines = body.decode().splitlines()
    assert lines[0] == "?d" and all(line.startswith("<http") for line in lines[1:])
    return len(lines) - 1


@pytest.mark.parametrize("media", [SPARQL_JSON, "application/sparql-results+xml", "text/csv",
                                   "text/tab-separated-values"])
def test_sparql_get_results_by_accept(client, ctx: Context, media: str) -> None:
    response = client.get("/sparql", query_string={"query": DATASETS_QUERY}, headers={"Accept": media})
    assert response.status_code == 200 and response.mimetype == media
    assert _rows(response.data, media) == ctx.index.count()
    assert "X-Harvester-Truncated" not in response.headers


def test_sparql_post_form_and_query_body(client, ctx: Context) -> None:
    form = client.post("/sparql", data={"query": DATASETS_QUERY}, headers={"Accept": "text/csv"})
    assert form.status_code == 200 and _rows(form.data, "text/csv") == ctx.index.count()
    body = client.post("/sparql", data=DATASETS_QUERY.encode(), content_type="application/sparql-query",
                       headers={"Accept": SPARQL_JSON})
    assert body.status_code == 200 and _rows(body.data, SPARQL_JSON) == ctx.index.count()


def test_sparql_construct_as_turtle(client) -> None:
    dataset = "?d a <http://www.w3.org/ns/dcat#Dataset>"
    query = f"CONSTRUCT {{ {dataset} }} WHERE {{ {dataset} }} LIMIT 5"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/turtle"})
    assert response.mimetype == "text/turtle"
    assert len(rdflib.Graph().parse(data=response.data, format="turtle")) == 5


@pytest.mark.parametrize("request_kwargs", [
    {"method": "GET", "query_string": {"update": "DROP ALL"}},
    {"method": "POST", "data": {"update": "DROP ALL"}},
    {"method": "POST", "data": b"DROP ALL", "content_type": "application/sparql-update"},
    {"method": "POST", "data": {"query": "PREFIX ex: <http://e.org/> # hi\nINSERT DATA { ex:a ex:b ex:c }"}},
    {"method": "GET", "query_string": {"query": "  clear all"}},
], ids=["get-update", "form-update", "update-body", "insert-as-query", "clear-as-query"])
def test_sparql_refuses_updates(client, ctx: Context, request_kwargs: dict) -> None:  # type: ignore[type-arg]
    before = ctx.index.count()
    response = client.open("/sparql", headers={"Accept": SPARQL_JSON}, **request_kwargs)
    assert response.status_code == 400
    assert "只读" in response.get_data(as_text=True)
    counted = client.get("/sparql", query_string={"query": DATASETS_QUERY}, headers={"Accept": SPARQL_JSON})
    assert _rows(counted.data, SPARQL_JSON) == before


def test_sparql_syntax_error_is_400_with_the_parsers_message(client) -> None:
    import pyoxigraph

    bad = "SELECT ?x WHERE { ?x ?y }"
    with pytest.raises(SyntaxError) as parser_error:
        pyoxigraph.Store().query(bad)
    response = client.get("/sparql", query_string={"query": bad}, headers={"Accept": SPARQL_JSON})
    assert response.status_code == 400
    assert str(parser_error.value) in response.get_data(as_text=True)


def test_sparql_row_limit_is_stated(client, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctx, "settings", ctx.settings.with_values(sparql_max_rows=3))
    response = client.get("/sparql", query_string={"query": DATASETS_QUERY}, headers={"Accept": SPARQL_JSON})
    assert response.status_code == 200
    assert _rows(response.data, SPARQL_JSON) == 3
    assert response.headers["X-Harvester-Truncated"] == "rows"
    assert response.headers["X-Harvester-Row-Limit"] == "3"
    html = page(client.get("/sparql", query_string={"query": DATASETS_QUERY, "format": "html"}))
    assert "前 3 行" in text_of(html.cssselect(".sparql-results")[0])
    assert "3" in text_of(html.cssselect(".sparql-help")[0])


def test_sparql_timeout_is_503_with_a_message(client, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    def too_slow(*args: object, **kwargs: object) -> None:
        raise QueryTimeout("the query ran longer than 10 s")

    monkeypatch.setattr(ctx.store, "query", too_slow)
    response = client.get("/sparql", query_string={"query": DATASETS_QUERY}, headers={"Accept": SPARQL_JSON})
    assert response.status_code == 503
    assert "10 秒" in response.get_data(as_text=True)


def test_sparql_without_query(client) -> None:
    assert client.get("/sparql", headers={"Accept": SPARQL_JSON}).status_code == 400
    assert client.get("/sparql", headers={"Accept": "text/html"}).mimetype == "text/html"


def test_sparql_html_page_for_browsers(client) -> None:
    doc = page(client.get("/sparql", headers={"Accept": "text/html,*/*;q=0.8"}))
    assert "PREFIX dcat: <http://www.w3.org/ns/dcat#>" in doc.cssselect("textarea")[0].text
    examples = doc.cssselect(".sparql-examples a")
    assert len(examples) >= 8
    assert "X-Harvester-Truncated" in text_of(doc.cssselect(".sparql-help")[0])
    for link in examples:  # every example works on this catalog and finds something
        result = page(client.get(link.get("href")))
        assert not result.cssselect(".error"), link.get("href")
        assert result.cssselect(".results-table tbody tr"), text_of(link)
        downloads = {a.text for a in result.cssselect(".downloads a")}
        assert {"CSV", "JSON"} <= downloads


# --- health, headers, hostile data ---------------------------------------------------------------

def test_healthz(client, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "datasets": ctx.index.count()}

    def broken() -> int:
        raise OSError("index directory gone")

    monkeypatch.setattr(ctx.index, "count", broken)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "error"


def test_security_headers_and_no_inline_script(client, ctx: Context) -> None:
    for url in ("/", "/search?q=交通", f"/dataset/jinan/{dataset_key(ctx, 'PUBLIC')}", "/sparql?format=html",
                "/portals", "/portal/jinan", "/departments", "/sparql/graph", "/api"):
        response = client.get(url)
        assert response.status_code == 200, url
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        doc = lxml.html.fromstring(response.get_data(as_text=True))
        for script in doc.iter("script"):  # scripts are files of this site, or JSON-LD data that never runs
            assert (script.get("src", "").startswith("/static/") and not (script.text or "").strip()) \
                or script.get("type") == "application/ld+json", url
        assert ' style="' not in response.get_data(as_text=True)


def test_harvested_markup_and_script_urls_are_inert(client, ctx: Context) -> None:
    search = client.get("/search", query_string={"q": "恶意标题"}).get_data(as_text=True)
    dataset = client.get(f"/dataset/jinan/{HOSTILE_KEY}").get_data(as_text=True)
    department = client.get("/department/<script>alert('org')</script>部门").get_data(as_text=True)
    assert "&lt;script&gt;" in search and "&lt;script&gt;" in dataset and "&lt;script&gt;" in department
    sparql = client.get("/sparql", query_string={
        "query": "SELECT ?t WHERE { ?d <http://purl.org/dc/terms/title> ?t FILTER(CONTAINS(?t, '恶意')) }",
        "format": "html"}).get_data(as_text=True)
    for html in (search, dataset, sparql, department):
        doc = lxml.html.fromstring(html)
        assert all(s.get("src") or s.get("type") == "application/ld+json" for s in doc.iter("script"))
        assert not doc.cssselect("img, svg, b, i"), "no element comes from harvested text"
        assert not [e for e in doc.iter() if any(a.startswith("on") for a in e.attrib)]
        assert not re.search(r"href=[\"']?\s*javascript:", html, re.IGNORECASE)
    doc = lxml.html.fromstring(dataset)
    assert text_of(doc.cssselect("h1")[0]) == HOSTILE_TITLE
    assert HOSTILE_DESCRIPTION in text_of(doc.cssselect(".description")[0])
    assert not doc.cssselect("li.dist a"), "a javascript: distribution URL is not a link"
    assert not doc.cssselect(".provenance a.original")
    [jsonld] = [s for s in doc.iter("script") if s.get("type") == "application/ld+json"]
    assert "<" not in jsonld.text and json.loads(jsonld.text)["name"] == HOSTILE_TITLE


def test_every_ui_string_is_translated() -> None:
    from web.dataset_page import DATASET_FIELDS, DISTRIBUTION_FIELDS
    from web.sparql_examples import EXAMPLES

    zh, en = catalog("zh"), catalog("en")
    assert set(zh) == set(en)
    assert all(zh[k].strip() and en[k].strip() for k in zh)
    web = Path(__file__).resolve().parent.parent / "web"
    used = set()
    for path in [*web.glob("*.py"), *web.glob("templates/**/*.html")]:
        if "admin" in path.relative_to(web).parts:
            continue  # the admin pages have their own catalogs (web/admin/i18n)
        used |= set(re.findall(r"""_\(\s*["']([a-z][a-z0-9_.]*[a-z0-9_])["']""", path.read_text(encoding="utf-8")))
    assert used and used <= set(zh), sorted(used - set(zh))
    dynamic = [f"facet.{f}" for f in ("publisher", "theme", "format", "license", "source", "access", "quality",
                                      "keyword", "column")]
    dynamic += [f"quality.{band}" for band in ("excellent", "good", "sufficient", "bad")]
    dynamic += [f"sort.{s}" for s in ("relevance", "modified", "title")]
    dynamic += [key for key, _curie, _how in DATASET_FIELDS + DISTRIBUTION_FIELDS] + [key for key, _q in EXAMPLES]
    dynamic += [f"job.{status.value}" for status in JobStatus]
    assert set(dynamic) <= set(zh), sorted(set(dynamic) - set(zh))
