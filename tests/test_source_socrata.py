"""Socrata end to end against a real HTTP server on loopback: the recorded Discovery API answer and views
metadata from sodapy's tests (tests/fixtures/socrata/), a generated Chinese Socrata catalog of 济南 departments
served page by page, the views API, and the ways a portal breaks."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import harvester.sources
from harvester.context import Context
from harvester.dcat.rdf import literal_parts
from harvester.demo.generator import generate_package
from harvester.jobs import run_job
from harvester.model import Job, JobStatus, Source, Stage
from harvester.sources.socrata import SocrataSource
from tests.conftest import make_settings
from tests.test_source_dcat_rdf import (  # noqa: F401 - fixtures: a portal on loopback, the registry hook
    DCAT,
    DCT,
    EU,
    Answer,
    FixturePortal,
    counts,
    failure,
    portal,
    record_graphs,
    registered_source_types,
)
from tests.test_source_dcat_rdf import violations as feed_violations

FIXTURES = Path(__file__).parent / "fixtures" / "socrata"
JSON = "application/json"
CSVW = "http://www.w3.org/ns/csvw#"
DISCOVERY = "/api/catalog/v1"
DOMAIN = "data.jinan.gov.cn"
Handler = Callable[[dict[str, str]], Answer]


@pytest.fixture(autouse=True)
def socrata_registered(registered_source_types: None, monkeypatch: pytest.MonkeyPatch) -> None:
    types = dict(harvester.sources.source_types())
    types.setdefault("socrata", _Registered(SocrataSource))
    monkeypatch.setattr(harvester.sources, "source_types", lambda: types)


class _Registered:
    def __init__(self, cls: type) -> None:
        self.cls = cls

    def load(self) -> type:
        return self.cls


# --- an API on loopback ------------------------------------------------------------------------------------------


class ApiRoutes(dict):  # type: ignore[type-arg]
    """FixturePortal routes that also answer a path from a handler of its query (an API that honours
    ``offset``/``limit``); a body served for the bare path wins."""

    def __init__(self, routes: dict[str, Answer]) -> None:
        super().__init__(routes)
        self.handlers: dict[str, Handler] = {}

    def get(self, path: str, default: Any = None) -> Any:  # type: ignore[override]
        found = super().get(path)
        parts = urlsplit(path)
        if found is not None or parts.path in self or parts.path not in self.handlers:
            return found if found is not None else default
        return self.handlers[parts.path]({k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()})


def api(portal: FixturePortal, path: str, handler: Handler) -> str:
    if not isinstance(portal.routes, ApiRoutes):
        portal.routes = ApiRoutes(portal.routes)
    portal.routes.pop(path, None)
    portal.routes.handlers[path] = handler
    return portal.url


def as_bytes(document: Any, encoding: str = "utf-8") -> bytes:
    return json.dumps(document, ensure_ascii=False).encode(encoding)


def discovery_api(results: list[dict[str, Any]], *, ignore_offset: bool = False, encoding: str = "utf-8",
                  content_type: str = JSON) -> Handler:
    """A Discovery API over ``results``: offset/limit paging, or scroll_id (ids in order after the given one)."""
    ordered = sorted(results, key=lambda r: r["resource"].get("id", ""))

    def answer(query: dict[str, str]) -> Answer:
        limit = int(query.get("limit", 100))
        if "scroll_id" in query:
            chosen = [r for r in ordered if r["resource"].get("id", "") > query["scroll_id"]][:limit]
        else:
            offset = 0 if ignore_offset else int(query.get("offset", 0))
            chosen = results[offset:offset + limit]
        body = {"results": chosen, "resultSetSize": len(results), "timings": {"serviceMillis": 3}}
        return Answer(as_bytes(body, encoding), content_type)

    return answer


def requested(portal: FixturePortal, path: str = DISCOVERY) -> list[dict[str, str]]:
    return [{k: v[-1] for k, v in parse_qs(urlsplit(p).query, keep_blank_values=True).items()}
            for p in portal.requests if urlsplit(p).path == path]


# --- a Chinese Socrata catalog -------------------------------------------------------------------------------------


def four_by_four(package: dict[str, Any]) -> str:
    digest = hashlib.sha1(package["id"].encode()).hexdigest()
    return f"{digest[:4]}-{digest[4:8]}"


def socrata_result(package: dict[str, Any], domain: str = DOMAIN) -> dict[str, Any]:
    """A demo CKAN package as a Socrata Discovery API result, as a 济南 portal on Socrata would list it."""
    fxf = four_by_four(package)
    extras = {e["key"]: e["value"] for e in package["extras"]}
    geographic = package["organization"]["title"] == "济南市交通运输局"
    columns = [("统计指标", "tjzb", "Text", "指标名称"), ("数值", "sz", "Number", ""),
               ("统计日期", "tjrq", "Calendar date", "统计截止日期"), ("记录编号", ":id", "Text", "")]
    if geographic:
        columns.append(("站点位置", "zdwz", "Point", "站点经纬度"))
    category = package["groups"][0]["title"]
    return {
        "resource": {
            "name": package["title"], "id": fxf, "parent_fxf": None, "description": package["notes"],
            "attribution": package["organization"]["title"], "type": "dataset",
            "updatedAt": package["metadata_modified"] + "Z", "createdAt": package["metadata_created"] + "Z",
            "page_views": {"page_views_total": 42}, "download_count": 7, "provenance": "official",
            "columns_name": [c[0] for c in columns], "columns_field_name": [c[1] for c in columns],
            "columns_datatype": [c[2] for c in columns], "columns_description": [c[3] for c in columns],
        },
        "classification": {
            "categories": ["政务公开"], "tags": [], "domain_category": category,
            "domain_tags": [t["name"] for t in package["tags"]],
            "domain_metadata": [{"key": "资源代码", "value": extras["资源代码"]}],
        },
        "metadata": {"domain": domain, "license": package["license_id"]},
        "permalink": f"https://{domain}/d/{fxf}",
        "link": f"https://{domain}/{category}/{package['name']}/{fxf}",
        "owner": {"id": "jnsj-0001", "display_name": package["maintainer"]},
    }


def chinese_results(count: int = 40, seed: int = 1) -> list[dict[str, Any]]:
    results = [socrata_result(generate_package(i, seed)) for i in range(count)]
    assert len({r["resource"]["id"] for r in results}) == count
    return results


def socrata_source(url: str, source_id: str = "sd", **options: Any) -> Source:
    return Source(source_id, "socrata", url, "济南市公共数据开放平台 (Socrata)", options=options)


def harvest(ctx: Context, url: str, **options: Any) -> Job:
    return run_job(ctx, socrata_source(url, **options))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def values(ctx: Context, predicate: str, subject_filter: str = "") -> list[str]:
    rows = ctx.store.select(f"SELECT ?s ?o WHERE {{ GRAPH ?g {{ ?s <{predicate}> ?o }} {subject_filter} }}")
    return sorted(r["o"] for r in rows)


def of_dataset(ctx: Context, remote_id: str, predicate: str) -> list[str]:
    return values(ctx, predicate, f'FILTER(?s = <{ctx.iris.dataset("sd", remote_id)}>)')


def violations(ctx: Context) -> list[Any]:
    return feed_violations(ctx, "sd")


# --- the recorded Discovery API answer -------------------------------------------------------------------------


def test_the_recorded_discovery_answer_harvests_into_valid_dcat_ap_3(ctx: Context, portal: FixturePortal) -> None:
    url = portal.serve(DISCOVERY, fixture("sodapy_discovery_api_catalog_v1_results.json"), JSON)
    job = harvest(ctx, portal.url, language="en")
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert counts(job) == (7, 0, 0, 0, 0)
    assert violations(ctx) == []
    assert url.endswith(DISCOVERY) and requested(portal) == [
        {"domains": "127.0.0.1", "search_context": "127.0.0.1", "only": "datasets", "limit": "100", "offset": "0"}]
    assert of_dataset(ctx, "msk6-43c6", DCT + "title") == ['"Approved Building Permits"@en']
    assert of_dataset(ctx, "msk6-43c6", DCT + "license") == [f"<{EU}licence/CC_BY_3_0>"]
    assert of_dataset(ctx, "qcn7-gc3g", DCT + "license") == [f"<{EU}licence/CC_PDM_1_0>"]
    assert of_dataset(ctx, "msk6-43c6", DCT + "modified") == [
        '"2017-07-21T10:01:47Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>']
    assert of_dataset(ctx, "msk6-43c6", DCAT + "landingPage") == ["<https://data.cityofboston.gov/d/msk6-43c6>"]


def test_categories_become_themes_or_keywords_and_the_attribution_the_publisher(ctx: Context,
                                                                                portal: FixturePortal) -> None:
    portal.serve(DISCOVERY, fixture("sodapy_discovery_api_catalog_v1_results.json"), JSON)
    harvest(ctx, portal.url, language="en")
    # "Public Safety" (domain category) and "public safety" (category) name one EU theme; "Permitting" none
    assert of_dataset(ctx, "xvpn-2pnt", DCAT + "theme") == [f"<{EU}data-theme/JUST>"]
    keywords = {literal_parts(k)[0] for k in of_dataset(ctx, "msk6-43c6", DCAT + "keyword")}
    assert keywords == {"permits", "construction", "building", "Permitting", "housing & development",
                        "infrastructure"}
    names = {literal_parts(v)[0] for v in values(ctx, "http://xmlns.com/foaf/0.1/name")}
    assert {"Inspectional Services Division", "CMS", "opendata.howardcountymd.gov"} <= names  # no attribution


def test_exports_become_distributions_and_columns_a_table_schema(ctx: Context, portal: FixturePortal) -> None:
    portal.serve(DISCOVERY, fixture("sodapy_discovery_api_catalog_v1_results.json"), JSON)
    harvest(ctx, portal.url, language="en")
    downloads = set(values(ctx, DCAT + "downloadURL"))
    assert "<https://data.cityofboston.gov/api/views/msk6-43c6/rows.csv?accessType=DOWNLOAD>" in downloads
    assert "<https://data.cityofboston.gov/resource/msk6-43c6.json>" in downloads
    # a dataset with a Location column also has a GeoJSON export; one without has none
    assert "<https://data.cityofboston.gov/resource/msk6-43c6.geojson>" in downloads
    assert len([d for d in downloads if d.endswith(".geojson>")]) == sum(
        any(t in ("Location", "Point") for t in r["resource"]["columns_datatype"])
        for r in json.loads(fixture("sodapy_discovery_api_catalog_v1_results.json"))["results"])
    columns = ctx.store.select(f"""SELECT ?name ?type WHERE {{ GRAPH ?g {{
        ?dist <{CSVW}tableSchema>/<{CSVW}column> ?c . ?c <{CSVW}name> ?name . OPTIONAL {{ ?c <{CSVW}datatype> ?type }}
        FILTER(STRSTARTS(STR(?dist), "{ctx.iris.dataset("sd", "msk6-43c6")}/")) }} }}""")
    types = {literal_parts(r["name"])[0]: r.get("type") for r in columns}
    assert len(types) == 21
    assert types["issued_date"] == "<http://www.w3.org/2001/XMLSchema#dateTime>"
    assert types["total_fees"] == "<http://www.w3.org/2001/XMLSchema#decimal>"
    assert types["location"] == '"Location"'
    formats = set(values(ctx, DCT + "format"))
    assert formats == {f"<{EU}file-type/CSV>", f"<{EU}file-type/JSON>", f"<{EU}file-type/GEOJSON>"}


# --- the views API ------------------------------------------------------------------------------------------------


def chinese_view(package: dict[str, Any]) -> dict[str, Any]:
    """A demo package as /api/views/{id}.json metadata: epoch seconds, licenseId, category, columns."""
    result = socrata_result(package)
    resource = result["resource"]
    return {"id": resource["id"], "name": resource["name"], "description": resource["description"],
            "attribution": resource["attribution"], "category": result["classification"]["domain_category"],
            "tags": result["classification"]["domain_tags"], "licenseId": "CC_40_BY",
            "createdAt": 1600000000, "publicationDate": 1600000100, "rowsUpdatedAt": 1700000000,
            "viewLastModified": 1690000000, "displayType": "table", "viewType": "tabular",
            "owner": {"displayName": package["maintainer"], "id": "jnsj-0001"},
            "columns": [{"name": n, "fieldName": f, "dataTypeName": t.lower().replace(" ", "_"), "description": d}
                        for n, f, t, d in zip(resource["columns_name"], resource["columns_field_name"],
                                              resource["columns_datatype"], resource["columns_description"])]}


def serve_views(portal: FixturePortal, views: list[dict[str, Any]]) -> None:
    summaries = [{k: v for k, v in view.items() if k in ("id", "name", "rowsUpdatedAt", "viewLastModified")}
                 for view in views]
    portal.serve("/api/views.json", as_bytes(summaries), JSON)
    for view in views:
        portal.serve(f"/api/views/{view['id']}.json", as_bytes(view), JSON)


def test_the_views_api_reads_each_changed_view_once(ctx: Context, portal: FixturePortal) -> None:
    recorded = json.loads(fixture("sodapy_api_views_metadata.json"))  # it has no name: it fails alone
    views = [recorded, *(chinese_view(generate_package(i, 1)) for i in range(5))]
    serve_views(portal, views)
    job = harvest(ctx, portal.url, api="views", domain=DOMAIN)
    assert counts(job) == (5, 0, 0, 0, 1), job.message
    assert [(e.stage, e.remote_id, e.message) for e in job.errors] == [(Stage.MAP, "songs", "title is missing")]
    assert violations(ctx) == []
    fxf = views[1]["id"]
    assert of_dataset(ctx, fxf, DCT + "license") == [f"<{EU}licence/CC_BY_4_0>"]
    assert of_dataset(ctx, fxf, DCT + "modified") == [
        '"2023-11-14T22:13:20Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>']  # the later of the two
    assert of_dataset(ctx, fxf, DCAT + "landingPage") == [f"<https://{DOMAIN}/d/{fxf}>"]
    portal.requests.clear()
    again = harvest(ctx, portal.url, api="views", domain=DOMAIN)
    assert counts(again) == (0, 0, 5, 0, 1)
    details = [p for p in portal.requests if p.startswith("/api/views/")]
    assert details == ["/api/views/songs.json"]  # unchanged views cost no request; the failed one is retried


def test_the_recorded_views_metadata_maps_once_it_has_a_name(ctx: Context, portal: FixturePortal) -> None:
    recorded = {**json.loads(fixture("sodapy_api_views_metadata.json")), "name": "Songs"}
    serve_views(portal, [recorded])
    job = harvest(ctx, portal.url, api="views", domain="soda.demo.socrata.com", language="en")
    assert counts(job) == (1, 0, 0, 0, 0), job.message
    assert violations(ctx) == []
    assert of_dataset(ctx, "songs", DCT + "license") == [f"<{EU}licence/CC0>"]
    assert of_dataset(ctx, "songs", DCAT + "theme") == [f"<{EU}data-theme/JUST>"]
    assert of_dataset(ctx, "songs", DCT + "issued") == [
        '"2015-07-11T22:51:57Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>']
    source = values(ctx, DCT + "source")
    assert source == ["<https://soda.demo.socrata.com/d/songs>"]


# --- a Chinese catalog, page by page ---------------------------------------------------------------------------


def test_a_chinese_catalog_is_read_page_by_page_and_incrementally(ctx: Context, portal: FixturePortal) -> None:
    results = chinese_results()
    api(portal, DISCOVERY, discovery_api(results))
    job = harvest(ctx, portal.url, page_size=15, domain=DOMAIN)
    assert counts(job) == (40, 0, 0, 0, 0), job.message
    assert [q["offset"] for q in requested(portal)] == ["0", "15", "30"]
    assert violations(ctx) == []
    titles = {literal_parts(t)[0] for t in values(ctx, DCT + "title")}
    assert "济南市社会消费品零售总额统计" in titles
    publishers = {literal_parts(n)[0] for n in values(ctx, "http://xmlns.com/foaf/0.1/name")}
    assert {"济南市统计局", "济南市交通运输局", "济南市教育局"} <= publishers
    keywords = {literal_parts(k)[0] for k in values(ctx, DCAT + "keyword")}
    assert "政务公开" in keywords  # a category that names no EU theme stays a keyword
    assert f"<{EU}data-theme/TRAN>" in values(ctx, DCAT + "theme")
    before = record_graphs(ctx, "sd")
    assert counts(harvest(ctx, portal.url, page_size=15, domain=DOMAIN)) == (0, 0, 40, 0, 0)
    assert record_graphs(ctx, "sd") == before
    changed = [dict(r) for r in results[1:]]
    changed[0] = {**changed[0], "resource": {**changed[0]["resource"], "name": "济南市居民消费价格指数（修订）",
                                             "updatedAt": "2027-01-01T00:00:00.000Z"}}
    api(portal, DISCOVERY, discovery_api(changed))
    assert counts(harvest(ctx, portal.url, page_size=15, domain=DOMAIN)) == (0, 1, 38, 1, 0)


def test_the_marker_spares_unchanged_datasets_even_when_their_listing_noise_changes(
        ctx: Context, portal: FixturePortal) -> None:
    results = chinese_results(10)
    api(portal, DISCOVERY, discovery_api(results))
    harvest(ctx, portal.url, domain=DOMAIN)
    noisy = [{**r, "resource": {**r["resource"], "page_views": {"page_views_total": 43}}} for r in results]
    api(portal, DISCOVERY, discovery_api(noisy))
    assert counts(harvest(ctx, portal.url, domain=DOMAIN)) == (0, 0, 10, 0, 0)


def test_scroll_paging_asks_for_the_ids_after_the_last_one(ctx: Context, portal: FixturePortal) -> None:
    results = chinese_results()
    api(portal, DISCOVERY, discovery_api(results))
    job = harvest(ctx, portal.url, page_size=15, paging="scroll", domain=DOMAIN)
    assert counts(job) == (40, 0, 0, 0, 0), job.message
    ordered = sorted(r["resource"]["id"] for r in results)
    assert [q.get("scroll_id") for q in requested(portal)] == ["", ordered[14], ordered[29]]


def test_geographic_datasets_get_a_geojson_export(ctx: Context, portal: FixturePortal) -> None:
    results = chinese_results()
    api(portal, DISCOVERY, discovery_api(results))
    harvest(ctx, portal.url, domain=DOMAIN)
    geo = [r["resource"]["id"] for r in results if "Point" in r["resource"]["columns_datatype"]]
    assert geo
    assert sorted(d for d in values(ctx, DCAT + "downloadURL") if d.endswith(".geojson>")) == sorted(
        f"<https://{DOMAIN}/resource/{fxf}.geojson>" for fxf in geo)
    names = {literal_parts(n)[0] for n in values(ctx, CSVW + "name")}
    assert {"tjzb", "sz", "tjrq"} <= names and ":id" not in names  # system columns are left out


# --- what fails, and how ----------------------------------------------------------------------------------------


@pytest.fixture
def stored(ctx: Context, portal: FixturePortal) -> dict[str, list]:
    api(portal, DISCOVERY, discovery_api(chinese_results()))
    assert harvest(ctx, portal.url, page_size=15, domain=DOMAIN).counts.added == 40
    return record_graphs(ctx, "sd")


def test_a_portal_that_ignores_the_offset_stops_the_gather(ctx: Context, portal: FixturePortal,
                                                           stored: dict[str, list]) -> None:
    api(portal, DISCOVERY, discovery_api(chinese_results()[:-1], ignore_offset=True))
    message = failure(harvest(ctx, portal.url, page_size=15, domain=DOMAIN))
    assert "gather failed, nothing deleted" in message
    assert "page 2" in message and "already listed on page 1: paging loop" in message
    assert record_graphs(ctx, "sd") == stored


def test_a_listing_that_never_ends_stops_at_max_pages(ctx: Context, portal: FixturePortal,
                                                      stored: dict[str, list]) -> None:
    package = generate_package(0, 1)

    def endless(query: dict[str, str]) -> Answer:  # new ids on every page, and no total
        offset, limit = int(query["offset"]), int(query["limit"])
        page = [socrata_result({**package, "id": f"p{n}"}) for n in range(offset, offset + limit)]
        return Answer(as_bytes({"results": page}), JSON)

    api(portal, DISCOVERY, endless)
    message = failure(harvest(ctx, portal.url, page_size=15, max_pages=3, domain=DOMAIN))
    assert "did not end after 3 pages" in message
    assert len(requested(portal)) == 3 + 3  # the good harvest's three pages, then three
    assert record_graphs(ctx, "sd") == stored


def test_a_403_fails_the_gather_with_the_portals_message(ctx: Context, portal: FixturePortal,
                                                         stored: dict[str, list]) -> None:
    portal.serve(DISCOVERY, fixture("sodapy_403_error.json"), JSON, 403)
    message = failure(harvest(ctx, portal.url, domain=DOMAIN))
    assert "HTTP 403" in message and "You must be logged in to access this resource" in message
    assert record_graphs(ctx, "sd") == stored


@pytest.mark.parametrize("body, reason", [
    (as_bytes({"results": chinese_results(3), "resultSetSize": 3})[:3000], "is not valid JSON"),
    (b'{"error": true, "message": "Invalid search context"}', "has no list of results: Invalid search context"),
    ("济南".encode() + b"\xff\xfe", "neither valid UTF-8 nor gb18030"),
])
def test_a_broken_page_fails_the_gather_and_deletes_nothing(ctx: Context, portal: FixturePortal,
                                                            stored: dict[str, list], body: bytes,
                                                            reason: str) -> None:
    portal.serve(DISCOVERY, body, JSON)
    message = failure(harvest(ctx, portal.url, domain=DOMAIN))
    assert "gather failed, nothing deleted" in message and "page 1" in message and reason in message
    assert record_graphs(ctx, "sd") == stored


@pytest.mark.parametrize("encoding, content_type", [
    ("gbk", "application/json; charset=utf-8"), ("utf-8", "application/json; charset=gbk")])
def test_mislabelled_charsets_are_read_as_what_the_bytes_are(ctx: Context, portal: FixturePortal, encoding: str,
                                                             content_type: str) -> None:
    api(portal, DISCOVERY, discovery_api(chinese_results(), encoding=encoding, content_type=content_type))
    job = harvest(ctx, portal.url, page_size=15, domain=DOMAIN)
    assert counts(job) == (40, 0, 0, 0, 0), job.message
    assert '"济南市社会消费品零售总额统计"@zh' in values(ctx, DCT + "title")


def test_a_page_past_the_size_cap_fails_the_gather(tmp_path: Path, portal: FixturePortal) -> None:
    context = Context(make_settings(tmp_path / "data", http_max_bytes=64 * 1024))
    one = as_bytes(socrata_result(generate_package(0, 1))) + b","

    def endless() -> Iterator[bytes]:
        yield b'{"results": ['
        while True:
            yield one

    try:
        portal.serve(DISCOVERY, endless, JSON)
        message = failure(harvest(context, portal.url, domain=DOMAIN))
        assert "page 1" in message and "more than 65,536 bytes" in message
    finally:
        context.close()


def test_datasets_without_title_or_id_fail_alone(ctx: Context, portal: FixturePortal) -> None:
    results = chinese_results(12)
    results[2] = {**results[2], "resource": {**results[2]["resource"], "name": "  "}}
    results[5] = {**results[5], "resource": {k: v for k, v in results[5]["resource"].items() if k != "id"}}
    results.append(results[0])  # listed twice: harvested once
    api(portal, DISCOVERY, discovery_api(results))
    job = harvest(ctx, portal.url, domain=DOMAIN)
    assert job.status == JobStatus.PARTIAL
    assert counts(job) == (10, 0, 0, 0, 2)
    name = results[5]["resource"]["name"]
    assert sorted((e.stage, e.remote_id, e.message) for e in job.errors) == [
        (Stage.MAP, results[2]["resource"]["id"], "title is missing"),
        (Stage.MAP, "page 1, record 6 (no id)", f"page 1, record 6 ({name!r}) has no id"),
    ]
    assert violations(ctx) == []


def test_a_view_that_cannot_be_fetched_fails_alone_and_keeps_its_last_version(ctx: Context,
                                                                              portal: FixturePortal) -> None:
    views = [chinese_view(generate_package(i, 1)) for i in range(3)]
    serve_views(portal, views)
    assert harvest(ctx, portal.url, api="views", domain=DOMAIN).counts.added == 3
    views[0] = {**views[0], "viewLastModified": 1800000000}
    serve_views(portal, views)
    portal.serve(f"/api/views/{views[0]['id']}.json", fixture("sodapy_403_error.json"), JSON, 403)
    job = harvest(ctx, portal.url, api="views", domain=DOMAIN)
    assert counts(job) == (0, 0, 2, 0, 1)
    [error] = job.errors
    assert error.stage == Stage.FETCH and "You must be logged in" in error.message
    assert len(record_graphs(ctx, "sd")) == 3


def test_unknown_options_fail_the_job_with_the_choices(ctx: Context, portal: FixturePortal) -> None:
    message = failure(harvest(ctx, portal.url, api="odata"))
    assert "api should be one of catalog, views" in message
