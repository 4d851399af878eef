"""End to end on every store backend: the same portal harvested into the embedded store, the Oxigraph server and
Virtuoso gives the same catalog, the same SPARQL answers and the same search results; a store that fails in the
middle of a job fails the job cleanly, keeps what it stored, and the job runs again to completion."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harvester.context import Context
from harvester.index import SearchQuery
from harvester.jobs import run_job
from harvester.model import JobStatus
from harvester.reindex import reindex
from tests.conftest import ckan_source, make_settings
from tests.servers import FaultProxy, backend_settings
from tests.test_harvest_ckan import dataset_count, record_graphs

REMOTE = ("oxigraph-server", "virtuoso")
PER_PUBLISHER = ("SELECT ?name (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
                 "<http://purl.org/dc/terms/publisher>/<http://xmlns.com/foaf/0.1/name> ?name } "
                 "GROUP BY ?name ORDER BY ?name")
KEYWORD = ("SELECT DISTINCT ?d WHERE { ?d <http://www.w3.org/ns/dcat#keyword> ?k FILTER(CONTAINS(STR(?k), '交通')) } "
           "ORDER BY ?d")


@pytest.fixture
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Context, Context]]:
    """A Context on the backend under test and an embedded one with the same base URL (the reference)."""
    settings = backend_settings(request, request.param)
    values = next(settings)
    common = {"harvest_batch_size": 25, "ckan_rows": 20}
    remote = Context(make_settings(tmp_path / "remote", **common, **values))
    embedded = Context(make_settings(tmp_path / "embedded", **common, web_base_url=values["web_base_url"]))
    try:
        yield remote, embedded
    finally:
        remote.close()
        embedded.close()
        next(settings, None)


def without_harvest_times(graphs: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Record graphs minus the CatalogRecord's harvest time (two runs never harvest at the same instant)."""
    return {g: [t for t in triples if not (t[0].startswith("<") and "/record/" in t[0] and t[1].endswith("/modified>"))]
            for g, triples in graphs.items()}


@pytest.mark.parametrize("pair", REMOTE, indirect=True)
def test_a_harvest_gives_the_same_catalog_answers_and_search_on_every_backend(pair: tuple[Context, Context],
                                                                              portal: Any) -> None:
    remote, embedded = pair
    _, running = portal
    jobs = [run_job(ctx, ckan_source(running.url)) for ctx in (remote, embedded)]
    assert [(j.status, j.counts.added, j.counts.failed) for j in jobs] == [(JobStatus.SUCCEEDED, 60, 0)] * 2
    assert dataset_count(remote) == dataset_count(embedded) == 60
    assert without_harvest_times(record_graphs(remote)) == without_harvest_times(record_graphs(embedded))
    for query in (PER_PUBLISHER, KEYWORD):
        assert remote.store.select(query) == embedded.store.select(query)
    for ctx in (remote, embedded):
        ctx.index.clear()
        ctx.index.commit()
        assert reindex(ctx) == 60
    for q in ("交通", "数据", ""):
        mine, theirs = (ctx.index.search(SearchQuery(q=q, per_page=100)) for ctx in (remote, embedded))
        # hits with equal scores come in index order, which follows the order graphs were read: compare sets
        assert (mine.total, sorted(h.doc.id for h in mine.hits), mine.facets) == \
            (theirs.total, sorted(h.doc.id for h in theirs.hits), theirs.facets)


@pytest.mark.parametrize("pair", REMOTE, indirect=True)
def test_reharvests_count_changes_exactly_on_every_backend(pair: tuple[Context, Context], portal: Any) -> None:
    remote, _ = pair
    demo, running = portal
    run_job(remote, ckan_source(running.url))
    before = record_graphs(remote)
    job = run_job(remote, ckan_source(running.url))
    assert (job.counts.added, job.counts.updated, job.counts.unchanged) == (0, 0, 60)
    assert record_graphs(remote) == before
    demo.edit([1, 2, 3])
    demo.remove([10, 11])
    demo.add(1)
    job = run_job(remote, ckan_source(running.url))
    c = job.counts
    assert (job.status, c.added, c.updated, c.deleted, c.unchanged) == (JobStatus.SUCCEEDED, 1, 3, 2, 55)
    assert dataset_count(remote) == remote.index.count() == 59


@pytest.fixture(params=REMOTE)
def proxied(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Context, FaultProxy, str]]:
    settings = backend_settings(request, request.param)
    values = next(settings)
    proxy, values = FaultProxy.before_store(values)
    values.update(harvest_batch_size=25, ckan_rows=20, store_timeout=5.0)
    ctx = Context(make_settings(tmp_path / "data", **values))
    try:
        yield ctx, proxy, request.param
    finally:
        ctx.close()
        proxy.close()
        next(settings, None)


def test_a_store_failing_mid_job_fails_the_job_keeps_what_was_stored_and_the_job_runs_again(
        proxied: tuple[Context, FaultProxy, str], portal: Any) -> None:
    ctx, proxy, _ = proxied
    _, running = portal
    # the source's catalog graph, then the first batch of 25 go through (one request on every backend); every
    # later write gets a 500
    proxy.fault.mode = "error"
    proxy.fault.after = 2
    job = run_job(ctx, ckan_source(running.url))
    assert job.status == JobStatus.FAILED
    assert "store write failed" in job.message and "500" in job.message
    assert dataset_count(ctx) == ctx.index.count() == ctx.state.record_count("jinan") == 25
    proxy.fault.mode = ""
    job = run_job(ctx, ckan_source(running.url))
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert (job.counts.added, job.counts.failed) == (35, 0)
    assert dataset_count(ctx) == ctx.index.count() == ctx.state.record_count("jinan") == 60
