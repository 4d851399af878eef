"""``/admin/api/…``: JSON for scripts (``Authorization: Bearer TOKEN``): list sources, run one, follow a job."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from harvester import operations
from harvester.errors import OperationRefused, SourceBusy
from harvester.model import Job
from web import harvester_context
from web.admin import engine

bp = Blueprint("api", __name__, url_prefix="/api")

#: failed records listed in a job's JSON (the job page pages through all of them)
API_ERRORS = 100
API_JOBS = (50, 200, 1000)


@bp.get("/sources")
def sources() -> Response:
    ctx = harvester_context()
    return _no_store(jsonify({"sources": [_source_json(row) for row in engine.sources_health(ctx)]}))


@bp.post("/sources/<source_id>/run")
def run_source(source_id: str) -> tuple[Response, int] | Response:
    ctx = harvester_context()
    try:
        source = ctx.source(source_id)
    except KeyError:
        return _error(404, f"no source {source_id!r}")
    try:
        job_id = engine.run_now(ctx, source, full=_flag("full"))
    except SourceBusy as exc:
        return _error(409, str(exc))
    url = url_for(".job", job_id=job_id, _external=True) if job_id is not None else None
    response = _no_store(jsonify({"source": source.id, "job": job_id, "url": url}))
    if url:
        response.headers["Location"] = url
    return response, 202


@bp.get("/jobs")
def jobs() -> Response:
    ctx = harvester_context()
    limit = request.args.get("limit", API_JOBS[0], type=int)
    limit = limit if limit in API_JOBS else API_JOBS[0]
    found = ctx.state.jobs(request.args.get("source") or None, limit=limit)
    return _no_store(jsonify({"jobs": [job_json(j) for j in found]}))


@bp.get("/jobs/<int:job_id>")
def job(job_id: int) -> tuple[Response, int] | Response:
    ctx = harvester_context()
    try:
        view = operations.job_status(ctx, job_id)
    except OperationRefused:
        return _error(404, f"no job {job_id}")
    body = job_json(view.job)
    body.update(reason=view.reason, live=view.live, errors_total=view.error_count,
                pending_deletions=view.pending_deletions, deletion_decision=view.deletion_decision,
                heartbeat=view.heartbeat.isoformat() if view.heartbeat else None)
    body["errors"] = [{"stage": e.stage.value, "remote_id": e.remote_id, "url": e.url, "message": e.message}
                      for e in view.job.errors[:API_ERRORS]]
    return _no_store(jsonify(body))


def job_json(job: Job) -> dict[str, Any]:
    c = job.counts
    return {"id": job.id, "source": job.source_id, "status": job.status.value,
            "started": job.started.isoformat(), "finished": job.finished.isoformat() if job.finished else None,
            "duration": job.duration, "incremental": job.incremental, "message": job.message,
            "counts": {"added": c.added, "updated": c.updated, "unchanged": c.unchanged, "deleted": c.deleted,
                       "failed": c.failed}}


def _source_json(row: engine.SourceRow) -> dict[str, Any]:
    s, schedule = row.source, row.schedule
    return {"id": s.id, "title": s.title, "type": s.type, "url": s.url, "schedule": s.schedule,
            "enabled": s.enabled, "origin": s.origin, "datasets": row.datasets, "health": row.health.value,
            "errors": row.errors, "listed_change": row.listed_change,
            "paused": bool(schedule and schedule.paused),
            "next_run": schedule.next_run.isoformat() if schedule and schedule.next_run else None,
            "last_job": job_json(row.last_job) if row.last_job else None}


def _flag(name: str) -> bool:
    value = request.args.get(name) or (request.get_json(silent=True) or {}).get(name)
    return str(value).lower() in ("1", "true", "yes", "on")


def _error(status: int, message: str) -> tuple[Response, int]:
    return _no_store(jsonify({"error": message})), status


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
