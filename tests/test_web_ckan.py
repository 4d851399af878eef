"""The CKAN-compatible API read by real CKAN clients: the ``ckanapi`` library and command, and this project's own
CKAN harvester, against the site served by a real HTTP server on a loopback port.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rdflib

from harvester.context import Context
from harvester.dcat.rdf import to_ntriples
from harvester.index import SearchQuery
from harvester.jobs import run_job
from harvester.model import JobStatus, Source
from tests.conftest import make_settings
from tests.web_catalog import HOSTILE_KEY, Catalog, built_catalog, served
from web import create_app

ckanapi = pytest.importorskip("ckanapi", reason="the CKAN API is tested with the real 'ckanapi' client")

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    with built_catalog(tmp_path_factory.mktemp("ckan")) as built:
        yield built


@pytest.fixture(scope="module")
def ctx(catalog: Catalog) -> Context:
    return catalog.ctx


@pytest.fixture(scope="module")
def site(ctx: Context) -> Iterator[str]:
    with served(create_app(ctx)) as url:
        yield url


@pytest.fixture(scope="module")
def ckan(site: str) -> Iterator[Any]:
    with ckanapi.RemoteCKAN(site, user_agent="harvester-tests") as remote:
        yield remote


def all_ids(ctx: Context) -> list[str]:
    return sorted(ctx.index.ids_for_source("jinan") | ctx.index.ids_for_source("jinan-tjj"))


def titles(context: Context) -> set[str]:
    pages = (context.index.search(SearchQuery(per_page=100, page=n, sort="title")).hits for n in (1, 2, 3))
    return {hit.doc.title for hits in pages for hit in hits}


def test_package_search_words_facets_and_counts(ckan: Any, ctx: Context) -> None:
    expected = ctx.index.search(SearchQuery(q="交通", per_page=5))
    result = ckan.action.package_search(q="交通", rows=5, **{"facet.field": ["organization", "res_format", "groups"]})
    assert result["count"] == expected.total > 5
    assert [p["name"] for p in result["results"]] == [h.doc.id for h in expected.hits]
    assert result["facets"]["organization"] == dict(expected.facets["publisher"])
    assert result["facets"]["res_format"] == dict(expected.facets["format"])
    groups = {item["name"]: item for item in result["search_facets"]["groups"]["items"]}
    assert groups["tran"]["display_name"] == "交通" and groups["tran"]["count"] == dict(expected.facets["theme"])["TRAN"]


def test_package_search_fq_filters_like_the_facets(ckan: Any, ctx: Context) -> None:
    publisher, _count = ctx.index.search(SearchQuery(per_page=1)).facets["publisher"][0]
    expected = ctx.index.search(SearchQuery(filters={"publisher": [publisher], "format": ["CSV"]}, per_page=100))
    result = ckan.action.package_search(fq=f'organization:"{publisher}" AND res_format:CSV', rows=100)
    assert result["count"] == expected.total > 0
    assert {p["name"] for p in result["results"]} == {h.doc.id for h in expected.hits}
    assert all(p["organization"]["name"] == publisher for p in result["results"])
    assert all("CSV" in {r["format"] for r in p["resources"]} for p in result["results"])
    nothing = ckan.action.package_search(fq="dataset_type:harvest")
    assert nothing["count"] == 0 and ckan.action.package_search(fq="dataset_type:dataset")["count"] == len(all_ids(ctx))


def test_paging_by_name_reaches_every_package(ckan: Any, ctx: Context) -> None:
    names: list[str] = []
    start = 0
    while True:
        page = ckan.action.package_search(sort="name asc", rows=50, start=start)
        names += [p["name"] for p in page["results"]]
        start += 50
        if start >= page["count"]:
            break
    assert names == all_ids(ctx) == ckan.action.package_list()
    assert ckan.action.package_list(limit=3, offset=2) == names[2:5]


def test_package_show_maps_the_record_graph(ckan: Any, ctx: Context) -> None:
    doc = ctx.index.search(SearchQuery(filters={"access": ["PUBLIC"], "source": ["jinan"]}, sort="title")).hits[0].doc
    package = ckan.action.package_show(id=doc.id)
    graph = rdflib.Graph().parse(data=to_ntriples(ctx.store.graph_triples(ctx.iris.graph(*doc.id.split("/", 1)))),
                                 format="nt")
    ds = rdflib.URIRef(doc.iri)
    assert (package["name"], package["title"], package["notes"]) == (doc.id, doc.title, doc.description)
    assert package["organization"]["name"] == doc.publisher == package["owner_org"]
    assert sorted(g["name"] for g in package["groups"]) == sorted(t.lower() for t in doc.themes)
    assert sorted(t["name"] for t in package["tags"]) == sorted(doc.keywords)
    downloads = {str(u) for d in graph.objects(ds, DCAT.distribution) for u in graph.objects(d, DCAT.downloadURL)}
    assert {r["url"] for r in package["resources"]} == downloads and package["num_resources"] == len(downloads)
    assert package["license_id"] == doc.license and package["isopen"] is True
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["uri"] == doc.iri and extras["harvest_source"] == "jinan" and extras["access_rights"] == "PUBLIC"
    assert package["metadata_modified"].startswith(doc.modified.astimezone().strftime("%Y"))
    assert ckan.action.package_show(id=doc.iri)["name"] == doc.id, "the dataset IRI works as an id"


def test_organization_list(ckan: Any, ctx: Context) -> None:
    counts = dict(ctx.index.search(SearchQuery(per_page=1, facet_limit=1000)).facets["publisher"])
    assert ckan.action.organization_list() == sorted(counts)
    detailed = ckan.action.organization_list(all_fields=True)
    assert {o["name"]: o["package_count"] for o in detailed} == counts
    name = sorted(counts)[0]
    assert ckan.action.organization_show(id=name)["package_count"] == counts[name]


def test_errors_become_ckanapi_exceptions(ckan: Any) -> None:
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="jinan/no-such-package")
    with pytest.raises(ckanapi.SearchQueryError, match="author"):
        ckan.action.package_search(fq="author:someone")
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(sort="views_recent desc")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(rows="many")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(rows=5000)
    with pytest.raises(ckanapi.CKANAPIError):
        ckan.action.package_create(name="x")


def test_get_only_clients_and_the_api_action_path(site: str, ctx: Context) -> None:
    with ckanapi.RemoteCKAN(site, get_only=True) as remote:
        assert remote.action.package_search(q="交通", rows=1)["count"] == ctx.index.search(SearchQuery(q="交通")).total
        assert remote.action.status_show()["ckan_version"].startswith("2.")
    body = json.loads(__import__("requests").get(site + "/api/3/action/package_list", timeout=10).text)
    assert body["success"] is True and body["help"].endswith("name=package_list")


def test_ckanapi_command_dumps_the_catalog(site: str, ctx: Context, tmp_path: Path) -> None:
    out = tmp_path / "datasets.jsonl"
    command = [sys.executable, "-c", "from ckanapi.cli.main import main; main()",
               "search", "datasets", "q=*:*", "-r", site, "-O", str(out)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120,
                               env={"PATH": "/usr/bin:/bin", "CKANAPI_MY_SITES": "127.0.0.1"})
    assert completed.returncode == 0, completed.stderr[-2000:]
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(p["name"] for p in lines) == all_ids(ctx)


def test_this_harvester_can_harvest_the_merged_catalog(site: str, ctx: Context, tmp_path: Path) -> None:
    """A provincial catalog harvesting the city's: the merged catalog as a CKAN source, full then incremental."""
    downstream = Context(make_settings(tmp_path / "province", ckan_rows=50))
    try:
        source = Source("jinan-city", "ckan", site, "济南市公共数据目录")
        first = run_job(downstream, source)
        assert first.status in (JobStatus.SUCCEEDED, JobStatus.PARTIAL), first.message
        failed = {e.remote_id for e in first.errors}
        assert failed <= {f"jinan/{HOSTILE_KEY}"}, first.errors[:3]
        assert first.counts.added == len(all_ids(ctx)) - len(failed)
        assert titles(downstream) == titles(ctx) - ({"恶意标题<script>alert(\"t\")</script>"} if failed else set())
        again = run_job(downstream, source)
        assert again.incremental and again.counts.added == 0 and again.counts.deleted == 0
        assert again.counts.unchanged == first.counts.added
    finally:
        downstream.close()
