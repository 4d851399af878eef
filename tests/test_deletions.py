"""The shrink guard: a source shrinking past ``harvest.delete_guard`` waits for an operator, who sees what
would go and confirms (re-checked against later jobs) or rejects; from the API and from the CLI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from harvester import operations
from harvester.cli import main
from harvester.context import Context
from harvester.demo.portal import DemoPortal, RunningPortal, serve
from harvester.errors import OperationRefused, SourceBusy
from harvester.jobs import run_job
from harvester.model import JobStatus
from tests.conftest import ckan_source

SIZE = 60


@pytest.fixture
def portals() -> Iterator[dict[str, RunningPortal]]:
    """One seed served three times: whole, without packages 0-19, and without 0-14 (5 of them back)."""
    served = {}
    for name, removed in (("whole", []), ("shrunk", range(0, 20)), ("partly_back", range(0, 15))):
        demo = DemoPortal(size=SIZE)
        demo.remove(removed)
        served[name] = serve(demo, host="127.0.0.1", port=0)
    yield served
    for running in served.values():
        running.stop()


def harvest(ctx: Context, running: RunningPortal):  # type: ignore[no-untyped-def]
    return run_job(ctx, ckan_source(running.url))


def sizes(ctx: Context) -> tuple[int, int, int]:
    prefix = ctx.iris.graph_prefix("jinan")
    return ctx.store.count_graphs(prefix), ctx.index.count(), ctx.state.record_count("jinan")


def test_the_operator_sees_what_would_go_and_rejects_then_confirms(ctx: Context, portals) -> None:
    harvest(ctx, portals["whole"])
    held = harvest(ctx, portals["shrunk"])
    assert held.status == JobStatus.NEEDS_CONFIRMATION and sizes(ctx) == (SIZE, SIZE, SIZE)
    shown = operations.pending_deletions(ctx, held.id)
    assert len(shown.records) == 20 and all(r.still_unlisted for r in shown.records)
    assert all(r.title and r.dataset_iri.startswith(ctx.iris.base) for r in shown.records)
    assert operations.job_status(ctx, held.id).pending_deletions == 20

    outcome = operations.reject_deletions(ctx, held.id)
    assert (outcome.deleted, outcome.kept) == (0, 20) and sizes(ctx) == (SIZE, SIZE, SIZE)
    rejected = ctx.state.job(held.id)
    assert rejected.status == JobStatus.SUCCEEDED and "rejected" in rejected.message
    assert ctx.state.pending_deletions(held.id) == []
    with pytest.raises(OperationRefused, match="already rejected"):
        operations.confirm_deletions(ctx, held.id)

    asked_again = harvest(ctx, portals["shrunk"])  # the portal still lacks them: asked again
    assert asked_again.status == JobStatus.NEEDS_CONFIRMATION
    outcome = operations.confirm_deletions(ctx, asked_again.id)
    assert (outcome.deleted, outcome.kept) == (20, 0)
    assert sizes(ctx) == (40, 40, 40)
    confirmed = ctx.state.job(asked_again.id)
    assert (confirmed.status, confirmed.counts.deleted) == (JobStatus.SUCCEEDED, 20)
    assert ctx.state.deletion_decision(asked_again.id)["decision"] == "confirmed"
    gone = shown.records[0]
    assert not ctx.store.has_graph(ctx.iris.graph("jinan", gone.key)) and ctx.index.get(f"jinan/{gone.key}") is None


def test_confirming_rechecks_records_seen_again_or_already_gone(ctx: Context, portals) -> None:
    harvest(ctx, portals["whole"])
    first = harvest(ctx, portals["shrunk"])
    later = harvest(ctx, portals["partly_back"])  # 15 still missing: 25 %, also held
    assert (first.status, later.status) == (JobStatus.NEEDS_CONFIRMATION,) * 2
    still = [r.still_unlisted for r in operations.pending_deletions(ctx, first.id).records]
    assert still.count(True) == 15 and still.count(False) == 5
    outcome = operations.confirm_deletions(ctx, first.id)
    assert (outcome.deleted, outcome.kept) == (15, 5)  # the 5 the later job saw stay
    assert sizes(ctx) == (45, 45, 45)
    outcome = operations.confirm_deletions(ctx, later.id)
    assert (outcome.deleted, outcome.kept) == (0, 15)  # already gone
    assert sizes(ctx) == (45, 45, 45)


def test_no_decision_while_the_source_is_being_harvested(ctx: Context, portals) -> None:
    harvest(ctx, portals["whole"])
    held = harvest(ctx, portals["shrunk"])
    running = ctx.state.start_job("jinan", incremental=True)  # a job of a live process (this one)
    with pytest.raises(SourceBusy, match="being harvested"):
        operations.confirm_deletions(ctx, held.id)
    running.status = JobStatus.SUCCEEDED
    ctx.state.finish_job(running, gather_complete=False)
    with operations.harvests(ctx).pool.reserved("jinan"):  # e.g. a run queued in this process
        with pytest.raises(SourceBusy):
            operations.reject_deletions(ctx, held.id)
    assert operations.confirm_deletions(ctx, held.id).deleted == 20
    with pytest.raises(OperationRefused, match="no job 999"):
        operations.confirm_deletions(ctx, 999)


def test_the_cli_lists_confirms_and_rejects(tmp_path: Path, portals) -> None:
    config = tmp_path / "harvester.toml"
    config.write_text('[data]\ndir = "data"\n[http]\nretries = 1\nbackoff = 0.01\ndelay = 0.0\n', encoding="utf-8")

    def cli(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    cli("source", "add", "jinan", "--type", "ckan", "--url", portals["whole"].url)
    cli("harvest", "jinan", "--quiet")
    cli("source", "add", "jinan", "--type", "ckan", "--url", portals["shrunk"].url)
    out = cli("harvest", "jinan", "--quiet", code=1)
    assert "needs_confirmation" in out and "harvester deletions confirm 2" in out
    assert re.search(r"^2\s+jinan\s+\S+ \S+\s+20\s*$", cli("deletions", "list"), flags=re.M)
    shown = cli("jobs", "--show", "2")
    assert "20 record(s) would be deleted" in shown
    demo_titles = [DemoPortal(size=SIZE).package(i)["title"] for i in range(20)]
    assert sum(title[:20] in shown for title in demo_titles) == 20
    assert "20 deleted, 0 kept" in cli("deletions", "confirm", "2")
    assert "deletions confirmed" in cli("jobs", "--show", "2")
    assert "not waiting for a confirmation" in cli("deletions", "reject", "2", code=1)
    assert "no job 7" in cli("deletions", "confirm", "7", code=1)
    assert "datasets  40" in cli("source", "show", "jinan")
