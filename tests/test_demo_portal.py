"""The demo portal: deterministic package generation, the CKAN action API over real HTTP on an ephemeral port,
mutations between harvests and the fault switches."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Iterator

import pytest
import requests

from harvester.demo import BROKEN_KINDS, DemoPortal, RunningPortal, generate_package, serve
from harvester.demo.__main__ import parse_arguments
from harvester.demo.departments import DEMO_NAMESPACE, DEPARTMENTS, with_credit_check
from harvester.demo.identity import format_ckan_time, parse_ckan_time
from harvester.demo.vocabulary import GROUPS, LICENSES

TIMEOUT = 10
CKAN_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
SORTS = ["metadata_modified asc", "metadata_modified desc", "id asc", "name asc", None]
SORT_KEYS = {"metadata_modified": lambda p: p["metadata_modified"], "id": lambda p: p["id"],
             "name": lambda p: p["name"]}


@pytest.fixture(scope="module")
def demo() -> Iterator[RunningPortal]:
    """The default portal, shared by the tests that only read it."""
    with serve(DemoPortal()) as running:
        yield running


@pytest.fixture(scope="module")
def default_packages() -> list[dict[str, Any]]:
    return [generate_package(index) for index in range(DemoPortal().size)]


@pytest.fixture
def small() -> Iterator[RunningPortal]:
    """A small portal of its own, for tests that mutate it or flip its fault switches."""
    with serve(DemoPortal(size=45, seed=7)) as running:
        yield running


def call(running: RunningPortal, action: str, **params: Any) -> requests.Response:
    return requests.get(f"{running.url}/api/3/action/{action}", params=params, timeout=TIMEOUT)


def result(running: RunningPortal, action: str, **params: Any) -> Any:
    response = call(running, action, **params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    envelope = response.json()
    assert envelope["success"] is True
    assert envelope["help"] == f"{running.url}/api/3/action/help_show?name={action}"
    return envelope["result"]


def harvest(running: RunningPortal, rows: int = 50, **params: Any) -> list[dict[str, Any]]:
    """Every package, paging package_search the way a harvester does."""
    packages: list[dict[str, Any]] = []
    while True:
        page = result(running, "package_search", rows=rows, start=len(packages), **params)
        packages += page["results"]
        if not page["results"] or len(packages) >= page["count"]:
            return packages


# -- generation ----------------------------------------------------------------------------------------------------

def test_same_index_and_seed_give_byte_identical_json() -> None:
    for index in (0, 1, 359, 123_456):
        first = json.dumps(generate_package(index, seed=5), ensure_ascii=False)
        assert json.dumps(generate_package(index, seed=5), ensure_ascii=False) == first
        assert json.dumps(generate_package(index, seed=6), ensure_ascii=False) != first


def test_ids_names_and_timestamps_are_well_formed(default_packages: list[dict[str, Any]]) -> None:
    assert len({p["id"] for p in default_packages}) == len({p["name"] for p in default_packages}) == 360
    for package in default_packages:
        assert uuid.UUID(package["id"]).version == 5
        assert re.fullmatch(r"[a-z0-9-]+", package["name"])
        assert CKAN_TIME.match(package["metadata_created"]) and CKAN_TIME.match(package["metadata_modified"])
        assert "2019" <= package["metadata_created"] <= package["metadata_modified"] < "2027"
        for resource in package["resources"]:
            assert resource["id"] == str(uuid.uuid5(DEMO_NAMESPACE, f"resource:{package['id']}:{resource['position']}"))
            assert resource["package_id"] == package["id"]
            assert package["metadata_created"] <= resource["created"] <= package["metadata_modified"]


def test_package_fields_follow_ckan(default_packages: list[dict[str, Any]]) -> None:
    licence_ids = {licence.id for licence in LICENSES}
    for package in default_packages:
        assert package["title"] and 60 <= len(package["notes"]) <= 300
        assert 3 <= package["num_tags"] == len(package["tags"]) <= 8
        assert 1 <= package["num_resources"] == len(package["resources"]) <= 4
        assert package["license_id"] in licence_ids
        assert package["owner_org"] == package["organization"]["id"]
        assert package["state"] == "active" and package["type"] == "dataset" and package["private"] is False
        assert {g["name"]: g["title"] for g in package["groups"]}.items() <= {
            name: group.title for name, group in GROUPS.items()}.items()
        assert 1 <= len(package["groups"]) <= 2
        assert package["url"].startswith("http://") and package["url"].endswith(package["name"])


def test_extras_use_chinese_keys_with_some_english_variants(default_packages: list[dict[str, Any]]) -> None:
    key_sets = [{e["key"]: e["value"] for e in p["extras"]} for p in default_packages]
    for package, extras in zip(default_packages, key_sets):
        assert {"开放类型", "资源代码", "时间范围", "发布日期", "联系电话", "language", "数据量"} <= extras.keys()
        assert ("更新频率" in extras) != ("frequency" in extras)
        assert ("空间范围" in extras) != ("spatial" in extras)
        assert ("开放条件" in extras) == (extras["开放类型"] == "有条件开放")
        issued = datetime.fromisoformat(package["metadata_created"]) + timedelta(hours=8)
        assert extras["发布日期"] == issued.strftime("%Y-%m-%d %H:%M:%S")
        assert re.fullmatch(r"0531-8\d{7}", extras["联系电话"]) and extras["数据量"].isdigit()
    conditional = sum(e["开放类型"] == "有条件开放" for e in key_sets) / len(key_sets)
    assert 0.15 < conditional < 0.35
    assert 0 < sum("frequency" in e for e in key_sets) < len(key_sets) / 3


def test_corpus_has_the_words_searches_rely_on(default_packages: list[dict[str, Any]]) -> None:
    text = " ".join(f"{p['title']} {p['notes']} {p['organization']['title']} "
                    f"{' '.join(t['name'] for t in p['tags'])} {p.get('title_translated', {}).get('en', '')}"
                    for p in default_packages)
    for word in ("交通运输局", "公共交通", "空气质量", "GDP", "PM2.5", "bus", "air quality", "Bus"):
        assert word in text, word
    translated = sum("title_translated" in p for p in default_packages) / len(default_packages)
    assert 0.45 < translated < 0.75
    assert 2.5 < sum(p["num_resources"] for p in default_packages) / len(default_packages) < 3.5
    assert sum(p["maintainer"] == "" for p in default_packages) > 0


def test_organizations_have_valid_credit_codes() -> None:
    assert len(DEPARTMENTS) >= 10
    for department in DEPARTMENTS:
        organization = department.as_organization()
        code = organization["extras"][0]["value"]
        assert organization["extras"][0]["key"] == "统一社会信用代码"
        assert len(code) == 18 and code.startswith("11370100") and with_credit_check(code[:17]) == code
        assert organization["is_organization"] is True and organization["type"] == "organization"


def test_timestamps_round_trip() -> None:
    assert format_ckan_time(parse_ckan_time("2023-05-11T02:22:33.123456")) == "2023-05-11T02:22:33.123456"
    assert format_ckan_time(0) == "1970-01-01T00:00:00.000000"


# -- the action API --------------------------------------------------------------------------------------------------

def test_default_portal_has_360_datasets_from_many_departments(demo: RunningPortal) -> None:
    assert result(demo, "package_search", rows=0)["count"] == 360
    organizations = result(demo, "organization_list", all_fields="true")
    assert len([o for o in organizations if o["package_count"] > 0]) >= 8
    assert sum(o["package_count"] for o in organizations) == 360
    assert result(demo, "organization_list") == sorted(o["name"] for o in organizations)
    assert set(result(demo, "group_list")) == set(GROUPS)
    assert result(demo, "status_show")["site_title"] == "济南市公共数据开放平台（演示）"


@pytest.mark.parametrize("sort", SORTS)
def test_paging_covers_every_package_exactly_once(demo: RunningPortal, sort: str | None) -> None:
    packages = harvest(demo, rows=70, **({"sort": sort} if sort else {}))
    assert len(packages) == len({p["id"] for p in packages}) == 360
    field, direction = (sort or "metadata_modified desc").split()
    keys = [SORT_KEYS[field](p) for p in packages]
    assert keys == sorted(keys, reverse=direction == "desc")


def test_fq_filters_on_metadata_modified(demo: RunningPortal) -> None:
    everything = harvest(demo, rows=100)
    cutoff = sorted(p["metadata_modified"] for p in everything)[300]
    expected = {p["id"] for p in everything if p["metadata_modified"] >= cutoff}
    for fq in (f"metadata_modified:[{cutoff}Z TO *]", f"metadata_modified:[{cutoff}Z TO NOW]"):
        found = harvest(demo, rows=25, fq=fq, sort="metadata_modified asc")
        assert {p["id"] for p in found} == expected


def test_q_matches_titles_and_publishers(demo: RunningPortal) -> None:
    traffic = harvest(demo, q="交通")
    assert {"济南市交通运输局", "济南市公安局"} <= {p["organization"]["title"] for p in traffic}
    assert all("空气" in p["title"] for p in harvest(demo, q="空气"))
    assert result(demo, "package_search", q="*:*")["count"] == 360


def test_package_search_accepts_post_json_and_caps_rows(demo: RunningPortal) -> None:
    response = requests.post(f"{demo.url}/api/3/action/package_search", timeout=TIMEOUT,
                             json={"rows": 5000, "start": 0, "sort": "name asc", "fq": "organization:jntjj"})
    page = response.json()["result"]
    assert page["count"] == len(page["results"]) > 0
    assert {p["organization"]["name"] for p in page["results"]} == {"jntjj"}


@pytest.mark.parametrize("params", [{"fq": "res_format:CSV"}, {"sort": "title asc"}, {"rows": "many"}])
def test_bad_queries_answer_409(demo: RunningPortal, params: dict[str, str]) -> None:
    response = call(demo, "package_search", **params)
    assert response.status_code == 409 and response.json()["success"] is False


def test_package_show_by_id_and_by_name(demo: RunningPortal) -> None:
    listed = result(demo, "package_search", rows=3, sort="name asc")["results"]
    for package in listed:
        assert result(demo, "package_show", id=package["id"]) == package
        assert result(demo, "package_show", id=package["name"]) == package


def test_unknown_package_answers_the_ckan_404_envelope(demo: RunningPortal) -> None:
    for reference in ("no-such-dataset", str(uuid.uuid4()), "air-quality-daily-99999"):
        response = call(demo, "package_show", id=reference)
        assert response.status_code == 404
        assert response.json() == {"help": f"{demo.url}/api/3/action/help_show?name=package_show",
                                   "success": False, "error": {"__type": "Not Found Error", "message": "Not found"}}
    assert call(demo, "no_such_action").status_code == 400


def test_package_list_pages_names(demo: RunningPortal) -> None:
    names = result(demo, "package_list")
    assert len(names) == 360 and names == sorted(names)
    assert result(demo, "package_list", limit=10, offset=20) == names[20:30]


def test_resource_links_answer_200(demo: RunningPortal) -> None:
    packages = result(demo, "package_search", rows=12)["results"]
    formats: Counter[str] = Counter()
    for resource in (r for p in packages for r in p["resources"]):
        assert resource["url"].startswith(demo.url)
        response = requests.get(resource["url"], timeout=TIMEOUT)
        assert response.status_code == 200 and response.content
        formats[resource["format"]] += 1
        if resource["format"] == "CSV":
            assert len(response.content.decode("utf-8").splitlines()) == 3
        elif resource["format"] == "API":
            assert response.json()["data"]["rows"]
    assert len(formats) >= 3
    missing = f"{demo.url}/dataset/{packages[0]['name']}/resource/{uuid.uuid4()}/download/x.csv"
    assert requests.get(missing, timeout=TIMEOUT).status_code == 404


def test_pages_and_request_log(demo: RunningPortal) -> None:
    before = demo.requests["/"]
    response = requests.get(demo.url + "/", timeout=TIMEOUT)
    assert response.status_code == 200 and "济南市公共数据开放平台（演示）" in response.text
    assert demo.requests["/"] == before + 1
    requests.post(f"{demo.url}/api/3/action/package_search", json={"fq": "organization:jngaj"}, timeout=TIMEOUT)
    assert demo.queries[-1] == "/api/3/action/package_search?fq=organization%3Ajngaj"
    name = result(demo, "package_list", limit=1)[0]
    assert requests.get(f"{demo.url}/dataset/{name}", timeout=TIMEOUT).status_code == 200


# -- mutations -------------------------------------------------------------------------------------------------------

def test_edit_changes_title_and_bumps_modified(small: RunningPortal) -> None:
    before = result(small, "package_show", id=small.portal.package(3)["name"])
    since = format_ckan_time(time.time_ns() // 1000 - 1)
    small.portal.edit([3, 5])
    after = result(small, "package_show", id=before["id"])
    assert after["title"] != before["title"] and after["notes"] != before["notes"]
    assert after["metadata_modified"] > max(before["metadata_modified"], since)
    changed = harvest(small, fq=f"metadata_modified:[{since}Z TO *]")
    assert sorted(p["name"] for p in changed) == sorted(small.portal.package(i)["name"] for i in (3, 5))
    assert harvest(small, sort="metadata_modified desc")[0]["id"] == small.portal.package(5)["id"]


def test_remove_drops_packages_everywhere(small: RunningPortal) -> None:
    gone = small.portal.package(10)
    small.portal.remove([10, 11])
    assert result(small, "package_search", rows=0)["count"] == 43
    assert call(small, "package_show", id=gone["id"]).status_code == 404
    assert gone["name"] not in result(small, "package_list")
    assert gone["id"] not in {p["id"] for p in harvest(small)}
    assert sum(o["package_count"] for o in result(small, "organization_list", all_fields=True)) == 43


def test_add_publishes_new_packages_now(small: RunningPortal) -> None:
    since = format_ckan_time(time.time_ns() // 1000 - 1)
    assert list(small.portal.add(3)) == [45, 46, 47]
    assert result(small, "package_search", rows=0)["count"] == 48
    new = harvest(small, fq=f"metadata_modified:[{since}Z TO *]")
    assert len(new) == 3
    for package in new:
        assert package["metadata_created"] == package["metadata_modified"] >= since
        assert all(r["created"] == package["metadata_created"] for r in package["resources"])


# -- fault switches --------------------------------------------------------------------------------------------------

def test_failing_search_page_answers_500(small: RunningPortal) -> None:
    small.portal.fail_search_page = 3
    statuses = [call(small, "package_search", rows=10, start=start).status_code for start in (0, 10, 20, 30)]
    assert statuses == [200, 200, 500, 200]
    small.portal.fail_search_times = 1
    assert [call(small, "package_search", rows=10, start=20).status_code for _ in range(2)] == [500, 200]


def test_disabled_search_answers_404_but_list_and_show_work(small: RunningPortal) -> None:
    small.portal.search_disabled = True
    assert call(small, "package_search").status_code == 404
    names = result(small, "package_list")
    assert len(names) == 45
    assert result(small, "package_show", id=names[0])["name"] == names[0]


@pytest.mark.parametrize("kind", BROKEN_KINDS)
def test_broken_records_are_served_broken(small: RunningPortal, kind: str) -> None:
    small.portal.broken = {4: kind}
    name = small.portal.package(4)["name"]
    shown = result(small, "package_show", id=name)
    listed = next(p for p in harvest(small) if p["name"] == name)
    for package in (shown, listed):
        if kind == "missing_title":
            assert package["title"] == "" and "title_translated" not in package
        elif kind == "bad_date":
            assert package["metadata_modified"] == "not-a-date"
        else:
            assert not isinstance(package["resources"], list) and not isinstance(package["tags"], list)


# -- scale and entry point -------------------------------------------------------------------------------------------

def test_large_portal_serves_any_page_without_generating_everything() -> None:
    portal = DemoPortal(size=50_000, seed=2)
    count, last_page = portal.search(sort="metadata_modified asc", start=49_990, rows=10)
    assert count == 50_000 and len(last_page) == 10
    modified = [portal.modified_us(index) for index in last_page]
    assert modified == sorted(modified)
    assert portal.find(portal.package(49_999)["id"]) == 49_999


def test_main_reads_its_options() -> None:
    arguments = parse_arguments(["--datasets", "1000", "--port", "0", "--seed", "9"])
    assert (arguments.datasets, arguments.port, arguments.seed) == (1000, 0, 9)


def test_package_search_returns_only_the_fields_named_by_fl() -> None:
    with serve(DemoPortal(size=5)) as running:
        reply = requests.get(f"{running.url}/api/3/action/package_search",
                             params={"fl": "id,metadata_modified", "rows": 5}, timeout=5).json()
    assert [sorted(p) for p in reply["result"]["results"]] == [["id", "metadata_modified"]] * 5


def test_listing_fields_agree_with_the_full_package() -> None:
    portal = DemoPortal(size=40)
    portal.edit([3])
    portal.add(1)
    for index in (0, 3, 17, 40):
        full = portal.package(index)
        assert portal.fields(index, ["id", "name", "metadata_modified"]) == \
            {k: full[k] for k in ("id", "name", "metadata_modified")}
