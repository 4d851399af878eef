"""Deleting records a portal no longer lists: only after a complete gather, and past the guard only by an operator.

When a complete gather leaves more than ``harvest.delete_guard`` of a source unlisted, the job ends
``needs_confirmation`` and keeps the would-be deletions (state ``pending_deletions``). An operator then
confirms (``harvester deletions confirm JOB``) or rejects (``harvester deletions reject JOB``). Confirming
re-checks each record first: one that a later job saw again, or that is already gone, is kept or skipped.
Deleting is store → index → state, like writing, so a crash in between leaves the state behind the store
(the next start's recovery and the next harvest put it right), never ahead of it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from harvester.context import Context
from harvester.errors import OperationRefused, SourceBusy
from harvester.model import Job, JobStatus, Outcome, Source
from harvester.state import StoredRecord


class Decision(str, enum.Enum):
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@dataclass(frozen=True)
class PendingRecord:
    """A record a job would delete: its portal id, key, title (from the search index) and dataset IRI."""

    remote_id: str
    key: str
    title: str
    dataset_iri: str
    #: False when a later job saw it again or it is already gone: confirming would keep or skip it
    still_unlisted: bool


@dataclass(frozen=True)
class PendingDeletions:
    job: Job
    records: list[PendingRecord]
    #: the operator's decision once taken: {"decision", "decided", "deleted", "kept"}
    decision: dict[str, object] | None


@dataclass(frozen=True)
class DeletionOutcome:
    job_id: int
    decision: Decision
    deleted: int
    kept: int


def delete_records(ctx: Context, source_id: str, records: list[StoredRecord]) -> int:
    """Remove these records from the store, the search index and the state (in that order); how many."""
    if not records:
        return 0
    with ctx.state.unfinished_write(f"deleting {len(records)} records of {source_id}"):
        ctx.store.drop_graphs([ctx.iris.graph(source_id, r.key) for r in records])
        ctx.index.delete([f"{source_id}/{r.key}" for r in records])
        ctx.index.commit()
        ctx.trust.forget_records(source_id, [r.key for r in records])
        ctx.state.delete_records(source_id, [r.remote_id for r in records])
    return len(records)


def delete_unlisted(ctx: Context, source: Source, job: Job, confirmed: bool) -> None:
    """After a complete gather: delete what the job did not see, or hold it past the guard."""
    state = ctx.state
    unseen = state.unseen_records(source.id, job.id)
    if not unseen:
        return
    total = state.record_count(source.id)
    share = len(unseen) / max(total, 1)
    guard = float(ctx.settings["harvest.delete_guard"])
    if share > guard and not confirmed:
        state.save_pending_deletions(job.id, unseen)
        job.status = JobStatus.NEEDS_CONFIRMATION
        job.message = (f"{len(unseen)} of {total} datasets ({share:.0%}) are gone from the portal, more than "
                       f"the {guard:.0%} guard: nothing was deleted. See 'harvester jobs --show {job.id}', then "
                       f"'harvester deletions confirm {job.id}' or 'harvester deletions reject {job.id}'.")
        return
    job.counts.count(Outcome.DELETED, delete_records(ctx, source.id, unseen))


def pending(ctx: Context, job_id: int) -> PendingDeletions:
    """What job ``job_id`` would delete, each record re-checked against the state now."""
    job = _job(ctx, job_id)
    listed = ctx.state.pending_deletions(job_id)
    still = {r.remote_id for r in ctx.state.still_unseen(job.source_id, job_id, [rid for rid, _ in listed])}
    records = []
    for remote_id, key in listed:
        doc = ctx.index.get(f"{job.source_id}/{key}")
        records.append(PendingRecord(remote_id, key, doc.title if doc else "",
                                     ctx.iris.dataset(job.source_id, key), remote_id in still))
    return PendingDeletions(job, records, ctx.state.deletion_decision(job_id))


def confirm(ctx: Context, job_id: int) -> DeletionOutcome:
    """Delete what the job held back, re-checking each record: only those still unlisted and stored go."""
    job = _waiting_job(ctx, job_id)
    listed = ctx.state.pending_deletions(job_id)
    still = ctx.state.still_unseen(job.source_id, job_id, [rid for rid, _ in listed])
    deleted = delete_records(ctx, job.source_id, still)
    ctx.state.decide_deletions(job, Decision.CONFIRMED.value, deleted, len(listed) - deleted)
    return DeletionOutcome(job_id, Decision.CONFIRMED, deleted, len(listed) - deleted)


def reject(ctx: Context, job_id: int) -> DeletionOutcome:
    """Keep every record the job held back. The portal still does not list them, so the next complete
    harvest finds them gone again and asks again (unless the portal lists them by then)."""
    job = _waiting_job(ctx, job_id)
    kept = len(ctx.state.pending_deletions(job_id))
    ctx.state.decide_deletions(job, Decision.REJECTED.value, 0, kept)
    return DeletionOutcome(job_id, Decision.REJECTED, 0, kept)


def _job(ctx: Context, job_id: int) -> Job:
    job = ctx.state.job(job_id)
    if job is None:
        raise OperationRefused(f"no job {job_id}; see 'harvester jobs'")
    return job


def _waiting_job(ctx: Context, job_id: int) -> Job:
    job = _job(ctx, job_id)
    if job.status != JobStatus.NEEDS_CONFIRMATION:
        decided = ctx.state.deletion_decision(job_id)
        why = f"its deletions were already {decided['decision']}" if decided else f"it ended {job.status.value}"
        raise OperationRefused(f"job {job_id} is not waiting for a confirmation: {why}")
    for running in ctx.state.running_jobs():
        if running.source_id == job.source_id:
            raise SourceBusy(f"source {job.source_id!r} is being harvested (job {running.id}); decide when it ends")
    return job
