"""End to end against the demo CKAN portal on loopback: harvest, re-harvest, changes, faults, deletions."""

from __future__ import annotations

import pytest

from harvester.context import Context
from harvester.index import SearchQuery
from harvester.jobs import run_job
from harvester.model import JobStatus, Stage
from tests.conftest import ckan_source

COUNT_DATASETS = "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }"


def dataset_count(ctx: Context) -> int:
    rows = ctx.store.select(COUNT_DATASETS)
    return int(rows[0]["n"].split('"')[1])


def record_graphs(ctx: Context, source_id: str = "jinan") -> dict[str, list]:
    return {g: sorted(t) for g, t in ctx.store.iter_graphs(ctx.iris.graph_prefix(source_id))}


def test_first_harvest_stores_indexes_and_reports(ctx: Context, portal) -> None:
    demo, running = portal
    job = run_job(ctx, ckan_source(running.url))
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert (job.counts.added, job.counts.failed, job.counts.deleted) == (60, 0, 0)
    assert dataset_count(ctx) == 60
    assert ctx.index.count() == 60
    assert ctx.state.record_count("jinan") == 60
    # every record has its CatalogRecord with provenance pointing back at the portal
    rows = ctx.store.select(
        "SELECT ?rec ?src WHERE { ?rec a <http://www.w3.org/ns/dcat#CatalogRecord> ; "
        "<http://purl.org/dc/terms/source> ?src }")
    assert len(rows) == 60
    assert all(r["src"].startswith(f"<{running.url}/dataset/") for r in rows)
    # the portal is a dcat:Catalog inside the merged catalog of catalogs
    cats = ctx.store.select("SELECT ?c WHERE { <%s> <http://www.w3.org/ns/dcat#catalog> ?c }" % ctx.iris.catalog)
    assert [r["c"] for r in cats] == [f"<{ctx.iris.source_catalog('jinan')}>"]


def test_search_finds_chinese_words_inside_compounds_and_filters_by_facet(ctx: Context, portal) -> None:
    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    result = ctx.index.search(SearchQuery(q="交通"))
    assert result.total > 0
    for hit in result.hits:
        text = hit.doc.title + hit.doc.description + "".join(hit.doc.keywords) + hit.doc.publisher
        assert "交通" in text
    publishers = dict(result.facets["publisher"])
    chosen = next(iter(publishers))
    narrowed = ctx.index.search(SearchQuery(q="交通", filters={"publisher": [chosen]}))
    assert narrowed.total == publishers[chosen]
    assert all(h.doc.publisher == chosen for h in narrowed.hits)


def test_unchanged_reharvest_rewrites_nothing(ctx: Context, portal) -> None:
    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    before = record_graphs(ctx)
    job = run_job(ctx, ckan_source(running.url))
    assert job.status == JobStatus.SUCCEEDED
    assert job.incremental
    assert (job.counts.added, job.counts.updated, job.counts.unchanged, job.counts.deleted) == (0, 0, 60, 0)
    assert record_graphs(ctx) == before  # same triples, harvest time of each CatalogRecord included


def test_changes_between_runs_are_counted_exactly(ctx: Context, portal) -> None:
    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    demo.edit([1, 2, 3])
    demo.remove([10, 11])
    demo.add(1)
    job = run_job(ctx, ckan_source(running.url))
    assert job.status == JobStatus.SUCCEEDED, job.message
    c = job.counts
    assert (c.added, c.updated, c.deleted, c.unchanged, c.failed) == (1, 3, 2, 55, 0)
    assert dataset_count(ctx) == 59
    assert ctx.index.count() == 59
    edited = demo.package(1)
    hits = ctx.index.search(SearchQuery(q=edited["title"][:6])).hits
    assert any(h.doc.title == edited["title"] for h in hits)


def test_full_reharvest_compares_payloads_not_markers(ctx: Context, portal) -> None:
    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    job = run_job(ctx, ckan_source(running.url), full=True)
    assert not job.incremental
    assert (job.counts.unchanged, job.counts.updated) == (60, 0)


def test_a_failing_page_fails_the_job_and_deletes_nothing(ctx: Context, portal) -> None:
    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    demo.remove([5])
    demo.fail_search_page = 3
    job = run_job(ctx, ckan_source(running.url), full=True)
    assert job.status == JobStatus.FAILED
    assert "gather failed" in job.message and "500" in job.message
    assert job.counts.deleted == 0
    assert dataset_count(ctx) == 60
    assert ctx.index.count() == 60
    # the failed job is not the base of the next incremental run, and the next good run catches up
    demo.fail_search_page = None
    job = run_job(ctx, ckan_source(running.url))
    assert job.status == JobStatus.SUCCEEDED
    assert job.counts.deleted == 1


@pytest.mark.parametrize("kind, message", [
    ("missing_title", "title is missing"),
    ("bad_date", "invalid date 'not-a-date'"),
    ("bad_field", "should be a list"),
])
def test_a_broken_record_fails_alone(ctx: Context, portal, kind: str, message: str) -> None:
    demo, running = portal
    demo.broken = {7: kind}
    job = run_job(ctx, ckan_source(running.url))
    assert job.status == JobStatus.PARTIAL
    assert (job.counts.added, job.counts.failed) == (59, 1)
    [error] = ctx.state.job(job.id).errors
    assert error.stage == Stage.MAP
    assert message in error.message
    assert error.remote_id == demo.package(7)["id"]


def test_a_record_that_breaks_later_keeps_its_last_good_version(ctx: Context, portal) -> None:
    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    demo.edit([7])
    demo.broken = {7: "missing_title"}
    job = run_job(ctx, ckan_source(running.url))
    assert (job.counts.failed, job.counts.deleted) == (1, 0)
    assert dataset_count(ctx) == 60


def test_search_unavailable_falls_back_to_package_list_and_show(ctx: Context, portal) -> None:
    demo, running = portal
    demo.search_disabled = True
    job = run_job(ctx, ckan_source(running.url))
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert job.counts.added == 60
    assert dataset_count(ctx) == 60


def test_a_source_shrinking_past_the_guard_waits_for_confirmation(ctx: Context, portal) -> None:
    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    demo.remove(range(0, 20))  # a third of the source
    job = run_job(ctx, ckan_source(running.url))
    assert job.status == JobStatus.NEEDS_CONFIRMATION
    assert "20 of 60" in job.message
    assert dataset_count(ctx) == 60
    assert len(ctx.state.pending_deletions(job.id)) == 20
    job = run_job(ctx, ckan_source(running.url), confirm_deletions=True)
    assert job.status == JobStatus.SUCCEEDED
    assert job.counts.deleted == 20
    assert dataset_count(ctx) == 40 and ctx.index.count() == 40


def test_incremental_runs_ask_the_portal_only_for_changes(ctx: Context, portal) -> None:
    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    demo.edit([4])
    job = run_job(ctx, ckan_source(running.url))
    assert job.incremental and job.counts.updated == 1
    queries = [q for q in running.queries if "fq=metadata_modified" in q]
    assert queries, "the incremental run did not filter by metadata_modified"


def test_every_stored_record_is_valid_dcat_ap_3_read_back_from_the_store(ctx: Context, portal) -> None:
    from harvester.dcat.rdf import to_ntriples
    from harvester.dcat.validate import validate_ntriples

    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    failing = {}
    for graph, triples in ctx.store.iter_graphs(ctx.iris.graph_prefix("jinan")):
        report = validate_ntriples(to_ntriples(triples))
        if report.violation_count:
            failing[graph] = report.violations[:2]
    assert failing == {}
    assert len(record_graphs(ctx)) == 60


def test_reindex_rebuilds_the_same_index_from_the_store(ctx: Context, portal) -> None:
    from harvester.reindex import reindex

    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    before = ctx.index.search(SearchQuery(q="数据", per_page=100))
    ctx.index.clear()
    ctx.index.commit()
    assert ctx.index.count() == 0
    assert reindex(ctx) == 60
    after = ctx.index.search(SearchQuery(q="数据", per_page=100))
    assert after.total == before.total
    assert sorted(h.doc.id for h in after.hits) == sorted(h.doc.id for h in before.hits)
    assert after.facets == before.facets


def test_reindex_recreates_an_index_of_an_older_format(ctx: Context, portal) -> None:
    import json

    from harvester.reindex import reindex

    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    ctx.index.close()
    ctx.__dict__.pop("index")
    meta = ctx.settings.index_path / "meta.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "schema_version": -1}))
    assert reindex(ctx) == 60
    assert ctx.index.count() == 60


def test_mapping_in_a_worker_process_gives_the_same_catalog(tmp_path, portal) -> None:
    from tests.conftest import make_settings

    demo, running = portal
    demo.broken = {9: "bad_date"}
    graphs = {}
    for workers in (0, 1):
        ctx = Context(make_settings(tmp_path / f"w{workers}", harvest_map_workers=workers, harvest_batch_size=25))
        try:
            job = run_job(ctx, ckan_source(running.url))
            assert (job.counts.added, job.counts.failed) == (59, 1)
            assert "invalid date" in ctx.state.job(job.id).errors[0].message
            graphs[workers] = {g: sorted(t for t in triples if "modified" not in t[1] or "/record/" not in t[0])
                               for g, triples in record_graphs(ctx).items()}
        finally:
            ctx.close()
    assert graphs[0].keys() == graphs[1].keys()
    assert graphs[0] == graphs[1]


def test_a_portal_that_serves_the_same_page_again_stops_the_gather(ctx: Context, portal) -> None:
    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    demo.repeat_pages = True
    demo.remove([0])
    job = run_job(ctx, ckan_source(running.url), full=True)
    assert job.status == JobStatus.FAILED
    assert "paging loop" in job.message
    assert job.counts.deleted == 0 and dataset_count(ctx) == 60
    assert len([q for q in running.queries if "package_search" in q]) < 20  # it stopped, it did not spin


def test_the_writer_takes_a_batch_before_the_next_is_handed_over_and_raises_its_error_in_the_harvest() -> None:
    """At most one batch waits beside the one being written (each is ~50 MB at the default size)."""
    import threading

    from harvester.batches import Batch, BatchWriter

    writing, release, written = threading.Event(), threading.Event(), []

    def commit(batch: Batch) -> None:
        writing.set()
        release.wait(10)
        written.append(batch)
        if len(written) == 2:
            raise RuntimeError("the store refused batch 2")

    writer = BatchWriter(commit)
    first, second = Batch(), Batch()
    writer.submit(first)  # taken at once: the writer was idle
    assert writing.wait(5)
    handing = threading.Thread(target=writer.submit, args=(second,))
    handing.start()
    handing.join(0.3)
    assert handing.is_alive()  # the writer is busy with the first batch: the second waits in the harvest
    release.set()
    handing.join(5)
    assert not handing.is_alive()
    with pytest.raises(RuntimeError, match="refused batch 2"):
        writer.close()
    assert written == [first, second]
