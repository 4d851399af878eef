"""DCAT-US data.json end to end against a real HTTP server on loopback: recorded catalogs from data.gov's
harvester (tests/fixtures/dcat-us/), a generated Chinese catalog of 济南市统计局, and the ways a catalog breaks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harvester.context import Context
from harvester.dcat.rdf import literal_parts
from harvester.demo.dcat_feed import department_packages
from harvester.jobs import run_job
from harvester.mapping.emitters import slug
from harvester.model import Job, JobStatus, Source, Stage
from tests.conftest import make_settings
from tests.test_source_dcat_rdf import (  # noqa: F401 - fixtures: a portal on loopback, the registry hook
    DCAT,
    DCT,
    EU,
    FixturePortal,
    counts,
    failure,
    portal,
    record_graphs,
    registered_source_types,
    violations,
)

FIXTURES = Path(__file__).parent / "fixtures" / "dcat-us"
JSON = "application/json"


def datajson_source(url: str, source_id: str = "feed", **options: Any) -> Source:
    return Source(source_id, "datajson", url, "data.json", options=options)


def harvest(ctx: Context, url: str, **options: Any) -> Job:
    return run_job(ctx, datajson_source(url, **options))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def values(ctx: Context, predicate: str, subject_filter: str = "") -> list[str]:
    rows = ctx.store.select(f"SELECT ?s ?o WHERE {{ GRAPH ?g {{ ?s <{predicate}> ?o }} {subject_filter} }}")
    return sorted(r["o"] for r in rows)


def pod_dataset(package: dict[str, Any]) -> dict[str, Any]:
    """A demo CKAN package as a Project Open Data 1.1 dataset, the way a Chinese portal might export it."""
    extras = {e["key"]: e["value"] for e in package["extras"]}
    dataset: dict[str, Any] = {
        "@type": "dcat:Dataset", "identifier": extras["资源代码"], "title": package["title"],
        "description": package["notes"], "keyword": [t["name"] for t in package["tags"]],
        "modified": package["metadata_modified"][:10], "issued": extras["发布日期"][:10],
        "publisher": {"@type": "org:Organization", "name": package["organization"]["title"]},
        "contactPoint": {"@type": "vcard:Contact", "fn": package["maintainer"] or package["author"],
                         "hasEmail": "mailto:" + (package["maintainer_email"] or package["author_email"])},
        "accessLevel": "public" if extras["开放类型"] == "无条件开放" else "restricted public",
        "spatial": extras.get("空间范围") or extras.get("spatial"), "temporal": extras["时间范围"],
        "accrualPeriodicity": extras.get("更新频率") or extras.get("frequency"), "language": ["zh-CN"],
        "theme": [g["title"] for g in package["groups"]], "landingPage": package["url"],
        "bureauCode": ["370100:TJ"],
        "distribution": [{"@type": "dcat:Distribution", "downloadURL": r["url"], "mediaType": r["mimetype"],
                          "format": r["format"], "title": r["name"], "description": r["description"]}
                         for r in package["resources"]],
    }
    if package.get("license_url"):
        dataset["license"] = package["license_url"]
    return dataset


def chinese_catalog(packages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    chosen = department_packages() if packages is None else packages
    return {"@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld", "@type": "dcat:Catalog",
            "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
            "dataset": [pod_dataset(p) for p in chosen]}


def as_bytes(document: Any, encoding: str = "utf-8") -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1).encode(encoding)


# --- recorded catalogs ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, records", [
    ("gsa_cftc_dcatus.json", 7),
    ("gsa_dcatus3_0_example_SYNTHETIC.json", 4),
    ("gsa_dcatus3_0_series_SYNTHETIC.json", 3),
    ("gsa_oakland_bad_license_uri.json", 1),
    ("gsa_usgs_long_description.json", 1),
    ("gsa_wa_dol_single_dataset.json", 1),
])
def test_recorded_catalogs_harvest_into_valid_dcat_ap_3(ctx: Context, portal: FixturePortal, name: str,
                                                        records: int) -> None:
    job = harvest(ctx, portal.serve("/data.json", fixture(name), JSON), language="en")
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert counts(job) == (records, 0, 0, 0, 0)
    assert violations(ctx) == []


def test_project_open_data_fields_become_dcat_ap_3(ctx: Context, portal: FixturePortal) -> None:
    harvest(ctx, portal.serve("/data.json", fixture("gsa_cftc_dcatus.json"), JSON), language="en")
    # "modified": "R/P1W" is an update frequency in Project Open Data, not a date
    assert f"<{EU}frequency/WEEKLY>" in values(ctx, DCT + "accrualPeriodicity")
    assert all("R/P" not in v for v in values(ctx, DCT + "modified"))
    assert set(values(ctx, DCT + "accessRights")) == {f"<{EU}access-right/PUBLIC>"}
    assert '"Commitment of Traders"@en' in values(ctx, DCT + "title")
    kept = {literal_parts(v)[0] for v in values(ctx, "http://schema.org/name")}
    assert {"bureauCode", "programCode"} <= kept
    assert '"cftc-dc1"' in values(ctx, DCT + "identifier")


def test_series_members_link_to_the_series_record(ctx: Context, portal: FixturePortal) -> None:
    harvest(ctx, portal.serve("/data.json", fixture("gsa_dcatus3_0_series_SYNTHETIC.json"), JSON), language="en")
    [series] = [r["s"] for r in ctx.store.select(
        f"SELECT ?s WHERE {{ GRAPH ?g {{ ?s a <{DCAT}DatasetSeries> ; a <{DCAT}Dataset> }} }}")]
    assert series == f"<{ctx.iris.base}/dataset/feed/{_key('https://example.gov/series/annual-report')}>"
    members = ctx.store.select(f"SELECT DISTINCT ?d WHERE {{ GRAPH ?g {{ ?d <{DCAT}inSeries> {series} }} }}")
    assert len(members) == 2


def _key(remote_id: str) -> str:
    return slug(remote_id)


def test_a_licence_nobody_recognises_is_kept_as_a_licence_document(ctx: Context, portal: FixturePortal) -> None:
    harvest(ctx, portal.serve("/data.json", fixture("gsa_oakland_bad_license_uri.json"), JSON), language="en")
    [licence] = values(ctx, DCT + "license")
    labels = values(ctx, "http://www.w3.org/2000/01/rdf-schema#label", f"FILTER(?s = {licence})")
    assert labels and "OPEN DATA" in labels[0]


def test_a_very_long_description_is_cut_at_20000_characters(ctx: Context, portal: FixturePortal) -> None:
    original = json.loads(fixture("gsa_usgs_long_description.json"))["dataset"][0]["description"]
    assert len(original) > 20_000
    harvest(ctx, portal.serve("/data.json", fixture("gsa_usgs_long_description.json"), JSON), language="en")
    text = max((literal_parts(v)[0] for v in values(ctx, DCT + "description")), key=len)
    assert len(text) == 20_000 and original.startswith(text)


# --- a Chinese catalog ---------------------------------------------------------------------------------------------


def test_a_chinese_catalog_harvests_incrementally_by_content(ctx: Context, portal: FixturePortal) -> None:
    packages = department_packages()
    url = portal.serve("/data.json", as_bytes(chinese_catalog(packages)), JSON)
    assert counts(harvest(ctx, url)) == (32, 0, 0, 0, 0)
    assert violations(ctx) == []
    assert f"<{EU}frequency/MONTHLY>" in values(ctx, DCT + "accrualPeriodicity")
    assert f"<{EU}access-right/RESTRICTED>" in values(ctx, DCT + "accessRights")
    assert f"<{EU}language/ZHO>" in values(ctx, DCT + "language")
    before = record_graphs(ctx)
    assert counts(harvest(ctx, url)) == (0, 0, 32, 0, 0)
    assert record_graphs(ctx) == before
    changed = [dict(p) for p in packages[1:]]
    changed[0]["title"] = "济南市居民消费价格指数（修订）"
    portal.serve("/data.json", as_bytes(chinese_catalog(changed)), JSON)
    assert counts(harvest(ctx, url)) == (0, 1, 30, 1, 0)


@pytest.mark.parametrize("encoding, content_type", [
    ("gbk", "application/json; charset=utf-8"), ("utf-8", "application/json; charset=gbk")])
def test_mislabelled_charsets_are_read_as_what_the_bytes_are(ctx: Context, portal: FixturePortal, encoding: str,
                                                             content_type: str) -> None:
    job = harvest(ctx, portal.serve("/data.json", as_bytes(chinese_catalog(), encoding), content_type))
    assert counts(job) == (32, 0, 0, 0, 0), job.message
    assert '"济南市社会消费品零售总额统计"@zh' in values(ctx, DCT + "title")


# --- what fails, and how ----------------------------------------------------------------------------------------


@pytest.fixture
def stored(ctx: Context, portal: FixturePortal) -> dict[str, list]:
    assert harvest(ctx, portal.serve("/data.json", as_bytes(chinese_catalog()), JSON)).counts.added == 32
    return record_graphs(ctx)


@pytest.mark.parametrize("body, reason", [
    (as_bytes(chinese_catalog())[:40_000], "is not valid JSON"),
    (b'{"catalog": "none"}', "neither a data.json catalog"),
    (b'{"dataset": {"title": "x"}}', "'dataset' and 'datasetSeries' should be lists"),
    ("济南".encode() + b"\xff\xfe", "neither valid UTF-8 nor gb18030"),
])
def test_a_broken_catalog_fails_the_gather_and_deletes_nothing(ctx: Context, portal: FixturePortal,
                                                               stored: dict[str, list], body: bytes,
                                                               reason: str) -> None:
    portal.serve("/data.json", body, JSON)
    message = failure(harvest(ctx, portal.url + "/data.json"))
    assert "gather failed, nothing deleted" in message and reason in message
    assert record_graphs(ctx) == stored


def test_datasets_without_title_or_identifier_fail_alone(ctx: Context, portal: FixturePortal) -> None:
    catalog = chinese_catalog()
    catalog["dataset"][2]["title"] = "  "
    del catalog["dataset"][5]["identifier"]
    catalog["dataset"].append(dict(catalog["dataset"][0]))  # listed twice: harvested once
    job = harvest(ctx, portal.serve("/data.json", as_bytes(catalog), JSON))
    assert job.status == JobStatus.PARTIAL
    assert counts(job) == (30, 0, 0, 0, 2)
    messages = sorted((e.stage, e.remote_id, e.message) for e in job.errors)
    assert messages == [
        (Stage.MAP, catalog["dataset"][2]["identifier"], "title is missing"),
        (Stage.MAP, "dataset 6 (no identifier)", f"dataset 6 ({catalog['dataset'][5]['title']!r}) has no identifier"),
    ]


def test_a_distribution_without_any_url_fails_its_dataset(ctx: Context, portal: FixturePortal) -> None:
    catalog = chinese_catalog()
    catalog["dataset"][0]["distribution"][0].pop("downloadURL")
    job = harvest(ctx, portal.serve("/data.json", as_bytes(catalog), JSON))
    assert counts(job) == (31, 0, 0, 0, 1)
    assert "distribution accessURL or downloadURL is missing" in job.errors[0].message


def test_a_catalog_past_the_size_cap_fails_the_gather(tmp_path: Path, portal: FixturePortal) -> None:
    context = Context(make_settings(tmp_path / "data", http_max_bytes=64 * 1024))

    one = as_bytes(pod_dataset(department_packages()[0])) + b","

    def endless() -> Iterator[bytes]:
        yield b'{"dataset": ['
        while True:
            yield one

    try:
        portal.serve("/data.json", endless, JSON)
        message = failure(harvest(context, portal.url + "/data.json"))
        assert "more than 65,536 bytes" in message
    finally:
        context.close()
