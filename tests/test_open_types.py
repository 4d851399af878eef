"""不予开放 records are kept for operators and never reach the public: not in search, pages, feeds, the CKAN API,
the sitemap or the SPARQL endpoint. A record that changes its 开放类型 moves in or out of the public catalog."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from harvester.context import Context
from harvester.demo import DemoPortal, serve
from harvester.jobs import run_job
from harvester.model import JobStatus, Source
from harvester.recovery import recover
from tests.conftest import make_settings
from harvester.users import Users
from tests.test_admin import login
from web import admin, create_app

CLOSED = "不予开放"
SIZE = 30
HIDDEN = (3, 7)
#: routes that repeat the query (which is the closed record's title) in their answer
QUERY_ECHOED = {"/search", "/api/search", "/api/3/action/package_search"}
#: departments publishing the closed records (their pages list their datasets)
DEPARTMENTS = ("济南市文化和旅游局", "济南市卫生健康委员会")


@pytest.fixture()
def harvested(tmp_path: Path) -> Iterator[tuple[Context, DemoPortal, Source]]:
    portal = DemoPortal(size=SIZE)
    portal.set_open_type(HIDDEN, CLOSED)
    with serve(portal) as running:
        source = Source(id="jinan", type="ckan", url=running.url, title="济南市公共数据开放平台")
        ctx = Context(make_settings(tmp_path, ckan_rows=10))
        ctx.state.save_source(source)
        try:
            job = run_job(ctx, source)
            assert job.status == JobStatus.SUCCEEDED, (job.message, job.errors[:3])
            yield ctx, portal, source
        finally:
            ctx.close()


def stored_keys(ctx: Context) -> set[str]:
    return {g.rsplit("/", 1)[1] for g, _ in ctx.store.iter_graphs(ctx.iris.graph_prefix("jinan"))}


def public_text(ctx: Context, key: str, title: str) -> dict[str, str]:
    """Every public route that lists or shows datasets, as text (status-checked)."""
    client = create_app(ctx).test_client()
    pages: dict[str, str] = {}
    sparql = f'SELECT ?s WHERE {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{title[:6]}") || CONTAINS(STR(?s), "{key}")) }}'
    for url, params in [("/search", {"q": title}), ("/api/search", {"q": title}), ("/", {}),
                        ("/api/3/action/package_search", {"q": title, "rows": 1000}),
                        ("/api/3/action/package_search", {"rows": 1000}), ("/api/3/action/package_list", {}),
                        ("/sitemap/datasets-1.xml", {}), ("/portal/jinan", {}), ("/portals", {}),
                        ("/departments", {}), *[(f"/department/{d}", {}) for d in DEPARTMENTS],
                        ("/catalog.jsonld", {}), ("/catalog.rdf", {}),
                        ("/sparql", {"query": sparql, "format": "json"})]:
        response = client.get(url, query_string=params)
        assert response.status_code == 200, (url, response.status_code)
        pages[url] = response.get_data(as_text=True)
    pages.update(_catalog_pages(client))
    for url in (f"/dataset/jinan/{key}", f"/dataset/jinan/{key}?format=ttl"):
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)
    response = client.get("/api/3/action/package_show", query_string={"id": key})
    assert response.status_code == 404
    return pages


def _catalog_pages(client: Any) -> dict[str, str]:
    pages, url = {}, "/catalog.ttl"
    while url and len(pages) < 20:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        pages[url] = text
        found = re.search(r'hydra:next\s+<([^>]+)>', text)
        url = found.group(1).split("://", 1)[1].split("/", 1)[1] if found else ""
        url = "/" + url if url else ""
    return pages


def test_closed_records_are_stored_for_operators_only(harvested: tuple[Context, DemoPortal, Source]) -> None:
    ctx, portal, _ = harvested
    withheld = ctx.trust.withheld("jinan")
    assert len(withheld) == len(HIDDEN) and {w.access for w in withheld} == {"NON_PUBLIC"}
    assert {w.title for w in withheld} == {portal.package(i)["title"] for i in HIDDEN}
    keys = {w.key for w in withheld}
    assert len(stored_keys(ctx)) == SIZE - len(HIDDEN) and not keys & stored_keys(ctx)
    assert ctx.index.count() == SIZE - len(HIDDEN)
    assert ctx.state.record_count("jinan") == SIZE  # known, so unchanged records are not fetched again
    dcat = ctx.trust.withheld_ntriples("jinan", withheld[0].key)
    assert dcat is not None and withheld[0].title in dcat and "不予开放" not in dcat  # the IRI, not the label
    assert "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC" in dcat


def test_no_public_route_shows_a_closed_record(harvested: tuple[Context, DemoPortal, Source]) -> None:
    ctx, portal, _ = harvested
    for record in ctx.trust.withheld("jinan"):
        dataset_iri = ctx.iris.dataset("jinan", record.key)
        for url, text in public_text(ctx, record.key, record.title).items():
            assert record.key not in text and dataset_iri not in text, url
            if url not in QUERY_ECHOED:
                assert record.title not in text, url
            assert record.remote_id not in text, url
    # the routes do show an open record the same way (the checks above can fail)
    open_key = ctx.state.records_by_remote_id("jinan", [portal.package(0)["id"]])[portal.package(0)["id"]].key
    texts = public_text(ctx, "no-such-key", portal.package(0)["title"])
    assert all(open_key in texts[url] for url in ("/search", "/api/search", "/sitemap/datasets-1.xml", "/sparql"))
    assert any(open_key in text for url, text in texts.items() if url.startswith("/catalog.ttl"))


def test_open_type_changes_move_records_in_and_out(harvested: tuple[Context, DemoPortal, Source]) -> None:
    ctx, portal, source = harvested
    portal.set_open_type([7], "无条件开放")
    portal.set_open_type([10], CLOSED)
    job = run_job(ctx, source)
    assert job.status == JobStatus.SUCCEEDED and job.counts.updated == 2
    titles = {w.title for w in ctx.trust.withheld("jinan")}
    assert titles == {portal.package(3)["title"], portal.package(10)["title"]}
    assert ctx.index.count() == SIZE - 2 and len(stored_keys(ctx)) == SIZE - 2
    key10 = next(w.key for w in ctx.trust.withheld("jinan") if w.title == portal.package(10)["title"])
    assert ctx.index.get(f"jinan/{key10}") is None
    key7 = ctx.state.records_by_remote_id("jinan", [portal.package(7)["id"]])[portal.package(7)["id"]].key
    assert ctx.index.get(f"jinan/{key7}") is not None and key7 in stored_keys(ctx)
    again = run_job(ctx, source)
    assert again.counts.unchanged == SIZE and again.counts.added == again.counts.updated == 0


def test_recovery_keeps_withheld_records_known(harvested: tuple[Context, DemoPortal, Source]) -> None:
    ctx, _, source = harvested
    result = recover(ctx)
    assert result.forgotten == 0
    assert ctx.state.record_count("jinan") == SIZE
    assert run_job(ctx, source).counts.unchanged == SIZE


def test_deleted_closed_record_leaves_the_register(harvested: tuple[Context, DemoPortal, Source]) -> None:
    ctx, portal, source = harvested
    portal.remove([3])
    job = run_job(ctx, source)
    assert job.counts.deleted == 1
    assert [w.title for w in ctx.trust.withheld("jinan")] == [portal.package(7)["title"]]
    assert ctx.state.record_count("jinan") == SIZE - 1


def test_operators_see_withheld_records_and_their_dcat(harvested: tuple[Context, DemoPortal, Source]) -> None:
    ctx, portal, _ = harvested
    app = create_app(ctx)
    admin.register(app, ctx)
    users = Users(ctx.settings.state_path)
    users.create_user("ops", "a long operator password")
    users.close()
    client = app.test_client()
    record = ctx.trust.withheld("jinan")[0]
    dcat_url = f"/admin/sources/jinan/withheld/{record.key}"
    assert client.get(dcat_url).status_code == 302  # operators only
    login(client, "ops", "a long operator password")
    html = lxml.html.fromstring(client.get("/admin/sources/jinan").get_data(as_text=True))
    section = html.get_element_by_id("trust")
    assert {a.text for a in section.cssselect("table a")} >= {portal.package(i)["title"] for i in HIDDEN}
    answer = client.get(dcat_url)
    assert answer.status_code == 200 and answer.mimetype == "application/n-triples"
    assert record.title in answer.get_data(as_text=True)
    assert client.get("/admin/sources/jinan/withheld/no-such-key").status_code == 404
    app.extensions["harvester_users"].close()
