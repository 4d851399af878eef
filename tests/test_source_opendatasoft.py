"""OpenDataSoft end to end against a real HTTP server on loopback: the official example answers of the Explore
API v2.1 (tests/fixtures/opendatasoft/), a generated Chinese ODS catalog of 济南 departments served page by
page, the offset limit and the catalog export past it, the DCAT export read by the dcat_rdf machinery, and the
ways a portal breaks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

import harvester.sources
from harvester.context import Context
from harvester.dcat.rdf import literal_parts
from harvester.demo.generator import generate_package
from harvester.http import PoliteClient
from harvester.jobs import run_job
from harvester.model import Job, JobStatus, Source, Stage
from harvester.sources import opendatasoft
from harvester.sources.opendatasoft import OpenDataSoftSource
from tests.conftest import make_settings
from tests.test_source_dcat_rdf import (  # noqa: F401 - fixtures: a portal on loopback, the registry hook
    BILLION_LAUGHS,
    DCAT,
    DCT,
    EU,
    RDF_XML,
    Answer,
    FixturePortal,
    chinese_catalog,
    counts,
    failure,
    portal,
    record_graphs,
    registered_source_types,
    reserialised,
)
from tests.test_source_dcat_rdf import violations as feed_violations
from tests.test_source_socrata import (
    CSVW,
    JSON,
    Handler,
    _Registered,
    api,
    as_bytes,
    requested,
)

FIXTURES = Path(__file__).parent / "fixtures" / "opendatasoft"
DATASETS = "/api/explore/v2.1/catalog/datasets"
EXPORT_JSON = "/api/explore/v2.1/catalog/exports/json"
EXPORT_DCAT = "/api/explore/v2.1/catalog/exports/dcat"
VCARD = "http://www.w3.org/2006/vcard/ns#"
#: the error answers of the Explore API v2.1 OpenAPI spec (components/responses bad_request and quota)
ODSQL_ERROR = {"message": "ODSQL query is malformed: invalid_function() Clause(s) containing the error(s): select.",
               "error_code": "ODSQLError"}
QUOTA_ERROR = {"errorcode": 10002, "reset_time": "2021-01-26T00:00:00Z", "limit_time_unit": "day",
               "call_limit": 10000, "error": "Too many requests on the domain. Please contact the domain administrator."}


@pytest.fixture(autouse=True)
def ods_registered(registered_source_types: None, monkeypatch: pytest.MonkeyPatch) -> None:
    types = dict(harvester.sources.source_types())
    types.setdefault("opendatasoft", _Registered(OpenDataSoftSource))
    monkeypatch.setattr(harvester.sources, "source_types", lambda: types)


# --- a Chinese ODS catalog ----------------------------------------------------------------------------------------


def ods_dataset(package: dict[str, Any]) -> dict[str, Any]:
    """A demo CKAN package as an Explore API v2.1 dataset, as a 济南 portal on OpenDataSoft would list it."""
    extras = {e["key"]: e["value"] for e in package["extras"]}
    start, _, end = extras["时间范围"].partition("/")
    geographic = package["organization"]["title"] == "济南市交通运输局"
    fields = [{"name": "tjzb", "label": "统计指标", "type": "text", "description": "指标名称", "annotations": {}},
              {"name": "sz", "label": "数值", "type": "double", "description": None, "annotations": {}},
              {"name": "tjrq", "label": "统计日期", "type": "date", "description": "统计截止日期", "annotations": {}}]
    if geographic:
        fields.append({"name": "zdwz", "label": "站点位置", "type": "geo_point_2d", "description": None,
                       "annotations": {}})
    return {
        "dataset_id": package["name"], "dataset_uid": "da_" + package["id"][:6], "has_records": True,
        "data_visible": True, "features": ["analyze", *(["geo"] if geographic else [])], "fields": fields,
        "attachments": [{"mimetype": "application/pdf", "url": "odsfile://说明.pdf", "id": "shuoming_pdf",
                         "title": "数据说明.pdf"}],
        "metas": {
            "default": {
                "title": package["title"], "description": f"<p>{package['notes']}</p>",
                "keyword": [t["name"] for t in package["tags"]],
                "theme": [package["groups"][0]["title"], "政务公开"], "publisher": package["organization"]["title"],
                "license": package["license_title"], "license_url": package["license_url"] or None,
                "modified": package["metadata_modified"] + "+00:00", "metadata_processed": "2026-11-01T00:00:00+00:00",
                "data_processed": "2026-11-01T00:00:00+00:00", "language": "zh", "territory": ["济南市"],
                "records_count": int(extras.get("数据量", 0)), "federated": False, "timezone": None,
            },
            "dcat": {
                "issued": extras["发布日期"], "contact_name": package["maintainer"] or package["author"],
                "contact_email": package["maintainer_email"] or package["author_email"],
                "accrualperiodicity": extras.get("更新频率") or extras.get("frequency"),
                "temporal_coverage_start": start, "temporal_coverage_end": end, "spatial": "济南市",
            },
        },
    }


def chinese_datasets(count: int = 45, seed: int = 1) -> list[dict[str, Any]]:
    datasets = [ods_dataset(generate_package(i, seed)) for i in range(count)]
    assert len({d["dataset_id"] for d in datasets}) == count
    return datasets


def explore_api(datasets: list[dict[str, Any]], *, ignore_offset: bool = False, total: int | None = -1,
                encoding: str = "utf-8", content_type: str = JSON) -> Handler:
    """The Explore API's catalog over ``datasets``: offset/limit paging, ``total_count`` (``None``: left out)."""

    def answer(query: dict[str, str]) -> Answer:
        offset = 0 if ignore_offset else int(query.get("offset", 0))
        limit = int(query.get("limit", 10))
        body: dict[str, Any] = {"results": datasets[offset:offset + limit]}
        if total is not None:
            body = {"total_count": len(datasets) if total == -1 else total, **body}
        return Answer(as_bytes(body, encoding), content_type)

    return answer


def ods_source(url: str, source_id: str = "ods", **options: Any) -> Source:
    return Source(source_id, "opendatasoft", url, "济南市公共数据开放平台 (OpenDataSoft)", options=options)


def harvest(ctx: Context, url: str, **options: Any) -> Job:
    return run_job(ctx, ods_source(url, **options))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def values(ctx: Context, predicate: str, subject_filter: str = "") -> list[str]:
    rows = ctx.store.select(f"SELECT ?s ?o WHERE {{ GRAPH ?g {{ ?s <{predicate}> ?o }} {subject_filter} }}")
    return sorted(r["o"] for r in rows)


def of_dataset(ctx: Context, remote_id: str, predicate: str) -> list[str]:
    return values(ctx, predicate, f'FILTER(?s = <{ctx.iris.dataset("ods", remote_id)}>)')


def texts(terms: list[str]) -> set[str]:
    return {literal_parts(t)[0] for t in terms}


def violations(ctx: Context) -> list[Any]:
    return feed_violations(ctx, "ods")


def dcat_export(portal: FixturePortal) -> bytes:
    """济南市统计局's demo datasets as the RDF/XML an ODS DCAT export serves."""
    return reserialised(chinese_catalog(portal.url), ox.RdfFormat.RDF_XML, portal.url)


# --- the official example answers --------------------------------------------------------------------------------

WORLD = "world-administrative-boundaries-countries-and-territories"
GEONAMES = "geonames-all-cities-with-a-population-1000"


def test_the_official_example_answer_harvests_into_valid_dcat_ap_3(ctx: Context, portal: FixturePortal) -> None:
    portal.serve(DATASETS, fixture("ods_openapi_example_datasets-v2.1.json"), JSON)
    job = harvest(ctx, portal.url)
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert counts(job) == (2, 0, 0, 0, 0)  # total_count says 19, but the page is short: the listing ends
    assert violations(ctx) == []
    # the datasets say they are in English: that beats the source's default language (zh)
    assert of_dataset(ctx, WORLD, DCT + "title") == ['"World Administrative Boundaries - Countries and Territories"@en']
    assert of_dataset(ctx, WORLD, DCT + "language") == [f"<{EU}language/ENG>"]
    assert of_dataset(ctx, WORLD, DCT + "license") == [f"<{EU}licence/OGL_3_0>"]
    [description] = texts(of_dataset(ctx, WORLD, DCT + "description"))
    assert description.startswith("This dataset displays level 0") and "<p>" not in description
    assert of_dataset(ctx, WORLD, DCAT + "landingPage") == [f"<{portal.url}/explore/dataset/{WORLD}/>"]
    assert f"<{portal.url}/explore/dataset/{WORLD}/>" in values(ctx, DCT + "source")
    # "Administration, Government, …" is ODS's own theme, no EU one: kept as a keyword
    assert "Administration, Government, Public finances, Citizenship" in texts(of_dataset(ctx, WORLD,
                                                                                           DCAT + "keyword"))


def test_exports_attachments_and_fields_become_distributions(ctx: Context, portal: FixturePortal) -> None:
    portal.serve(DATASETS, fixture("ods_openapi_example_datasets-v2.1.json"), JSON)
    harvest(ctx, portal.url)
    base = f"{portal.url}/api/explore/v2.1/catalog/datasets/{GEONAMES}"
    downloads = set(values(ctx, DCAT + "downloadURL"))
    assert {f"<{base}/exports/csv>", f"<{base}/exports/json>", f"<{base}/exports/geojson>",
            f"<{base}/attachments/cities1000_zip>"} <= downloads
    assert len(downloads) == 7  # three exports each (both have geographic fields), and one attachment
    rows = ctx.store.select(f"""SELECT ?name ?type WHERE {{ GRAPH ?g {{
        <{ctx.iris.dataset("ods", GEONAMES)}/distribution/0> <{CSVW}tableSchema>/<{CSVW}column> ?c .
        ?c <{CSVW}name> ?name . OPTIONAL {{ ?c <{CSVW}datatype> ?type }} }} }}""")
    fields = json.loads(fixture("ods_openapi_example_datasets-v2.1.json"))["results"][1]["fields"]
    types = {literal_parts(r["name"])[0]: r.get("type") for r in rows}
    assert len(types) == len(fields)
    assert types["population"] == "<http://www.w3.org/2001/XMLSchema#integer>"
    assert types["coordinates"] == '"geo_point_2d"'
    assert f"<{EU}file-type/ZIP>" in values(ctx, DCT + "format")


def test_the_single_dataset_example_maps_too(ctx: Context, portal: FixturePortal) -> None:
    dataset = json.loads(fixture("ods_openapi_example_dataset-v2.1.json"))
    portal.serve(DATASETS, as_bytes({"total_count": 1, "results": [dataset]}), JSON)
    job = harvest(ctx, portal.url)
    assert counts(job) == (1, 0, 0, 0, 0), job.message
    assert violations(ctx) == []
    assert of_dataset(ctx, GEONAMES, DCT + "modified") == [
        '"2021-06-23T07:50:20Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>']


# --- a Chinese catalog, page by page ---------------------------------------------------------------------------


def test_a_chinese_catalog_is_read_page_by_page_and_incrementally(ctx: Context, portal: FixturePortal) -> None:
    datasets = chinese_datasets()
    api(portal, DATASETS, explore_api(datasets))
    job = harvest(ctx, portal.url, page_size=20)
    assert counts(job) == (45, 0, 0, 0, 0), job.message
    assert [(q["offset"], q["limit"]) for q in requested(portal, DATASETS)] == [("0", "20"), ("20", "20"),
                                                                                 ("40", "20")]
    assert violations(ctx) == []
    first = "retail-sales-00017"  # 济南市统计局's, monthly, 2016–2019, kept by 唐勇
    assert of_dataset(ctx, first, DCT + "title") == ['"济南市社会消费品零售总额统计"@zh']
    assert of_dataset(ctx, first, DCT + "accrualPeriodicity") == [f"<{EU}frequency/MONTHLY>"]
    assert of_dataset(ctx, first, DCAT + "theme") == [f"<{EU}data-theme/ECON>"]
    assert "政务公开" in texts(of_dataset(ctx, first, DCAT + "keyword"))
    contact = of_dataset(ctx, first, DCAT + "contactPoint")
    assert texts(values(ctx, VCARD + "fn", f"FILTER(?s = {contact[0]})")) == {"唐勇"}
    period = of_dataset(ctx, first, DCT + "temporal")
    assert values(ctx, DCAT + "startDate", f"FILTER(?s = {period[0]})") == [
        '"2016-01-01"^^<http://www.w3.org/2001/XMLSchema#date>']
    before = record_graphs(ctx, "ods")
    assert counts(harvest(ctx, portal.url, page_size=20)) == (0, 0, 45, 0, 0)
    assert record_graphs(ctx, "ods") == before
    changed = [dict(d) for d in datasets[1:]]
    default = changed[0]["metas"]["default"]
    changed[0]["metas"] = {**changed[0]["metas"], "default": {
        **default, "title": "济南市居民消费价格指数（修订）", "metadata_processed": "2026-11-20T00:00:00+00:00"}}
    api(portal, DATASETS, explore_api(changed))
    assert counts(harvest(ctx, portal.url, page_size=20)) == (0, 1, 43, 1, 0)
    assert "济南市居民消费价格指数（修订）" in texts(values(ctx, DCT + "title"))


def test_geographic_datasets_get_a_geojson_export(ctx: Context, portal: FixturePortal) -> None:
    datasets = chinese_datasets()
    api(portal, DATASETS, explore_api(datasets))
    harvest(ctx, portal.url)
    geo = [d["dataset_id"] for d in datasets if "geo" in d["features"]]
    assert geo
    assert sorted(u for u in values(ctx, DCAT + "downloadURL") if u.endswith("/geojson>")) == sorted(
        f"<{portal.url}/api/explore/v2.1/catalog/datasets/{i}/exports/geojson>" for i in geo)


def test_a_catalog_past_the_offset_limit_is_read_from_the_catalog_export(ctx: Context, portal: FixturePortal) -> None:
    datasets = chinese_datasets()
    api(portal, DATASETS, explore_api(datasets, total=12_345))
    portal.serve(EXPORT_JSON, as_bytes(datasets), JSON)
    job = harvest(ctx, portal.url)
    assert counts(job) == (45, 0, 0, 0, 0), job.message
    assert [p.split("?")[0] for p in portal.requests if p != "/robots.txt"] == [DATASETS, EXPORT_JSON]


def test_a_listing_that_reaches_the_offset_limit_goes_on_with_the_export(ctx: Context, portal: FixturePortal,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(opendatasoft, "OFFSET_LIMIT", 40)  # 10,000 in production: too many records for a test
    datasets = chinese_datasets()
    api(portal, DATASETS, explore_api(datasets, total=None))
    portal.serve(EXPORT_JSON, as_bytes(datasets), JSON)
    job = harvest(ctx, portal.url, page_size=20)
    assert counts(job) == (45, 0, 0, 0, 0), job.message  # the first 40 are not listed twice
    assert [q.get("offset") for q in requested(portal, DATASETS)] == ["0", "20"]
    assert len(requested(portal, EXPORT_JSON)) == 1


def test_past_the_offset_limit_a_failing_export_fails_the_gather(ctx: Context, portal: FixturePortal) -> None:
    api(portal, DATASETS, explore_api(chinese_datasets(), total=12_345))
    message = failure(harvest(ctx, portal.url))
    assert "the catalog lists 12,345 datasets" in message and "offset + limit ≤ 10,000" in message
    assert "HTTP 404" in message


# --- the DCAT export ----------------------------------------------------------------------------------------------


def test_the_dcat_export_is_read_by_the_dcat_rdf_machinery(ctx: Context, portal: FixturePortal) -> None:
    portal.serve(EXPORT_DCAT, dcat_export(portal), RDF_XML)
    job = harvest(ctx, portal.url, dcat=True)
    assert counts(job) == (32, 0, 0, 0, 0), job.message
    assert violations(ctx) == []
    assert [p for p in portal.requests if p != "/robots.txt"] == [EXPORT_DCAT]
    assert '"济南市社会消费品零售总额统计"@zh' in values(ctx, DCT + "title")
    assert counts(harvest(ctx, portal.url, dcat=True)) == (0, 0, 32, 0, 0)


def test_a_dcat_ap_flavour_of_the_export_can_be_chosen(ctx: Context, portal: FixturePortal) -> None:
    portal.serve(EXPORT_DCAT + "_ap_de", dcat_export(portal), RDF_XML)
    job = harvest(ctx, portal.url, dcat="true", dcat_format="_ap_de")
    assert counts(job) == (32, 0, 0, 0, 0), job.message


def test_dcat_auto_reads_the_explore_api_when_the_export_is_off(ctx: Context, portal: FixturePortal) -> None:
    api(portal, DATASETS, explore_api(chinese_datasets()))
    job = harvest(ctx, portal.url, dcat="auto")
    assert counts(job) == (45, 0, 0, 0, 0), job.message
    assert [p.split("?")[0] for p in portal.requests if p != "/robots.txt"] == [EXPORT_DCAT, DATASETS]


def test_dcat_auto_reads_the_export_when_the_portal_serves_it(ctx: Context, portal: FixturePortal) -> None:
    api(portal, DATASETS, explore_api(chinese_datasets()))
    portal.serve(EXPORT_DCAT, dcat_export(portal), RDF_XML)
    assert counts(harvest(ctx, portal.url, dcat="auto")) == (32, 0, 0, 0, 0)


EMPTY_RDF_XML = b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'


def test_an_empty_dcat_export_fails_with_dcat_true_and_is_passed_over_with_auto(ctx: Context,
                                                                               portal: FixturePortal) -> None:
    api(portal, DATASETS, explore_api(chinese_datasets()))
    portal.serve(EXPORT_DCAT, EMPTY_RDF_XML, RDF_XML)
    assert "lists no dataset" in failure(harvest(ctx, portal.url, dcat=True))
    assert counts(harvest(ctx, portal.url, dcat="auto")) == (45, 0, 0, 0, 0)


@pytest.fixture
def stored_dcat(ctx: Context, portal: FixturePortal) -> dict[str, list]:
    portal.serve(EXPORT_DCAT, dcat_export(portal), RDF_XML)
    assert harvest(ctx, portal.url, dcat=True).counts.added == 32
    return record_graphs(ctx, "ods")


@pytest.mark.parametrize("body, status, reason", [
    (BILLION_LAUGHS.encode(), 200, "declares XML entities in its DOCTYPE; refused"),
    (None, 200, "is not valid RDF/XML"),  # truncated
    (b"Not Found", 404, "HTTP 404"),
])
def test_a_broken_dcat_export_fails_the_gather_and_deletes_nothing(
        ctx: Context, portal: FixturePortal, stored_dcat: dict[str, list], body: bytes | None, status: int,
        reason: str) -> None:
    portal.serve(EXPORT_DCAT, body if body is not None else dcat_export(portal)[:20_000], RDF_XML, status)
    message = failure(harvest(ctx, portal.url, dcat=True))
    assert "gather failed, nothing deleted: the DCAT export" in message and reason in message
    assert record_graphs(ctx, "ods") == stored_dcat


# --- what fails, and how ----------------------------------------------------------------------------------------


@pytest.fixture
def stored(ctx: Context, portal: FixturePortal) -> dict[str, list]:
    api(portal, DATASETS, explore_api(chinese_datasets()))
    assert harvest(ctx, portal.url, page_size=20).counts.added == 45
    return record_graphs(ctx, "ods")


def test_a_portal_that_ignores_the_offset_stops_the_gather(ctx: Context, portal: FixturePortal,
                                                           stored: dict[str, list]) -> None:
    api(portal, DATASETS, explore_api(chinese_datasets()[:-1], ignore_offset=True))
    message = failure(harvest(ctx, portal.url, page_size=20))
    assert "page 2" in message and "already listed on page 1: paging loop" in message
    assert record_graphs(ctx, "ods") == stored


def test_a_listing_that_never_ends_stops_at_max_pages(ctx: Context, portal: FixturePortal,
                                                      stored: dict[str, list]) -> None:
    one = ods_dataset(generate_package(0, 1))

    def endless(query: dict[str, str]) -> Answer:  # new ids on every page, and no total
        offset, limit = int(query["offset"]), int(query["limit"])
        page = [{**one, "dataset_id": f"d{n}"} for n in range(offset, offset + limit)]
        return Answer(as_bytes({"results": page}), JSON)

    api(portal, DATASETS, endless)
    message = failure(harvest(ctx, portal.url, page_size=20, max_pages=2))
    assert "did not end after 2 pages" in message
    assert record_graphs(ctx, "ods") == stored


@pytest.mark.parametrize("body, status, reason", [
    (as_bytes({"total_count": 3, "results": chinese_datasets(3)})[:3000], 200, "is not valid JSON"),
    (b'{"total_count": 3}', 200, "has no list of results"),
    ("济南".encode() + b"\xff\xfe", 200, "neither valid UTF-8 nor gb18030"),
    (as_bytes(ODSQL_ERROR), 400, "HTTP 400 from"),
    (as_bytes(QUOTA_ERROR), 429, "Too many requests on the domain"),
])
def test_a_broken_page_fails_the_gather_and_deletes_nothing(ctx: Context, portal: FixturePortal,
                                                            stored: dict[str, list], body: bytes, status: int,
                                                            reason: str) -> None:
    portal.serve(DATASETS, body, JSON, status)
    message = failure(harvest(ctx, portal.url))
    assert "gather failed, nothing deleted: page 1" in message and reason in message
    if status == 400:
        assert message.endswith(ODSQL_ERROR["message"])
    assert record_graphs(ctx, "ods") == stored


@pytest.mark.parametrize("encoding, content_type", [
    ("gbk", "application/json; charset=utf-8"), ("utf-8", "application/json; charset=gbk")])
def test_mislabelled_charsets_are_read_as_what_the_bytes_are(ctx: Context, portal: FixturePortal, encoding: str,
                                                             content_type: str) -> None:
    api(portal, DATASETS, explore_api(chinese_datasets(), encoding=encoding, content_type=content_type))
    job = harvest(ctx, portal.url, page_size=20)
    assert counts(job) == (45, 0, 0, 0, 0), job.message
    assert '"济南市社会消费品零售总额统计"@zh' in values(ctx, DCT + "title")


def test_a_page_past_the_size_cap_fails_the_gather(tmp_path: Path, portal: FixturePortal) -> None:
    context = Context(make_settings(tmp_path / "data", http_max_bytes=64 * 1024))
    one = as_bytes(ods_dataset(generate_package(0, 1))) + b","

    def endless() -> Iterator[bytes]:
        yield b'{"total_count": 100000, "results": ['
        while True:
            yield one

    try:
        portal.serve(DATASETS, endless, JSON)
        message = failure(harvest(context, portal.url))
        assert "page 1" in message and "more than 65,536 bytes" in message
    finally:
        context.close()


def test_datasets_without_title_or_id_fail_alone(ctx: Context, portal: FixturePortal) -> None:
    datasets = chinese_datasets(12)
    datasets[2]["metas"]["default"]["title"] = "暂无"  # a placeholder is no title
    del datasets[5]["dataset_id"]
    datasets.append(datasets[0])  # listed twice: harvested once
    api(portal, DATASETS, explore_api(datasets))
    job = harvest(ctx, portal.url)
    assert job.status == JobStatus.PARTIAL
    assert counts(job) == (10, 0, 0, 0, 2)
    assert sorted((e.stage, e.remote_id, e.message) for e in job.errors) == [
        (Stage.MAP, datasets[2]["dataset_id"], "title is missing"),
        (Stage.MAP, "page 1, record 6 (no id)", "page 1, record 6 has no dataset_id"),
    ]
    assert violations(ctx) == []


def test_the_offset_limit_is_never_passed() -> None:
    client = PoliteClient(retries=0)
    try:
        source = OpenDataSoftSource(ods_source("https://data.example.cn"), client, None)
        assert source._offset(100, 9_900, []) == {"offset": 9_900}
        with pytest.raises(opendatasoft.GatherError, match="offset 9,901"):
            source._offset(100, 9_901, [])
    finally:
        client.close()


def test_unknown_options_fail_the_job(ctx: Context, portal: FixturePortal) -> None:
    assert "source option dcat 'maybe': true, false or auto" in failure(harvest(ctx, portal.url, dcat="maybe"))
    assert "dcat_format '_ap_xx'" in failure(harvest(ctx, portal.url, dcat=True, dcat_format="_ap_xx"))
