"""OAI-PMH end to end against a real HTTP server on loopback: recorded answers of sickle's test repository and of
arXiv / INSPIRE (tests/fixtures/oai-pmh/), a generated repository of 济南 departments' datasets (oai_dc and DCAT-AP
RDF/XML, paged by resumptionToken, incremental with ``from``), and the ways a repository breaks."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox
import pytest

from harvester.context import Context
from harvester.demo.dcat_feed import dataset_turtle, department_packages
from harvester.demo.departments import DEPARTMENTS_BY_SLUG
from harvester.demo.generator import generate_package
from harvester.jobs import run_job
from harvester.model import Job, JobStatus, Source, Stage
from harvester.sources.oaipmh import OaiPmhSource
from tests.conftest import make_settings
from tests.test_source_dcat_rdf import (  # noqa: F401 - fixtures: a portal on loopback
    DCAT,
    DCT,
    EU,
    FixturePortal,
    counts,
    failure,
    portal,
    record_graphs,
    violations,
)

FIXTURES = Path(__file__).parent / "fixtures" / "oai-pmh"
XML = "text/xml; charset=utf-8"
OAI_NS = "http://www.openarchives.org/OAI/2.0/"
SECONDS, DAYS = "YYYY-MM-DDThh:mm:ssZ", "YYYY-MM-DD"
Answer = Callable[[dict[str, str]], bytes]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def oai_source(url: str, source_id: str = "repo", **options: Any) -> Source:
    return Source(source_id, "oaipmh", url, "OAI-PMH 数据仓储", options=options)


def harvest(ctx: Context, url: str, **options: Any) -> Job:
    return run_job(ctx, oai_source(url, **options))


def serve_oai(portal: FixturePortal, answer: Answer, path: str = "/oai") -> str:
    """One route answering every verb: the route function reads the query of the request it answers (the
    portal notes each request's path before answering it; the client sends one request at a time)."""
    def body() -> Iterator[bytes]:
        query = {k: v[0] for k, v in parse_qs(urlsplit(portal.requests[-1]).query).items()}
        yield answer(query)
    return portal.serve(path, body, XML)


def envelope(verb: str, body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="{OAI_NS}">'
            f"<responseDate>2024-05-01T00:00:00Z</responseDate><request verb=\"{verb}\">http://repo.example/oai"
            f"</request>{body}</OAI-PMH>\n").encode()


def oai_error(code: str, message: str = "") -> bytes:
    return envelope("ListRecords", f'<error code="{code}">{escape(message)}</error>')


def recorded(first: bytes, tokens: dict[str, bytes] | None = None, **verbs: bytes) -> Answer:
    """Recorded answers: ``first`` for the first ListRecords, ``tokens`` for each resumptionToken."""
    def answer(query: dict[str, str]) -> bytes:
        verb = query.get("verb", "")
        if verb == "ListRecords":
            token = query.get("resumptionToken")
            return first if token is None else (tokens or {}).get(token, fixture("sickle_badResumptionToken.xml"))
        return verbs.get(verb) or oai_error("badVerb", f"{verb} is not answered here")
    return answer


def last_page(page: bytes) -> bytes:
    """A recorded page whose resumptionToken is emptied: the end of the list (OAI-PMH 2.0 §3.5)."""
    return re.sub(rb"(<resumptionToken[^>]*>)[^<]*(</resumptionToken>)", rb"\1\2", page)


def titles(ctx: Context) -> set[str]:
    return {r["t"] for r in ctx.store.select(f"SELECT ?t WHERE {{ GRAPH ?g {{ ?d a <{DCAT}Dataset> ; "
                                             f"<{DCT}title> ?t }} }}")}


def publishers(ctx: Context) -> set[str]:
    return {r["n"] for r in ctx.store.select(f"SELECT ?n WHERE {{ GRAPH ?g {{ ?d a <{DCAT}Dataset> ; "
                                             f"<{DCT}publisher>/<http://xmlns.com/foaf/0.1/name> ?n }} }}")}


def values(ctx: Context, predicate: str) -> list[str]:
    return sorted(r["o"] for r in ctx.store.select(f"SELECT ?o WHERE {{ GRAPH ?g {{ ?s <{predicate}> ?o }} }}"))


def oai_paths(portal: FixturePortal) -> list[dict[str, str]]:
    return [{k: v[0] for k, v in parse_qs(urlsplit(p).query).items()} for p in portal.requests
            if p != "/robots.txt"]


# --- a generated repository of 济南 departments ----------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    identifier: str
    datestamp: str
    package: dict[str, Any]
    deleted: bool = False


def dc_metadata(package: dict[str, Any]) -> str:
    """A 济南 department's dataset as oai_dc, the way a Chinese repository fills Dublin Core."""
    extras = {e["key"]: e["value"] for e in package["extras"]}

    def dc(name: str, text: str, lang: str | None = None) -> str:
        attribute = f" xml:lang={quoteattr(lang)}" if lang else ""
        return f"<dc:{name}{attribute}>{escape(text)}</dc:{name}>" if text else ""

    parts = [dc("title", package["title"], "zh"), dc("description", package["notes"], "zh"),
             *(dc("subject", tag["name"], "zh") for tag in package["tags"]),
             dc("publisher", package["organization"]["title"], "zh"), dc("creator", package["author"], "zh"),
             dc("date", extras["发布日期"][:10]), dc("date", package["metadata_modified"][:10]),
             dc("identifier", package["url"]), dc("identifier", extras["资源代码"]),
             *(dc("identifier", r["url"]) for r in package["resources"]),
             *(dc("format", r["format"]) for r in package["resources"]),
             dc("rights", package.get("license_url") or extras.get("开放条件", "")), dc("rights", "CC0 1.0"),
             dc("language", "zh"), dc("coverage", extras.get("空间范围") or extras.get("spatial", ""), "zh"),
             dc("coverage", extras["时间范围"]), dc("type", "Dataset")]
    return (f'<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/">{"".join(parts)}</oai_dc:dc>')


TURTLE_PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix schema: <http://schema.org/> .
"""


def dcat_metadata(package: dict[str, Any]) -> str:
    """The same dataset as DCAT-AP RDF/XML (the demo DCAT feed's Turtle, with its publisher), for a DCAT prefix."""
    department = DEPARTMENTS_BY_SLUG[package["organization"]["name"]]
    organization = (f'<http://{department.host}/#organization> a foaf:Organization ; '
                    f'foaf:name "{department.title}"@zh .\n')
    store = ox.Store()
    store.load((TURTLE_PREFIXES + organization + dataset_turtle(package)).encode("utf-8"), ox.RdfFormat.TURTLE)
    xml = store.dump(format=ox.RdfFormat.RDF_XML, from_graph=ox.DefaultGraph()).decode("utf-8")
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", xml)


class JinanRepository:
    """An OAI-PMH repository of generated 济南 datasets: Identify, ListMetadataFormats, ListRecords paged by
    resumptionToken (``offset|prefix|from``), ``from`` compared with each record's datestamp."""

    def __init__(self, entries: list[Entry], page_size: int = 10, granularity: str = SECONDS,
                 formats: tuple[str, ...] = ("oai_dc",)) -> None:
        self.entries, self.page_size, self.granularity, self.formats = entries, page_size, granularity, formats
        self.queries: list[dict[str, str]] = []

    def answer(self, query: dict[str, str]) -> bytes:
        self.queries.append(query)
        verb = query.get("verb", "")
        if verb == "Identify":
            return envelope(verb, f"<Identify><repositoryName>济南市公共数据开放仓储</repositoryName>"
                                  f"<baseURL>http://repo.example/oai</baseURL><protocolVersion>2.0</protocolVersion>"
                                  f"<earliestDatestamp>2018-01-01</earliestDatestamp><deletedRecord>persistent"
                                  f"</deletedRecord><granularity>{self.granularity}</granularity></Identify>")
        if verb == "ListMetadataFormats":
            formats = "".join(f"<metadataFormat><metadataPrefix>{p}</metadataPrefix><schema>http://x/{p}.xsd</schema>"
                              f"<metadataNamespace>{_NAMESPACES[p]}</metadataNamespace></metadataFormat>"
                              for p in self.formats)
            return envelope(verb, f"<ListMetadataFormats>{formats}</ListMetadataFormats>")
        if verb == "ListRecords":
            return self._list(query)
        return oai_error("badVerb", "illegal verb")

    def _list(self, query: dict[str, str]) -> bytes:
        if "resumptionToken" in query:
            offset, prefix, since = query["resumptionToken"].split("|")
        else:
            offset, prefix, since = "0", query.get("metadataPrefix", ""), query.get("from", "")
        if prefix not in self.formats:
            return oai_error("cannotDisseminateFormat", f"{prefix} is not offered")
        chosen = [e for e in self.entries if not since or e.datestamp >= since]
        if not chosen:
            return oai_error("noRecordsMatch")
        start = int(offset)
        page = chosen[start:start + self.page_size]
        token = f"{start + self.page_size}|{prefix}|{since}" if start + self.page_size < len(chosen) else ""
        records = "".join(self._record(e, prefix) for e in page)
        return envelope("ListRecords", f'<ListRecords>{records}<resumptionToken completeListSize="{len(chosen)}" '
                                       f'cursor="{start}">{token}</resumptionToken></ListRecords>')

    def _record(self, entry: Entry, prefix: str) -> str:
        status = ' status="deleted"' if entry.deleted else ""
        header = (f"<header{status}><identifier>{entry.identifier}</identifier><datestamp>{entry.datestamp}"
                  f"</datestamp><setSpec>{entry.package['organization']['name']}</setSpec></header>")
        if entry.deleted:
            return f"<record>{header}</record>"
        metadata = dcat_metadata(entry.package) if prefix == "dcat_ap" else dc_metadata(entry.package)
        return f"<record>{header}<metadata>{metadata}</metadata></record>"


_NAMESPACES = {"oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/", "dcat_ap": "http://www.w3.org/ns/dcat#"}


def jinan_entries(size: int = 30, granularity: str = SECONDS) -> list[Entry]:
    """Datasets of several 济南 departments, each with the datestamp of its last change."""
    entries = []
    for index in range(size):
        package = generate_package(index)
        stamp = package["metadata_modified"][:19] + "Z"
        entries.append(Entry(f"oai:data.jinan.gov.cn:{package['name']}",
                             stamp[:10] if granularity == DAYS else stamp, package))
    return entries


def now_stamp(offset_seconds: int = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- recorded answers --------------------------------------------------------------------------------------


def test_sickle_pages_are_followed_to_an_empty_resumption_token(ctx: Context, portal: FixturePortal) -> None:
    url = serve_oai(portal, recorded(fixture("sickle_ListRecords.xml"), {
        "ListRecords2.xml": fixture("sickle_ListRecords2.xml"),
        "ListRecords3.xml": last_page(fixture("sickle_ListRecords2.xml"))}))
    job = harvest(ctx, url, metadata_prefix="oai_dc", language="en")
    assert job.status == JobStatus.SUCCEEDED, job.message
    # the same two records on every page: one deleted (never stored, nothing to delete), one live
    assert counts(job) == (1, 0, 0, 0, 0)
    assert [q.get("resumptionToken") for q in oai_paths(portal)] == [None, "ListRecords2.xml", "ListRecords3.xml"]
    assert oai_paths(portal)[0] == {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    assert titles(ctx) == {'"Sample Title"@en'}
    assert values(ctx, DCT + "language") == [f"<{EU}language/ENG>"]
    assert publishers(ctx) == {'"Sample Publisher"@en'}
    assert len(values(ctx, DCT + "creator")) == 1  # "John Doe" four times is one creator
    assert violations(ctx, "repo") == []


def test_expected_total_comes_from_complete_list_size(portal: FixturePortal) -> None:
    from harvester.http import PoliteClient

    url = serve_oai(portal, recorded(last_page(fixture("sickle_ListRecords.xml"))))
    client = PoliteClient(retries=0)
    try:
        source = OaiPmhSource(oai_source(url, metadata_prefix="oai_dc"), client, None)
        refs = list(source.gather(None))
    finally:
        client.close()
    assert source.expected_total == 8 and source.complete_listing is True
    assert [(r.remote_id, r.deleted, r.changed_marker) for r in refs] == [
        ("oai:test.example.com:1585310", True, "2011-07-18T16:31:00Z"),
        ("oai:test.example.com:1585322", False, "2011-01-10T10:19:23Z")]


def test_a_recorded_oai_dc_record_maps_to_valid_dcat_ap_3(ctx: Context, portal: FixturePortal) -> None:
    """arXiv's GetRecord answer, its record put in a ListRecords envelope."""
    record = re.search(rb"<record>.*</record>", fixture("invenio_sample_oai_dc_response.xml"), re.DOTALL).group(0)
    url = serve_oai(portal, recorded(envelope("ListRecords", f"<ListRecords>{record.decode()}</ListRecords>")))
    job = harvest(ctx, url, metadata_prefix="oai_dc", language="en")
    assert counts(job) == (1, 0, 0, 0, 0), job.message
    assert violations(ctx, "repo") == []
    title = "The Distribution of Star Formation and Metals in the Low Surface Brightness Galaxy UGC 628"
    assert titles(ctx) == {f'"{title}"@en'}
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert values(ctx, DCT + "issued") == [f'"2015-07-10"^^<{xsd}date>']
    # one dc:date: the header datestamp is the last change, and the catalog record's source date
    assert f'"2015-07-14"^^<{xsd}date>' in values(ctx, DCT + "modified")
    assert values(ctx, DCAT + "landingPage") == ["<http://arxiv.org/abs/1507.03011>"]
    assert values(ctx, DCAT + "keyword") == ['"Astrophysics - Astrophysics of Galaxies"@en']
    [description] = [r["o"] for r in ctx.store.select(
        f"SELECT ?o WHERE {{ GRAPH ?g {{ ?d a <{DCAT}Dataset> ; <{DCT}description> ?o }} }}")]
    assert description.startswith('"We introduce the MUSCEL Program') and "Comment: 13 pages, 7 figures" in description
    sources = ctx.store.select(f"SELECT ?s WHERE {{ GRAPH ?g {{ ?r <{DCT}source> ?s }} }}")
    assert [r["s"] for r in sources] == ["<http://arxiv.org/abs/1507.03011>"]


def test_records_in_formats_that_are_not_mapped_fail_alone(ctx: Context, portal: FixturePortal) -> None:
    url = serve_oai(portal, recorded(fixture("invenio_sample_arxiv_response_listrecords_cs.xml")))
    job = harvest(ctx, url, metadata_prefix="arXiv")
    assert job.status == JobStatus.PARTIAL
    assert counts(job) == (0, 0, 0, 0, 46)
    assert {e.stage for e in job.errors} == {Stage.MAP}
    assert "its metadata is {http://arxiv.org/OAI/arXiv/}arXiv (metadataPrefix arXiv); only oai_dc and DCAT-AP " \
           "RDF/XML are mapped" in job.errors[0].message
    assert job.errors[0].remote_id == "oai:arXiv.org:1101.4388"


# --- a generated Chinese repository ---------------------------------------------------------------------------


def test_a_chinese_repository_pages_and_maps_every_department(ctx: Context, portal: FixturePortal) -> None:
    repository = JinanRepository(jinan_entries(30))
    url = serve_oai(portal, repository.answer)
    job = harvest(ctx, url)
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert counts(job) == (30, 0, 0, 0, 0)
    # ListMetadataFormats offers oai_dc alone; three pages of ten
    assert [q["verb"] for q in repository.queries] == ["ListMetadataFormats"] + ["ListRecords"] * 3
    assert repository.queries[2] == {"verb": "ListRecords", "resumptionToken": "10|oai_dc|"}
    assert violations(ctx, "repo") == []
    assert {'"济南市公安局"@zh', '"济南市教育局"@zh', '"济南市统计局"@zh'} <= publishers(ctx)
    assert '"济南市空气质量日报（PM2.5）"@zh' in titles(ctx)
    assert f"<{EU}language/ZHO>" in values(ctx, DCT + "language")
    assert f"<{EU}file-type/XLSX>" in values(ctx, DCT + "format")
    # two dc:rights naming licences: the first is the licence (one, as DCAT-AP wants; SHACL checks it above)
    licences = values(ctx, DCT + "license")
    assert f"<{EU}licence/CC_BYSA_4_0>" in licences and f"<{EU}licence/CC0>" in licences
    assert '"济南市"@zh' in values(ctx, "http://www.w3.org/2004/02/skos/core#prefLabel")
    assert values(ctx, DCAT + "startDate")  # 时间范围 2016-01-01/2019-12-31 is a period, not a place


def test_an_incremental_harvest_asks_from_the_last_harvest_and_deletes_what_the_headers_say(
        ctx: Context, portal: FixturePortal) -> None:
    entries = jinan_entries(30)
    repository = JinanRepository(entries)
    url = serve_oai(portal, repository.answer)
    assert counts(harvest(ctx, url)) == (30, 0, 0, 0, 0)
    before = record_graphs(ctx, "repo")
    revised = entries[4].package["title"] + "（修订）"
    entries[4] = replace(entries[4], package=dict(entries[4].package, title=revised), datestamp=now_stamp(5))
    entries[7] = replace(entries[7], deleted=True, datestamp=now_stamp(5))
    repository.entries = entries
    repository.queries.clear()
    job = harvest(ctx, url)
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert job.incremental
    assert counts(job) == (0, 1, 0, 1, 0)  # the 28 records not listed are kept, not deleted
    assert [q["verb"] for q in repository.queries] == ["ListMetadataFormats", "Identify", "ListRecords"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", repository.queries[-1]["from"])
    after = record_graphs(ctx, "repo")
    assert len(after) == 29 and f'"{revised}"@zh' in titles(ctx)
    assert len([g for g in before if after.get(g) == before[g]]) == 28


def test_day_granularity_sends_a_day(ctx: Context, portal: FixturePortal) -> None:
    repository = JinanRepository(jinan_entries(5, DAYS), granularity=DAYS)
    url = serve_oai(portal, repository.answer)
    assert harvest(ctx, url, metadata_prefix="oai_dc").counts.added == 5
    job = harvest(ctx, url, metadata_prefix="oai_dc")
    assert job.status == JobStatus.SUCCEEDED and counts(job) == (0, 0, 0, 0, 0), job.message
    listing = [q for q in repository.queries if q["verb"] == "ListRecords"][-1]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", listing["from"])


def test_no_records_match_on_an_incremental_harvest_is_nothing_changed(ctx: Context, portal: FixturePortal) -> None:
    repository = JinanRepository(jinan_entries(12))
    url = serve_oai(portal, repository.answer)
    assert harvest(ctx, url).counts.added == 12
    before = record_graphs(ctx, "repo")
    job = harvest(ctx, url)  # every datestamp is older than the last harvest: noRecordsMatch
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert counts(job) == (0, 0, 0, 0, 0)
    assert record_graphs(ctx, "repo") == before


def test_the_recorded_no_records_match_answers_end_an_incremental_list(ctx: Context, portal: FixturePortal) -> None:
    url = serve_oai(portal, recorded(last_page(fixture("sickle_ListRecords.xml")),
                                     Identify=fixture("sickle_Identify.xml")))
    assert harvest(ctx, url, metadata_prefix="oai_dc").counts.added == 1
    for name in ("sickle_noRecordsMatch.xml", "invenio_sample_empty_response.xml"):
        serve_oai(portal, recorded(fixture(name), Identify=fixture("sickle_Identify.xml")))
        job = harvest(ctx, url, metadata_prefix="oai_dc")
        assert job.status == JobStatus.SUCCEEDED and counts(job) == (0, 0, 0, 0, 0), job.message
    # sickle's Identify says YYYY-MM-DD: `from` is a day
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", oai_paths(portal)[-1]["from"])
    assert len(record_graphs(ctx, "repo")) == 1


def test_no_records_match_on_a_full_harvest_is_an_empty_repository_held_by_the_guard(
        ctx: Context, portal: FixturePortal) -> None:
    repository = JinanRepository(jinan_entries(12))
    url = serve_oai(portal, repository.answer)
    assert harvest(ctx, url).counts.added == 12
    before = record_graphs(ctx, "repo")
    repository.entries = []
    job = run_job(ctx, oai_source(url), full=True)
    assert job.status == JobStatus.NEEDS_CONFIRMATION, job.message
    assert record_graphs(ctx, "repo") == before


# --- DCAT-AP records --------------------------------------------------------------------------------------------


def test_a_dcat_ap_metadata_prefix_is_preferred_and_mapped_like_a_dcat_feed(ctx: Context, portal: FixturePortal) -> None:
    packages = department_packages()[:12]
    packages[3] = dict(packages[3], title="", title_translated={})
    entries = [Entry(f"oai:jntj.jinan.gov.cn:{p['name']}", p["metadata_modified"][:19] + "Z", p) for p in packages]
    entries.append(Entry("oai:jntj.jinan.gov.cn:gone", "2024-01-01T00:00:00Z", packages[0], deleted=True))
    repository = JinanRepository(entries, page_size=5, formats=("oai_dc", "dcat_ap"))
    url = serve_oai(portal, repository.answer)
    job = harvest(ctx, url)
    assert job.status == JobStatus.PARTIAL, job.message
    assert counts(job) == (11, 0, 0, 0, 1)
    assert {q.get("metadataPrefix") for q in repository.queries if q["verb"] == "ListRecords"} == {"dcat_ap", None}
    [error] = job.errors
    assert (error.stage, error.remote_id, error.message) == (
        Stage.MAP, f"oai:jntj.jinan.gov.cn:{packages[3]['name']}", "title is missing")
    assert violations(ctx, "repo") == []
    # the feed's literals are normalised as for a DCAT feed: "每月" → the EU frequency
    assert f"<{EU}frequency/MONTHLY>" in values(ctx, DCT + "accrualPeriodicity")
    identifiers = values(ctx, DCT + "identifier")
    assert f'"http://jntj.jinan.gov.cn/dataset/{packages[0]["name"]}"' in identifiers


def test_a_metadata_prefix_the_repository_cannot_disseminate_fails_the_gather(ctx: Context,
                                                                             portal: FixturePortal) -> None:
    url = serve_oai(portal, JinanRepository(jinan_entries(3)).answer)
    message = failure(harvest(ctx, url, metadata_prefix="marc21"))
    assert "cannotDisseminateFormat: marc21 is not offered" in message


def test_the_set_option_is_sent(ctx: Context, portal: FixturePortal) -> None:
    repository = JinanRepository(jinan_entries(3))
    url = serve_oai(portal, repository.answer)
    harvest(ctx, url, metadata_prefix="oai_dc", set="jntjj")
    assert repository.queries[0] == {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "jntjj"}


def test_an_oai_dc_record_without_title_fails_alone(ctx: Context, portal: FixturePortal) -> None:
    entries = jinan_entries(6)
    entries[2] = replace(entries[2], package=dict(entries[2].package, title=""))
    url = serve_oai(portal, JinanRepository(entries).answer)
    job = harvest(ctx, url)
    assert counts(job) == (5, 0, 0, 0, 1)
    assert [(e.stage, e.remote_id, e.message) for e in job.errors] == [
        (Stage.MAP, entries[2].identifier, "title is missing")]


# --- what fails the gather, and deletes nothing -------------------------------------------------------------


@pytest.fixture
def stored(ctx: Context, portal: FixturePortal) -> dict[str, list]:
    """A repository harvested once (12 records) at /oai; the records as stored."""
    url = serve_oai(portal, JinanRepository(jinan_entries(12)).answer)
    assert harvest(ctx, url, metadata_prefix="oai_dc").counts.added == 12
    return record_graphs(ctx, "repo")


def full_harvest(ctx: Context, portal: FixturePortal, **options: Any) -> Job:
    return run_job(ctx, oai_source(portal.url + "/oai", metadata_prefix="oai_dc", **options), full=True)


def chinese_page(token: str = "") -> str:
    entries = jinan_entries(3)
    repository = JinanRepository(entries)
    page = repository.answer({"verb": "ListRecords", "metadataPrefix": "oai_dc"}).decode("utf-8")
    return page.replace('cursor="0"></resumptionToken>', f'cursor="0">{token}</resumptionToken>')


@pytest.mark.parametrize("answer, reason", [
    (recorded(fixture("sickle_ListRecordsBroken.xml")), "is not well-formed XML"),
    (recorded(fixture("invenio_sample_arxiv_response_listrecords_cs.xml")[:40_000]), "is not well-formed XML"),
    (recorded(fixture("invenio_sample_arxiv_response_no_namespace.xml")), "is not an OAI-PMH 2.0 answer"),
    (recorded(fixture("sickle_ListRecords.xml"), {"ListRecords2.xml": fixture("sickle_badResumptionToken.xml")}),
     "ListRecords page 2: the repository answered badResumptionToken: This resumptionToken is invalid"),
    (recorded(oai_error("badArgument", "from is not a date")), "badArgument: from is not a date"),
    (recorded(fixture("sickle_ListRecords.xml"), {"ListRecords2.xml": fixture("sickle_ListRecords2.xml"),
                                                 "ListRecords3.xml": fixture("sickle_ListRecords2.xml")}),
     "ListRecords page 3 gives resumptionToken 'ListRecords3.xml' again (first given on page 2): paging loop"),
    (lambda q: chinese_page("next")[:2000].encode("utf-8"), "is not well-formed XML"),
    (lambda q: "济南".encode() + b"\xff\xfe", "neither valid UTF-8 nor gb18030"),
])
def test_an_answer_that_cannot_be_read_fails_the_gather_and_deletes_nothing(
        ctx: Context, portal: FixturePortal, stored: dict[str, list], answer: Answer, reason: str) -> None:
    serve_oai(portal, answer)
    message = failure(full_harvest(ctx, portal))
    assert "gather failed, nothing deleted" in message and reason in message
    assert record_graphs(ctx, "repo") == stored


def test_a_list_that_never_ends_stops_at_max_pages(ctx: Context, portal: FixturePortal,
                                                   stored: dict[str, list]) -> None:
    serve_oai(portal, lambda q: chinese_page(f"t{q.get('resumptionToken', 't0')[1:]}1").encode("utf-8"))
    message = failure(full_harvest(ctx, portal, max_pages=5))
    assert "the list did not end after 5 pages" in message
    assert record_graphs(ctx, "repo") == stored


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE OAI-PMH [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><header><identifier>&lol9;</identifier>
<datestamp>2024-01-01</datestamp></header></record></ListRecords></OAI-PMH>
"""


def test_billion_laughs_is_refused_before_parsing(ctx: Context, portal: FixturePortal,
                                                  stored: dict[str, list]) -> None:
    serve_oai(portal, lambda q: BILLION_LAUGHS.encode())
    message = failure(full_harvest(ctx, portal))
    assert "declares XML entities; refused" in message
    assert record_graphs(ctx, "repo") == stored


@pytest.mark.parametrize("encoding, declared, content_type", [
    ("gbk", "UTF-8", "text/xml; charset=utf-8"),   # GBK bytes labelled UTF-8 (declaration and header)
    ("gbk", "GBK", "text/xml"),                     # GBK, declared in the XML declaration alone
    ("utf-8", "GBK", "text/xml; charset=gbk"),     # UTF-8 bytes labelled GBK
])
def test_mislabelled_charsets_are_read_as_what_the_bytes_are(ctx: Context, portal: FixturePortal, encoding: str,
                                                             declared: str, content_type: str) -> None:
    body = chinese_page().replace('encoding="UTF-8"', f'encoding="{declared}"', 1).encode(encoding)
    url = portal.serve("/oai", body, content_type)
    job = harvest(ctx, url, metadata_prefix="oai_dc")
    assert counts(job) == (3, 0, 0, 0, 0), job.message
    assert f'"{generate_package(0)["title"]}"@zh' in titles(ctx)


def test_an_answer_past_the_size_cap_fails_the_gather(tmp_path: Path, portal: FixturePortal) -> None:
    cap = 64 * 1024
    context = Context(make_settings(tmp_path / "data", http_max_bytes=cap))
    record = re.search(r"<record>.*?</record>", chinese_page(), re.DOTALL).group(0).encode("utf-8")

    def endless() -> Iterator[bytes]:
        yield envelope("ListRecords", "<ListRecords>").rsplit(b"</OAI-PMH>", 1)[0]
        while True:
            yield record

    try:
        portal.serve("/oai", endless, XML)
        message = failure(harvest(context, portal.url + "/oai", metadata_prefix="oai_dc"))
        assert f"more than {cap:,} bytes" in message
    finally:
        context.close()


def test_a_wrong_option_fails_the_gather_with_its_name(ctx: Context, portal: FixturePortal) -> None:
    url = serve_oai(portal, JinanRepository(jinan_entries(3)).answer)
    assert "source option max_pages should be a whole number of at least 1, not 'many'" in failure(
        harvest(ctx, url, max_pages="many"))
