"""The operators' main flow in headless Chromium: log in, add a source, run it, watch its job finish.

The site is served by a real WSGI server on a loopback ephemeral port; the source is a demo CKAN portal on
another. Screenshots land in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from harvester import operations
from harvester.context import Context
from harvester.demo import DemoPortal, serve
from harvester.settings import load_settings
from harvester.users import Users
from web import admin, create_app
from web.admin import engine

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PORTAL_SIZE = 40
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.slow


# ``browser`` comes from tests/browser/conftest.py (skips, saying why, without Chromium).


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The harvester's site (public pages and /admin) on a loopback port, with one operator account."""
    settings = load_settings(tmp_path / "absent.toml", env={}).with_values(
        data_dir=str(tmp_path / "data"), http_retries=1, http_backoff=0.01, http_delay=0.0,
        harvest_map_workers=0, harvest_batch_size=25, ckan_rows=20)
    ctx = Context(settings)
    users = Users(settings.state_path)
    users.create_user("ops", PASSWORD)
    users.close()
    app = create_app(ctx)
    admin.register(app, ctx)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="admin-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        engine.wait_for_runs(ctx)
        operations.harvests(ctx).pool.shutdown()
        app.extensions["harvester_users"].close()
        ctx.close()


def test_log_in_add_a_source_run_it_and_see_its_job(browser: Any, site: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    # the browser asks for /favicon.ico on its own; every resource a page names must load
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    with serve(DemoPortal(size=PORTAL_SIZE), host="127.0.0.1", port=0) as portal:
        page.goto(site + "/admin/")
        assert "/admin/login" in page.url
        page.fill("#name", "ops")
        page.fill("#password", PASSWORD)
        page.click("form.admin-form button[type=submit]")
        page.wait_for_url(site + "/admin/sources/")

        page.click(".page-head a.button")  # 添加数据源
        page.fill("#id", "jinan")
        page.fill("#url", portal.url)
        page.fill("#title", "济南市公共数据开放平台")
        page.click("form.source-form button[type=submit]")
        page.wait_for_url(site + "/admin/sources/jinan")
        assert "已添加数据源 jinan" in page.inner_text(".flash")

        page.click("button[data-source=jinan]")  # 立即采集
        page.wait_for_url(f"{site}/admin/jobs/*")
        page.wait_for_selector(".page-head .state-succeeded", timeout=90_000)  # the page reloads while it runs
        assert page.inner_text("[data-count=added]") == str(PORTAL_SIZE)
        assert page.inner_text("[data-count=failed]") == "0"
        assert page.inner_text(".job-duration").endswith("s")
        page.screenshot(path=str(ARTIFACTS / "admin-job.png"), full_page=True)

        page.click(".admin-nav a[href='/admin/sources/']")
        row = page.locator("#source-jinan")
        assert "正常" in row.inner_text() and str(PORTAL_SIZE) in row.inner_text()
        page.screenshot(path=str(ARTIFACTS / "admin-sources.png"), full_page=True)
    assert problems == []  # no script errors, nothing the Content-Security-Policy blocked
