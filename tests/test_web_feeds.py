"""Machine-readable outputs: the paged DCAT feed (/catalog.ttl …), the sitemap, robots.txt, and the OpenAPI
description checked with openapi-spec-validator and against real answers."""

from __future__ import annotations

from collections.abc import Iterator
from math import ceil
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest

from harvester.context import Context
from harvester.dcat.rdf import value_of
from harvester.index import SearchQuery
from tests.web_catalog import HOSTILE_KEY, Catalog, built_catalog
from web import create_app
from web.catalog import PAGE_SIZE

HYDRA = "http://www.w3.org/ns/hydra/core#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
DCAT_DATASET = "<http://www.w3.org/ns/dcat#Dataset>"
DCAT_CATALOG = "<http://www.w3.org/ns/dcat#Catalog>"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
FORMATS = {"ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD, "rdf": ox.RdfFormat.RDF_XML,
           "nt": ox.RdfFormat.N_TRIPLES}


class FeedPage:
    """One feed page parsed (by pyoxigraph: fast enough for pages of 10,000 triples), as N-Triples terms."""

    def __init__(self, data: bytes, fmt: str) -> None:
        self.triples = {(str(t.subject), str(t.predicate), str(t.object)) for t in ox.parse(data, format=FORMATS[fmt])}

    def objects(self, subject: str, predicate: str) -> list[str]:
        return sorted(o for s, p, o in self.triples if s == subject and p == predicate)

    def subjects(self, predicate: str, obj: str) -> list[str]:
        return sorted(s for s, p, o in self.triples if p == predicate and o == obj)

    def datasets(self) -> set[str]:
        return {value_of(s) for s in self.subjects(RDF_TYPE, DCAT_DATASET)}

    def hydra(self, name: str) -> str | None:
        [collection] = self.subjects(RDF_TYPE, f"<{HYDRA}PagedCollection>")
        found = self.objects(collection, f"<{HYDRA}{name}>")
        return value_of(found[0]) if found else None


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    with built_catalog(tmp_path_factory.mktemp("feeds")) as built:
        yield built


@pytest.fixture(scope="module")
def ctx(catalog: Catalog) -> Context:
    return catalog.ctx


@pytest.fixture()
def client(ctx: Context):  # type: ignore[no-untyped-def]
    app = create_app(ctx)
    app.testing = True
    return app.test_client()


def feed_page(client, url: str, fmt: str = "ttl") -> FeedPage:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.data[:300]
    return FeedPage(response.data, fmt)


def every_dataset(ctx: Context) -> set[str]:
    return {ctx.iris.dataset(*doc_id.split("/", 1))
            for doc_id in ctx.index.ids_for_source("jinan") | ctx.index.ids_for_source("jinan-tjj")}


# --- DCAT feed -----------------------------------------------------------------------------------

def test_feed_pages_hold_every_dataset_once_with_hydra_links(client, catalog: Catalog) -> None:
    seen: list[str] = []
    url, pages = "/catalog.ttl", 0
    while url:
        feed = feed_page(client, url)
        pages += 1
        assert int(feed.hydra("totalItems") or 0) == catalog.total
        assert int(feed.hydra("itemsPerPage") or 0) == PAGE_SIZE
        assert (feed.hydra("firstPage") or "").endswith("/catalog.ttl?page=1")
        seen += feed.datasets()
        url = (feed.hydra("nextPage") or "").removeprefix("http://localhost")
    assert pages == ceil(catalog.total / PAGE_SIZE) >= 2
    assert sorted(seen) == sorted(every_dataset(catalog.ctx)), "every dataset exactly once"


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf", "nt"])
def test_feed_formats_carry_the_catalogs_and_complete_record_graphs(client, ctx: Context, fmt: str) -> None:
    feed = feed_page(client, f"/catalog.{fmt}?page=2", fmt)
    root = f"<{ctx.iris.catalog}>"
    assert (root, RDF_TYPE, DCAT_CATALOG) in feed.triples
    assert feed.objects(root, "<http://www.w3.org/ns/dcat#catalog>") == sorted(
        f"<{ctx.iris.source_catalog(s)}>" for s in ("jinan", "jinan-tjj"))
    assert {t.rsplit("@", 1)[1] for t in feed.objects(root, "<http://purl.org/dc/terms/title>")} == {"zh", "en"}
    assert feed.hydra("previousPage", ) and (feed.hydra("previousPage") or "").endswith("page=1")
    dataset = sorted(feed.datasets())[0]
    source_id, key = dataset.removeprefix(ctx.iris.base + "/dataset/").split("/", 1)
    record = ctx.store.graph_triples(ctx.iris.graph(source_id, key))
    assert len(record) > 50 and all(tuple(t) in feed.triples for t in record), "the whole record graph is there"


def test_modified_since_gives_records_harvested_since_then(client, ctx: Context) -> None:
    assert int(feed_page(client, "/catalog.ttl?modified_since=2000-01-01").hydra("totalItems") or 0) == \
        len(every_dataset(ctx))
    recent = feed_page(client, "/catalog.ttl?modified_since=2024-06-01T00:00:00Z")
    assert int(recent.hydra("totalItems") or 0) == len(every_dataset(ctx)) - 1, "the hostile record is from 2024-01-02"
    assert ctx.iris.dataset("jinan", HOSTILE_KEY) not in recent.datasets()
    assert (recent.hydra("nextPage") or "").endswith("modified_since=2024-06-01T00%3A00%3A00Z&page=2")
    offset = feed_page(client, "/catalog.ttl?modified_since=2024-01-02T08:00:00+08:00")  # the same moment in UTC+8
    assert int(offset.hydra("totalItems") or 0) == len(every_dataset(ctx))
    future = feed_page(client, "/catalog.ttl?modified_since=2999-01-01")
    assert int(future.hydra("totalItems") or 0) == 0 and not future.datasets()


def test_source_feed_keeps_one_portal(client, ctx: Context) -> None:
    feed = feed_page(client, "/catalog.ttl?source=jinan-tjj")
    expected = {ctx.iris.dataset(*doc_id.split("/", 1)) for doc_id in ctx.index.ids_for_source("jinan-tjj")}
    assert feed.datasets() == expected and int(feed.hydra("totalItems") or 0) == len(expected)
    assert feed.objects(f"<{ctx.iris.catalog}>", "<http://www.w3.org/ns/dcat#catalog>") == [
        f"<{ctx.iris.source_catalog('jinan-tjj')}>"]
    since = feed_page(client, "/catalog.ttl?source=jinan-tjj&modified_since=2000-01-01")
    assert since.datasets() == expected
    portal = client.get("/portal/jinan-tjj").get_data(as_text=True)
    assert "/catalog.ttl?source=jinan-tjj" in portal


@pytest.mark.parametrize(("query", "status", "parameter"), [
    ("page=0", 400, "page"), ("page=abc", 400, "page"), ("page=99", 404, "page"),
    ("modified_since=yesterday", 400, "modified_since"), ("source=nowhere", 404, "source"),
])
def test_feed_refuses_bad_parameters_clearly(client, query: str, status: int, parameter: str) -> None:
    response = client.get(f"/catalog.ttl?{query}")
    assert response.status_code == status
    assert response.get_json()["error"]["parameter"] == parameter


def test_unknown_feed_format_is_404(client) -> None:
    assert client.get("/catalog.xlsx").status_code == 404


# --- sitemap and robots --------------------------------------------------------------------------

def test_sitemap_lists_every_dataset_and_the_portal_and_department_pages(client, ctx: Context) -> None:
    index = ElementTree.fromstring(client.get("/sitemap.xml").data)
    files = [loc.text or "" for loc in index.iter(f"{SITEMAP}loc")]
    assert files[0].endswith("/sitemap/pages.xml") and files[1].endswith("/sitemap/datasets-1.xml")
    urls: list[str] = []
    for url in files:
        part = client.get(url.removeprefix("http://localhost"))
        assert part.status_code == 200 and part.mimetype == "application/xml"
        urls += [loc.text or "" for loc in ElementTree.fromstring(part.data).iter(f"{SITEMAP}loc")]
    datasets = {u.removeprefix("http://localhost") for u in urls if "/dataset/" in u}
    assert datasets == {"/dataset/" + i for i in ctx.index.ids_for_source("jinan") | ctx.index.ids_for_source("jinan-tjj")}
    publishers = ctx.index.search(SearchQuery(per_page=1, facet_limit=1000)).facets["publisher"]
    assert sum("/department/" in u for u in urls) == len(publishers)
    assert "http://localhost/portal/jinan-tjj" in urls
    assert client.get("/sitemap/datasets-9.xml").status_code == 404


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_off_endless_urls(client) -> None:
    lines = client.get("/robots.txt").get_data(as_text=True).splitlines()
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert {"Disallow: /search?", "Disallow: /sparql?"} <= set(lines)
    assert not any(line.startswith("Disallow: /api/3") or line == "Disallow: /dataset/" for line in lines)


# --- OpenAPI -------------------------------------------------------------------------------------

def test_openapi_description_is_valid_and_matches_real_answers(client, ctx: Context) -> None:
    validator = pytest.importorskip("openapi_spec_validator", reason="the OpenAPI check needs openapi-spec-validator")
    from openapi_schema_validator import OAS30Validator

    spec = client.get("/api/openapi.json").get_json()
    validator.validate(spec)
    parameters = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert parameters == {"q", "sort", "page", "per_page", "publisher", "theme", "format", "license", "source",
                          "access", "quality", "keyword", "column"}

    def check(schema_name: str, instance: object) -> None:
        schema = {**spec["components"]["schemas"][schema_name], "components": spec["components"]}
        OAS30Validator(schema).validate(instance)

    check("SearchResponse", client.get("/api/search?q=交通&format=CSV&per_page=5").get_json())
    doc_id = ctx.index.search(SearchQuery(per_page=1)).hits[0].doc.id
    envelope = client.get(f"/api/3/action/package_show?id={doc_id}").get_json()
    check("CkanEnvelope", envelope)
    check("CkanPackage", envelope["result"])
    check("ParameterError", client.get("/catalog.ttl?page=x").get_json())


def test_api_errors_are_json_not_pages(client) -> None:
    response = client.get("/api/no-such-endpoint")
    assert response.status_code == 404 and response.get_json()["error"]["status"] == 404
