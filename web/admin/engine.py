"""What the admin pages ask of the engine, as the pages show it: source health, run now, deletions, links.

Everything goes through harvester.operations (the same functions the CLI uses), so a run started here
and the scheduler's runs share one pool and a source never runs twice at once.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

from harvester import operations
from harvester.context import Context
from harvester.trust.register import QualityPoint
from harvester.http import PoliteClient
from harvester.model import Job, JobStatus, RecordError, RemoteRef, Source
from harvester.scheduler import RunPhase, ScheduleInfo
from harvester.sources import open_source

log = logging.getLogger(__name__)

#: jobs drawn in a source's trend
TREND_JOBS = 10
#: how long "run now" waits for its job to be registered before answering without the job's number
START_WAIT_SECONDS = 5.0
#: how long it waits before taking a run still queued for one waiting for a free slot
QUEUE_GRACE_SECONDS = 0.5


class Health(str, enum.Enum):
    """A source's state at a glance: running now, switched off, or how its newest job ended."""

    NEVER_RUN = "never_run"
    QUEUED = "queued"
    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"
    FAILING = "failing"
    NEEDS_CONFIRMATION = "needs_confirmation"
    INTERRUPTED = "interrupted"
    DISABLED = "disabled"


_HEALTH_OF_STATUS = {
    JobStatus.RUNNING: Health.RUNNING, JobStatus.SUCCEEDED: Health.OK, JobStatus.PARTIAL: Health.PARTIAL,
    JobStatus.FAILED: Health.FAILING, JobStatus.NEEDS_CONFIRMATION: Health.NEEDS_CONFIRMATION,
    JobStatus.INTERRUPTED: Health.INTERRUPTED,
}
#: jobs whose listing was read to its end: their "listed" counts compare
_COMPLETE = (JobStatus.SUCCEEDED, JobStatus.PARTIAL, JobStatus.NEEDS_CONFIRMATION)


@dataclass(frozen=True)
class SourceRow:
    """One source on the operator pages (operations.SourceHealth, plus what the pages derive from it)."""

    status: operations.SourceHealth
    #: the source's quality after its last assessments, oldest first (harvester.trust.assess)
    quality: list[QualityPoint] = field(default_factory=list)

    @property
    def source(self) -> Source:
        return self.status.source

    @property
    def datasets(self) -> int:
        return self.status.datasets

    @property
    def last_job(self) -> Job | None:
        return self.status.last_job

    @property
    def errors(self) -> int:
        return self.status.errors

    @property
    def schedule(self) -> ScheduleInfo | None:
        return self.status.schedule

    @property
    def trend(self) -> list[operations.TrendPoint]:
        """Finished jobs, oldest first."""
        return [p for p in self.status.trend if p.status != JobStatus.RUNNING]

    @property
    def health(self) -> Health:
        active = self.status.active
        if active is not None and active.phase in (RunPhase.QUEUED, RunPhase.RUNNING):
            return Health.QUEUED if active.phase == RunPhase.QUEUED else Health.RUNNING
        last = self.last_job
        if last is not None and last.status == JobStatus.RUNNING:  # run by another process
            return Health.RUNNING
        if not self.source.enabled:
            return Health.DISABLED
        return Health.NEVER_RUN if last is None else _HEALTH_OF_STATUS[last.status]

    @property
    def listed_change(self) -> int | None:
        """Records the portal listed in the newest complete job minus in the one before (None: too few jobs)."""
        complete = [p for p in self.trend if p.status in _COMPLETE]
        return complete[-1].listed - complete[-2].listed if len(complete) > 1 else None


def sources_health(ctx: Context) -> list[SourceRow]:
    return [SourceRow(h, ctx.trust.quality_history(h.source.id, limit=TREND_JOBS))
            for h in operations.source_health(ctx, trend_jobs=TREND_JOBS)]


def source_health(ctx: Context, source_id: str) -> SourceRow:
    """One source's row; KeyError for an unknown source."""
    for row in sources_health(ctx):
        if row.source.id == source_id:
            return row
    raise KeyError(source_id)


def save_source(ctx: Context, source: Source) -> None:
    """Keep an operator's source (added or changed in the admin pages) in state.db; the scheduler reads
    the sources on every tick, so a new or changed schedule applies from its next tick."""
    ctx.state.save_source(source)


def run_now(ctx: Context, source: Source, full: bool = False) -> int | None:
    """Start a harvest of ``source``; its job id once registered (None while it waits for a free slot).

    Raises SourceBusy if the source is queued or running already."""
    run = operations.run_now(ctx, source.id, full=full)
    job_id = run.wait_started(QUEUE_GRACE_SECONDS)
    if job_id is None and run.phase != RunPhase.QUEUED:
        job_id = run.wait_started(START_WAIT_SECONDS)
    return job_id


def wait_for_runs(ctx: Context, timeout: float = 60.0) -> None:
    """Block until the harvests queued or running in this process have ended."""
    for run in operations.active_runs(ctx).values():
        if run.future is not None:
            run.future.result(timeout)


def original_links(ctx: Context, source: Source | None, errors: list[RecordError]) -> list[str | None]:
    """For each error, the record's page on its portal: the URL recorded with it, else the one its
    source type makes from the record's id."""
    links: list[str | None] = [e.url for e in errors]
    wanted = [i for i, e in enumerate(errors) if not e.url and e.remote_id]
    if source is None or not wanted:
        return links
    client = PoliteClient.from_settings(ctx.settings)
    try:
        portal = open_source(source, client, ctx.settings)
        for i in wanted:
            links[i] = portal.original_url(RemoteRef(str(errors[i].remote_id)), None)
    except ValueError as exc:  # an unknown source type or a mapping that no longer loads: no links
        log.warning("no record links for source %s: %s", source.id, exc)
    finally:
        client.close()
    return links
