"""CSW 2.0.2 catalogues end to end against real HTTP servers on loopback: a recorded GeoNetwork GetRecordsResponse
and recorded ISO 19139 / 19115-2 records (tests/fixtures/csw/), a Chinese ISO 19115-3 record, the generated
catalogue of 济南市自然资源和规划局, paging by nextRecord, incremental harvests, and the ways a catalogue breaks."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from harvester.context import Context
from harvester.demo.csw_portal import CswPortal, exception_report, results_answer
from harvester.demo.csw_records import generate_entries, iso19139_xml
from harvester.demo.custom_server import Answer, RunningCustomPortal, serve_custom
from harvester.errors import MappingError
from harvester.jobs import run_job
from harvester.mapping import load_mapping
from harvester.mapping.emitters import MapContext
from harvester.model import Job, JobStatus, Source, Stage
from harvester.sources import iso_xml
from harvester.sources.iso19139 import ISO_MAPPING, ISO_MAPPING_REF, wkt_box
from tests.conftest import make_settings
from tests.test_source_dcat_rdf import (  # noqa: F401 - fixtures: a streaming portal on loopback
    DCT,
    EU,
    FixturePortal,
    counts,
    failure,
    portal,
    record_graphs,
    violations,
)

FIXTURES = Path(__file__).parent / "fixtures" / "csw"
DCAT = "http://www.w3.org/ns/dcat#"
GSP_WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
MDB_SCHEMA = "http://standards.iso.org/iso/19115/-3/mdb/2.0"
XML = "application/xml; charset=utf-8"
Script = Callable[[dict[str, str]], Answer]


# --- a catalogue on loopback ----------------------------------------------------------------------------------------


class ScriptedCatalogue:
    """A CSW endpoint answering each request with ``script(params)``; ``requests`` keeps every query's params."""

    def __init__(self, script: Script) -> None:
        self.base_url = ""
        self.script = script
        self.requests: list[dict[str, str]] = []

    def answer(self, path: str, params: dict[str, str]) -> Answer:
        if path != "/csw":  # robots.txt
            return 404, "text/plain", b"not found"
        self.requests.append(params)
        return self.script(params)


@pytest.fixture
def catalogue() -> Iterator[tuple[ScriptedCatalogue, RunningCustomPortal]]:
    scripted = ScriptedCatalogue(lambda params: (404, "text/plain", b"no script"))
    with serve_custom(scripted) as running:
        yield scripted, running


@pytest.fixture
def jinan() -> Iterator[RunningCustomPortal]:
    """The generated catalogue of 济南市自然资源和规划局 (48 records, with fault switches)."""
    with serve_custom(CswPortal(size=48, seed=1)) as running:
        yield running


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def without_declaration(record: bytes | str) -> str:
    text = record.decode("utf-8") if isinstance(record, bytes) else record
    return re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", text)


def page_answer(records: list[bytes | str], matched: int, following: int) -> Answer:
    body = results_answer(matched, len(records), following, "".join(map(without_declaration, records)))
    return 200, XML, body.encode("utf-8")


def paged(records: list[bytes | str], per_page: int) -> Script:
    """GetRecords answers over ``records`` by startPosition and maxRecords (ignored: ``per_page``)."""
    def script(params: dict[str, str]) -> Answer:
        start = int(params.get("startPosition", "1"))
        chosen = records[start - 1:start - 1 + per_page]
        following = start + len(chosen) if start - 1 + len(chosen) < len(records) else 0
        return page_answer(chosen, len(records), following)
    return script


def csw_source(url: str, source_id: str = "csw", **options: Any) -> Source:
    return Source(source_id, "csw", url, "测试地理信息目录", options=options)


def harvest(ctx: Context, url: str, full: bool = False, **options: Any) -> Job:
    return run_job(ctx, csw_source(url, **options), full=full)


def csw_url(running: RunningCustomPortal) -> str:
    return running.url + "/csw"


def values(ctx: Context, predicate: str, of_datasets: bool = False) -> list[str]:
    """The objects of ``predicate`` in the source's record graphs (on datasets only, if ``of_datasets``)."""
    dataset = f"?s a <{DCAT}Dataset> ." if of_datasets else ""
    rows = ctx.store.select(f"SELECT ?o WHERE {{ GRAPH ?g {{ ?s <{predicate}> ?o . {dataset} }} "
                            f"FILTER(STRSTARTS(STR(?g), \"{ctx.iris.graph_prefix('csw')}\")) }}")
    return sorted(r["o"] for r in rows)


def jinan_records(size: int = 48) -> list[str]:
    return [iso19139_xml(e, "http://127.0.0.1") for e in generate_entries(size, seed=1)]


# --- recorded catalogues and records --------------------------------------------------------------------------------


def test_a_recorded_geonetwork_answer_is_paged_by_next_record(ctx: Context, catalogue) -> None:
    scripted, running = catalogue
    recorded = fixture("owslib_inspire_GetRecordsResponse_iso19139.xml")
    # the recorded page says 216 matched and nextRecord=85: the next request must start there
    scripted.script = lambda p: (200, XML, recorded) if p.get("startPosition") == "1" else \
        page_answer([fixture("owslib_geobretagne_MD_Metadata_fr.xml")], 216, 0)
    job = harvest(ctx, csw_url(running), language="en")
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert counts(job) == (3, 0, 0, 0, 0)
    assert [r["startPosition"] for r in scripted.requests] == ["1", "85"]
    first = scripted.requests[0]
    assert (first["service"], first["version"], first["request"], first["outputSchema"], first["elementSetName"]) == \
        ("CSW", "2.0.2", "GetRecords", "http://www.isotc211.org/2005/gmd", "full")
    assert "constraint" not in first
    titles = values(ctx, DCT + "title", True)
    assert '"SUVIM station network WMS"@en' in titles and '"Cadastre 2018 en Bretagne"@fr' in titles
    assert violations(ctx, "csw") == []


@pytest.mark.parametrize("name, title, bbox, modified", [
    ("owslib_geobretagne_MD_Metadata_fr.xml", '"Cadastre 2018 en Bretagne"@fr',
     "POLYGON((-5.235156 46.755859, -1.192187 46.755859, -1.192187 49.304688", '"2018-09-01"'),
    ("gsa_waf_valid_iso19115-2.xml", ('"Bringing Wetlands to Market: Expanding Blue Carbon Implementation - '
                                      'NERRS/NSC(NERRS Science Collaborative)"@en'),
     "POLYGON((-70.555 41.544, -70.482 41.544", '"2024-02-29T00:00:00Z"'),
    ("gsa_waf_invalid_iso19115-2.xml", ('"Assessing How Climate Change Will Affect Coastal Habitats in the '
                                        'Northeast - NERRS/NSC(NERRS Science Collaborative)"@en'),
     "POLYGON((-71.375 41.57, -71.29 41.57", '"2024-02-29T00:00:00Z"'),
])
def test_recorded_iso_19139_records_become_valid_dcat_ap_3(ctx: Context, catalogue, name: str, title: str,
                                                           bbox: str, modified: str) -> None:
    scripted, running = catalogue
    scripted.script = paged([fixture(name)], 10)
    job = harvest(ctx, csw_url(running))
    assert counts(job) == (1, 0, 0, 0, 0), job.errors
    assert values(ctx, DCT + "title", True)[0] == title
    [box] = values(ctx, DCAT + "bbox")
    assert box.startswith(f'"{bbox}') and box.endswith(f"^^<{GSP_WKT}>")
    assert values(ctx, DCT + "modified", True)[0].startswith(modified)
    assert violations(ctx, "csw") == []


def test_geobretagne_fields_map_the_geodcat_ap_way(ctx: Context, catalogue) -> None:
    scripted, running = catalogue
    scripted.script = paged([fixture("owslib_geobretagne_MD_Metadata_fr.xml")], 10)
    harvest(ctx, csw_url(running))
    assert values(ctx, DCT + "language") == [f"<{EU}language/FRA>"]
    assert values(ctx, DCT + "accrualPeriodicity") == [f"<{EU}frequency/ANNUAL>"]
    assert values(ctx, DCAT + "theme") == [f"<{EU}data-theme/REGI>"]  # topic category planningCadastre
    assert '"parcelles cadastrales"@fr' in values(ctx, DCAT + "keyword")
    assert values(ctx, "http://xmlns.com/foaf/0.1/name") == ['"DGFIP Bretagne"@fr']
    assert values(ctx, "http://www.w3.org/2006/vcard/ns#hasEmail") == ["<mailto:bureau.gf3a@dgfip.finances.gouv.fr>"]
    assert '"Bretagne"@fr' in values(ctx, "http://www.w3.org/2004/02/skos/core#prefLabel")
    assert "<http://www.cadastre.gouv.fr>" in values(ctx, DCAT + "accessURL")
    assert values(ctx, DCT + "identifier") == ['"955c3e47-411e-4969-b61b-3556d1b9f879"']


def test_multilingual_free_text_becomes_one_literal_per_locale(ctx: Context, catalogue) -> None:
    scripted, running = catalogue
    recorded = fixture("owslib_inspire_GetRecordsResponse_iso19139.xml")
    scripted.script = lambda p: (200, XML, recorded.replace(b'nextRecord="85"', b'nextRecord="0"'))
    harvest(ctx, csw_url(running))
    names = values(ctx, "http://xmlns.com/foaf/0.1/name")
    # locale "#FR" is declared as gmd:PT_Locale id="FR" with language "fre"
    assert '"Institut géographique national"@fr' in names and '"Nationaal Geografisch Instituut"@nl' in names
    assert f"<{EU}access-right/PUBLIC>" in values(ctx, DCT + "accessRights")  # INSPIRE noLimitations anchor
    assert f"<{EU}file-type/WMS_SRVC>" in values(ctx, DCT + "format")  # protocol OGC:WMS
    assert f"<{EU}data-theme/TECH>" in values(ctx, DCAT + "theme")  # keyword "Science and technology"


def test_a_chinese_iso_19115_3_record(ctx: Context, catalogue) -> None:
    scripted, running = catalogue
    scripted.script = paged([fixture("jinan_mdb_iso19115-3_generated.xml")], 10)
    job = harvest(ctx, csw_url(running), output_schema="iso19115-3")
    assert counts(job) == (1, 0, 0, 0, 0), job.errors
    asked = scripted.requests[0]
    assert (asked["outputSchema"], asked["typeNames"]) == (MDB_SCHEMA, "mdb:MD_Metadata")
    assert values(ctx, DCT + "title", True) == ['"Geological hazard sites of Licheng District (2024)"@en',
                                          '"历城区地质灾害隐患点（2024年）"@zh']
    assert values(ctx, DCT + "issued") == ['"2024-06-30"^^<http://www.w3.org/2001/XMLSchema#date>']
    assert values(ctx, DCT + "accessRights") == [f"<{EU}access-right/RESTRICTED>"]  # 有条件开放
    assert values(ctx, DCT + "license") == [f"<{EU}licence/CC_BY_4_0>"] * 3  # the dataset and both distributions
    assert values(ctx, "http://www.w3.org/2006/vcard/ns#hasTelephone") == ["<tel:0531-51706123>"]
    assert values(ctx, DCAT + "startDate") == ['"2024-01-01"^^<http://www.w3.org/2001/XMLSchema#date>']
    assert values(ctx, DCAT + "downloadURL") == ["<https://nrp.jinan.example/download/370100-ZR-LC-0042.geojson>"]
    assert values(ctx, DCT + "format") == [f"<{EU}file-type/GEOJSON>", f"<{EU}file-type/WMS_SRVC>"]
    wkt = "POLYGON((117 36.45, 117.45 36.45, 117.45 36.9, 117 36.9, 117 36.45))"
    assert values(ctx, DCAT + "bbox") == [f'"{wkt}"^^<{GSP_WKT}>']
    assert violations(ctx, "csw") == []


def test_the_landing_page_is_the_get_record_by_id_url_or_the_page_option(ctx: Context, catalogue) -> None:
    scripted, running = catalogue
    scripted.script = paged([fixture("owslib_geobretagne_MD_Metadata_fr.xml")], 10)
    harvest(ctx, csw_url(running))
    [page] = values(ctx, DCAT + "landingPage")
    assert page.startswith(f"<{csw_url(running)}?service=CSW&version=2.0.2&request=GetRecordById&id=955c3e47")
    assert values(ctx, DCT + "source") == [page]
    harvest(ctx, csw_url(running), full=True, page="https://geo.example/metadata/{id}")
    assert values(ctx, DCAT + "landingPage") == ["<https://geo.example/metadata/955c3e47-411e-4969-b61b-3556d1b9f879>"]


# --- generated Chinese records, paging, incremental harvests --------------------------------------------------------


def test_generated_chinese_records_page_through_and_validate(ctx: Context, jinan) -> None:
    job = harvest(ctx, jinan.url + "/csw", page_size=10)
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert counts(job) == (48, 0, 0, 0, 0)
    assert jinan.requests["/csw"] == 5
    first = generate_entries(48, seed=1)[0]
    assert f'"{first.title}"@zh' in values(ctx, DCT + "title", True)
    assert f'"{first.title_en}"@en' in values(ctx, DCT + "title", True)
    assert f"<{EU}data-theme/REGI>" in values(ctx, DCAT + "theme")
    assert f"<{EU}frequency/UPDATE_CONT>" in values(ctx, DCT + "accrualPeriodicity")
    assert len(values(ctx, DCAT + "bbox")) == 48
    assert violations(ctx, "csw") == []


def test_an_incremental_harvest_asks_for_changes_and_keeps_unlisted_records(ctx: Context, jinan) -> None:
    url = jinan.url + "/csw"
    assert harvest(ctx, url).counts.added == 48
    stored = record_graphs(ctx, "csw")
    catalogue: CswPortal = jinan.portal  # type: ignore[assignment]
    gone = catalogue.remove(7)
    catalogue.touch(3)
    job = harvest(ctx, url)
    assert job.incremental and job.status == JobStatus.SUCCEEDED
    # only the edited record was listed; the removed one is not deleted by a listing of changes
    assert counts(job) == (0, 1, 0, 0, 0)
    assert len(record_graphs(ctx, "csw")) == 48
    # a full harvest lists everything again and deletes the removed record
    job = harvest(ctx, url, full=True)
    assert counts(job) == (0, 0, 47, 1, 0)
    assert len(record_graphs(ctx, "csw")) == 47 and stored.keys() > record_graphs(ctx, "csw").keys()
    assert not any(gone.id in g for g in record_graphs(ctx, "csw"))


def test_the_changed_since_filter_is_cql_on_modified(ctx: Context, catalogue) -> None:
    scripted, running = catalogue
    scripted.script = paged([fixture("owslib_geobretagne_MD_Metadata_fr.xml")], 10)
    harvest(ctx, csw_url(running), constraint="OrganisationName = 'DGFIP'")
    harvest(ctx, csw_url(running), constraint="OrganisationName = 'DGFIP'")
    first, second = scripted.requests
    assert first["constraint"] == "(OrganisationName = 'DGFIP')"
    assert re.fullmatch(r"\(OrganisationName = 'DGFIP'\) AND Modified >= '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ'",
                        second["constraint"])
    assert (second["constraintLanguage"], second["constraint_language_version"]) == ("CQL_TEXT", "1.1.0")


def test_a_catalogue_that_refuses_the_filter_is_read_whole(ctx: Context, jinan) -> None:
    url = jinan.url + "/csw"
    harvest(ctx, url)
    catalogue: CswPortal = jinan.portal  # type: ignore[assignment]
    catalogue.refuse_filters = True
    catalogue.remove(0)
    job = harvest(ctx, url, page_size=10)
    assert job.status == JobStatus.SUCCEEDED, job.message
    # read whole (every page without the filter), so complete: the removed record goes
    assert counts(job) == (0, 0, 47, 1, 0)


@pytest.mark.parametrize("fault", ["gbk-labelled-utf8", "utf8-labelled-gbk"])
def test_mislabelled_charsets_are_read_as_what_the_bytes_are(ctx: Context, jinan, fault: str) -> None:
    jinan.portal.charset_fault = fault  # type: ignore[attr-defined]
    job = harvest(ctx, jinan.url + "/csw")
    assert counts(job) == (48, 0, 0, 0, 0), job.message
    assert any(t.endswith('年）"@zh') and "控制性详细规划" in t for t in values(ctx, DCT + "title", True))
    assert '"自然资源"@zh' in values(ctx, DCAT + "keyword")


@pytest.mark.parametrize("declared, encoding, label", [
    ("GBK", "gbk", "gbk"),  # what it says
    ("GBK", "utf-8", "gbk"),  # UTF-8 bytes declared GBK twice
    ("UTF-8", "gbk", "utf-8"),  # GBK bytes declared UTF-8 twice
])
def test_xml_declarations_and_labels_are_checked_against_the_bytes(ctx: Context, catalogue, declared: str,
                                                                    encoding: str, label: str) -> None:
    scripted, running = catalogue
    text = results_answer(5, 5, 0, "".join(jinan_records(5))).replace('encoding="UTF-8"', f'encoding="{declared}"')
    scripted.script = lambda p: (200, f"application/xml; charset={label}", text.encode(encoding))
    job = harvest(ctx, csw_url(running))
    assert counts(job) == (5, 0, 0, 0, 0), job.message
    assert f'"{generate_entries(5, seed=1)[4].title}"@zh' in values(ctx, DCT + "title", True)


# --- what fails, and how --------------------------------------------------------------------------------------------


@pytest.fixture
def stored(ctx: Context, jinan) -> dict[str, list]:
    assert harvest(ctx, jinan.url + "/csw", page_size=10).counts.added == 48
    return record_graphs(ctx, "csw")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"><csw:SearchResults numberOfRecordsMatched="1"
 numberOfRecordsReturned="0" nextRecord="0">&lol3;</csw:SearchResults></csw:GetRecordsResponse>"""


@pytest.mark.parametrize("answer, reason", [
    ((200, XML, BILLION_LAUGHS), "the XML declares XML entities; refused (entities are never expanded"),
    ((200, XML, exception_report("NoApplicableCode", "constraint", "数据库连接失败").encode()),
     "the catalogue answered an exception: NoApplicableCode (constraint): 数据库连接失败"),
    ((200, XML, b"<html><body>maintenance</body></html>"), "is no CSW GetRecordsResponse (root element html)"),
    ((503, "text/html", b"busy"), "HTTP 503"),
    ((200, XML, results_answer(48, 0, 11, "").encode()), "holds no records, yet nextRecord=11 of 48 matched"),
])
def test_a_broken_answer_fails_the_gather_and_deletes_nothing(ctx: Context, jinan, stored: dict[str, list],
                                                              catalogue, answer: Answer, reason: str) -> None:
    scripted, running = catalogue
    scripted.script = lambda params: answer
    message = failure(harvest(ctx, csw_url(running), full=True))
    assert "gather failed, nothing deleted" in message and reason in message
    assert record_graphs(ctx, "csw") == stored


def test_a_truncated_page_fails_the_gather_and_deletes_nothing(ctx: Context, jinan, stored: dict[str, list]) -> None:
    jinan.portal.truncate_page = 21  # type: ignore[attr-defined]
    jinan.portal.remove(40)  # type: ignore[attr-defined]
    message = failure(harvest(ctx, jinan.url + "/csw", full=True, page_size=10))
    assert "page 3 (startPosition=21)" in message and "is not well-formed XML" in message
    assert record_graphs(ctx, "csw") == stored


def test_a_next_record_that_does_not_advance_stops_the_gather(ctx: Context, jinan, stored: dict[str, list]) -> None:
    jinan.portal.next_record_loop = True  # type: ignore[attr-defined]
    message = failure(harvest(ctx, jinan.url + "/csw", full=True, page_size=10))
    assert "page 1 (startPosition=1) answers nextRecord=1, which does not advance: paging loop" in message
    assert record_graphs(ctx, "csw") == stored


def test_pages_that_repeat_or_never_end_stop_the_gather(ctx: Context, catalogue) -> None:
    scripted, running = catalogue
    same = jinan_records(3)
    scripted.script = lambda p: page_answer(same, 10**6, int(p["startPosition"]) + 3)
    assert "lists the same 3 records as page 1: paging loop" in failure(harvest(ctx, csw_url(running)))
    records = jinan_records(48)
    scripted.script = lambda p: page_answer(records[(int(p["startPosition"]) - 1) % 48:][:1], 10**6,
                                            int(p["startPosition"]) + 1)
    message = failure(harvest(ctx, csw_url(running), max_pages=5))
    assert "more than 5 pages (source option max_pages); stopped at startPosition=6" in message


def test_an_answer_past_the_size_cap_fails_the_gather(tmp_path: Path, portal: FixturePortal) -> None:  # noqa: F811
    context = Context(make_settings(tmp_path / "data", http_max_bytes=64 * 1024))
    one = without_declaration(jinan_records(1)[0]).encode()

    def endless() -> Iterator[bytes]:
        yield b'<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"><csw:SearchResults>'
        while True:
            yield one

    try:
        portal.serve("/csw", endless, XML)
        message = failure(harvest(context, portal.url + "/csw"))
        assert "page 1 (startPosition=1)" in message and "more than 65,536 bytes" in message
    finally:
        context.close()


def test_records_without_title_or_identifier_fail_alone(ctx: Context, jinan, stored: dict[str, list]) -> None:
    catalogue: CswPortal = jinan.portal  # type: ignore[assignment]
    catalogue.untitled = {5}
    untitled = next(e for e in catalogue.entries.values() if e.number == 5)
    job = harvest(ctx, jinan.url + "/csw", full=True)
    assert job.status == JobStatus.PARTIAL
    assert counts(job) == (0, 0, 47, 0, 1)
    assert [(e.stage, e.remote_id, e.message) for e in job.errors] == [(Stage.MAP, untitled.id, "title is missing")]
    # the last good version stays
    assert record_graphs(ctx, "csw") == stored


def test_a_record_without_file_identifier_or_in_dublin_core_fails_alone(ctx: Context, catalogue) -> None:
    scripted, running = catalogue
    good = jinan_records(2)
    anonymous = re.sub(r"<gmd:fileIdentifier>.*?</gmd:fileIdentifier>", "", good[1])
    dublin_core = ('<csw:Record xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" '
                   'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier>dc-1</dc:identifier>'
                   "<dc:title>只有都柏林核心</dc:title></csw:Record>")
    scripted.script = paged([good[0], anonymous, dublin_core], 10)
    job = harvest(ctx, csw_url(running))
    assert counts(job) == (1, 0, 0, 0, 2)
    errors = sorted((e.remote_id or "", e.message) for e in job.errors)
    reason = "Record is not an ISO 19139 or ISO 19115-3 record (the catalogue ignored outputSchema)"
    assert errors[0] == ("dc-1", reason)
    assert errors[1][0].startswith("record-without-identifier:")
    assert "has no fileIdentifier" in errors[1][1]


# --- the parts ------------------------------------------------------------------------------------------------------


def test_bounding_boxes_are_wkt_in_longitude_latitude_order() -> None:
    assert wkt_box([116.2, 36.0, 117.9, 37.5]) == \
        "POLYGON((116.2 36, 117.9 36, 117.9 37.5, 116.2 37.5, 116.2 36))"
    assert wkt_box([117.0, 36.65, 117.0, 36.65]) == "POINT(117 36.65)"


@pytest.mark.parametrize("value, tag", [("eng", "en"), ("chi", "zh"), ("zho", "zh"), ("fre", "fr"),
                                        ("eng; US", "en"), ("zh-CN", "zh-cn"), ("", None), ("??", None)])
def test_language_codes_become_language_tags(value: str, tag: str | None) -> None:
    assert iso_xml.language_tag(value) == tag


def test_xml_with_a_doctype_is_refused_before_parsing() -> None:
    with pytest.raises(iso_xml.UnsafeXml, match="declares XML entities"):
        iso_xml.parse_xml(BILLION_LAUGHS)
    with pytest.raises(iso_xml.UnsafeXml, match="has a DOCTYPE"):
        iso_xml.parse_xml(b'<!-- c --><!DOCTYPE x SYSTEM "http://evil.example/x.dtd"><x/>')
    assert iso_xml.local(iso_xml.parse_xml(b"\xef\xbb\xbf<?xml version='1.0'?><a:x xmlns:a='u'/>").tag) == "x"


def test_the_mapping_is_loadable_by_reference_and_fails_clearly() -> None:
    assert load_mapping(ISO_MAPPING_REF) is ISO_MAPPING
    ctx = MapContext("http://x.test", "csw", "k", "http://x.test/dataset/csw/k")
    with pytest.raises(MappingError, match="cannot be read"):
        ISO_MAPPING.apply({"id": "x", "xml": "<gmd:MD_Metadata xmlns:gmd='http://www.isotc211.org/2005/gmd'>"}, ctx)
    with pytest.raises(MappingError, match="no identificationInfo"):
        ISO_MAPPING.apply({"id": "x", "xml": "<gmd:MD_Metadata xmlns:gmd='http://www.isotc211.org/2005/gmd'/>"}, ctx)
    record = {"id": "x", "schema": "iso19139", "xml": jinan_records(1)[0], "datestamp": "2024-01-01", "page": None}
    assert orjson.loads(orjson.dumps(record)) == record  # payloads travel as JSON to the mapping worker
    assert ISO_MAPPING.change_marker(record) == "2024-01-01"


@pytest.mark.parametrize("options, reason", [
    ({"output_schema": "dublin-core"}, "unknown output_schema option 'dublin-core'; one of iso19139, iso19115-3"),
    ({"page_size": "many"}, "the source option page_size should be a whole number of at least 1, not 'many'"),
    ({"max_pages": 0}, "the source option max_pages should be a whole number of at least 1, not 0"),
])
def test_wrong_source_options_fail_the_job_saying_which(ctx: Context, catalogue, options: dict[str, Any],
                                                        reason: str) -> None:
    scripted, running = catalogue
    assert reason in failure(harvest(ctx, csw_url(running), **options))
    assert scripted.requests == []
