"""The operator pages under /admin with Flask's test client, against a real Context and a demo CKAN portal.

One module-scoped harvester: a demo portal (two of its packages broken) on a loopback ephemeral port, a
source declared in the config file, a source added by operators and harvested once, and an operator account.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote

import lxml.html
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash

from harvester import operations
from harvester.cli import main
from harvester.cli_users import register as register_user_commands
from harvester.context import Context
from harvester.demo import DemoPortal, serve
from harvester.demo.portal import RunningPortal
from harvester.deletions import Decision
from harvester.model import JobStatus, RecordError, Stage
from harvester.scheduler import RunReason
from harvester.source_form import SourceFormError, validate_source
from harvester.users import Users
from tests.conftest import make_settings
from web import admin, create_app
from web.admin import engine
from web.admin.auth import PUBLIC_ENDPOINTS
from web.admin.i18n import admin_catalog

PASSWORD = "correct horse battery staple"
PORTAL_SIZE = 40
BROKEN = {3: "missing_title", 7: "bad_field"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- the harvester under test --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def portal() -> Iterator[RunningPortal]:
    demo = DemoPortal(size=PORTAL_SIZE)
    demo.broken = dict(BROKEN)
    with serve(demo, host="127.0.0.1", port=0) as running:
        yield running


def admin_context(data_dir: Path, declared_url: str | None = None) -> Context:
    settings = make_settings(data_dir, harvest_batch_size=25, ckan_rows=20, http_delay=0.0)
    if declared_url:
        settings.sources.append({"id": "declared", "type": "ckan", "url": declared_url,
                                 "title": "配置文件中的平台", "schedule": "0 3 * * *"})
    return Context(settings)


def close_context(ctx: Context) -> None:
    engine.wait_for_runs(ctx)
    operations.harvests(ctx).pool.shutdown()
    ctx.close()


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory, portal: RunningPortal) -> Iterator[Context]:
    context = admin_context(tmp_path_factory.mktemp("admin"), declared_url=portal.url)
    validate_and_save(context, {"id": "jinan", "type": "ckan", "url": portal.url, "title": "济南市公共数据开放平台"})
    job = operations.run_now(context, "jinan").wait(120)
    assert job is not None and job.status == JobStatus.PARTIAL, job
    users = Users(context.settings.state_path)
    users.create_user("ops", PASSWORD)
    users.close()
    yield context
    close_context(context)


def validate_and_save(ctx: Context, fields: dict[str, str]) -> None:
    engine.save_source(ctx, validate_source(fields))


@pytest.fixture(scope="module")
def app(ctx: Context) -> Iterator[Flask]:
    flask_app = create_app(ctx)
    admin.register(flask_app, ctx)
    flask_app.config["TESTING"] = True
    yield flask_app
    flask_app.extensions["harvester_users"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def operator(client: FlaskClient) -> FlaskClient:
    login(client, "ops", PASSWORD)
    return client


def csrf_of(client: FlaskClient, path: str = "/admin/login") -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match[1]


def login(client: FlaskClient, name: str, password: str, next_url: str = "") -> object:
    return client.post("/admin/login", data={"name": name, "password": password, "next": next_url,
                                             "csrf_token": csrf_of(client)})


def page(response: object) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True))  # type: ignore[attr-defined]


# --- logged out, nothing opens ---------------------------------------------------------------------------

SAMPLE_ARGS = {"source_id": "jinan", "job_id": 1, "filename": "admin.css", "key": "some-record"}


def admin_routes(app: Flask) -> list[tuple[str, str, str]]:
    """Every (endpoint, method, url) served under /admin, with sample arguments."""
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/admin"):
                continue
            url = rule.build({k: SAMPLE_ARGS[k] for k in rule.arguments}, append_unknown=False)[1]
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                routes.append((rule.endpoint, method, url))
    return routes


def test_every_admin_route_needs_a_login(app: Flask, client: FlaskClient, ctx: Context) -> None:
    routes = admin_routes(app)
    endpoints = {endpoint for endpoint, _, _ in routes}
    assert {"admin.sources.index", "admin.sources.run", "admin.jobs.show", "admin.jobs.confirm_deletions",
            "admin.api.sources", "admin.api.run_source", "admin.api.job"} <= endpoints
    jobs_before = len(ctx.state.jobs(limit=1000))
    walked = 0
    for endpoint, method, url in routes:
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.open(url, method=method)
        walked += 1
        if endpoint.startswith("admin.api."):
            assert response.status_code == 401, (method, url)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/admin/login?next="), (method, url)
    assert walked >= 15
    assert len(ctx.state.jobs(limit=1000)) == jobs_before  # no POST did anything


def test_the_login_page_and_its_stylesheet_are_open(client: FlaskClient) -> None:
    assert client.get("/admin/login").status_code == 200
    css = client.get("/admin/static/admin.css")
    assert css.status_code == 200 and b".admin-table" in css.data


def test_unknown_admin_paths_are_404_not_login(client: FlaskClient) -> None:
    assert client.get("/admin/nothing-here").status_code == 404


# --- logging in ---------------------------------------------------------------------------------------------

def test_login_then_back_to_the_page_asked_for(client: FlaskClient) -> None:
    response = client.get("/admin/jobs/?limit=200")
    assert response.status_code == 302
    next_url = response.headers["Location"].split("next=", 1)[1]
    done = login(client, "ops", PASSWORD, unquote(next_url))
    assert done.status_code == 302 and done.headers["Location"] == "/admin/jobs/?limit=200"
    assert client.get("/admin/jobs/").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/admin/", "//evil.example/admin/", "/search",
                                    "/admin\\..\\x", "javascript:alert(1)"])
def test_login_never_redirects_off_the_admin_pages(client: FlaskClient, target: str) -> None:
    done = login(client, "ops", PASSWORD, target)
    assert done.headers["Location"] == "/admin/sources/"


@pytest.mark.parametrize("name, password", [("ops", "wrong password!!"), ("nobody", PASSWORD), ("ops", "")])
def test_a_wrong_password_or_name_is_refused(client: FlaskClient, name: str, password: str) -> None:
    response = login(client, name, password)
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/admin/sources/").status_code == 302


def test_logout_ends_the_session(operator: FlaskClient) -> None:
    token = csrf_of(operator, "/admin/sources/")
    assert operator.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert operator.get("/admin/sources/").status_code == 302


def test_repeated_failures_hold_a_name_back(app: Flask, client: FlaskClient) -> None:
    users: Users = app.extensions["harvester_users"]
    users.create_user("ops-throttled", PASSWORD)
    for _ in range(5):
        assert login(client, "ops-throttled", "not the password").status_code == 401
    assert login(client, "ops-throttled", PASSWORD).status_code == 429
    assert login(client, "ops", PASSWORD).status_code == 302  # other names are not held back


def test_a_removed_user_is_logged_out(app: Flask, client: FlaskClient) -> None:
    users: Users = app.extensions["harvester_users"]
    users.create_user("ops-leaving", PASSWORD)
    login(client, "ops-leaving", PASSWORD)
    assert client.get("/admin/sources/").status_code == 200
    users.remove_user("ops-leaving")
    assert client.get("/admin/sources/").status_code == 302


def test_passwords_and_tokens_are_stored_hashed(ctx: Context, app: Flask) -> None:
    token = app.extensions["harvester_users"].create_token("ops")
    db = sqlite3.connect(ctx.settings.state_path)
    try:
        (stored,) = db.execute("SELECT password_hash FROM users WHERE name='ops'").fetchone()
        dump = "\n".join(db.iterdump())
    finally:
        db.close()
    assert stored != PASSWORD and stored.startswith(("scrypt:", "pbkdf2:"))
    assert check_password_hash(stored, PASSWORD)
    assert PASSWORD not in dump and token not in dump


# --- CSRF ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_forms_without_the_session_token_are_refused(operator: FlaskClient, ctx: Context, token: str | None) -> None:
    fields = {"id": "csrf-probe", "type": "ckan", "url": "http://127.0.0.1:9/", "enabled": "on"}
    if token is not None:
        fields["csrf_token"] = token
    response = operator.post("/admin/sources/new", data=fields)
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert all(s.id != "csrf-probe" for s in ctx.sources())
    assert operator.post("/admin/sources/jinan/run", data=fields).status_code == 400


def test_the_login_form_needs_its_token_too(client: FlaskClient) -> None:
    response = client.post("/admin/login", data={"name": "ops", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/sources/").status_code == 302


# --- sources --------------------------------------------------------------------------------------------------

def test_the_source_list_shows_health(operator: FlaskClient) -> None:
    doc = page(operator.get("/admin/sources/"))
    row = doc.get_element_by_id("source-jinan")
    cells = [c.text_content().strip() for c in row.findall("td")]
    assert "济南市公共数据开放平台" in cells[0]
    assert cells[1] == "部分失败"  # two records failed alone
    assert cells[3] == str(PORTAL_SIZE - len(BROKEN)) and cells[4] == str(len(BROKEN))
    assert row.cssselect("svg.trend rect")
    declared = doc.get_element_by_id("source-declared")
    assert "配置文件" in declared.text_content() and "未采集" in declared.text_content()


def post_form(client: FlaskClient, path: str, **fields: str) -> object:
    """POST a form as the browser would: with the session's CSRF token (one per session)."""
    return client.post(path, data={"csrf_token": csrf_of(client, "/admin/sources/"), **fields})


def test_adding_a_source_shows_every_problem_and_keeps_the_input(operator: FlaskClient, ctx: Context) -> None:
    response = post_form(operator, "/admin/sources/new", id="Bad Id!", type="ckan", url="ftp://portal.example",
                         title="<b>留着</b>", schedule="every tuesday", mapping="no-such-mapping", enabled="on")
    assert response.status_code == 400
    doc = page(response)
    errors = {e.get("id"): e.text_content() for e in doc.cssselect(".field-error")}
    assert set(errors) == {"id-error", "url-error", "schedule-error", "mapping-error"}
    assert "标识格式不正确" in errors["id-error"] and "http(s)" in errors["url-error"]
    assert doc.get_element_by_id("url").get("value") == "ftp://portal.example"
    assert doc.get_element_by_id("title").get("value") == "<b>留着</b>"
    assert doc.get_element_by_id("url").get("aria-invalid") == "true"
    assert all(s.id != "Bad Id!" for s in ctx.sources())


def test_a_taken_id_is_refused(operator: FlaskClient) -> None:
    for taken in ("jinan", "declared"):
        response = post_form(operator, "/admin/sources/new", id=taken, type="ckan", url="http://127.0.0.1:9/")
        assert response.status_code == 400
        assert "已有同一标识的数据源" in response.get_data(as_text=True)


def test_add_edit_disable_and_enable_a_source(operator: FlaskClient, ctx: Context) -> None:
    done = post_form(operator, "/admin/sources/new", id="jtj", type="ckan", url="https://jtj.jinan.example",
                     title="交通运输局", schedule="0 3 * * *", enabled="on")
    assert done.status_code == 302 and done.headers["Location"] == "/admin/sources/jtj"
    assert ctx.source("jtj").title == "交通运输局" and ctx.source("jtj").schedule == "0 3 * * *"
    edit = "/admin/sources/jtj/edit"
    bad = post_form(operator, edit, type="ckan", url="not a url", title="x", enabled="on")
    assert bad.status_code == 400 and ctx.source("jtj").url == "https://jtj.jinan.example"
    done = post_form(operator, edit, id="renamed", type="ckan", url="https://jtj2.jinan.example",
                     title="交通运输局（新）", schedule="", enabled="on")
    assert done.status_code == 302
    changed = ctx.source("jtj")  # the id is fixed: a posted id is ignored
    assert (changed.url, changed.title, changed.schedule) == ("https://jtj2.jinan.example", "交通运输局（新）", None)
    assert post_form(operator, "/admin/sources/jtj/enabled", enabled="off").status_code == 302
    assert ctx.source("jtj").enabled is False
    assert "已停用" in operator.get("/admin/sources/jtj").get_data(as_text=True)
    post_form(operator, "/admin/sources/jtj/enabled", enabled="on")
    assert ctx.source("jtj").enabled is True


def test_config_file_sources_are_read_only(operator: FlaskClient, ctx: Context, portal: RunningPortal) -> None:
    shown = operator.get("/admin/sources/declared").get_data(as_text=True)
    assert "只能在配置文件中修改" in shown
    assert "/admin/sources/declared/edit" not in shown and "/admin/sources/declared/enabled" not in shown
    assert operator.get("/admin/sources/declared/edit").status_code == 403
    refused = operator.post("/admin/sources/declared/edit", data={
        "csrf_token": csrf_of(operator, "/admin/sources/"), "type": "ckan", "url": "https://changed.example"})
    assert refused.status_code == 403
    refused = operator.post("/admin/sources/declared/enabled", data={
        "csrf_token": csrf_of(operator, "/admin/sources/"), "enabled": "off"})
    assert refused.status_code == 403
    declared = ctx.source("declared")
    assert (declared.url, declared.enabled, declared.origin) == (portal.url, True, "config")
    assert all(s.id != "declared" for s in ctx.state.sources())


def test_pause_and_resume_a_schedule(operator: FlaskClient) -> None:
    assert "下次采集" in operator.get("/admin/sources/declared").get_data(as_text=True)
    post_form(operator, "/admin/sources/declared/pause")
    assert "恢复计划" in operator.get("/admin/sources/declared").get_data(as_text=True)
    post_form(operator, "/admin/sources/declared/resume")
    assert "暂停计划" in operator.get("/admin/sources/declared").get_data(as_text=True)


# --- running and jobs ------------------------------------------------------------------------------------------

def test_run_now_then_the_job_page_shows_counts_and_each_failed_record(
        operator: FlaskClient, ctx: Context, portal: RunningPortal) -> None:
    validate_and_save(ctx, {"id": "run-now", "type": "ckan", "url": portal.url})
    started = post_form(operator, "/admin/sources/run-now/run", full="on")
    assert started.status_code == 302
    job_path = started.headers["Location"]
    assert re.fullmatch(r"/admin/jobs/\d+", job_path)
    engine.wait_for_runs(ctx)
    doc = page(operator.get(job_path))
    counts = {e.get("data-count"): int(e.text_content()) for e in doc.cssselect("[data-count]")}
    assert counts == {"added": PORTAL_SIZE - 2, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 2}
    assert doc.cssselect(".job-duration")[0].text_content().strip().endswith("s")
    rows = doc.cssselect(".errors-table tbody tr")
    assert len(rows) == 2
    for row, index in zip(rows, sorted(BROKEN)):
        package = portal.portal.package(index)
        assert row.cssselect("code")[0].text_content() == package["id"]
        assert row.cssselect(".stage")[0].text_content() == "映射"
        assert row.cssselect("a.original")[0].get("href") == f"{portal.url}/dataset/{package['name']}"
    assert "title is missing" in doc.cssselect(".reason")[0].text_content()
    assert not doc.cssselect('meta[http-equiv="refresh"]')  # finished: no reloading


def test_an_error_without_a_url_links_where_its_source_type_says(
        operator: FlaskClient, ctx: Context, portal: RunningPortal) -> None:
    validate_and_save(ctx, {"id": "links", "type": "ckan", "url": portal.url})
    job = ctx.state.start_job("links", incremental=False)
    ctx.state.add_errors(job.id, [RecordError(Stage.FETCH, "timed out", "pkg-without-url", None),
                                  RecordError(Stage.GATHER, "listing broke", None, None)])
    job.status = JobStatus.FAILED
    ctx.state.finish_job(job, gather_complete=False)
    doc = page(operator.get(f"/admin/jobs/{job.id}"))
    links = [[a.get("href") for a in row.cssselect("a.original")] for row in doc.cssselect(".errors-table tbody tr")]
    assert links == [[f"{portal.url}/dataset/pkg-without-url"], []]
    assert "获取" in doc.text_content() and "列表" in doc.text_content()


def test_run_now_is_refused_while_the_source_is_busy(operator: FlaskClient, ctx: Context) -> None:
    with operations.harvests(ctx).pool.reserved("jinan"):
        refused = post_form(operator, "/admin/sources/jinan/run")
        assert refused.headers["Location"] == "/admin/sources/jinan"
        assert "正在采集中" in operator.get("/admin/sources/jinan").get_data(as_text=True)


def test_job_history_filters_by_source(operator: FlaskClient) -> None:
    doc = page(operator.get("/admin/jobs/?source=jinan"))
    sources = {r.cssselect("td")[1].text_content().strip() for r in doc.cssselect(".jobs-table tbody tr")}
    assert sources == {"jinan"}
    assert operator.get("/admin/jobs/999999").status_code == 404


def test_harvested_strings_are_escaped(operator: FlaskClient, ctx: Context) -> None:
    hostile = '<img src=x onerror=alert(1)>"恶意'
    validate_and_save(ctx, {"id": "hostile", "type": "ckan", "url": "http://127.0.0.1:9/", "title": hostile})
    job = ctx.state.start_job("hostile", incremental=False)
    ctx.state.add_errors(job.id, [RecordError(Stage.MAP, f"bad {hostile}", f"id-{hostile}", "javascript:alert(1)")])
    job.status = JobStatus.PARTIAL
    ctx.state.finish_job(job, gather_complete=True)
    for path in ("/admin/sources/", "/admin/sources/hostile", f"/admin/jobs/{job.id}"):
        html = operator.get(path).get_data(as_text=True)
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html, path
    doc = page(operator.get(f"/admin/jobs/{job.id}"))
    assert not [a for a in doc.iter("a") if (a.get("href") or "").startswith("javascript:")]


def test_pages_speak_english_too(operator: FlaskClient) -> None:
    html = operator.get("/admin/sources/?lang=en").get_data(as_text=True)
    assert "Sources" in html and "Run now" in html and "数据源" not in html.split("<main", 1)[1]


def test_every_admin_string_exists_in_both_languages() -> None:
    zh, en = admin_catalog("zh"), admin_catalog("en")
    assert set(zh) == set(en) and all(zh[k].strip() and en[k].strip() for k in zh)
    root = Path(__file__).resolve().parent.parent
    used: set[str] = set()
    for path in [*(root / "web/admin").glob("*.py"), *(root / "web/templates/admin").glob("*.html")]:
        used |= set(re.findall(r"""_\(\s*["'](admin\.[a-z0-9_.]*[a-z0-9_])["']""", path.read_text(encoding="utf-8")))
    problems = re.findall(r'"((?:id|type|url|title|schedule|mapping)\.[a-z_]+)"',
                          (root / "harvester/source_form.py").read_text(encoding="utf-8")
                          + (root / "web/admin/sources.py").read_text(encoding="utf-8"))
    dynamic = [f"admin.health.{h.value}" for h in engine.Health] + [f"admin.status.{s.value}" for s in JobStatus]
    dynamic += [f"admin.stage.{s.value}" for s in Stage] + [f"admin.reason.{r.value}" for r in RunReason]
    dynamic += [f"admin.deletions.decided_{d.value}" for d in Decision] + [f"admin.problem.{c}" for c in problems]
    dynamic += [f"admin.source.origin_{o}" for o in ("config", "state")]
    dynamic += [f"admin.count.{c}" for c in ("added", "updated", "unchanged", "deleted", "failed")]
    used = {key for key in used if not key.endswith("_")}  # prefixes of the dynamic keys
    assert len(used) > 50 and len(problems) >= 10
    assert used | set(dynamic) <= set(zh), sorted((used | set(dynamic)) - set(zh))


# --- deletions waiting for an operator ----------------------------------------------------------------------------

def test_deletions_past_the_guard_wait_for_confirm_or_reject(operator: FlaskClient, ctx: Context) -> None:
    with serve(DemoPortal(size=20, seed=5), host="127.0.0.1", port=0) as shrinking:
        validate_and_save(ctx, {"id": "shrinking", "type": "ckan", "url": shrinking.url})
        assert operations.run_now(ctx, "shrinking").wait(60).counts.added == 20
        gone = range(10)
        titles = {shrinking.portal.package(i)["title"] for i in gone}
        shrinking.portal.remove(gone)
        job = operations.run_now(ctx, "shrinking").wait(60)
        assert job.status == JobStatus.NEEDS_CONFIRMATION
        assert "等待确认删除" in operator.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
        doc = page(operator.get(f"/admin/jobs/{job.id}/deletions"))
        assert {a.text_content() for a in doc.cssselect(".deletions-table a")} == titles
        assert doc.get_element_by_id("confirm-deletions") is not None
        rejected = post_form(operator, f"/admin/jobs/{job.id}/deletions/reject")
        assert rejected.headers["Location"] == f"/admin/jobs/{job.id}"
        assert ctx.state.record_count("shrinking") == 20
        again = post_form(operator, f"/admin/jobs/{job.id}/deletions/confirm")
        assert again.headers["Location"] == f"/admin/jobs/{job.id}/deletions"  # already decided: refused
        job = operations.run_now(ctx, "shrinking").wait(60)
        assert job.status == JobStatus.NEEDS_CONFIRMATION
        post_form(operator, f"/admin/jobs/{job.id}/deletions/confirm")
        assert ctx.state.record_count("shrinking") == 10
        assert "已确认删除" in operator.get(f"/admin/jobs/{job.id}/deletions").get_data(as_text=True)


# --- the JSON API for scripts ---------------------------------------------------------------------------------------

def test_the_api_takes_bearer_tokens(app: Flask, client: FlaskClient, ctx: Context) -> None:
    token = app.extensions["harvester_users"].create_token("ops")
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/admin/api/sources", headers={"Authorization": "Bearer hvt_wrong"}).status_code == 401
    assert client.get("/admin/api/sources", headers={"Authorization": f"Basic {token}"}).status_code == 401
    listed = client.get("/admin/api/sources", headers=bearer).get_json()["sources"]
    jinan = next(s for s in listed if s["id"] == "jinan")
    assert jinan["datasets"] == PORTAL_SIZE - 2 and jinan["health"] == "partial" and jinan["errors"] == 2
    started = client.post("/admin/api/sources/jinan/run", headers=bearer)
    assert started.status_code == 202
    job_id = started.get_json()["job"]
    assert started.headers["Location"].endswith(f"/admin/api/jobs/{job_id}")
    engine.wait_for_runs(ctx)
    job = client.get(f"/admin/api/jobs/{job_id}", headers=bearer).get_json()
    assert job["status"] == "partial" and job["counts"]["unchanged"] == PORTAL_SIZE - 2
    assert job["errors_total"] == 2 and job["errors"][0]["stage"] == "map"
    assert client.post("/admin/api/sources/nope/run", headers=bearer).status_code == 404
    assert client.get("/admin/api/jobs/999999", headers=bearer).status_code == 404
    assert client.get("/admin/sources/", headers=bearer).status_code == 302  # tokens open the API only


def test_the_api_with_a_session_needs_the_csrf_header(operator: FlaskClient) -> None:
    assert operator.get("/admin/api/sources").status_code == 200
    assert operator.post("/admin/api/sources/nope/run").status_code == 400
    token = csrf_of(operator, "/admin/sources/")
    assert operator.post("/admin/api/sources/nope/run", headers={"X-CSRF-Token": token}).status_code == 404


# --- the CLI and the form's checks ----------------------------------------------------------------------------------

def test_user_commands(tmp_path: Path) -> None:
    register_user_commands(main)
    config = tmp_path / "harvester.toml"
    config.write_text('[data]\ndir = "data"\n', encoding="utf-8")

    def run(*args: str, input: str | None = None) -> object:
        return CliRunner().invoke(main, ["--config", str(config), "user", *args], input=input)

    added = run("add", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert run("add", "admin", "--password", PASSWORD).exit_code == 1  # exists
    short = run("add", "shorty", "--password", "short")
    assert short.exit_code == 1 and "at least" in short.output
    token = run("token", "admin").output.strip()
    assert token.startswith("hvt_")
    assert run("token", "nobody").exit_code == 1
    listed = run("list").output
    assert "admin" in listed and "shorty" not in listed
    users = Users(tmp_path / "data" / "state.db")
    try:
        assert users.user_for_token(token).name == "admin"
        assert users.verify_password("admin", PASSWORD)
    finally:
        users.close()
    assert run("remove", "admin").exit_code == 0


@pytest.mark.parametrize("fields, codes", [
    ({"id": "a", "type": "ckan", "url": "https://x.example"}, []),
    ({"id": "", "type": "", "url": ""}, ["id.required", "type.required", "url.required"]),
    ({"id": "UPPER", "type": "nope", "url": "https://x.example"}, ["id.invalid", "type.unknown"]),
    ({"id": "a", "type": "ckan", "url": "http://"}, ["url.invalid"]),
    ({"id": "a", "type": "ckan", "url": "https://x.example/a b"}, ["url.invalid"]),
    ({"id": "a", "type": "ckan", "url": "https://x.example:port/"}, ["url.invalid"]),
    ({"id": "a", "type": "ckan", "url": "https://x.example", "title": "a\x00b"}, ["title.control"]),
    ({"id": "a", "type": "ckan", "url": "https://x.example", "schedule": "61 * * * *"}, ["schedule.invalid"]),
    ({"id": "a", "type": "ckan", "url": "https://x.example", "mapping": "absent"}, ["mapping.invalid"]),
])
def test_validate_source(fields: dict[str, str], codes: list[str]) -> None:
    if not codes:
        source = validate_source(fields)
        assert (source.id, source.enabled, source.origin, source.schedule) == ("a", True, "state", None)
        return
    with pytest.raises(SourceFormError) as caught:
        validate_source(fields)
    assert [p.code for p in caught.value.problems] == codes
    assert all(str(p.message) in str(caught.value) for p in caught.value.problems)
