"""Harvests on a schedule inside ``harvester serve``: a bounded number at a time, never two of one source.

A source's ``schedule`` is one of two forms, checked by ``parse_schedule`` and nowhere else:

- a five-field cron line ``minute hour day-of-month month day-of-week`` in ``schedule.timezone``:
  ``0 3 * * *`` (03:00 every day), ``*/30 * * * *``, ``15 2 * * mon-fri``;
- ``every N`` with a unit ``m`` (minutes), ``h`` (hours) or ``d`` (days): ``every 30m``, ``every 6h``.

Each source's next run time is kept in state.db (table ``schedules``), so schedules survive restarts; a run
missed while the server was down runs once when it starts again (coalesced: once, however many were
missed). APScheduler's background thread calls ``HarvestScheduler.tick`` every ``schedule.tick_seconds``;
``tick`` reads the time from a clock the tests control. ``HarvestPool`` runs the harvests: at most
``harvest.concurrency`` at once, one per source ("run now" during a scheduled run is refused).
"""

from __future__ import annotations

import enum
import logging
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from harvester.errors import ScheduleError, SourceBusy
from harvester.model import Job, Source
from harvester.state import ScheduleRow, utcnow

if TYPE_CHECKING:
    from harvester.context import Context
    from harvester.jobs import JobRunner

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
#: the state.db schedule row of the link checks (not a source id: ids cannot start with "_")
LINK_CHECK_ROW = "_link_check"
_EVERY = re.compile(r"^every\s+(\d+)\s*([mhd])$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Schedule:
    """A validated schedule: a cron line or a fixed interval."""

    text: str
    cron: CronTrigger | None = None
    interval: timedelta | None = None

    def next_after(self, moment: datetime) -> datetime:
        """The first run time strictly after ``moment`` (UTC)."""
        if self.interval is not None:
            return moment + self.interval
        assert self.cron is not None
        after = moment.replace(microsecond=0) + timedelta(seconds=1)
        fire = self.cron.get_next_fire_time(None, after)
        if fire is None:  # a cron line naming an impossible date, e.g. 31 February
            raise ScheduleError(f"schedule {self.text!r} never fires")
        return fire.astimezone(timezone.utc)


def parse_schedule(text: str, tz: str = "Asia/Shanghai") -> Schedule:
    """A Schedule from a cron line or ``every N{m,h,d}``; ScheduleError saying what is accepted otherwise."""
    text = " ".join(str(text or "").split())
    if (match := _EVERY.match(text)) is not None:
        amount = int(match[1])
        if amount < 1:
            raise ScheduleError(f"schedule {text!r}: the interval must be at least 1")
        return Schedule(text, interval=timedelta(**{_UNITS[match[2].lower()]: amount}))
    if len(text.split(" ")) != 5:
        raise ScheduleError(f"schedule {text!r} is neither a five-field cron line ('0 3 * * *': minute hour "
                            "day month weekday) nor an interval ('every 30m', 'every 6h', 'every 1d')")
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"unknown schedule.timezone {tz!r}") from exc
    try:
        return Schedule(text, cron=CronTrigger.from_crontab(text, timezone=zone))
    except ValueError as exc:
        raise ScheduleError(f"schedule {text!r} is not a valid cron line: {exc}") from exc


class RunReason(str, enum.Enum):
    """Why a job was started."""

    SCHEDULE = "schedule"
    #: the schedule fired while the server was down: run once on start
    MISSED = "missed"
    MANUAL = "manual"
    #: a check of the source's distribution URLs (``trust.link_check_every``), not a harvest
    LINK_CHECK = "link_check"


class RunPhase(str, enum.Enum):
    QUEUED = "queued"  # waiting for one of the harvest.concurrency slots
    RUNNING = "running"
    #: the job has ended; the records it changed are being validated and scored (harvester.trust.assess)
    VALIDATING = "validating"
    DONE = "done"


@dataclass
class ActiveRun:
    """A harvest queued or running in this process; ``job`` gives its live counts once it runs."""

    source_id: str
    reason: RunReason
    queued: datetime
    phase: RunPhase = RunPhase.QUEUED
    runner: JobRunner | None = None
    result: Job | None = None
    future: Future[Job | None] | None = field(default=None, repr=False)
    started: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def job_id(self) -> int | None:
        job = self.job
        return job.id if job is not None else None

    def wait_started(self, timeout: float | None = None) -> int | None:
        """Block until the job is registered in state.db (it may wait in the queue); its id, or None."""
        self.started.wait(timeout)
        return self.job_id

    @property
    def job(self) -> Job | None:
        """The job with its counts so far (updated per batch), or None while queued."""
        return self.result or (self.runner.job if self.runner is not None else None)

    def wait(self, timeout: float | None = None) -> Job | None:
        """Block until the run ends; its finished job (None if it could not start)."""
        assert self.future is not None
        return self.future.result(timeout)


class HarvestPool:
    """Runs harvests in threads of this process: at most ``concurrency`` at once, one per source."""

    def __init__(self, ctx: Context, concurrency: int) -> None:
        self.ctx = ctx
        self._executor = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="harvest")
        self._active: dict[str, ActiveRun] = {}
        self._lock = threading.Lock()
        self._closed = False

    def start(self, source: Source, reason: RunReason, full: bool = False,
              confirm_deletions: bool = False) -> ActiveRun:
        """Queue a harvest of ``source``; SourceBusy if it is queued or running already."""
        run = ActiveRun(source.id, reason, utcnow())
        with self._lock:
            if self._closed:
                raise SourceBusy("the server is shutting down")
            if source.id in self._active:
                raise SourceBusy(f"source {source.id!r} is already {self._active[source.id].phase.value}")
            self._active[source.id] = run
        run.future = self._executor.submit(self._run, run, source, full, confirm_deletions)
        return run

    def _run(self, run: ActiveRun, source: Source, full: bool, confirm_deletions: bool) -> Job | None:
        from harvester.jobs import JobRunner
        from harvester.trust.assess import after_harvest
        from harvester.trust.linkrun import check_links

        try:
            if run.reason == RunReason.LINK_CHECK:  # in the source's slot: no harvest writes its records meanwhile
                run.phase = RunPhase.RUNNING
                done = check_links(self.ctx, source.id)
                log.info("link check of %s: %d URLs checked, %d broken", source.id, done.checked, done.broken)
                return None
            run.runner = JobRunner(self.ctx, source, full=full, confirm_deletions=confirm_deletions,
                                   reason=run.reason.value, on_start=lambda job: run.started.set())
            run.phase = RunPhase.RUNNING
            run.result = run.runner.run()
            run.phase = RunPhase.VALIDATING
            after_harvest(self.ctx, source.id, run.result)  # validation and full quality of what changed
            return run.result
        except SourceBusy as exc:  # another process harvests it (seen in state.db)
            log.warning("%s run of %s skipped: %s", run.reason.value, source.id, exc)
            return None
        except Exception:  # noqa: BLE001 - a pool thread's failure must reach the log, not stay in a future
            log.exception("%s run of %s could not run", run.reason.value, source.id)
            return None
        finally:
            run.phase = RunPhase.DONE
            run.started.set()
            with self._lock:
                self._active.pop(source.id, None)

    def active(self) -> dict[str, ActiveRun]:
        """Runs queued or running now, by source id."""
        with self._lock:
            return dict(self._active)

    @contextmanager
    def reserved(self, source_id: str) -> Iterator[None]:
        """Hold the source as busy (no harvest starts) while an operator's change to it is carried out."""
        run = ActiveRun(source_id, RunReason.MANUAL, utcnow(), RunPhase.RUNNING)
        with self._lock:
            if source_id in self._active:
                raise SourceBusy(f"source {source_id!r} is {self._active[source_id].phase.value}; try when it ends")
            self._active[source_id] = run
        try:
            yield
        finally:
            with self._lock:
                self._active.pop(source_id, None)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Refuse new runs, ask running jobs to stop (they end 'interrupted'), wait up to ``timeout``."""
        with self._lock:
            self._closed = True
            runs = list(self._active.values())
        for run in runs:
            if run.runner is not None:
                run.runner.stop("the server is shutting down", interrupted=True)
        for run in runs:
            if run.future is not None:
                try:
                    run.future.result(timeout)
                except Exception:  # noqa: BLE001 - shutting down: say so and go on with the others
                    log.exception("harvest of %s did not end cleanly at shutdown", run.source_id)
        self._executor.shutdown(wait=False, cancel_futures=True)


@dataclass
class ScheduleInfo:
    """One source's schedule as operators see it."""

    source_id: str
    schedule: str | None
    paused: bool
    next_run: datetime | None
    last_run: datetime | None
    error: str | None = None


class HarvestScheduler:
    """Starts each scheduled source's harvest when its time comes (see the module docstring)."""

    def __init__(self, ctx: Context, pool: HarvestPool, clock: Clock = utcnow) -> None:
        self.ctx = ctx
        self.pool = pool
        self.clock = clock
        self._timer: Any = None
        self._tick_lock = threading.Lock()

    def schedule_of(self, source: Source) -> Schedule | None:
        """The source's parsed schedule; None if it has none; ScheduleError if it is invalid."""
        if not source.schedule:
            return None
        return parse_schedule(source.schedule, str(self.ctx.settings["schedule.timezone"]))

    def tick(self) -> list[ActiveRun]:
        """Start every due source once (missed runs coalesce into one) and store the next run times."""
        with self._tick_lock:
            now = self.clock()
            rows = self.ctx.state.schedule_rows()
            started = []
            for source in self.ctx.sources():
                run = self._tick_source(source, rows.get(source.id), now)
                if run is not None:
                    started.append(run)
            started += self._tick_links(rows.get(LINK_CHECK_ROW), now)
            return started

    def _tick_links(self, row: ScheduleRow | None, now: datetime) -> list[ActiveRun]:
        """Every enabled source's link check, when ``trust.link_check_every`` says it is time."""
        text = str(self.ctx.settings["trust.link_check_every"]).strip()
        if not text:
            return []
        try:
            schedule = parse_schedule(text, str(self.ctx.settings["schedule.timezone"]))
        except ScheduleError as exc:
            log.error("trust.link_check_every: %s; links are not checked", exc)
            return []
        if row is None or row.schedule != schedule.text or row.next_run is None:
            self.ctx.state.save_schedule(LINK_CHECK_ROW, schedule.text, schedule.next_after(now))
            return []
        if row.next_run > now:
            return []
        self.ctx.state.save_schedule(LINK_CHECK_ROW, schedule.text, schedule.next_after(now), last_run=now)
        runs = []
        for source in (s for s in self.ctx.sources() if s.enabled):
            try:
                runs.append(self.pool.start(source, RunReason.LINK_CHECK))
            except SourceBusy as exc:
                log.info("link check of %s skipped: %s", source.id, exc)
        return runs

    def _tick_source(self, source: Source, row: ScheduleRow | None, now: datetime) -> ActiveRun | None:
        try:
            schedule = self.schedule_of(source)
        except ScheduleError as exc:
            log.error("source %s: %s; it is not scheduled", source.id, exc)
            return None
        if schedule is None or not source.enabled:
            return None
        if row is None or row.schedule != schedule.text or row.next_run is None:
            self.ctx.state.save_schedule(source.id, schedule.text, schedule.next_after(now))
            return None  # a new or changed schedule starts counting now
        if row.paused or row.next_run > now:
            return None
        missed = now - row.next_run > timedelta(seconds=2 * float(self.ctx.settings["schedule.tick_seconds"]))
        self.ctx.state.save_schedule(source.id, schedule.text, schedule.next_after(now), last_run=now)
        try:
            return self.pool.start(source, RunReason.MISSED if missed else RunReason.SCHEDULE)
        except SourceBusy as exc:
            log.warning("scheduled run of %s skipped: %s", source.id, exc)
            return None

    def schedules(self) -> list[ScheduleInfo]:
        """Every source with its schedule, pause flag and next/last run time."""
        rows = self.ctx.state.schedule_rows()
        out = []
        for source in self.ctx.sources():
            row = rows.get(source.id)
            info = ScheduleInfo(source.id, source.schedule, bool(row and row.paused), None,
                                row.last_run if row is not None else None)
            try:
                schedule = self.schedule_of(source)
            except ScheduleError as exc:
                info.error = str(exc)
                schedule = None
            if schedule is not None and source.enabled and not info.paused:
                info.next_run = row.next_run if row is not None and row.schedule == schedule.text \
                    else schedule.next_after(self.clock())
            out.append(info)
        return out

    def pause(self, source_id: str) -> None:
        self.ctx.source(source_id)  # KeyError for an unknown source
        self.ctx.state.set_paused(source_id, True)

    def resume(self, source_id: str) -> None:
        """Resume; the next run is the schedule's next time from now (paused-over times are not made up)."""
        source = self.ctx.source(source_id)
        self.ctx.state.set_paused(source_id, False)
        schedule = self.schedule_of(source)
        if schedule is not None:
            self.ctx.state.save_schedule(source_id, schedule.text, schedule.next_after(self.clock()))

    # --- the background timer (APScheduler) ------------------------------------------------------
    def start(self) -> None:
        """Tick now (runs missed while down start at once), then every ``schedule.tick_seconds``."""
        from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
        from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

        self._timer = BackgroundScheduler(timezone=timezone.utc)
        self._timer.add_job(self._safe_tick, IntervalTrigger(seconds=float(self.ctx.settings["schedule.tick_seconds"])),
                            id="harvester-tick", coalesce=True, max_instances=1, next_run_time=datetime.now(timezone.utc))
        self._timer.start()

    def _safe_tick(self) -> None:
        try:
            self.tick()
        except Exception:  # noqa: BLE001 - the timer thread must go on; the failure is logged once here
            log.exception("scheduler tick failed")

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.shutdown(wait=False)
            self._timer = None
