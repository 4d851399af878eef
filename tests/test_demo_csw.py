"""The demo CSW catalogue of 济南市自然资源和规划局 (harvester/demo/csw_portal.py): what it answers, and a harvest of it
end to end (every record valid DCAT-AP 3 with a bounding box inside Jinan; a second harvest asks for changes only)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from harvester.context import Context
from harvester.demo.csw_portal import GMD, SOURCE_ID, SOURCE_TITLE, CswPortal, start_csw_demo
from harvester.demo.csw_records import BBOXES, generate_entries, iso19139_xml
from harvester.demo.custom_server import RunningCustomPortal
from harvester.demo.run import _start_portals
from harvester.jobs import run_job
from harvester.model import JobStatus, Source
from harvester.sources.iso_xml import find_all, local, parse_xml
from tests.test_source_dcat_rdf import counts, record_graphs, violations

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@pytest.fixture
def demo() -> Iterator[RunningCustomPortal]:
    running = start_csw_demo()
    try:
        yield running
    finally:
        running.stop()


def source(url: str) -> Source:
    return Source(SOURCE_ID, "csw", url, SOURCE_TITLE, options={"delay": 0.0})


def get(url: str, **params: Any) -> Any:
    """The parsed XML answer of a KVP request."""
    response = requests.get(url, params={"service": "CSW", "version": "2.0.2", **params}, timeout=10)
    assert response.status_code == 200
    return parse_xml(response.content)


def test_records_are_generated_the_same_for_a_seed_and_stay_in_jinan() -> None:
    entries = generate_entries(48, seed=1)
    assert 30 <= len(entries) <= 60
    assert [iso19139_xml(e, "http://x") for e in entries] == \
        [iso19139_xml(e, "http://x") for e in generate_entries(48, seed=1)]
    assert [e.modified for e in entries] != [e.modified for e in generate_entries(48, seed=2)]
    assert len({e.id for e in entries}) == len({e.title for e in entries}) == 48
    assert {e.topic.title for e in entries} >= {"土地利用现状图", "控制性详细规划", "地质灾害隐患点", "永久基本农田"}
    for west, south, east, north in BBOXES.values():
        assert 116.2 <= west < east <= 117.9 and 36.0 <= south < north <= 37.5


def test_the_catalogue_answers_csw_requests(demo: RunningCustomPortal) -> None:
    capabilities = get(demo.url, request="GetCapabilities")
    assert local(capabilities.tag) == "Capabilities"
    page = get(demo.url, request="GetRecords", outputSchema=GMD, startPosition=41, maxRecords=5,
               resultType="results", elementSetName="full")
    [results] = find_all(page, "SearchResults")
    assert (results.get("numberOfRecordsMatched"), results.get("numberOfRecordsReturned"),
            results.get("nextRecord")) == ("48", "5", "46")
    last = get(demo.url, request="GetRecords", outputSchema=GMD, startPosition=46, maxRecords=5)
    assert find_all(last, "SearchResults")[0].get("nextRecord") == "0"
    entry = generate_entries(48, seed=1)[0]
    by_id = get(demo.url, request="GetRecordById", id=entry.id, outputSchema=GMD)
    assert [e.text for e in find_all(by_id, "MD_Metadata/fileIdentifier/CharacterString")] == [entry.id]
    changed = get(demo.url, request="GetRecords", outputSchema=GMD, constraintLanguage="CQL_TEXT",
                  constraint="Modified >= '2099-01-01T00:00:00Z'")
    assert find_all(changed, "SearchResults")[0].get("numberOfRecordsMatched") == "0"
    refused = get(demo.url, request="GetRecords", outputSchema="http://www.opengis.net/cat/csw/2.0.2")
    assert local(refused.tag) == "ExceptionReport"
    unknown = get(demo.url, request="GetRecords", outputSchema=GMD, constraint="title LIKE '%土地%'")
    assert "only Modified >=" in find_all(unknown, "Exception/ExceptionText")[0].text


def test_the_demo_catalogue_harvests_into_valid_dcat_ap_3_then_incrementally(ctx: Context, demo) -> None:
    job = run_job(ctx, source(demo.url))
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert counts(job) == (48, 0, 0, 0, 0)
    assert violations(ctx, SOURCE_ID) == []
    boxes = [r["o"] for r in ctx.store.select(f"SELECT ?o WHERE {{ GRAPH ?g {{ ?s <{DCAT}bbox> ?o }} }}")]
    assert len(boxes) == 48
    for box in boxes:
        numbers = [float(n) for n in _NUMBER.findall(box.split("^^")[0])]
        assert all(116.2 <= x <= 117.9 for x in numbers[0::2]) and all(36.0 <= y <= 37.5 for y in numbers[1::2])
    publishers = {r["o"] for r in ctx.store.select(
        "SELECT ?o WHERE { GRAPH ?g { ?d <http://purl.org/dc/terms/publisher> ?p . "
        "?p <http://xmlns.com/foaf/0.1/name> ?o } }")}
    assert publishers == {'"济南市自然资源和规划局"@zh'}
    before = record_graphs(ctx, SOURCE_ID)
    # the second harvest asks for records changed since the first: none
    again = run_job(ctx, source(demo.url))
    assert again.incremental and again.status == JobStatus.SUCCEEDED
    assert counts(again) == (0, 0, 0, 0, 0)
    assert record_graphs(ctx, SOURCE_ID) == before
    catalogue: CswPortal = demo.portal  # type: ignore[assignment]
    edited = catalogue.touch(11)
    third = run_job(ctx, source(demo.url))
    assert counts(third) == (0, 1, 0, 0, 0)
    changed = [g for g in record_graphs(ctx, SOURCE_ID) if record_graphs(ctx, SOURCE_ID)[g] != before.get(g)]
    assert changed == [ctx.iris.graph(SOURCE_ID, edited.id)]


def test_harvester_demo_starts_the_csw_catalogue_as_a_source() -> None:
    portals: list[Any] = []
    try:
        sources = _start_portals(10, 18080, portals)
        [csw] = [s for s in sources if s.type == "csw"]
        assert (csw.id, csw.title, csw.options["delay"]) == ("jinan-zrzyhghj", "济南市自然资源和规划局", 0.0)
        assert local(get(csw.url, request="GetCapabilities").tag) == "Capabilities"
    finally:
        for running in portals:
            running.stop()
