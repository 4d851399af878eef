"""DCAT RDF feeds end to end against real HTTP servers on loopback: recorded German DCAT-AP.de catalogs and the
official SEMIC examples (tests/fixtures/dcat-ap/), generated Chinese catalogs of 济南市统计局 in four syntaxes,
Hydra paging of both kinds, and the ways a feed breaks."""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest

import harvester.sources
from harvester.context import Context
from harvester.dcat.rdf import to_ntriples
from harvester.dcat.validate import Violation, validate_ntriples
from harvester.demo.dcat_feed import DcatFeed, department_packages, start_dcat_demo
from harvester.http import PoliteClient
from harvester.index import SearchQuery
from harvester.jobs import run_job
from harvester.mapping.emitters import MapContext
from harvester.model import Job, JobStatus, Source, Stage
from harvester.sources import rdf_extract, rdf_read
from harvester.sources.datajson import DataJsonSource
from harvester.sources.dcat_rdf import DcatRdfSource
from harvester.sources.rdf_normalise import RDF_MAPPING
from tests.conftest import make_settings

FIXTURES = Path(__file__).parent / "fixtures" / "dcat-ap"
TURTLE = "text/turtle; charset=utf-8"
RDF_XML = "application/rdf+xml"
JSON_LD = "application/ld+json"
N_TRIPLES = "application/n-triples"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
EU = "http://publications.europa.eu/resource/authority/"
BODY_OF = Callable[[], Iterator[bytes]]


# --- a portal on loopback ------------------------------------------------------------------------------------


@dataclass
class Answer:
    body: bytes | BODY_OF
    content_type: str = TURTLE
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        portal = self.server.portal
        portal.requests.append(self.path)
        answer = portal.routes.get(self.path) or portal.routes.get(urlsplit(self.path).path)
        if answer is None:
            answer = Answer(b"not found", "text/plain", 404)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        headers = dict(answer.headers)
        if isinstance(answer.body, bytes):
            headers.setdefault("Content-Length", str(len(answer.body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        chunks = [answer.body] if isinstance(answer.body, bytes) else answer.body()
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: that is what a size cap does

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    portal: FixturePortal


class FixturePortal:
    """A real HTTP/1.0 server on 127.0.0.1 (ephemeral port) answering each path, with or without its query,
    from ``routes``; answers can change between harvests, streamed bodies run until the client hangs up."""

    def __init__(self) -> None:
        self.routes: dict[str, Answer] = {}
        self.requests: list[str] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.portal = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def serve(self, path: str, body: bytes | BODY_OF, content_type: str = TURTLE, status: int = 200,
              **headers: str) -> str:
        self.routes[path] = Answer(body, content_type, status, {k.replace("_", "-"): v for k, v in headers.items()})
        return self.url + path

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def portal() -> Iterator[FixturePortal]:
    server = FixturePortal()
    try:
        yield server
    finally:
        server.stop()


class _Registered:
    """Stands in for an entry point of the harvester.sources group (it only needs ``load``)."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def load(self) -> type:
        return self.cls


@pytest.fixture(autouse=True)
def registered_source_types(monkeypatch: pytest.MonkeyPatch) -> None:
    # registry hook: setup.cfg registers these under harvester.sources; until its entry points are installed,
    # the registry gets them here (entry points already installed win)
    types = dict(harvester.sources.source_types())
    types.setdefault("dcat_rdf", _Registered(DcatRdfSource))
    types.setdefault("datajson", _Registered(DataJsonSource))
    monkeypatch.setattr(harvester.sources, "source_types", lambda: types)


# --- helpers ---------------------------------------------------------------------------------------------------


def feed_source(url: str, source_id: str = "feed", **options: Any) -> Source:
    return Source(source_id, "dcat_rdf", url, "测试数据目录", options=options)


def record_graphs(ctx: Context, source_id: str = "feed") -> dict[str, list]:
    return {g: sorted(t) for g, t in ctx.store.iter_graphs(ctx.iris.graph_prefix(source_id))}


def violations(ctx: Context, source_id: str = "feed") -> list[Violation]:
    """SHACL violations of all the source's record graphs, validated together (records share no nodes but
    publishers and vocabulary concepts, so the union is valid exactly when each record is)."""
    text = "".join(to_ntriples(triples) for _, triples in ctx.store.iter_graphs(ctx.iris.graph_prefix(source_id)))
    assert text, "nothing stored"
    return [v for v in validate_ntriples(text).violations if v.severity == "Violation"]


def counts(job: Job) -> tuple[int, int, int, int, int]:
    c = job.counts
    return c.added, c.updated, c.unchanged, c.deleted, c.failed


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def chinese_catalog(base_url: str, packages: list[dict[str, Any]] | None = None) -> str:
    """济南市统计局's demo datasets as one whole-catalog Turtle file (no paging)."""
    feed = DcatFeed(page_size=10_000)
    feed.feed_url = base_url + "/catalog.ttl"
    if packages is not None:
        feed.packages = packages
    return feed.page_turtle(1)


def reserialised(turtle: str, syntax: ox.RdfFormat, base_url: str) -> bytes:
    store = ox.Store()
    store.load(turtle.encode("utf-8"), ox.RdfFormat.TURTLE, base_iri=base_url)
    return store.dump(format=syntax, from_graph=ox.DefaultGraph())


def hydra_paged(base_url: str, packages: list[dict[str, Any]], per_page: int,
                next_of: Callable[[int, int], int | None]) -> list[str]:
    """ckanext-dcat style pages: a hydra:PagedCollection whose page links are literals."""
    pages = [packages[i:i + per_page] for i in range(0, len(packages), per_page)]
    out = []
    for number, chosen in enumerate(pages, 1):
        following = next_of(number, len(pages))
        link = f' ; hydra:nextPage "{base_url}/catalog.ttl?page={following}"' if following else ""
        out.append(chinese_catalog(base_url, chosen)
                   + f'<{base_url}/catalog.ttl?page={number}> a hydra:PagedCollection ; '
                     f'hydra:totalItems "{len(packages)}" ; hydra:itemsPerPage "{per_page}" ; '
                     f'hydra:firstPage "{base_url}/catalog.ttl?page=1"{link} .\n')
    return out


def gathered(url: str, **options: Any) -> dict[str, Any]:
    """remote id → payload, as the source gathers them."""
    client = PoliteClient(retries=0)
    try:
        source = DcatRdfSource(feed_source(url, **options), client, None)
        return {ref.remote_id: ref.payload for ref in source.gather(None)}
    finally:
        client.close()


def harvest(ctx: Context, url: str, **options: Any) -> Job:
    return run_job(ctx, feed_source(url, **options))


def failure(job: Job) -> str:
    assert job.status == JobStatus.FAILED, (job.status, job.message)
    return job.message


# --- whole-catalog files in each syntax -------------------------------------------------------------------------


@pytest.mark.parametrize("name, content_type, datasets", [
    ("govdata-de_destatis-catalog-original-input.rdf", RDF_XML, 135),
    ("govdata-de_brandenburg-catalog-original-input.ttl", TURTLE, 112),
    ("semic_3.0.1_example-bee-population.ttl", TURTLE, 1),
])
def test_recorded_catalogs_harvest_into_valid_dcat_ap_3(ctx: Context, portal: FixturePortal, name: str,
                                                        content_type: str, datasets: int) -> None:
    job = harvest(ctx, portal.serve("/catalog", fixture(name), content_type))
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert counts(job) == (datasets, 0, 0, 0, 0)
    assert violations(ctx) == []
    assert ctx.index.count() == datasets


def test_json_ld_gives_the_same_records_as_the_rdf_xml_it_was_made_from(tmp_path: Path, portal: FixturePortal) -> None:
    graphs = []
    for n, (name, content_type) in enumerate([("govdata-de_destatis-catalog-original-input.rdf", RDF_XML),
                                              ("govdata-de_destatis-catalog_DERIVED.jsonld", JSON_LD)]):
        context = Context(make_settings(tmp_path / f"data{n}"))
        try:
            job = harvest(context, portal.serve(f"/catalog{n}", fixture(name), content_type))
            assert counts(job) == (135, 0, 0, 0, 0), job.message
            graphs.append({g: [t for t in ts if "/record/" not in t[0] and "/catalog/" not in t[0]]
                           for g, ts in record_graphs(context).items()})
        finally:
            context.close()
    assert graphs[0] == graphs[1]


@pytest.mark.parametrize("syntax, content_type", [
    (ox.RdfFormat.RDF_XML, RDF_XML), (ox.RdfFormat.JSON_LD, JSON_LD), (ox.RdfFormat.N_TRIPLES, N_TRIPLES),
    (ox.RdfFormat.TRIG, "application/trig")])
def test_a_chinese_catalog_in_each_syntax_gives_the_payloads_of_its_turtle(
        ctx: Context, portal: FixturePortal, syntax: ox.RdfFormat, content_type: str) -> None:
    turtle = chinese_catalog(portal.url)
    expected = gathered(portal.serve("/catalog.ttl", turtle.encode("utf-8")))
    assert len(expected) == 32
    url = portal.serve("/catalog", reserialised(turtle, syntax, portal.url), content_type)
    assert gathered(url) == expected
    job = harvest(ctx, url)
    assert counts(job) == (32, 0, 0, 0, 0), job.message
    titles = {r["t"] for r in ctx.store.select(f"SELECT ?t WHERE {{ ?d a <{DCAT}Dataset> ; <{DCT}title> ?t }}")}
    assert '"济南市社会消费品零售总额统计"@zh' in titles


def test_the_syntax_option_overrides_a_wrong_media_type(portal: FixturePortal) -> None:
    body = reserialised(chinese_catalog(portal.url), ox.RdfFormat.N_TRIPLES, portal.url)
    url = portal.serve("/catalog.bin", body, "application/octet-stream")
    assert len(gathered(url, format="ntriples")) == 32


# --- paging -------------------------------------------------------------------------------------------------------


def test_the_demo_feed_pages_with_hydra_partial_collection_views(ctx: Context) -> None:
    feed = start_dcat_demo()
    try:
        job = harvest(ctx, feed.url)
        assert job.status == JobStatus.SUCCEEDED, job.message
        assert counts(job) == (32, 0, 0, 0, 0)
        pages = [path for path in feed.requests if path != "/robots.txt"]
        assert pages == ["/catalog.ttl", "/catalog.ttl?page=2", "/catalog.ttl?page=3", "/catalog.ttl?page=4"]
        assert violations(ctx) == []
        again = harvest(ctx, feed.url)
        assert counts(again) == (0, 0, 32, 0, 0)
    finally:
        feed.stop()


def test_the_demo_feed_is_the_same_on_every_start() -> None:
    first, second = DcatFeed(), DcatFeed()
    first.feed_url = second.feed_url = "http://127.0.0.1:1/catalog.ttl"
    assert first.page_count == second.page_count == 4
    assert [first.page(n) for n in range(1, 5)] == [second.page(n) for n in range(1, 5)]
    assert "济南市统计局" in first.page(1).decode("utf-8")


def test_paged_collections_with_literal_next_pages_are_followed(ctx: Context, portal: FixturePortal) -> None:
    pages = hydra_paged(portal.url, department_packages(), 11, lambda n, last: n + 1 if n < last else None)
    for number, page in enumerate(pages, 1):
        portal.serve(f"/catalog.ttl?page={number}", page.encode("utf-8"))
    job = harvest(ctx, portal.url + "/catalog.ttl?page=1")
    assert counts(job) == (32, 0, 0, 0, 0), job.message
    assert [p for p in portal.requests if p != "/robots.txt"] == [f"/catalog.ttl?page={n}" for n in (1, 2, 3)]


def test_a_next_link_back_to_a_read_page_stops_the_gather(ctx: Context, portal: FixturePortal) -> None:
    packages = department_packages()
    for number, page in enumerate(hydra_paged(portal.url, packages, 11, lambda n, last: n + 1 if n < last else None), 1):
        portal.serve(f"/catalog.ttl?page={number}", page.encode("utf-8"))
    assert harvest(ctx, portal.url + "/catalog.ttl?page=1").status == JobStatus.SUCCEEDED
    stored = record_graphs(ctx)
    looping = hydra_paged(portal.url, packages[:-1], 11, lambda n, last: n % last + 1)  # 3 → 1, and one fewer
    for number, page in enumerate(looping, 1):
        portal.serve(f"/catalog.ttl?page={number}", page.encode("utf-8"))
    message = failure(harvest(ctx, portal.url + "/catalog.ttl?page=1"))
    assert "paging loop" in message and "page 3" in message and "page 1" in message
    assert record_graphs(ctx) == stored  # nothing deleted, nothing rewritten


def test_pages_that_repeat_under_new_addresses_stop_the_gather(ctx: Context, portal: FixturePortal) -> None:
    first = hydra_paged(portal.url, department_packages()[:5], 5, lambda n, last: 2)[0]
    for number in range(1, 6):
        portal.serve(f"/catalog.ttl?page={number}", first.replace("page=2", f"page={number + 1}").encode("utf-8"))
    message = failure(harvest(ctx, portal.url + "/catalog.ttl?page=1"))
    assert "page 2" in message and "the same 5 datasets as page 1" in message


def test_max_pages_bounds_a_feed_that_never_ends(ctx: Context, portal: FixturePortal) -> None:
    packages = department_packages()
    pages = hydra_paged(portal.url, packages, 1, lambda n, last: n + 1)
    for number, page in enumerate(pages, 1):
        portal.serve(f"/catalog.ttl?page={number}", page.encode("utf-8"))
    message = failure(harvest(ctx, portal.url + "/catalog.ttl?page=1", max_pages=4))
    assert "more than 4 pages" in message


# --- change detection -------------------------------------------------------------------------------------------


def test_changes_between_harvests_are_counted_exactly(ctx: Context, portal: FixturePortal) -> None:
    packages = department_packages()
    url = portal.serve("/catalog.ttl", chinese_catalog(portal.url, packages).encode("utf-8"))
    assert counts(harvest(ctx, url)) == (32, 0, 0, 0, 0)
    before = record_graphs(ctx)
    assert counts(harvest(ctx, url)) == (0, 0, 32, 0, 0)
    assert record_graphs(ctx) == before
    changed = [dict(p) for p in packages[:-1]]
    changed[0]["title_translated"] = {"zh": "济南市社会消费品零售总额统计（修订）"}
    portal.serve("/catalog.ttl", chinese_catalog(portal.url, changed).encode("utf-8"))
    job = harvest(ctx, url)
    assert counts(job) == (0, 1, 30, 1, 0), job.message
    hits = ctx.index.search(SearchQuery(q="修订")).hits
    assert [h.doc.title for h in hits] == ["济南市社会消费品零售总额统计（修订）"]


# --- what DCAT-AP 1/2 and national profiles become --------------------------------------------------------------

DCAT_AP_2 = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix schema: <http://schema.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
<http://tjj.example.cn/dataset/gdp> a dcat:Dataset ;
    dct:title "济南市地区生产总值"@zh ;
    dct:publisher "济南市统计局" ;
    dct:language "zh", <http://id.loc.gov/vocabulary/iso639-1/en> ;
    dct:accrualPeriodicity <http://purl.org/cld/freq/quarterly> ;
    dct:accessRights "无条件开放" ;
    dct:issued "2021年7月6日" ;
    dct:modified "2021-07-06 10:00:00"^^xsd:dateTime ;
    dct:temporal [ schema:startDate "2019-01-01"^^xsd:date ; schema:endDate "2020-12-31"^^xsd:date ] ;
    dcat:theme "经济发展" ;
    owl:versionInfo "2.1" ;
    dcat:contactPoint [ vcard:fn "数据科"@zh ; vcard:hasEmail "sjk@tjj.example.cn" ] ;
    dcat:distribution <http://tjj.example.cn/dataset/gdp/csv>, [ dcat:downloadURL <http://tjj.example.cn/gdp.xlsx> ;
        dct:format "Excel" ] .
<http://tjj.example.cn/dataset/gdp/csv> a dcat:Distribution ;
    dcat:accessURL "http://tjj.example.cn/gdp.csv" ;
    dct:format "CSV" ; dcat:mediaType "text/csv" ;
    dcat:byteSize "20480.0"^^xsd:decimal ;
    dct:license "济南市公共数据开放许可协议" .
"""


def map_feed(text: str, content_type: str = TURTLE, dataset: str = "https://cat.example/dataset/feed/k") -> list:
    with rdf_read.load_document(rdf_read.RdfDocument("http://tjj.example.cn/feed", text.encode(), content_type)) as g:
        description = next(rdf_extract.iter_descriptions(g.store))
    ctx = MapContext("https://cat.example", "feed", "k", dataset)
    RDF_MAPPING.apply({"id": description.remote_id, "node": description.node, "ntriples": description.ntriples}, ctx)
    return ctx.triples


def objects_of(triples: list, subject: str, predicate: str) -> list[str]:
    return sorted(o for s, p, o in triples if s == subject and p == predicate)


def test_dcat_ap_2_literals_become_dcat_ap_3_vocabulary_iris() -> None:
    triples = map_feed(DCAT_AP_2)
    ds, dist = "<https://cat.example/dataset/feed/k>", "<https://cat.example/dataset/feed/k/distribution/1>"
    assert objects_of(triples, ds, f"<{DCT}language>") == [f"<{EU}language/ENG>", f"<{EU}language/ZHO>"]
    assert objects_of(triples, ds, f"<{DCT}accrualPeriodicity>") == [f"<{EU}frequency/QUARTERLY>"]
    assert objects_of(triples, ds, f"<{DCT}accessRights>") == [f"<{EU}access-right/PUBLIC>"]
    assert objects_of(triples, ds, f"<{DCT}issued>") == ['"2021-07-06"^^<http://www.w3.org/2001/XMLSchema#date>']
    assert objects_of(triples, ds, f"<{DCT}modified>") == [
        '"2021-07-06T10:00:00+00:00"^^<http://www.w3.org/2001/XMLSchema#dateTime>']
    assert f"<{EU}data-theme/ECON>" in objects_of(triples, ds, f"<{DCAT}theme>")
    assert objects_of(triples, ds, f"<{DCAT}version>") == ['"2.1"']
    assert objects_of(triples, dist, f"<{DCT}format>") == [f"<{EU}file-type/CSV>"]
    assert objects_of(triples, dist, f"<{DCAT}mediaType>") == ["<https://www.iana.org/assignments/media-types/text/csv>"]
    assert objects_of(triples, dist, f"<{DCAT}byteSize>") == [
        '"20480"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>']
    assert objects_of(triples, dist, f"<{DCAT}accessURL>") == ["<http://tjj.example.cn/gdp.csv>"]
    licence = objects_of(triples, dist, f"<{DCT}license>")[0]
    assert objects_of(triples, licence, "<http://www.w3.org/2000/01/rdf-schema#label>") == ['"济南市公共数据开放许可协议"']
    assert objects_of(triples, licence, "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>") == [
        f"<{DCT}LicenseDocument>"]
    publisher = objects_of(triples, ds, f"<{DCT}publisher>")[0]
    assert objects_of(triples, publisher, "<http://xmlns.com/foaf/0.1/name>") == ['"济南市统计局"']
    period = objects_of(triples, ds, f"<{DCT}temporal>")[0]
    assert objects_of(triples, period, f"<{DCAT}startDate>") == ['"2019-01-01"^^<http://www.w3.org/2001/XMLSchema#date>']
    report = validate_ntriples(to_ntriples(triples))
    assert report.violation_count == 0, report.violations


def test_records_have_no_blank_nodes_and_keep_the_original_identity() -> None:
    triples = map_feed(DCAT_AP_2)
    ds = "<https://cat.example/dataset/feed/k>"
    assert not [t for t in triples if t[0].startswith("_:") or t[2].startswith("_:")]
    assert '"http://tjj.example.cn/dataset/gdp"' in objects_of(triples, ds, f"<{DCT}identifier>")
    original = next(o for o in objects_of(triples, ds, "<http://www.w3.org/ns/adms#identifier>"))
    assert objects_of(triples, original, "<http://www.w3.org/2004/02/skos/core#notation>") == [
        '"http://tjj.example.cn/dataset/gdp"']
    assert objects_of(triples, ds, f"<{DCAT}contactPoint>") == ["<https://cat.example/dataset/feed/k#contactPoint>"]
    assert objects_of(triples, ds, f"<{DCAT}distribution>") == [
        "<https://cat.example/dataset/feed/k/distribution/1>", "<https://cat.example/dataset/feed/k/distribution/2>"]
    # a distribution with a download URL only gets it as access URL too
    second = "<https://cat.example/dataset/feed/k/distribution/2>"
    assert objects_of(triples, second, f"<{DCAT}accessURL>") == ["<http://tjj.example.cn/gdp.xlsx>"]
    assert objects_of(triples, second, f"<{DCT}format>") == [f"<{EU}file-type/XLSX>"]


def described(text: str, content_type: str = TURTLE) -> str:
    with rdf_read.load_document(rdf_read.RdfDocument("http://tjj.example.cn/feed", text.encode(), content_type)) as g:
        return next(rdf_extract.iter_descriptions(g.store)).ntriples


def test_a_description_does_not_depend_on_blank_node_labels_or_statement_order() -> None:
    store = ox.Store()
    store.load(DCAT_AP_2.encode(), ox.RdfFormat.TURTLE)
    lines = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode().splitlines()
    labels = sorted(set(re.findall(r"_:\w+", "\n".join(lines))))
    shuffled = "\n".join(reversed(lines))
    for n, label in enumerate(labels):
        shuffled = shuffled.replace(label, f"_:other{n}")
    first = described(DCAT_AP_2)
    assert described(DCAT_AP_2) == first  # a store gives blank nodes new random ids on every load
    assert described(shuffled, N_TRIPLES) == first
    assert "_:b" in first


def test_a_dataset_that_is_its_own_distribution_is_split_in_two() -> None:
    triples = map_feed(_destatis_dataset("https://www.bundeswahlleiter.de/bundestagswahlen/2013/ergebnisse/bund-99"),
                       RDF_XML)
    ds, dist = "<https://cat.example/dataset/feed/k>", "<https://cat.example/dataset/feed/k/distribution/1>"
    assert objects_of(triples, ds, f"<{DCAT}distribution>") == [dist]
    assert objects_of(triples, dist, f"<{DCAT}accessURL>") == [
        "<https://www.bundeswahlleiter.de/bundestagswahlen/2013/ergebnisse/bund-99.html>"]
    assert not objects_of(triples, ds, f"<{DCAT}accessURL>")
    assert objects_of(triples, ds, f"<{DCT}title>")


def _destatis_dataset(about: str) -> str:
    """One rdf:Description of the recorded destatis catalog, with its contact point, as a document."""
    text = fixture("govdata-de_destatis-catalog-original-input.rdf").decode("utf-8")
    head = text[:text.index("<rdf:Description")]
    block = re.search(rf'<rdf:Description rdf:about="{re.escape(about)}">.*?</rdf:Description>', text, re.DOTALL).group(0)
    node = re.search(r'rdf:nodeID="(\w+)"', block).group(1)
    contact = re.search(rf'<rdf:Description rdf:nodeID="{node}">.*?</rdf:Description>', text, re.DOTALL).group(0)
    return head + block + contact + "</rdf:RDF>\n"


# --- records that cannot be mapped fail alone ------------------------------------------------------------------


def test_a_dataset_missing_its_title_fails_alone(ctx: Context, portal: FixturePortal) -> None:
    packages = [dict(p) for p in department_packages()]
    packages[3].update(title="", title_translated={})
    job = harvest(ctx, portal.serve("/catalog.ttl", chinese_catalog(portal.url, packages).encode("utf-8")))
    assert job.status == JobStatus.PARTIAL, job.message
    assert counts(job) == (31, 0, 0, 0, 1)
    [error] = job.errors
    assert (error.stage, error.message) == (Stage.MAP, "title is missing")
    assert error.remote_id == f"http://jntj.jinan.gov.cn/dataset/{packages[3]['name']}"


def test_the_official_series_example_maps_its_series_and_fails_the_dataset_without_access(
        ctx: Context, portal: FixturePortal) -> None:
    job = harvest(ctx, portal.serve(
        "/series.ttl", fixture("semic_3.0.1_example-bee-population-dataset-series-combined_REPAIRED.ttl")))
    assert counts(job) == (4, 0, 0, 0, 1), job.message
    [error] = job.errors
    assert error.remote_id == "https://data.gov.gr/id/dataset/BeePopulation2023"
    assert "has neither dcat:accessURL nor dcat:downloadURL" in error.message
    assert violations(ctx) == []
    series = ctx.store.select(f"SELECT ?s WHERE {{ GRAPH ?g {{ ?s a <{DCAT}DatasetSeries> ; a <{DCAT}Dataset> }} }}")
    assert len(series) == 1


def test_a_blank_node_dataset_without_identifier_fails_alone(ctx: Context, portal: FixturePortal) -> None:
    text = chinese_catalog(portal.url) + (
        '[] a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> "无标识数据集"@zh .\n')
    job = harvest(ctx, portal.serve("/catalog.ttl", text.encode("utf-8")))
    assert counts(job) == (32, 0, 0, 0, 1)
    assert "without dct:identifier" in job.errors[0].message


def test_a_description_past_the_size_bound_fails_alone(ctx: Context, portal: FixturePortal,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rdf_extract, "MAX_TRIPLES", 60)
    job = harvest(ctx, portal.serve("/catalog.ttl", chinese_catalog(portal.url).encode("utf-8")))
    assert job.counts.failed > 0 and job.counts.added > 0
    assert all("passes 60 triples" in e.message for e in job.errors)


# --- documents that cannot be read fail the gather and touch nothing --------------------------------------------


@pytest.fixture
def stored(ctx: Context, portal: FixturePortal) -> dict[str, list]:
    """A source harvested once from a good Turtle catalog at /catalog; its records as stored."""
    assert harvest(ctx, portal.serve("/catalog", chinese_catalog(portal.url).encode("utf-8"))).counts.added == 32
    return record_graphs(ctx)


@pytest.mark.parametrize("syntax, content_type, reason", [
    (ox.RdfFormat.TURTLE, TURTLE, "is not valid Turtle"),
    (ox.RdfFormat.RDF_XML, RDF_XML, "is not valid RDF/XML"),
    (ox.RdfFormat.JSON_LD, JSON_LD, "is not valid JSON-LD"),
    (ox.RdfFormat.N_TRIPLES, N_TRIPLES, "is not valid N-Triples"),
])
def test_a_truncated_document_fails_the_gather_and_deletes_nothing(
        ctx: Context, portal: FixturePortal, stored: dict[str, list], syntax: ox.RdfFormat, content_type: str,
        reason: str) -> None:
    whole = reserialised(chinese_catalog(portal.url), syntax, portal.url)
    portal.serve("/catalog", whole[:len(whole) * 2 // 3], content_type)
    message = failure(harvest(ctx, portal.url + "/catalog"))
    assert "gather failed, nothing deleted" in message and reason in message
    assert record_graphs(ctx) == stored
    assert ctx.index.count() == 32


def test_the_official_example_with_invalid_turtle_is_refused_with_the_parsers_reason(
        ctx: Context, portal: FixturePortal) -> None:
    message = failure(harvest(ctx, portal.serve(
        "/series.ttl", fixture("semic_3.0.1_example-bee-population-dataset-series-combined.ttl"))))
    assert "is not valid Turtle" in message and "line 32" in message


@pytest.mark.parametrize("encode, content_type", [
    (lambda text: text.encode("gbk"), "text/turtle; charset=utf-8"),           # GBK bytes labelled UTF-8
    (lambda text: text.encode("gbk"), "text/turtle"),                          # GBK bytes, no label
    (lambda text: text.encode("utf-8"), "text/turtle; charset=GBK"),           # UTF-8 bytes labelled GBK
])
def test_mislabelled_charsets_are_read_as_what_the_bytes_are(ctx: Context, portal: FixturePortal,
                                                             encode: Callable[[str], bytes], content_type: str) -> None:
    job = harvest(ctx, portal.serve("/catalog", encode(chinese_catalog(portal.url)), content_type))
    assert counts(job) == (32, 0, 0, 0, 0), job.message
    titles = {r["t"] for r in ctx.store.select(f"SELECT ?t WHERE {{ ?d a <{DCAT}Dataset> ; <{DCT}title> ?t }}")}
    assert '"济南市社会消费品零售总额统计"@zh' in titles


def test_rdf_xml_declared_gbk_is_read(ctx: Context, portal: FixturePortal) -> None:
    xml = reserialised(chinese_catalog(portal.url), ox.RdfFormat.RDF_XML, portal.url).decode("utf-8")
    xml = xml.replace('encoding="UTF-8"', 'encoding="GBK"', 1)
    job = harvest(ctx, portal.serve("/catalog.rdf", xml.encode("gbk"), RDF_XML))
    assert counts(job) == (32, 0, 0, 0, 0), job.message


def test_bytes_that_are_no_known_charset_fail_with_a_reason(ctx: Context, portal: FixturePortal,
                                                            stored: dict[str, list]) -> None:
    body = chinese_catalog(portal.url).encode("utf-8").replace("济南市统计局".encode(), b"\xff\xfe\xff", 1)
    message = failure(harvest(ctx, portal.serve("/catalog", body, "text/turtle; charset=utf-8")))
    assert "neither valid UTF-8 nor gb18030" in message
    assert record_graphs(ctx) == stored


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
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
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/"
         xmlns:dcat="http://www.w3.org/ns/dcat#">
  <dcat:Dataset rdf:about="http://tjj.example.cn/dataset/lol"><dct:title>&lol9;</dct:title></dcat:Dataset>
</rdf:RDF>
"""
EXTERNAL_DTD = """<?xml version="1.0"?>
<!-- a comment first -->
<!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:9/evil.dtd">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>
"""


@pytest.mark.parametrize("document, reason", [
    (BILLION_LAUGHS, "declares XML entities"), (EXTERNAL_DTD, "names an external DTD")])
def test_rdf_xml_entities_are_refused_before_parsing(ctx: Context, portal: FixturePortal, stored: dict[str, list],
                                                      document: str, reason: str) -> None:
    message = failure(harvest(ctx, portal.serve("/catalog", document.encode(), RDF_XML)))
    assert reason in message and "refused" in message
    assert record_graphs(ctx) == stored


def test_a_json_ld_remote_context_is_not_fetched(ctx: Context, portal: FixturePortal) -> None:
    body = b'{"@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld", "@id": "http://x/a"}'
    message = failure(harvest(ctx, portal.serve("/catalog.jsonld", body, JSON_LD)))
    assert "remote contexts are not fetched" in message


@pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
def test_a_response_past_the_size_cap_fails_the_gather(tmp_path: Path, portal: FixturePortal, streamed: bool) -> None:
    cap = 256 * 1024
    context = Context(make_settings(tmp_path / "data", http_max_bytes=cap))
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        line = chinese_catalog(portal.url).encode("utf-8")[:65536]
        for _ in range(200 * 1024 * 1024 // len(line)):  # 200 MB, unless the client hangs up first
            sent.append(len(line))
            yield line

    try:
        if streamed:
            portal.serve("/big.ttl", endless)
        else:
            portal.serve("/big.ttl", b"@prefix x: <http://x/> .\n", Content_Length=str(200 * 1024 * 1024))
        message = failure(harvest(context, portal.url + "/big.ttl"))
        assert f"more than {cap:,}" in message
        assert sum(sent) < 50 * 1024 * 1024
    finally:
        context.close()


# --- large documents -------------------------------------------------------------------------------------------


def test_a_large_document_is_parsed_in_an_on_disk_scratch_store_that_is_removed(
        ctx: Context, portal: FixturePortal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(rdf_read, "SPILL_BYTES", 1024)
    made: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(**options: Any) -> str:
        made.append(real_mkdtemp(**options))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", recording_mkdtemp)
    job = harvest(ctx, portal.serve("/catalog", fixture("govdata-de_brandenburg-catalog-original-input.ttl")))
    assert counts(job) == (112, 0, 0, 0, 0), job.message
    assert len(made) == 1 and made[0].startswith(str(scratch))
    assert list(scratch.iterdir()) == []
