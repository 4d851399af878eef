"""What operators can do to a running harvester, in one place: the admin pages and the CLI call these.

Every function takes the process's Context. Harvests started here run in this process's ``HarvestPool``
(``harvester serve`` starts its scheduler on the same pool), so "run now", the scheduler and deletion
decisions all see one another: a source never runs twice at once.

    run_now(ctx, source_id, full=False) -> ActiveRun     non-blocking; SourceBusy if queued or running
    active_runs(ctx) -> dict[str, ActiveRun]             harvests queued or running in this process
    pause(ctx, source_id) / resume(ctx, source_id)       the source's schedule (a running job goes on)
    schedules(ctx) -> list[ScheduleInfo]                 every source's schedule with its next run time
    job_status(ctx, job_id) -> JobView                   a job, with live counts while it runs
    pending_deletions(ctx, job_id) -> PendingDeletions   what a needs_confirmation job would delete
    confirm_deletions(ctx, job_id) / reject_deletions(ctx, job_id) -> DeletionOutcome
    source_health(ctx, trend_jobs=10) -> list[SourceHealth]

Refusals raise ``harvester.errors.OperationRefused`` (``SourceBusy``, ``ScheduleError``) with a message
meant for the operator; an unknown source raises KeyError.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from datetime import datetime

from harvester import deletions
from harvester.context import Context
from harvester.deletions import DeletionOutcome, PendingDeletions
from harvester.errors import OperationRefused, SourceBusy
from harvester.model import Job, JobStatus, Source
from harvester.scheduler import (
    ActiveRun,
    HarvestPool,
    HarvestScheduler,
    RunPhase,
    RunReason,
    ScheduleInfo,
)

__all__ = ["ActiveRun", "DeletionOutcome", "Harvests", "JobView", "PendingDeletions", "RunPhase", "RunReason",
           "ScheduleInfo", "SourceHealth", "active_runs", "confirm_deletions", "harvests", "job_status", "pause",
           "pending_deletions", "reject_deletions", "resume", "run_now", "schedules", "source_health"]


@dataclass
class Harvests:
    """The harvest pool and scheduler of one Context (one per process in practice)."""

    pool: HarvestPool
    scheduler: HarvestScheduler


_HARVESTS: weakref.WeakKeyDictionary[Context, Harvests] = weakref.WeakKeyDictionary()
_HARVESTS_LOCK = threading.Lock()


def harvests(ctx: Context) -> Harvests:
    """This Context's pool and scheduler, made on first use (the scheduler's timer starts only in serve)."""
    with _HARVESTS_LOCK:
        found = _HARVESTS.get(ctx)
        if found is None:
            pool = HarvestPool(ctx, int(ctx.settings["harvest.concurrency"]))
            found = _HARVESTS[ctx] = Harvests(pool, HarvestScheduler(ctx, pool))
        return found


# --- running ---------------------------------------------------------------------------------------
def run_now(ctx: Context, source_id: str, full: bool = False) -> ActiveRun:
    """Queue a harvest of the source now and return at once (``ActiveRun.wait()`` blocks until it ends).

    SourceBusy if the source is queued or running (here, or in another process seen in state.db)."""
    source = ctx.source(source_id)
    for running in ctx.state.running_jobs():
        if running.source_id == source_id:
            raise SourceBusy(f"source {source_id!r} is being harvested by job {running.id}")
    return harvests(ctx).pool.start(source, RunReason.MANUAL, full=full)


def active_runs(ctx: Context) -> dict[str, ActiveRun]:
    """Harvests queued or running in this process, by source id."""
    return harvests(ctx).pool.active()


# --- schedules -------------------------------------------------------------------------------------
def pause(ctx: Context, source_id: str) -> None:
    """Stop starting the source on its schedule (kept across restarts); a running job is not stopped."""
    harvests(ctx).scheduler.pause(source_id)


def resume(ctx: Context, source_id: str) -> None:
    """Schedule the source again from its next time after now."""
    harvests(ctx).scheduler.resume(source_id)


def schedules(ctx: Context) -> list[ScheduleInfo]:
    """Every source: its schedule text, paused or not, next and last run time, or the schedule's error."""
    return harvests(ctx).scheduler.schedules()


# --- jobs ------------------------------------------------------------------------------------------
@dataclass
class JobView:
    """A job as operators see it. While it runs in this process, ``job.counts`` are the live counts;
    a job running in another process shows the counts of its last committed batch."""

    job: Job
    #: why it started: "schedule", "missed", "manual" (CLI and "run now")
    reason: str
    live: bool
    #: when the job last made progress (a committed batch), for jobs still running
    heartbeat: datetime | None
    error_count: int
    pending_deletions: int
    deletion_decision: dict[str, object] | None = None


def job_status(ctx: Context, job_id: int) -> JobView:
    """One job with its live counts if it runs in this process; OperationRefused if there is no such job."""
    stored = ctx.state.job(job_id)
    if stored is None:
        raise OperationRefused(f"no job {job_id}")
    job, live = stored, False
    run = active_runs(ctx).get(stored.source_id)
    if run is not None and run.result is None and run.job is not None and run.job.id == job_id:
        job, live = run.job, True  # (a finished job's run may still be validating what it changed)
        job.errors = stored.errors
    return JobView(job, ctx.state.job_reason(job_id), live, ctx.state.job_heartbeat(job_id),
                   ctx.state.error_count(job_id), len(ctx.state.pending_deletions(job_id)),
                   ctx.state.deletion_decision(job_id))


# --- deletions -------------------------------------------------------------------------------------
def pending_deletions(ctx: Context, job_id: int) -> PendingDeletions:
    """The records a needs_confirmation job would delete, each re-checked (``still_unlisted``)."""
    return deletions.pending(ctx, job_id)


def confirm_deletions(ctx: Context, job_id: int) -> DeletionOutcome:
    """Delete the held-back records that are still unlisted and stored (from store, index and state)."""
    job = deletions.pending(ctx, job_id).job
    with harvests(ctx).pool.reserved(job.source_id):
        return deletions.confirm(ctx, job_id)


def reject_deletions(ctx: Context, job_id: int) -> DeletionOutcome:
    """Keep the held-back records; the next complete harvest asks again if the portal still lacks them."""
    job = deletions.pending(ctx, job_id).job
    with harvests(ctx).pool.reserved(job.source_id):
        return deletions.reject(ctx, job_id)


# --- health ----------------------------------------------------------------------------------------
@dataclass
class SourceHealth:
    """A source at a glance: its last job, datasets stored, errors of the last job, and its trend."""

    source: Source
    datasets: int
    last_job: Job | None
    #: errors recorded by the last job
    errors: int
    #: the last jobs, oldest first: (job id, status, records listed, added, updated, deleted, failed)
    trend: list[TrendPoint] = field(default_factory=list)
    schedule: ScheduleInfo | None = None
    #: queued or running in this process now
    active: ActiveRun | None = None

    @property
    def status(self) -> str:
        """The last job's status, "queued"/"running" while active, or "never_run"."""
        if self.active is not None:
            return self.active.phase.value
        return self.last_job.status.value if self.last_job else "never_run"


@dataclass(frozen=True)
class TrendPoint:
    job_id: int
    status: JobStatus
    listed: int
    added: int
    updated: int
    deleted: int
    failed: int
    duration: float | None


def source_health(ctx: Context, trend_jobs: int = 10) -> list[SourceHealth]:
    """Every source's health, in the order of ``ctx.sources()``."""
    counts = ctx.state.record_counts()
    by_source = {s.source_id: s for s in schedules(ctx)}
    active = active_runs(ctx)
    out = []
    for source in ctx.sources():
        recent = ctx.state.jobs(source.id, limit=trend_jobs)
        last = recent[0] if recent else None
        trend = [TrendPoint(j.id, j.status, j.counts.seen, j.counts.added, j.counts.updated, j.counts.deleted,
                            j.counts.failed, j.duration) for j in reversed(recent)]
        out.append(SourceHealth(source, counts.get(source.id, 0), last,
                                ctx.state.error_count(last.id) if last else 0, trend,
                                by_source.get(source.id), active.get(source.id)))
    return out
