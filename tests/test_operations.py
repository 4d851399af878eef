"""What operators can do and see: run now (non-blocking, live counts), source health, /metrics, one log
line per job event, and ``harvester serve`` making up a missed run once and stopping jobs on SIGTERM."""

from __future__ import annotations

import io
import json
import logging
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harvester import operations
from harvester.context import Context
from harvester.jobs import run_job
from harvester.logs import configure_logging
from harvester.model import JobStatus, Source
from harvester.state import State, utcnow
from tests.conftest import ckan_source
from tests.gated_portal import RecordingServer, Seen

HARVESTER = str(Path(sys.executable).parent / "harvester")


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_run_now_returns_at_once_and_shows_live_counts(ctx: Context, portal) -> None:
    demo, running = portal
    ctx.state.save_source(Source("jinan", "ckan", running.url, options={"delay": 0.15}))  # ~1.5 s of paging
    started = time.monotonic()
    run = operations.run_now(ctx, "jinan")
    assert time.monotonic() - started < 0.5
    job_id = run.wait_started(10)
    assert job_id is not None
    seen_live = []

    def some_done() -> bool:
        view = operations.job_status(ctx, job_id)
        if view.live and 0 < view.job.counts.seen < 60:
            seen_live.append(view.job.counts.seen)
        return view.job.status != JobStatus.RUNNING

    assert wait_until(some_done)
    assert seen_live, "the running job's counts were never seen between 0 and 60"
    finished = operations.job_status(ctx, job_id)
    assert not finished.live and finished.job.counts.added == 60 and finished.reason == "manual"
    assert run.wait(60).status == JobStatus.SUCCEEDED  # the run goes on validating what the job changed


def test_source_health_has_last_job_errors_and_trend(ctx: Context, portal) -> None:
    demo, running = portal
    ctx.state.save_source(ckan_source(running.url))
    ctx.state.save_source(Source("idle", "ckan", running.url, schedule="every 6h"))
    run_job(ctx, ckan_source(running.url))
    demo.broken = {3: "missing_title"}
    demo.edit([3, 4])
    run_job(ctx, ckan_source(running.url))
    health = {h.source.id: h for h in operations.source_health(ctx)}
    jinan, idle = health["jinan"], health["idle"]
    assert (jinan.status, jinan.datasets, jinan.errors) == ("partial", 60, 1)
    assert [(p.listed, p.added, p.updated, p.failed) for p in jinan.trend] == [(60, 60, 0, 0), (60, 0, 1, 1)]
    assert (idle.status, idle.datasets, idle.last_job, idle.trend) == ("never_run", 0, None, [])
    assert idle.schedule is not None and idle.schedule.schedule == "every 6h" and idle.schedule.next_run


def test_metrics_in_prometheus_format(ctx: Context, portal) -> None:
    from web import create_app
    from web.metrics import bp

    demo, running = portal
    run_job(ctx, ckan_source(running.url))
    app = create_app(ctx)
    if "metrics" not in app.blueprints:
        app.register_blueprint(bp)
    response = app.test_client().get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain; version=0.0.4")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(response.get_data(as_text=True))
               for s in family.samples}
    host = running.url.split("//")[1]
    assert samples[("harvester_jobs", (("status", "succeeded"),))] == 1
    assert samples[("harvester_records_total", (("outcome", "added"),))] == 60
    assert samples[("harvester_portal_requests_total", (("host", host), ("status", "200")))] >= 3
    assert samples[("harvester_harvest_duration_seconds_count", (("source", "jinan"),))] >= 1
    assert samples[("harvester_source_datasets", (("source", "jinan"),))] == 60
    assert samples[("harvester_index_documents", ())] == 60
    assert samples[("harvester_store_bytes", ())] > 0 and samples[("harvester_index_bytes", ())] > 0
    assert samples[("harvester_jobs_running", ())] == 0


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_one_log_line_per_job_event(ctx: Context, portal, fmt: str) -> None:
    demo, running = portal
    stream = io.StringIO()
    handler = configure_logging(ctx.settings.with_values(log_format=fmt), stream)
    try:
        job = run_job(ctx, ckan_source(running.url))
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [line for line in stream.getvalue().splitlines() if "job." in line]
    assert len(lines) == 2
    if fmt == "json":
        started, finished = (json.loads(line) for line in lines)
        assert (started["event"], started["job"], started["source"]) == ("job.started", job.id, "jinan")
        assert (finished["event"], finished["status"], finished["added"]) == ("job.finished", "succeeded", 60)
        assert finished["seconds"] > 0 and finished["level"] == "INFO"
    else:
        assert " job.started job=1 source=jinan status=running " in lines[0]
        assert " job.finished job=1 source=jinan status=succeeded added=60 " in lines[1]


# --- harvester serve, as a process --------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(tmp_path: Path, url: str, missed_hours: float) -> subprocess.Popen[str]:
    """``harvester serve`` with one source scheduled 'every 1h' whose run came ``missed_hours`` ago."""
    config = tmp_path / "harvester.toml"
    config.write_text(f'[data]\ndir = "data"\n[http]\ndelay = 0.0\nretries = 0\n[schedule]\ntick_seconds = 0.2\n'
                      f'[[sources]]\nid = "jinan"\ntype = "ckan"\nurl = "{url}"\nschedule = "every 1h"\n',
                      encoding="utf-8")
    state = State(tmp_path / "data" / "state.db")
    state.save_schedule("jinan", "every 1h", utcnow() - timedelta(hours=missed_hours))
    state.close()
    return subprocess.Popen([HARVESTER, "--config", str(config), "serve", "--port", str(free_port())],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def jobs_of(tmp_path: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(f"file:{tmp_path / 'data' / 'state.db'}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute("SELECT status, reason FROM jobs ORDER BY id").fetchall()
    finally:
        db.close()


@pytest.fixture
def trickling_portal() -> Iterator[RecordingServer]:
    def trickle(seen: Seen, handler) -> None:  # type: ignore[no-untyped-def]
        handler.send_response(404 if seen.path == "/robots.txt" else 200)
        handler.send_header("Content-Length", "0" if seen.path == "/robots.txt" else "100000")
        handler.end_headers()
        for _ in range(0 if seen.path == "/robots.txt" else 1000):
            try:
                handler.wfile.write(b" ")
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(0.05)

    server = RecordingServer(trickle).start()
    yield server
    server.stop()


@pytest.mark.slow
def test_serve_makes_up_a_missed_run_once(tmp_path: Path, portal) -> None:
    demo, running = portal
    process = serve(tmp_path, running.url, missed_hours=5)
    try:
        assert wait_until(lambda: ("succeeded", "missed") in jobs_of(tmp_path)), process.stderr
        time.sleep(1.0)  # five more ticks
        assert jobs_of(tmp_path) == [("succeeded", "missed")]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert "job.finished job=1 source=jinan status=succeeded" in err


@pytest.mark.slow
def test_sigterm_stops_a_running_job_as_interrupted(tmp_path: Path, trickling_portal: RecordingServer) -> None:
    process = serve(tmp_path, trickling_portal.url, missed_hours=1)
    try:
        assert wait_until(lambda: jobs_of(tmp_path) == [("running", "missed")])
        assert wait_until(lambda: len(trickling_portal.seen) >= 2)  # robots.txt, then the trickling page
    finally:
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        process.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert jobs_of(tmp_path) == [("interrupted", "missed")]
