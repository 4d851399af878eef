"""The public site in headless Chromium: a visitor's journey in Chinese then English, the SPARQL editor, the
site without JavaScript and on a phone, accessibility (axe-core), and hostile harvested strings kept inert.

The site is served by a real WSGI server on a loopback ephemeral port over the catalog of tests/web_catalog.py
(two demo CKAN portals harvested for real, plus a hostile record). Screenshots land in tests/artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from harvester.context import Context
from harvester.index import SearchQuery
from tests.web_catalog import (
    HOSTILE_KEY,
    HOSTILE_PUBLISHER,
    HOSTILE_TITLE,
    Catalog,
    built_catalog,
    served,
)
from web import create_app

pytestmark = pytest.mark.slow

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
#: axe impacts a page may not have
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    with built_catalog(tmp_path_factory.mktemp("browser")) as built:
        yield built


@pytest.fixture(scope="module")
def ctx(catalog: Catalog) -> Context:
    return catalog.ctx


@pytest.fixture(scope="module")
def site(ctx: Context) -> Iterator[str]:
    with served(create_app(ctx)) as url:
        yield url


class Watched:
    """A page whose console errors, uncaught exceptions and dialogs (an alert() from injected script) are kept."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(str(e)))
        page.on("response", lambda r: self.problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture()
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        yield Watched(context.new_page())
    finally:
        context.close()


def args_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def count_text(page: Any) -> str:
    return " ".join(page.inner_text("#result-count").split())


def test_visitor_searches_in_chinese_filters_opens_a_dataset_and_switches_to_english(
        watched: Watched, site: str, ctx: Context, artifacts: Path) -> None:
    page = watched.page
    page.goto(site + "/")
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.fill("#q", "交通")
    page.press("#q", "Enter")
    page.wait_for_url("**/search?q=*")
    words = ctx.index.search(SearchQuery(q="交通", collapse=True))
    assert count_text(page) == f"共找到 {words.total:,} 个数据集"

    publisher = page.locator('[data-facet="publisher"] a.facet-value').first
    department = " ".join(publisher.locator(".label").inner_text().split())
    publisher.click()
    page.wait_for_url("**publisher=*")
    fmt = page.locator('[data-facet="format"] a.facet-value').first
    fmt_label = fmt.locator(".label").inner_text().strip()
    fmt.click()
    page.wait_for_url("**format=*")
    state = args_of(page.url)
    assert state["q"] == ["交通"] and state["publisher"] == [department] and len(state["format"]) == 1
    both = ctx.index.search(SearchQuery(q="交通", filters={"publisher": [department], "format": state["format"]},
                                         collapse=True))
    assert count_text(page) == f"共找到 {both.total:,} 个数据集" and both.total > 0
    assert page.locator(".chips li a[rel]").count() == 2 and fmt_label in page.inner_text(".chips")
    page.screenshot(path=str(artifacts / "search-zh-two-facets.png"), full_page=True)

    page.go_back()
    page.wait_for_url(lambda url: "format=" not in url)
    assert page.locator(".chips li a[rel]").count() == 1, "the back button restores the previous state"
    page.go_forward()
    page.wait_for_url("**format=*")

    first = page.locator("li.hit h2 a").first
    title = " ".join(first.inner_text().split())
    first.click()
    page.wait_for_url("**/dataset/**")
    assert " ".join(page.inner_text("h1").split()) == title
    assert page.locator('script[type="application/ld+json"]').count() == 1
    page.screenshot(path=str(artifacts / "dataset-zh.png"), full_page=True)

    page.click("a.lang-switch")
    page.wait_for_url("**lang=en*")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text(".provenance h2").strip() == "Provenance"
    page.screenshot(path=str(artifacts / "dataset-en.png"), full_page=True)
    page.goto(site + "/search?q=交通")
    assert page.get_attribute("html", "lang") == "en", "the language choice is remembered"
    assert "datasets found" in count_text(page)
    assert not watched.problems and not watched.dialogs, watched.problems


def test_researcher_runs_a_sparql_example_in_the_editor(watched: Watched, site: str, ctx: Context,
                                                       artifacts: Path) -> None:
    page = watched.page
    page.goto(site + "/sparql")
    page.wait_for_selector(".CodeMirror .cm-keyword")  # CodeMirror took over the textarea, SPARQL highlighted
    assert "PREFIX dcat:" in page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    page.locator(".sparql-examples a").first.click()
    page.wait_for_selector(".results-table tbody tr")
    publishers = ctx.index.search(SearchQuery(per_page=1, facet_limit=1000)).facets["publisher"]
    assert page.locator(".results-table tbody tr").count() == len(publishers)
    editor_text = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    assert "GROUP BY ?publisher" in editor_text, "the example is in the editor, ready to change"
    page.screenshot(path=str(artifacts / "sparql-example.png"), full_page=True)

    csv_href = page.locator(".downloads a", has_text="CSV").get_attribute("href")
    download = page.request.get(site + csv_href)
    assert download.ok and download.headers["content-type"].startswith("text/csv")
    assert download.text().splitlines()[0] == "publisher,datasets"

    page.evaluate("document.querySelector('.CodeMirror').CodeMirror.setValue("
                  "'SELECT (COUNT(*) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }')")
    page.locator(".CodeMirror textarea").focus()
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**query=SELECT*")
    assert page.inner_text(".results-table tbody td").strip().startswith(str(ctx.index.count()))
    assert not watched.problems, watched.problems


def test_the_site_works_without_javascript(browser: Any, site: str, ctx: Context) -> None:
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(site + "/")
        page.fill("#q", "空气")
        page.click(".search-form button")
        page.wait_for_url("**q=*")
        page.locator('[data-facet="access"] a.facet-value').first.click()
        page.wait_for_url("**access=*")
        assert page.locator("li.hit").count() > 0
        page.goto(site + "/sparql")
        assert page.locator(".CodeMirror").count() == 0
        page.fill("textarea#query", "SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> } LIMIT 3")
        page.click(".sparql-form button")
        page.wait_for_selector(".results-table")
        assert page.locator(".results-table tbody tr").count() == 3
    finally:
        context.close()


def test_phone_layout_has_no_sideways_scrolling(browser: Any, site: str, ctx: Context, artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    try:
        page = context.new_page()
        key = ctx.index.search(SearchQuery(filters={"access": ["PUBLIC"]}, sort="title")).hits[0].doc.id
        for name, url in (("search", "/search?q=交通"), ("dataset", f"/dataset/{key}"), ("sparql", "/sparql"),
                          ("portal", "/portal/jinan")):
            page.goto(site + url)
            page.wait_for_load_state("load")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{url} scrolls sideways by {overflow}px on a phone"
            page.screenshot(path=str(artifacts / f"phone-{name}.png"), full_page=True)
        page.goto(site + "/search?q=交通")
        results_top = page.locator(".results").bounding_box()["y"]
        facets_top = page.locator("#facets").bounding_box()["y"]
        assert results_top < facets_top, "on a phone the results come first, the filters after them"
    finally:
        context.close()


def test_keyboard_skip_link_search_shortcut_and_facet_value_filter(watched: Watched, site: str) -> None:
    page = watched.page
    page.goto(site + "/")
    box = page.locator("#filter-keyword")
    assert box.is_visible(), "JavaScript shows the box that filters a long facet"
    box.fill("数据")
    shown = [t.strip() for t in page.locator('[data-facet="keyword"] li:visible .label').all_inner_texts()]
    assert shown and all("数据" in t for t in shown)
    assert page.locator('[data-facet="keyword"] li').count() > len(shown)
    page.goto(site + "/search?q=交通")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_have_no_serious_accessibility_violations(browser: Any, site: str, ctx: Context, lang: str) -> None:
    axe_source = AXE.read_text(encoding="utf-8")
    public = ctx.index.search(SearchQuery(filters={"access": ["PUBLIC"], "format": ["CSV"], "source": ["jinan"]},
                                          sort="title")).hits[0].doc.id
    restricted = ctx.index.search(SearchQuery(filters={"access": ["RESTRICTED"]}, sort="title")).hits[0].doc.id
    department = ctx.index.search(SearchQuery(per_page=1)).facets["publisher"][0][0]
    urls = ["/search?q=交通&format=CSV", f"/dataset/{public}", f"/dataset/{restricted}", "/sparql"]
    if lang == "zh":  # the English pages share these templates; the checks above cover their strings
        urls += ["/sparql?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%205&format=html",
                 "/sparql/graph", "/portals", "/portal/jinan", f"/department/{department}", "/api",
                 "/search?q=没有这种数据xyz", "PREVIEW"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    found: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        page.goto(site + f"/dataset/{public}?lang={lang}")
        preview = page.locator("a.preview").first.get_attribute("href")
        for url in [preview if u == "PREVIEW" else u for u in urls]:
            page.goto(site + url)
            page.wait_for_load_state("load")
            page.evaluate(axe_source)  # evaluated by the debugger protocol: the page's CSP does not apply
            result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            serious = [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}" for v in result["violations"]
                       if v["impact"] in BLOCKING_IMPACTS]
            if serious:
                found[url] = serious
    finally:
        context.close()
    assert not found, found


def test_hostile_harvested_strings_stay_inert(watched: Watched, site: str) -> None:
    page = watched.page
    for url in (f"/dataset/jinan/{HOSTILE_KEY}", "/search?q=恶意标题", "/departments",
                f"/dataset/jinan/{HOSTILE_KEY}?lang=en"):
        page.goto(site + url)
        page.wait_for_load_state("load")
        assert page.locator("main img, main svg, main b, main i").count() == 0, url
        hrefs = page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href') || '')")
        assert not [h for h in hrefs if h.strip().lower().startswith("javascript:")], url
        handlers = page.evaluate("Array.from(document.querySelectorAll('*')).filter(e => "
                                 "Array.from(e.attributes).some(a => a.name.startsWith('on'))).length")
        assert handlers == 0, url
    page.goto(site + f"/dataset/jinan/{HOSTILE_KEY}")
    assert page.inner_text("h1").strip() == HOSTILE_TITLE, "the markup shows as text"
    assert HOSTILE_PUBLISHER in page.inner_text(".dataset-head")
    page.click(".dataset-head .publisher")
    page.wait_for_url("**/department/**")
    assert HOSTILE_PUBLISHER in page.inner_text("h1")
    assert not watched.dialogs, f"harvested script ran: {watched.dialogs}"
    assert not watched.problems, watched.problems
