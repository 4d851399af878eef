"""Crash safety, proved by killing real processes: ``kill -9`` of ``harvester harvest`` in the middle of a
harvest never leaves half a record in the store, the next start brings the index back in line with the
store and marks the job interrupted, and the next run completes the work with the right counts. Also: a job
that stops making progress is stopped, and jobs of live processes are not marked interrupted."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from harvester.context import Context
from harvester.demo.portal import DemoPortal
from harvester.jobs import run_job
from harvester.model import JobStatus
from harvester.recovery import index_record_ids, recover, store_record_ids
from harvester.settings import load_settings
from tests.conftest import ckan_source, make_settings
from tests.gated_portal import RecordingServer, Seen

DATASETS = 1000
HARVESTER = str(Path(sys.executable).parent / "harvester")
DCAT = "http://www.w3.org/ns/dcat#"
TITLE = "<http://purl.org/dc/terms/title>"


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    """The demo portal in a process of its own (``python -m harvester.demo --port 0`` prints its URL)."""
    process = subprocess.Popen([sys.executable, "-m", "harvester.demo", "--datasets", str(DATASETS), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert " at http://127.0.0.1:" in line, line
        yield line.rsplit(" at ", 1)[1].strip()
    finally:
        process.kill()
        process.wait()


def write_config(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "harvester.toml"
    config.write_text(f'''[data]
dir = "data"
[http]
retries = 1
backoff = 0.01
delay = 0.0
[harvest]
batch_size = 50
map_workers = 1
[ckan]
rows = 100
[[sources]]
id = "jinan"
type = "ckan"
url = "{url}"
title = "济南市公共数据开放平台"
''', encoding="utf-8")
    return config


def start_harvest(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([HARVESTER, "--config", str(config), "harvest", "jinan", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def progress(state_path: Path) -> int:
    """Records the running job has committed so far (0 before the first batch)."""
    if not state_path.exists():
        return 0
    db = sqlite3.connect(f"file:{state_path}?mode=ro", uri=True, timeout=5)
    try:
        row = db.execute("SELECT added + unchanged FROM jobs WHERE status='running' ORDER BY id DESC").fetchone()
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0
    finally:
        db.close()
    return int(row[0]) if row else 0


def kill_mid_harvest(config: Path, after: int, jitter: float) -> None:
    """Start a harvest, wait until ``after`` records are committed, then kill -9 it (and its mapping worker)."""
    process = start_harvest(config)
    deadline = time.monotonic() + 120
    while progress(config.parent / "data" / "state.db") < after:
        assert process.poll() is None, "the harvest ended before it could be killed"
        assert time.monotonic() < deadline, "no progress in two minutes"
        time.sleep(0.02)
    time.sleep(jitter)  # land anywhere in the next batch: mapping, store write, index commit or state
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def assert_every_record_graph_whole(ctx: Context, demo: DemoPortal) -> int:
    """Each record graph has its CatalogRecord, its dataset's title and every distribution the portal lists."""
    count = 0
    for graph, triples in ctx.store.iter_graphs(ctx.iris.graph_prefix("jinan")):
        _, key = ctx.iris.split_graph(graph)  # type: ignore[misc]
        types = {(t[0], t[2]) for t in triples if t[1] == "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"}
        dataset = f"<{ctx.iris.dataset('jinan', key)}>"
        assert (f"<{ctx.iris.record('jinan', key)}>", f"<{DCAT}CatalogRecord>") in types, graph
        assert any(s == dataset and p == TITLE for s, p, _ in triples), graph
        index = demo.find(key)
        assert index is not None, key
        distributions = {o for s, p, o in triples if s == dataset and p == f"<{DCAT}distribution>"}
        typed = {s for s, o in types if o == f"<{DCAT}Distribution>"}
        assert len(distributions) == len(demo.package(index)["resources"]) and distributions == typed, graph
        count += 1
    return count


def open_data(config: Path) -> Context:
    return Context(load_settings(config, env={}))


@pytest.mark.slow
def test_kill_9_mid_harvest_leaves_whole_records_and_a_rerun_completes(tmp_path: Path, demo_url: str) -> None:
    config = write_config(tmp_path, demo_url)
    demo = DemoPortal(size=DATASETS)  # the same seed: what the portal process serves
    rng = random.Random(7)
    for after in (100, 350, 600):  # three kills, each landing somewhere in a batch
        kill_mid_harvest(config, after, jitter=rng.uniform(0.05, 0.35))
        ctx = open_data(config)
        try:
            stored = assert_every_record_graph_whole(ctx, demo)
            in_store = store_record_ids(ctx)
            assert after <= stored < DATASETS and len(in_store) == stored
            known = {f"jinan/{r.key}" for r in ctx.state.records_of_source("jinan")}
            assert known <= in_store  # the state is never ahead of the store
            recovery = recover(ctx)  # what the next start does
            assert recovery.interrupted == 1 and recovery.compared
            assert index_record_ids(ctx, {"jinan"}) == in_store == store_record_ids(ctx)
            assert ctx.state.jobs("jinan")[0].status == JobStatus.INTERRUPTED
            again = recover(ctx)  # in agreement now: a second start has nothing to mend
            assert (again.interrupted, again.reindexed, again.unindexed, again.forgotten) == (0, 0, 0, 0)
        finally:
            ctx.close()
    ctx = open_data(config)
    known_before = ctx.state.record_count("jinan")
    ctx.close()
    finished = subprocess.run([HARVESTER, "--config", str(config), "harvest", "jinan", "--quiet"],
                              capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    ctx = open_data(config)
    try:
        jobs = ctx.state.jobs("jinan")
        assert [j.status for j in jobs] == [JobStatus.SUCCEEDED] + [JobStatus.INTERRUPTED] * 3
        c = jobs[0].counts
        assert (c.added, c.unchanged, c.updated, c.deleted, c.failed) == \
            (DATASETS - known_before, known_before, 0, 0, 0)
        assert assert_every_record_graph_whole(ctx, demo) == DATASETS
        assert ctx.index.count() == DATASETS == ctx.state.record_count("jinan")
        assert index_record_ids(ctx, {"jinan"}) == store_record_ids(ctx)
    finally:
        ctx.close()


# --- recovery without a kill -----------------------------------------------------------------------------
def test_recovery_reindexes_missing_and_removes_stale_documents(ctx: Context, portal) -> None:
    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    assert recover(ctx).compared is False
    ids = sorted(store_record_ids(ctx))
    ctx.index.delete(ids[:3])  # as if killed between a batch's store write and its index commit
    ghost = ctx.index.get(ids[3])
    ghost.id, ghost.iri = "jinan/gone-from-store", ghost.iri + "-gone"
    ctx.index.upsert([ghost])  # as if killed between a deletion's store drop and its index delete
    ctx.index.commit()
    lost = ctx.state.records_by_remote_id("jinan", [ids[4].split("/", 1)[1]])
    ctx.store.drop_graphs([ctx.iris.graph("jinan", ids[4].split("/", 1)[1])])  # and its state row kept
    recovery = recover(ctx)
    assert (recovery.compared, recovery.reindexed, recovery.unindexed) == (True, 3, 2)
    assert recovery.forgotten == len(lost) == 1
    assert index_record_ids(ctx, {"jinan"}) == store_record_ids(ctx)
    job = run_job(ctx, ckan_source(running.url))
    assert (job.counts.added, job.counts.unchanged) == (1, 59)  # the forgotten record is written again
    assert ctx.index.count() == 60


def test_recovery_after_a_deletion_cut_off_between_store_and_index(ctx: Context, portal) -> None:
    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    key = sorted(store_record_ids(ctx))[0].split("/", 1)[1]
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(finished.stdout)
    ctx.state._db.execute("INSERT INTO unfinished_writes (what, pid, started) VALUES ('deleting 1 record', ?, ?)",
                          (dead_pid, "2000-01-01T00:00:00+00:00"))
    ctx.store.drop_graphs([ctx.iris.graph("jinan", key)])  # killed right after the store's drop
    assert ctx.index.count() == ctx.state.record_count() == 60  # the counts alone would not tell
    recovery = recover(ctx)
    assert (recovery.compared, recovery.unindexed, recovery.forgotten) == (True, 1, 1)
    assert ctx.index.get(f"jinan/{key}") is None and ctx.state.record_count() == 59
    assert recover(ctx).compared is False


def test_jobs_of_live_processes_are_not_marked_interrupted(ctx: Context) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.2)
        live = ctx.state.start_job("a", incremental=False)
        ctx.state._db.execute("UPDATE jobs SET pid=? WHERE id=?", (sleeper.pid, live.id))
        reused = ctx.state.start_job("b", incremental=False)  # our pid, but a job older than this process
        ctx.state._db.execute("UPDATE jobs SET started='2000-01-01T00:00:00+00:00' WHERE id=?", (reused.id,))
        assert ctx.state.mark_interrupted() == 1
        assert ctx.state.job(reused.id).status == JobStatus.INTERRUPTED
        assert ctx.state.job(live.id).status == JobStatus.RUNNING
    finally:
        sleeper.kill()
        sleeper.wait()
    assert ctx.state.mark_interrupted() == 1
    assert ctx.state.job(live.id).status == JobStatus.INTERRUPTED


def test_a_stalled_job_is_stopped_and_marked_failed(tmp_path: Path) -> None:
    def trickle(seen: Seen, handler) -> None:  # type: ignore[no-untyped-def]
        if seen.path == "/robots.txt":
            handler.send_response(404)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(2000):  # a byte every 50 ms: never a read timeout, never an answer
            try:
                handler.wfile.write(b" ")
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(0.05)

    server = RecordingServer(trickle).start()
    ctx = Context(make_settings(tmp_path / "data", harvest_stall_seconds=1.0))
    try:
        started = time.monotonic()
        job = run_job(ctx, ckan_source(server.url))
        assert time.monotonic() - started < 10
        assert job.status == JobStatus.FAILED and "stalled" in job.message
        stored = ctx.state.job(job.id)
        assert stored.status == JobStatus.FAILED and "no progress for 1 s" in stored.message
    finally:
        ctx.close()
        server.stop()
