"""Validation and full quality of stored records: after each harvest, for changed records only; violations kept
for operators; link checks that move the MQA accessibility points; the scheduler running link checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from harvester.context import Context
from harvester.dcat.rdf import term
from harvester.demo import DemoPortal, serve
from harvester.jobs import run_job
from harvester.model import JobStatus, Source
from harvester.operations import harvests
from harvester.store import GraphWrite
from harvester.trust.assess import after_harvest, assess, failing_rules
from harvester.trust.linkrun import check_links
from harvester.trust.dqv import quality_from_triples
from tests.conftest import make_settings

SIZE = 12
COMPLIANCE = "<https://piveau.eu/ns/voc#dcatApCompliance>"


@pytest.fixture()
def harvested(tmp_path: Path) -> Iterator[tuple[Context, DemoPortal, Source]]:
    portal = DemoPortal(size=SIZE)
    with serve(portal) as running:
        source = Source("jinan", "ckan", running.url, "济南市公共数据开放平台", options={"delay": 0.0})
        ctx = Context(make_settings(tmp_path, ckan_rows=50, http_delay=0.0))
        ctx.state.save_source(source)
        try:
            job = run_job(ctx, source)
            assert job.status == JobStatus.SUCCEEDED
            yield ctx, portal, source
        finally:
            ctx.close()


def compliance_of(ctx: Context, key: str) -> str | None:
    triples = ctx.store.graph_triples(ctx.iris.graph("jinan", key))
    return next((o for s, p, o in triples if s.endswith("#quality-dcat-ap-compliance>")
                 and p == term("dqv:value")), None)


def test_after_a_harvest_the_changed_records_are_validated_and_fully_scored(harvested) -> None:
    ctx, portal, source = harvested
    key = ctx.state.records_of_source("jinan")[0].key
    mapped_score = ctx.index.get(f"jinan/{key}").quality
    assert compliance_of(ctx, key) is None  # mapping alone cannot know it
    result = after_harvest(ctx, "jinan", run_job(ctx, source, full=True))  # nothing changed: nothing due
    assert result is not None and result.assessed == SIZE  # never assessed before: all due once
    assert result.failing == 0 and compliance_of(ctx, key) == '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'
    assert ctx.index.get(f"jinan/{key}").quality == mapped_score + 30  # the DCAT-AP compliance points
    quality = quality_from_triples(ctx.store.graph_triples(ctx.iris.graph("jinan", key)), ctx.iris.dataset("jinan", key))
    assert quality is not None and quality.total == mapped_score + 30
    assert after_harvest(ctx, "jinan", run_job(ctx, source)).assessed == 0  # unchanged: nothing to validate
    portal.edit([1, 2])
    job = run_job(ctx, source)
    assert job.counts.updated == 2 and after_harvest(ctx, "jinan", job).assessed == 2
    trend = ctx.trust.quality_history("jinan")
    assert len(trend) == 2 and trend[-1].records == SIZE and trend[-1].failing == 0


def test_violations_are_kept_per_record_and_summarised_by_rule(harvested) -> None:
    ctx, _, _ = harvested
    key = ctx.state.records_of_source("jinan")[3].key
    graph, dataset = ctx.iris.graph("jinan", key), ctx.iris.dataset("jinan", key)
    broken = [t for t in ctx.store.graph_triples(graph)
              if not (t[0] == f"<{dataset}>" and t[1] == term("dct:description"))]
    ctx.store.replace_graphs([GraphWrite.of(graph, broken)])
    assess(ctx, "jinan", force=True)
    failing = [a for a in ctx.trust.assessments("jinan") if not a.conforms]
    assert [a.key for a in failing] == [key]
    assert any("description" in v["path"] for v in failing[0].violations)
    rules = failing_rules(ctx, "jinan")
    assert rules[0].records == 1 and rules[0].examples == [key] and "description" in rules[0].path
    assert compliance_of(ctx, key) == '"false"^^<http://www.w3.org/2001/XMLSchema#boolean>'


def test_link_checks_move_the_accessibility_points(harvested) -> None:
    ctx, portal, _ = harvested
    assess(ctx, "jinan")
    key = ctx.state.records_of_source("jinan")[0].key
    before = ctx.index.get(f"jinan/{key}").quality
    done = check_links(ctx, "jinan", budget=120)
    assert done.checked > SIZE and done.reassessed is not None and done.reassessed.assessed == SIZE
    after = ctx.index.get(f"jinan/{key}").quality
    assert after > before  # the demo portal answers its downloads
    assert check_links(ctx, "jinan", budget=120).checked == 0  # checked recently: not asked again


def test_the_scheduler_runs_link_checks_in_each_sources_slot(harvested) -> None:
    ctx, _, _ = harvested
    ctx.settings = ctx.settings.with_values(trust_link_check_every="every 1h")
    scheduler = harvests(ctx).scheduler
    now = datetime.now(timezone.utc)
    scheduler.clock = lambda: now
    assert scheduler.tick() == []  # a new schedule starts counting now
    scheduler.clock = lambda: now + timedelta(hours=1, seconds=1)
    runs = [r for r in scheduler.tick() if r.source_id == "jinan"]
    assert len(runs) == 1
    runs[0].wait(120)
    assert any(a.score for a in ctx.trust.assessments("jinan"))
    harvests(ctx).pool.shutdown()


def test_a_record_without_triples_is_not_assessed(harvested) -> None:
    ctx, _, _ = harvested
    key = ctx.state.records_of_source("jinan")[5].key
    ctx.store.drop_graphs([ctx.iris.graph("jinan", key)])
    result = assess(ctx, "jinan", force=True)
    assert result.assessed == SIZE - 1


def test_operators_see_failing_rules_and_the_quality_trend(harvested) -> None:
    import lxml.html

    from harvester.users import Users
    from tests.test_admin import login
    from web import admin, create_app

    ctx, _, _ = harvested
    key = ctx.state.records_of_source("jinan")[3].key
    graph, dataset = ctx.iris.graph("jinan", key), ctx.iris.dataset("jinan", key)
    ctx.store.replace_graphs([GraphWrite.of(graph, [t for t in ctx.store.graph_triples(graph)
                                                    if not (t[0] == f"<{dataset}>" and t[1] == term("dct:title"))])])
    assess(ctx, "jinan")
    app = create_app(ctx)
    admin.register(app, ctx)
    users = Users(ctx.settings.state_path)
    users.create_user("ops", "a long operator password")
    users.close()
    client = app.test_client()
    login(client, "ops", "a long operator password")
    section = lxml.html.fromstring(client.get("/admin/sources/jinan").get_data(as_text=True)).get_element_by_id("trust")
    text = section.text_content()
    assert "1 / 12" in " ".join(text.split())  # failing / validated
    rule_rows = section.cssselect("table")[0].cssselect("tbody tr")
    assert len(rule_rows) >= 1 and "title" in rule_rows[0].text_content()
    assert section.cssselect("ol.trend li")
    app.extensions["harvester_users"].close()


def test_portal_pages_show_the_sources_quality(harvested) -> None:
    import lxml.html

    from web import create_app

    ctx, _, _ = harvested
    assess(ctx, "jinan")
    mean = ctx.trust.quality_history("jinan")[-1].mean_score
    page = lxml.html.fromstring(create_app(ctx).test_client().get("/portal/jinan").get_data(as_text=True))
    assert f"{round(mean)}/405" in page.cssselect(".quality-mean")[0].text_content()
    rows = {r.get("data-facet") or "": r for r in page.cssselect("[data-facet]")}
    assert "quality" in rows or "元数据质量" in page.text_content()


def test_the_operators_source_list_shows_quality_and_its_change(harvested) -> None:
    import lxml.html

    from harvester.users import Users
    from tests.test_admin import login
    from web import admin, create_app

    ctx, portal, source = harvested
    assess(ctx, "jinan")
    first = ctx.trust.quality_history("jinan")[-1].mean_score
    portal.edit([0])
    after_harvest(ctx, "jinan", run_job(ctx, source))
    app = create_app(ctx)
    admin.register(app, ctx)
    users = Users(ctx.settings.state_path)
    users.create_user("ops", "a long operator password")
    users.close()
    client = app.test_client()
    login(client, "ops", "a long operator password")
    row = lxml.html.fromstring(client.get("/admin/sources/").get_data(as_text=True)).get_element_by_id("source-jinan")
    cell = row.cssselect(".quality-cell")[0].text_content()
    last = ctx.trust.quality_history("jinan")[-1].mean_score
    assert f"{round(last)}/405" in cell and f"{round(last - first):+d}" in cell
    app.extensions["harvester_users"].close()
