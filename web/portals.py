"""Portal and department pages: each source portal and each department (publisher) with its datasets,
counts by theme, format and open type, and when it was last harvested.

Lists and counts come from the search index (one filtered search gives the newest datasets and every facet's
counts); a portal's description from its dcat:Catalog graph; harvest times from the job history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, render_template, url_for

from harvester.dcat.rdf import literal_parts, term
from harvester.trust.quality import band_of
from harvester.index import SearchQuery, SearchResult
from harvester.index.search import MAX_FACET_LIMIT
from harvester.model import Job, JobStatus
from web import harvester_context
from web.i18n import gettext as _
from web.record import CST
from web.search import facet_label, source_title

bp = Blueprint("portals", __name__)

NEWEST_SHOWN = 10
#: the facets broken down on a portal page / a department page, in display order
PORTAL_BREAKDOWN = ("theme", "format", "access", "quality", "publisher", "license")
DEPARTMENT_BREAKDOWN = ("theme", "format", "access", "quality", "source", "license")
BREAKDOWN_LIMIT = 50


@dataclass
class Breakdown:
    facet: str
    title: str
    #: (label, count, search URL)
    rows: list[tuple[str, int, str]] = field(default_factory=list)


@dataclass
class HarvestInfo:
    source_id: str
    title: str
    datasets: int
    last_job: Job | None
    last_success: datetime | None


def breakdowns(result: SearchResult, facets: tuple[str, ...], base_filter: dict[str, str]) -> list[Breakdown]:
    """Counts per facet value, each linking to the search filtered by the page's subject and that value."""
    views = []
    for facet in facets:
        view = Breakdown(facet, _(f"facet.{facet}"))
        for value, count in result.facets.get(facet, []):
            arguments: dict[str, Any] = {**base_filter, facet: value}
            view.rows.append((facet_label(facet, value), count, url_for("search.search_page", **arguments)))
        if view.rows:
            views.append(view)
    return views


def harvest_info(source_id: str, datasets: int) -> HarvestInfo:
    state = harvester_context().state
    jobs = state.jobs(source_id, limit=1)
    good = state.last_good_job(source_id)
    return HarvestInfo(source_id, source_title(source_id), datasets, jobs[0] if jobs else None,
                       good.finished if good else None)


def show_time(moment: datetime | None) -> str:
    """A harvest time as people in Jinan read it."""
    return moment.astimezone(CST).strftime("%Y-%m-%d %H:%M") + " (UTC+8)" if moment else ""


def job_status_label(status: JobStatus) -> str:
    return _(f"job.{status.value}")


def _filtered(facet: str, value: str, per_page: int = NEWEST_SHOWN) -> SearchResult:
    query = SearchQuery(filters={facet: [value]}, sort="modified", per_page=per_page, facet_limit=BREAKDOWN_LIMIT)
    return harvester_context().index.search(query)


def all_facet_values(facet: str) -> list[tuple[str, int]]:
    """Every value of a facet over the whole catalog with its count (the browse-all counts are cached)."""
    result = harvester_context().index.search(SearchQuery(per_page=1, facet_limit=MAX_FACET_LIMIT))
    return result.facets.get(facet, [])


def known_source_ids() -> list[str]:
    """Configured sources and sources that have datasets in the index, in id order."""
    ids = {s.id for s in harvester_context().sources()}
    ids.update(value for value, _count in all_facet_values("source"))
    return sorted(ids)


def portal_description(source_id: str) -> str:
    ctx = harvester_context()
    catalog, description = f"<{ctx.iris.source_catalog(source_id)}>", term("dct:description")
    for s, p, o in ctx.store.graph_triples(ctx.iris.source_graph(source_id)):
        if s == catalog and p == description and not o.startswith("<"):
            return literal_parts(o)[0]
    return ""


@bp.get("/portals")
def portal_list() -> str:
    counts = dict(all_facet_values("source"))
    portals = [harvest_info(source_id, counts.get(source_id, 0)) for source_id in known_source_ids()]
    return render_template("portals/list.html", portals=portals, show_time=show_time,
                           job_status_label=job_status_label)


@bp.get("/portal/<source_id>")
def portal(source_id: str) -> str:
    from web.dataset import source_homepage

    if source_id not in known_source_ids():
        abort(404)
    result = _filtered("source", source_id)
    title = source_title(source_id)
    trend = harvester_context().trust.quality_history(source_id, limit=1)
    description = portal_description(source_id)
    return render_template(
        "portals/portal.html", source_id=source_id, title=title, result=result,
        description=description if description != title else "", homepage=source_homepage(source_id),
        info=harvest_info(source_id, result.total), show_time=show_time, job_status_label=job_status_label,
        breakdowns=breakdowns(result, PORTAL_BREAKDOWN, {"source": source_id}),
        all_url=url_for("search.search_page", source=source_id),
        quality=trend[-1] if trend else None,
        quality_band=band_of(round(trend[-1].mean_score)) if trend else "",
    )


@bp.get("/departments")
def department_list() -> str:
    return render_template("portals/departments.html", departments=all_facet_values("publisher"))


@bp.get("/department/<path:name>")
def department(name: str) -> str:
    result = _filtered("publisher", name)
    if result.total == 0:
        abort(404)
    portals = [harvest_info(source_id, count) for source_id, count in result.facets.get("source", [])]
    return render_template(
        "portals/department.html", name=name, result=result, portals=portals, show_time=show_time,
        job_status_label=job_status_label,
        breakdowns=breakdowns(result, DEPARTMENT_BREAKDOWN, {"publisher": name}),
        all_url=url_for("search.search_page", publisher=name),
    )
