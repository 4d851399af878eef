"""``/admin/sources``: the sources with their health; add, edit, switch on or off, and run a source now.

Sources declared in the config file are shown read-only: changing them means editing the file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from harvester import operations
from harvester.context import Context
from harvester.errors import OperationRefused, SourceBusy
from harvester.model import Source
from harvester.source_form import FieldProblem, SourceFormError, validate_source
from harvester.sources import source_types
from harvester.trust.report import trust_report
from web import harvester_context
from web.admin import engine
from web.admin.i18n import admin_gettext as _

bp = Blueprint("sources", __name__, url_prefix="/sources")

FORM_FIELDS = ("id", "type", "url", "title", "schedule", "mapping")
#: jobs listed on a source's page
SOURCE_PAGE_JOBS = 20


@bp.get("/")
def index() -> str:
    ctx = harvester_context()
    return render_template("admin/sources.html", rows=engine.sources_health(ctx))


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | str | tuple[str, int]:
    ctx = harvester_context()
    if request.method == "GET":
        return _form_page(_blank_fields(), None, editing=None)
    fields = _posted_fields()
    try:
        source = _validated_new_source(ctx, fields)
    except SourceFormError as exc:
        return _form_page(fields, exc, editing=None), 400
    engine.save_source(ctx, source)
    flash(_("admin.flash.source_added", id=source.id), "ok")
    return redirect(url_for(".show", source_id=source.id))


@bp.get("/<source_id>")
def show(source_id: str) -> str:
    ctx = harvester_context()
    source = _source_or_404(ctx, source_id)
    return render_template("admin/source.html", row=engine.source_health(ctx, source.id),
                           jobs=ctx.state.jobs(source.id, limit=SOURCE_PAGE_JOBS),
                           trust=trust_report(ctx, source.id))


@bp.get("/<source_id>/withheld/<key>")
def withheld(source_id: str, key: str) -> Response:
    """A withheld record's DCAT (N-Triples), for operators only: the public never sees it."""
    ctx = harvester_context()
    _source_or_404(ctx, source_id)
    ntriples = ctx.trust.withheld_ntriples(source_id, key)
    if ntriples is None:
        abort(404)
    return Response(ntriples, mimetype="application/n-triples", headers={"Content-Disposition": "inline"})


@bp.route("/<source_id>/edit", methods=["GET", "POST"])
def edit(source_id: str) -> Response | str | tuple[str, int]:
    ctx = harvester_context()
    source = _source_or_404(ctx, source_id)
    if source.origin == "config":
        return _read_only_page(source)
    if request.method == "GET":
        return _form_page(_fields_of(source), None, editing=source)
    fields = {**_posted_fields(), "id": source.id}
    try:
        changed = replace(validate_source(fields), options=source.options)
    except SourceFormError as exc:
        return _form_page(fields, exc, editing=source), 400
    engine.save_source(ctx, changed)
    flash(_("admin.flash.source_saved", id=source.id), "ok")
    return redirect(url_for(".show", source_id=source.id))


@bp.post("/<source_id>/enabled")
def set_enabled(source_id: str) -> Response | tuple[str, int]:
    ctx = harvester_context()
    source = _source_or_404(ctx, source_id)
    if source.origin == "config":
        return _read_only_page(source)
    enabled = request.form.get("enabled") == "on"
    engine.save_source(ctx, replace(source, enabled=enabled))
    flash(_("admin.flash.enabled" if enabled else "admin.flash.disabled", id=source.id), "ok")
    return redirect(url_for(".show", source_id=source.id))


@bp.post("/<source_id>/run")
def run(source_id: str) -> Response:
    ctx = harvester_context()
    source = _source_or_404(ctx, source_id)
    try:
        job_id = engine.run_now(ctx, source, full=request.form.get("full") == "on")
    except SourceBusy:
        flash(_("admin.flash.busy", id=source.id), "error")
        return redirect(url_for(".show", source_id=source.id))
    if job_id is None:  # every harvest slot is taken: it starts when one frees
        flash(_("admin.flash.queued", id=source.id), "ok")
        return redirect(url_for(".show", source_id=source.id))
    flash(_("admin.flash.started", id=source.id), "ok")
    return redirect(url_for("admin.jobs.show", job_id=job_id))


@bp.post("/<source_id>/pause")
def pause(source_id: str) -> Response:
    """Stop starting the source on its schedule (kept across restarts); config sources too."""
    source = _source_or_404(harvester_context(), source_id)
    operations.pause(harvester_context(), source.id)
    flash(_("admin.flash.paused", id=source.id), "ok")
    return redirect(url_for(".show", source_id=source.id))


@bp.post("/<source_id>/resume")
def resume(source_id: str) -> Response:
    source = _source_or_404(harvester_context(), source_id)
    try:
        operations.resume(harvester_context(), source.id)
    except OperationRefused as exc:  # its schedule does not parse
        flash(_("admin.flash.resume_refused", reason=str(exc)), "error")
    else:
        flash(_("admin.flash.resumed", id=source.id), "ok")
    return redirect(url_for(".show", source_id=source.id))


# --- helpers ---------------------------------------------------------------------------------------

def _source_or_404(ctx: Context, source_id: str) -> Source:
    try:
        return ctx.source(source_id)
    except KeyError:
        abort(404)


def _read_only_page(source: Source) -> tuple[str, int]:
    """Sources of the config file change only there: say so, change nothing."""
    return render_template("admin/message.html", title=_("admin.source.read_only_title", id=source.id),
                           message=_("admin.source.read_only"),
                           back=url_for(".show", source_id=source.id)), 403


def _validated_new_source(ctx: Context, fields: dict[str, Any]) -> Source:
    """The new source, or SourceFormError with every problem (a taken id included)."""
    problems: list[FieldProblem] = []
    source = None
    try:
        source = validate_source(fields)
    except SourceFormError as exc:
        problems = list(exc.problems)
    wanted = str(fields.get("id", "")).strip()
    if wanted and any(s.id == wanted for s in ctx.sources()):
        problems.insert(0, FieldProblem("id", "id.taken", f"a source {wanted!r} exists already"))
    if problems or source is None:
        raise SourceFormError(problems)
    return source


def _posted_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {name: request.form.get(name, "") for name in FORM_FIELDS}
    fields["enabled"] = request.form.get("enabled") == "on"
    return fields


def _blank_fields() -> dict[str, Any]:
    types = sorted(source_types())
    return {"id": "", "type": "ckan" if "ckan" in types else (types[0] if types else ""), "url": "",
            "title": "", "schedule": "", "mapping": "", "enabled": True}


def _fields_of(source: Source) -> dict[str, Any]:
    return {"id": source.id, "type": source.type, "url": source.url, "title": source.title,
            "schedule": source.schedule or "", "mapping": source.mapping or "", "enabled": source.enabled}


def _form_page(fields: dict[str, Any], error: SourceFormError | None, editing: Source | None) -> str:
    problems: dict[str, list[FieldProblem]] = {}
    for problem in error.problems if error else []:
        problems.setdefault(problem.field, []).append(problem)
    return render_template("admin/source_form.html", fields=fields, problems=problems, editing=editing,
                           types=sorted(source_types()))
