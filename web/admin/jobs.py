"""``/admin/jobs``: job history, one job's report with its failed records, and the deletion confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from harvester import operations
from harvester.context import Context
from harvester.deletions import Decision, DeletionOutcome
from harvester.errors import OperationRefused
from harvester.model import Job, JobStatus, RecordError, Source
from web import harvester_context
from web.admin import engine
from web.admin.i18n import admin_gettext as _

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

HISTORY_LIMITS = (50, 200, 1000)
ERRORS_PER_PAGE = 100
DELETIONS_PER_PAGE = 100
#: seconds between reloads of the page of a running job
REFRESH_SECONDS = 2


@dataclass(frozen=True)
class ErrorRow:
    error: RecordError
    #: the record's page on its portal
    original: str | None
    #: the record's page on this site, when a version of it is stored
    local: str | None


@dataclass(frozen=True)
class Paging:
    page: int
    pages: int
    total: int

    @classmethod
    def of(cls, total: int, per_page: int) -> Paging:
        pages = max(1, ceil(total / per_page))
        page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
        return cls(page, pages, total)

    def window(self, per_page: int) -> slice:
        return slice((self.page - 1) * per_page, self.page * per_page)


@bp.get("/")
def index() -> str:
    ctx = harvester_context()
    source_id = request.args.get("source") or None
    limit = request.args.get("limit", HISTORY_LIMITS[0], type=int)
    limit = limit if limit in HISTORY_LIMITS else HISTORY_LIMITS[0]
    return render_template("admin/jobs.html", jobs=ctx.state.jobs(source_id, limit=limit), source_id=source_id,
                           limit=limit, limits=HISTORY_LIMITS, sources=[s.id for s in ctx.sources()])


@bp.get("/<int:job_id>")
def show(job_id: int) -> str:
    ctx = harvester_context()
    view = _job_view_or_404(ctx, job_id)
    job = view.job
    source = _source_of(ctx, job)
    paging = Paging.of(len(job.errors), ERRORS_PER_PAGE)
    errors = job.errors[paging.window(ERRORS_PER_PAGE)]
    return render_template("admin/job.html", view=view, job=job, source=source, paging=paging,
                           errors=_error_rows(ctx, source, job, errors),
                           refresh=REFRESH_SECONDS if job.status == JobStatus.RUNNING else None)


@bp.get("/<int:job_id>/deletions")
def deletions(job_id: int) -> str:
    ctx = harvester_context()
    try:
        pending = operations.pending_deletions(ctx, job_id)
    except OperationRefused:
        abort(404)
    waiting = pending.job.status == JobStatus.NEEDS_CONFIRMATION and bool(pending.records)
    paging = Paging.of(len(pending.records), DELETIONS_PER_PAGE)
    return render_template("admin/deletions.html", job=pending.job, waiting=waiting, paging=paging,
                           records=pending.records[paging.window(DELETIONS_PER_PAGE)],
                           still_unlisted=sum(r.still_unlisted for r in pending.records),
                           decision=pending.decision)


@bp.post("/<int:job_id>/deletions/confirm")
def confirm_deletions(job_id: int) -> Response:
    return _decide(job_id, operations.confirm_deletions)


@bp.post("/<int:job_id>/deletions/reject")
def reject_deletions(job_id: int) -> Response:
    return _decide(job_id, operations.reject_deletions)


def _decide(job_id: int, decide: Callable[[Context, int], DeletionOutcome]) -> Response:
    ctx = harvester_context()
    _job_view_or_404(ctx, job_id)
    try:
        outcome = decide(ctx, job_id)
    except OperationRefused as exc:
        flash(_("admin.flash.decision_refused", reason=str(exc)), "error")
        return redirect(url_for(".deletions", job_id=job_id))
    key = "admin.flash.deletions_confirmed" if outcome.decision == Decision.CONFIRMED else "admin.flash.deletions_rejected"
    flash(_(key, deleted=outcome.deleted, kept=outcome.kept), "ok")
    return redirect(url_for(".show", job_id=job_id))


# --- helpers ---------------------------------------------------------------------------------------

def _job_view_or_404(ctx: Context, job_id: int) -> operations.JobView:
    try:
        return operations.job_status(ctx, job_id)
    except OperationRefused:
        abort(404)


def _source_of(ctx: Context, job: Job) -> Source | None:
    try:
        return ctx.source(job.source_id)
    except KeyError:  # the source was removed since; its jobs stay in the history
        return None


def _error_rows(ctx: Context, source: Source | None, job: Job, errors: list[RecordError]) -> list[ErrorRow]:
    originals = engine.original_links(ctx, source, errors)
    known = ctx.state.records_by_remote_id(job.source_id, [e.remote_id for e in errors if e.remote_id])
    rows = []
    for error, original in zip(errors, originals):
        stored = known.get(error.remote_id or "")
        local = url_for("dataset.show", source_id=job.source_id, key=stored.key) if stored else None
        rows.append(ErrorRow(error, original, local))
    return rows
