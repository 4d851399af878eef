"""Scheduling: the schedule syntax, due runs on a controlled clock, missed runs coalesced on restart, pause
and resume kept in state.db, one run per source, and the bound on harvests running at once."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

import pytest

from harvester import operations
from harvester.context import Context
from harvester.errors import ScheduleError, SourceBusy
from harvester.model import JobStatus, Source
from harvester.scheduler import RunPhase, RunReason, parse_schedule
from tests.conftest import make_settings
from tests.gated_portal import RecordingServer, gated_ckan

T0 = datetime(2025, 3, 1, 0, 0, tzinfo=timezone.utc)  # 08:00 in Jinan


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.mark.parametrize("text, after, expected", [
    ("0 3 * * *", T0, datetime(2025, 3, 1, 19, 0, tzinfo=timezone.utc)),  # 03:00 Asia/Shanghai
    ("*/30 * * * *", T0, T0 + timedelta(minutes=30)),
    ("15 2 * * mon-fri", T0, datetime(2025, 3, 2, 18, 15, tzinfo=timezone.utc)),  # Sat 08:00 → Mon 02:15
    ("every 6h", T0, T0 + timedelta(hours=6)),
    ("every 30m", T0, T0 + timedelta(minutes=30)),
    ("every 2d", T0, T0 + timedelta(days=2)),
    ("  EVERY   6H ", T0, T0 + timedelta(hours=6)),
])
def test_schedules_are_cron_lines_or_intervals(text: str, after: datetime, expected: datetime) -> None:
    assert parse_schedule(text).next_after(after) == expected


@pytest.mark.parametrize("text", ["daily", "every 0h", "every 5x", "61 * * * *", "0 3 * *", "", "every h"])
def test_a_bad_schedule_is_refused_saying_what_is_accepted(text: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(text)
    assert "cron" in str(caught.value) or "interval" in str(caught.value)


def test_a_cron_time_exactly_now_is_not_run_again() -> None:
    at_three = datetime(2025, 3, 1, 19, 0, tzinfo=timezone.utc)
    assert parse_schedule("0 3 * * *").next_after(at_three) == at_three + timedelta(days=1)


# --- the scheduler on a controlled clock ---------------------------------------------------------------
@pytest.fixture
def gate() -> Iterator[threading.Event]:
    event = threading.Event()
    event.set()
    yield event
    event.set()


@pytest.fixture
def portals(gate: threading.Event) -> Iterator[list[RecordingServer]]:
    servers = [gated_ckan(gate) for _ in range(3)]
    yield servers
    for server in servers:
        server.stop()


def open_ctx(data: Path, **values: object) -> Context:
    return Context(make_settings(data, **values))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def scheduled(ctx: Context, clock: Clock) -> operations.Harvests:
    running = operations.harvests(ctx)
    running.scheduler.clock = clock
    return running


def add_source(ctx: Context, url: str, source_id: str = "jtj", schedule: str | None = "every 1h") -> None:
    ctx.state.save_source(Source(source_id, "ckan", url, "交通运输局", schedule=schedule))


def finish(runs: list[operations.ActiveRun]) -> None:
    for run in runs:
        run.wait(30)


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def reasons(ctx: Context, source_id: str = "jtj") -> list[str]:
    return [ctx.state.job_reason(j.id) for j in reversed(ctx.state.jobs(source_id))]


def test_a_source_runs_when_its_time_comes_and_not_before(data: Path, portals) -> None:
    ctx = open_ctx(data)
    clock = Clock(T0)
    add_source(ctx, portals[0].url)
    running = scheduled(ctx, clock)
    assert running.scheduler.tick() == []  # a new schedule counts from now
    [info] = operations.schedules(ctx)
    assert info.next_run == T0 + timedelta(hours=1) and not info.paused
    clock.advance(minutes=59)
    assert running.scheduler.tick() == []
    clock.advance(minutes=1)
    runs = running.scheduler.tick()
    assert [(r.source_id, r.reason) for r in runs] == [("jtj", RunReason.SCHEDULE)]
    finish(runs)
    assert running.scheduler.tick() == []
    [info] = operations.schedules(ctx)
    assert (info.next_run, info.last_run) == (T0 + timedelta(hours=2), T0 + timedelta(hours=1))
    assert ctx.state.jobs("jtj")[0].status == JobStatus.SUCCEEDED
    running.pool.shutdown()
    ctx.close()


def test_runs_missed_while_down_run_once_on_restart(data: Path, portals) -> None:
    ctx = open_ctx(data)
    clock = Clock(T0)
    add_source(ctx, portals[0].url)
    scheduled(ctx, clock).scheduler.tick()
    operations.harvests(ctx).pool.shutdown()
    ctx.close()
    # a restart before the time comes keeps the stored time
    ctx = open_ctx(data)
    clock.advance(minutes=30)
    assert scheduled(ctx, clock).scheduler.tick() == []
    assert operations.schedules(ctx)[0].next_run == T0 + timedelta(hours=1)
    operations.harvests(ctx).pool.shutdown()
    ctx.close()
    # down for ten hours: ten runs missed, one made up
    ctx = open_ctx(data)
    clock.advance(hours=10)
    running = scheduled(ctx, clock)
    runs = running.scheduler.tick()
    assert [r.reason for r in runs] == [RunReason.MISSED]
    finish(runs)
    assert running.scheduler.tick() == []
    assert reasons(ctx) == ["missed"]
    assert operations.schedules(ctx)[0].next_run == clock.now + timedelta(hours=1)
    running.pool.shutdown()
    ctx.close()


def test_pause_holds_across_restarts_and_resume_counts_from_now(data: Path, portals) -> None:
    ctx = open_ctx(data)
    clock = Clock(T0)
    add_source(ctx, portals[0].url)
    scheduled(ctx, clock).scheduler.tick()
    operations.pause(ctx, "jtj")
    operations.harvests(ctx).pool.shutdown()
    ctx.close()
    ctx = open_ctx(data)
    running = scheduled(ctx, clock)
    clock.advance(hours=5)
    assert running.scheduler.tick() == []
    [info] = operations.schedules(ctx)
    assert info.paused and info.next_run is None
    operations.resume(ctx, "jtj")
    assert operations.schedules(ctx)[0].next_run == clock.now + timedelta(hours=1)
    assert running.scheduler.tick() == []  # paused-over times are not made up
    clock.advance(hours=1)
    finish(running.scheduler.tick())
    assert reasons(ctx) == ["schedule"]
    with pytest.raises(KeyError):
        operations.pause(ctx, "nope")
    running.pool.shutdown()
    ctx.close()


def test_a_source_never_runs_twice_at_once(data: Path, portals, gate: threading.Event) -> None:
    ctx = open_ctx(data)
    clock = Clock(T0)
    add_source(ctx, portals[0].url, schedule="every 1m")
    running = scheduled(ctx, clock)
    running.scheduler.tick()
    gate.clear()
    first = operations.run_now(ctx, "jtj")
    assert first.wait_started(10) is not None and first.phase == RunPhase.RUNNING
    with pytest.raises(SourceBusy):
        operations.run_now(ctx, "jtj")
    clock.advance(minutes=1)
    assert running.scheduler.tick() == []  # the scheduled time came during the run: skipped
    assert list(operations.active_runs(ctx)) == ["jtj"]
    gate.set()
    assert first.wait(30).status == JobStatus.SUCCEEDED
    assert reasons(ctx) == ["manual"]
    assert operations.active_runs(ctx) == {}
    running.pool.shutdown()
    ctx.close()


def test_at_most_the_configured_number_of_harvests_run_at_once(data: Path, portals, gate: threading.Event) -> None:
    ctx = open_ctx(data, harvest_concurrency=2)
    for i, server in enumerate(portals):
        add_source(ctx, server.url, f"s{i}", schedule=None)
    gate.clear()
    runs = [operations.run_now(ctx, f"s{i}") for i in range(3)]
    runs[0].wait_started(10), runs[1].wait_started(10)
    phases = sorted(r.phase.value for r in runs)
    assert phases == ["queued", "running", "running"]
    assert wait_until(lambda: sum(1 for s in portals if s.seen) == 2)  # two portals asked at once …
    assert runs[2].job is None and not portals[2].seen  # … the third waits its turn
    gate.set()
    assert [r.wait(30).status for r in runs] == [JobStatus.SUCCEEDED] * 3
    jobs = sorted(ctx.state.jobs(), key=lambda j: j.started)
    assert jobs[2].started >= min(jobs[0].finished, jobs[1].finished)  # the third waited for a slot
    operations.harvests(ctx).pool.shutdown()
    ctx.close()


def test_an_invalid_or_changed_schedule(data: Path, portals) -> None:
    ctx = open_ctx(data)
    clock = Clock(T0)
    add_source(ctx, portals[0].url, schedule="at three")  # saved by an older version, say
    running = scheduled(ctx, clock)
    assert running.scheduler.tick() == []
    [info] = operations.schedules(ctx)
    assert info.error and "cron" in info.error and info.next_run is None
    add_source(ctx, portals[0].url, schedule="every 2h")
    clock.advance(hours=1)
    running.scheduler.tick()
    assert operations.schedules(ctx)[0].next_run == clock.now + timedelta(hours=2)
    add_source(ctx, portals[0].url, schedule="every 30m")  # changed: counts from now, not from the old time
    clock.advance(minutes=10)
    running.scheduler.tick()
    assert operations.schedules(ctx)[0].next_run == clock.now + timedelta(minutes=30)
    running.pool.shutdown()
    ctx.close()
