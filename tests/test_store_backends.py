"""The store contract on every backend: the embedded store, the Oxigraph server and Virtuoso give the same answers.

Each test writes the same record graphs to a backend and to an in-memory embedded store (the reference) and
compares what comes back. Failure tests put a FaultProxy between the harvester and a real server, or stop or
kill the server itself, and check that the error is a StoreError and that nothing already stored is lost.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import requests
from lxml import etree

from harvester.context import Context
from harvester.dcat.rdf import A, iri, literal, term, typed
from harvester.settings import Settings, load_settings
from harvester.store import (
    GraphWrite,
    QueryTimeout,
    RecordDataError,
    StoreError,
    TripleStore,
    open_store,
)
from harvester.store.oxigraph import OxigraphStore
from tests.conftest import make_settings
from tests.servers import (
    BACKENDS,
    FaultProxy,
    OxigraphServer,
    VirtuosoServer,
    backend_settings,
    free_port,
)

REMOTE = ("oxigraph-server", "virtuoso")
XSD = "http://www.w3.org/2001/XMLSchema#"
DATASET = "http://www.w3.org/ns/dcat#Dataset"


@pytest.fixture(params=BACKENDS)
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Context]:
    settings = backend_settings(request, request.param)
    context = Context(make_settings(tmp_path / "data", **next(settings)))
    try:
        yield context
    finally:
        context.close()
        next(settings, None)


@pytest.fixture
def reference() -> Iterator[OxigraphStore]:
    store = OxigraphStore(None)
    yield store
    store.close()


def record(ctx: Context, key: str, title: str = "交通流量数据", version: int = 1) -> GraphWrite:
    """A record graph with the literals that go wrong first: Chinese, escapes, typed values, a Chinese IRI."""
    dataset = iri(ctx.iris.dataset("src", key))
    dist = iri(ctx.iris.dataset("src", key) + "/distribution/1")
    triples = [
        (dataset, A, term("dcat:Dataset")),
        (dataset, term("dct:title"), literal(f"{title} v{version}", "zh")),
        (dataset, term("dct:title"), literal("Traffic flow", "en")),
        (dataset, term("dct:description"), literal('引号 "quoted", back\\slash,\nnew line\tand tab')),
        (dataset, term("dct:issued"), typed("2024-05-01T08:30:00Z", XSD + "dateTime")),
        (dataset, term("dct:modified"), typed("2024-06-02", XSD + "date")),
        (dataset, term("dcat:keyword"), literal("交通", "zh")),
        (dataset, term("dcat:landingPage"), iri("http://data.jinan.example/数据/交通?id=1")),
        (dataset, term("dcat:distribution"), dist),
        (dist, A, term("dcat:Distribution")),
        (dist, term("dcat:byteSize"), typed("123456", XSD + "nonNegativeInteger")),
        (dist, term("dcat:spatialResolutionInMeters"), typed("2.50", XSD + "decimal")),
        (dist, term("dct:format"), iri("http://publications.europa.eu/resource/authority/file-type/CSV")),
    ]
    return GraphWrite.of(ctx.iris.graph("src", key), triples)


def write_both(ctx: Context, reference: TripleStore, writes: list[GraphWrite]) -> None:
    ctx.store.replace_graphs(writes)
    reference.replace_graphs(writes)


def test_records_read_back_exactly_as_the_embedded_store_reads_them(ctx: Context, reference: OxigraphStore) -> None:
    writes = [record(ctx, f"k{i}") for i in range(3)]
    write_both(ctx, reference, writes)
    for w in writes:
        assert ctx.store.has_graph(w.graph)
        assert sorted(ctx.store.graph_triples(w.graph)) == sorted(reference.graph_triples(w.graph))
    byte_size = [t.o for t in ctx.store.graph_triples(writes[0].graph) if t.p.endswith("#byteSize>")]
    assert byte_size == [f'"123456"^^<{XSD}nonNegativeInteger>']
    assert not ctx.store.has_graph(ctx.iris.graph("src", "absent"))


def test_a_replace_swaps_the_whole_graph_and_leaves_the_others(ctx: Context, reference: OxigraphStore) -> None:
    write_both(ctx, reference, [record(ctx, "a"), record(ctx, "b")])
    write_both(ctx, reference, [record(ctx, "a", "空气质量", version=2)])
    a, b = ctx.iris.graph("src", "a"), ctx.iris.graph("src", "b")
    titles = {t.o for t in ctx.store.graph_triples(a) if t.p.endswith("/title>")}
    assert titles == {'"空气质量 v2"@zh', '"Traffic flow"@en'}  # nothing of version 1 is left
    assert sorted(ctx.store.graph_triples(a)) == sorted(reference.graph_triples(a))
    assert sorted(ctx.store.graph_triples(b)) == sorted(reference.graph_triples(b))


def test_dropping_removes_graphs_and_ignores_absent_ones(ctx: Context) -> None:
    ctx.store.replace_graphs([record(ctx, k) for k in ("a", "b", "c")])
    ctx.store.drop_graphs([ctx.iris.graph("src", "a"), ctx.iris.graph("src", "never-written")])
    assert [ctx.store.has_graph(ctx.iris.graph("src", k)) for k in ("a", "b", "c")] == [False, True, True]
    assert ctx.store.count_graphs(ctx.iris.graph_prefix("src")) == 2


def test_a_patch_removes_and_adds_triples_and_applied_again_changes_nothing(
        ctx: Context, reference: OxigraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    links = ctx.iris.base + "/graph/_duplicates"
    same_as = term("owl:sameAs")
    pairs = [(iri(ctx.iris.dataset("a", f"k{i}")), same_as, iri(ctx.iris.dataset("b", f"k{i}"))) for i in range(60)]
    for store in (ctx.store, reference):
        store.patch_graph(links, [], pairs[:50])
        store.patch_graph(links, pairs[:10], pairs[50:])
    assert sorted(ctx.store.graph_triples(links)) == sorted(reference.graph_triples(links))
    assert len(ctx.store.graph_triples(links)) == 50
    ctx.store.patch_graph(links, pairs[:10], pairs[50:])  # a patch cut short is applied again: same graph
    assert sorted(ctx.store.graph_triples(links)) == sorted(reference.graph_triples(links))
    # a large patch goes in parts, removals first
    monkeypatch.setattr("harvester.store.sparql.MAX_UPDATE_CHARS", 1000)
    monkeypatch.setattr("harvester.store.oxigraph.FLUSH_TRIPLES", 7)
    for store in (ctx.store, reference):
        store.patch_graph(links, pairs[10:40], pairs[:10])
    assert sorted(ctx.store.graph_triples(links)) == sorted(reference.graph_triples(links))
    assert {t.o for t in ctx.store.graph_triples(links)} == {p[2] for p in pairs[:10] + pairs[40:]}
    ctx.store.patch_graph(links, pairs, [])
    assert not ctx.store.has_graph(links)


def test_graphs_are_listed_and_read_a_page_of_graphs_per_query(ctx: Context, reference: OxigraphStore,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import harvester.store.sparql as remote

    monkeypatch.setattr(remote, "GRAPHS_PER_PAGE", 4)
    monkeypatch.setattr(remote, "NAMES_PER_PAGE", 5)
    writes = [record(ctx, f"k{i:02d}") for i in range(11)]
    write_both(ctx, reference, writes + [GraphWrite.of(ctx.iris.graph("other", "x"), [(iri("http://s"), A, iri("http://t"))])])
    queries = _count_queries(ctx, monkeypatch)
    listed = dict(ctx.store.iter_graphs(ctx.iris.graph_prefix("src")))
    assert sorted(listed) == sorted(w.graph for w in writes)
    assert {g: sorted(t) for g, t in listed.items()} == {g: sorted(t) for g, t in reference.iter_graphs(
        ctx.iris.graph_prefix("src"))}
    if queries is not None:  # 3 pages of names + 3 pages of graphs, not a query per graph
        assert len(queries) <= 6, queries
    assert ctx.store.count_graphs(ctx.iris.graph_prefix("src")) == 11
    assert ctx.store.count_graphs(ctx.iris.graph_prefix()) == 12


def _count_queries(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> list[str] | None:
    http = getattr(ctx.store, "http", None)
    if http is None:
        return None
    seen: list[str] = []
    original = http.query_bytes

    def counting(sparql: str, *args: Any) -> bytes:
        seen.append(sparql[:60])
        return original(sparql, *args)
    monkeypatch.setattr(http, "query_bytes", counting)
    return seen


def test_select_gives_the_rows_the_embedded_store_gives(ctx: Context, reference: OxigraphStore) -> None:
    writes = [record(ctx, f"k{i}", title=t) for i, t in enumerate(["交通", "教育", "医疗"])]
    write_both(ctx, reference, writes)
    query = (f"SELECT ?d ?title ?issued WHERE {{ ?d a <{DATASET}> ; <http://purl.org/dc/terms/title> ?title ; "
             "<http://purl.org/dc/terms/issued> ?issued FILTER(LANG(?title) = 'zh') "
             f"FILTER(STRSTARTS(STR(?d), '{ctx.iris.base}')) }} ORDER BY ?title")
    assert ctx.store.select(query) == reference.select(query)
    count = f"SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ ?d a <{DATASET}> FILTER(STRSTARTS(STR(?d), '{ctx.iris.base}')) }}"
    assert ctx.store.select(count) == [{"n": f'"3"^^<{XSD}integer>'}]


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/csv", "text/tab-separated-values",
                                    "application/sparql-results+xml"])
def test_user_queries_are_cut_at_the_row_limit_in_every_results_format(ctx: Context, reference: OxigraphStore,
                                                                      accept: str) -> None:
    write_both(ctx, reference, [record(ctx, f"k{i}") for i in range(4)])
    query = f"SELECT ?d WHERE {{ ?d a <{DATASET}> FILTER(STRSTARTS(STR(?d), '{ctx.iris.base}')) }} ORDER BY ?d"
    answer = ctx.store.query(query, accept, 3, 10.0)
    expected = reference.query(query, accept, 3, 10.0)
    assert (answer.rows, answer.truncated_by_rows, answer.truncated_by_time) == (3, True, False)
    assert answer.content_type == expected.content_type
    assert _rows(answer.body, accept) == _rows(expected.body, accept)
    whole = ctx.store.query(query, accept, 4, 10.0)
    assert (whole.rows, whole.truncated_by_rows) == (4, False)


def _rows(body: bytes, accept: str) -> list[Any]:
    if "json" in accept:
        return [b["d"]["value"] for b in json.loads(body)["results"]["bindings"]]
    if "csv" in accept:
        return list(csv.reader(io.StringIO(body.decode())))
    if "tab" in accept:
        return body.decode().splitlines()
    return sorted(e.text for e in etree.fromstring(body).iter("{http://www.w3.org/2005/sparql-results#}uri"))


def test_ask_and_construct_answer_like_the_embedded_store(ctx: Context, reference: OxigraphStore) -> None:
    write_both(ctx, reference, [record(ctx, "k1")])
    graph = ctx.iris.graph("src", "k1")
    for query in (f"ASK {{ GRAPH <{graph}> {{ ?d a <{DATASET}> }} }}", "ASK { <http://nothing.test/x> ?p ?o }"):
        answer = ctx.store.query(query, "application/sparql-results+json", 10, 10.0)
        assert json.loads(answer.body)["boolean"] == json.loads(reference.query(query, "application/json", 10, 10.0).body)["boolean"]
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    answer = ctx.store.query(construct, "text/turtle", 5, 10.0)
    assert answer.content_type.startswith("text/turtle")
    assert (answer.rows, answer.truncated_by_rows) == (5, True)
    full = ctx.store.query(construct, "application/n-triples", 1000, 10.0)
    expected = reference.query(construct, "application/n-triples", 1000, 10.0)
    assert _graph(full.body) == _graph(expected.body) and full.rows == 13


def _graph(body: bytes) -> set[str]:
    """Triples of an answer; Oxigraph answers integer subtypes as xsd:integer, Virtuoso keeps them."""
    return {str(t).replace("#nonNegativeInteger>", "#integer>") for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)}


def test_a_malformed_query_or_an_update_is_a_syntax_error_and_writes_nothing(ctx: Context) -> None:
    ctx.store.replace_graphs([record(ctx, "k1")])
    with pytest.raises(SyntaxError):
        ctx.store.query("SELEC ?x WHERE { ?x ?y ?z }", "application/json", 10, 10.0)
    with pytest.raises(SyntaxError):
        ctx.store.query(f"DROP GRAPH <{ctx.iris.graph('src', 'k1')}>", "application/json", 10, 10.0)
    assert ctx.store.has_graph(ctx.iris.graph("src", "k1"))


def test_a_runaway_query_is_stopped_at_the_time_limit(ctx: Context) -> None:
    ctx.store.replace_graphs([record(ctx, f"k{i}") for i in range(12)])
    query = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l "
             f"FILTER(STRSTARTS(STR(?a), '{ctx.iris.base}')) }}")
    started = time.monotonic()
    try:
        answer = ctx.store.query(query, "application/sparql-results+json", 10, 1.0)
        assert answer.truncated_by_time
    except QueryTimeout:
        pass
    assert time.monotonic() - started < 4.0


def test_export_writes_the_quads_the_embedded_store_writes(ctx: Context, reference: OxigraphStore) -> None:
    write_both(ctx, reference, [record(ctx, f"k{i}") for i in range(3)])
    for fmt, parse_format in (("nq", ox.RdfFormat.N_QUADS), ("ttl", ox.RdfFormat.TURTLE)):
        mine, theirs = io.BytesIO(), io.BytesIO()
        ctx.store.export(mine, fmt)
        reference.export(theirs, fmt)
        assert {str(q) for q in ox.parse(mine.getvalue(), format=parse_format)} == \
            {str(q) for q in ox.parse(theirs.getvalue(), format=parse_format)}


def test_data_the_server_refuses_is_a_record_data_error_and_the_stored_version_stays(ctx: Context) -> None:
    good = record(ctx, "k1")
    ctx.store.replace_graphs([good])
    broken = GraphWrite(good.graph, good.ntriples + '<http://s.test/x> <http://p.test/y> "unterminated .\n')
    with pytest.raises(RecordDataError):
        ctx.store.replace_graphs([broken])
    assert len(ctx.store.graph_triples(good.graph)) == 13


# --- a server that fails -----------------------------------------------------------------------------


@pytest.fixture(params=REMOTE)
def proxied(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Context, FaultProxy]]:
    """A Context whose store is reached through a FaultProxy in front of the real server."""
    settings = backend_settings(request, request.param)
    values = next(settings)
    server = request.getfixturevalue("oxigraph_server" if request.param == "oxigraph-server" else "virtuoso_server")
    proxy, proxied_values = FaultProxy.before_store(values)
    proxied_values["store_timeout"] = 2.0
    assert server is not None
    context = Context(make_settings(tmp_path / "data", **proxied_values))
    try:
        yield context, proxy
    finally:
        context.close()
        proxy.close()
        next(settings, None)


@pytest.mark.parametrize("mode", ["refuse", "error", "hang"])
def test_a_failing_server_is_a_store_error_and_nothing_stored_is_lost(proxied: tuple[Context, FaultProxy],
                                                                      mode: str) -> None:
    ctx, proxy = proxied
    ctx.store.replace_graphs([record(ctx, "k1"), record(ctx, "k2")])
    before = sorted(ctx.store.graph_triples(ctx.iris.graph("src", "k1")))
    proxy.fault.mode, proxy.fault.hang_seconds = mode, 4.0
    with pytest.raises(StoreError) as failure:
        ctx.store.replace_graphs([record(ctx, "k1", "改了", version=2), record(ctx, "k3")])
    assert not isinstance(failure.value, RecordDataError)  # the job fails, records are not blamed one by one
    proxy.fault.mode = ""
    assert sorted(ctx.store.graph_triples(ctx.iris.graph("src", "k1"))) == before
    assert ctx.store.has_graph(ctx.iris.graph("src", "k2"))
    ctx.store.replace_graphs([record(ctx, "k1", "改了", version=2), record(ctx, "k3")])  # and it can be run again
    assert ctx.store.has_graph(ctx.iris.graph("src", "k3"))
    proxy.fault.mode, proxy.fault.writes_only = "refuse", False
    with pytest.raises(StoreError):
        ctx.store.graph_triples(ctx.iris.graph("src", "k1"))


def test_a_stopped_oxigraph_server_fails_writes_and_keeps_what_it_stored(request: pytest.FixtureRequest,
                                                                         oxigraph_server: OxigraphServer,
                                                                         tmp_path: Path) -> None:
    settings = backend_settings(request, "oxigraph-server")
    ctx = Context(make_settings(tmp_path / "data", **next(settings)))
    try:
        ctx.store.replace_graphs([record(ctx, "k1")])
        oxigraph_server.stop()
        try:
            with pytest.raises(StoreError, match="did not answer"):
                ctx.store.replace_graphs([record(ctx, "k1", version=2)])
        finally:
            oxigraph_server.start()
        titles = {t.o for t in ctx.store.graph_triples(ctx.iris.graph("src", "k1")) if t.p.endswith("/title>")}
        assert '"交通流量数据 v1"@zh' in titles
    finally:
        ctx.close()
        next(settings, None)


def test_a_server_killed_during_a_replace_leaves_each_record_old_new_or_absent(
        request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The Oxigraph server replaces a group of records in one transaction: all old or all new. Virtuoso's loader
    clears a request's records in one transaction and loads them in the next: a record may be missing after a
    crash, never mixed."""
    for backend in REMOTE:
        settings = backend_settings(request, backend)
        server: Any = request.getfixturevalue("oxigraph_server" if backend == "oxigraph-server" else "virtuoso_server")
        ctx = Context(make_settings(tmp_path / backend, **next(settings)))
        try:
            _kill_during_replace(ctx, server, backend)
        finally:
            ctx.close()
            next(settings, None)


def _kill_during_replace(ctx: Context, server: OxigraphServer | VirtuosoServer, backend: str) -> None:
    # large enough that the kill lands while the server works (an update of 1,000 records takes the Oxigraph
    # server seconds; Virtuoso's loader ~5 ms a replaced record), small enough to go as one request to Oxigraph
    count = 500 if backend == "oxigraph-server" else 1500
    old = [record(ctx, f"k{i:03d}", "旧") for i in range(count)]
    new = [record(ctx, f"k{i:03d}", "新", version=2) for i in range(count)]
    ctx.store.replace_graphs(old)
    started = time.perf_counter()
    ctx.store.replace_graphs(old)  # the same replace as the one killed below: how long it takes here
    kill_after = max(0.01, (time.perf_counter() - started) / 3)
    if isinstance(server, VirtuosoServer):
        server.checkpoint()
    failed: list[BaseException] = []

    def replace() -> None:
        try:
            ctx.store.replace_graphs(new)
        except StoreError as exc:
            failed.append(exc)
    writer = threading.Thread(target=replace)
    writer.start()
    time.sleep(kill_after)
    server.kill()
    writer.join(timeout=60)
    server.start()
    if not failed:
        pytest.fail(f"{backend}: the replace finished before the kill; the test needs a larger write")
    expected_old, expected_new = _as_stored(old), _as_stored(new)
    stored = {g: sorted(t) for g, t in ctx.store.iter_graphs(ctx.iris.graph_prefix("src"))}
    states = {}
    for w in old:
        got = stored.get(w.graph)
        states[w.graph] = "old" if got == expected_old[w.graph] else "new" if got == expected_new[w.graph] else \
            "absent" if not got else "mixed"
    assert "mixed" not in states.values(), f"{backend}: a record neither old nor new after the crash"
    if backend == "oxigraph-server":
        assert len(set(states.values())) == 1, f"{backend}: one request, one transaction: {set(states.values())}"
    ctx.store.replace_graphs(new)  # the job is simply run again
    assert {g: sorted(t) for g, t in ctx.store.iter_graphs(ctx.iris.graph_prefix("src"))} == expected_new


def test_an_oxigraph_server_killed_during_a_bulk_load_keeps_whole_records_or_none(
        request: pytest.FixtureRequest, oxigraph_server: OxigraphServer, tmp_path: Path) -> None:
    """New records go to the Oxigraph server's bulk loader, a batch per request: a kill leaves none of them
    or all of them, never a part of one."""
    settings = backend_settings(request, "oxigraph-server")
    ctx = Context(make_settings(tmp_path / "data", **next(settings)))
    try:
        new = [record(ctx, f"n{i:04d}") for i in range(4000)]
        started = time.perf_counter()
        ctx.store.replace_graphs(new)  # the load killed below, timed on this machine first
        kill_after = max(0.01, (time.perf_counter() - started) / 3)
        ctx.store.drop_graphs([w.graph for w in new])
        failed: list[BaseException] = []

        def load() -> None:
            try:
                ctx.store.replace_graphs(new)
            except StoreError as exc:
                failed.append(exc)
        writer = threading.Thread(target=load)
        writer.start()
        time.sleep(kill_after)
        oxigraph_server.kill()
        writer.join(timeout=60)
        oxigraph_server.start()
        if not failed:
            pytest.fail("the bulk load finished before the kill; the test needs a larger write")
        expected = _as_stored(new)
        stored = {g: sorted(t) for g, t in ctx.store.iter_graphs(ctx.iris.graph_prefix("src"))}
        assert all(stored[g] == expected[g] for g in stored), "a record partly loaded"
        assert len(stored) in (0, len(new))
        if not stored:
            ctx.store.replace_graphs(new)  # the job is simply run again
            assert ctx.store.count_graphs(ctx.iris.graph_prefix("src")) == len(new)
    finally:
        ctx.close()
        next(settings, None)


def _as_stored(writes: list[GraphWrite]) -> dict[str, list[Any]]:
    """Each graph's triples as the embedded store reads them back."""
    reference = OxigraphStore(None)
    try:
        reference.replace_graphs(writes)
        return {w.graph: sorted(reference.graph_triples(w.graph)) for w in writes}
    finally:
        reference.close()


# --- configuration -----------------------------------------------------------------------------------


def test_the_password_comes_only_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "harvester.toml"
    config.write_text('[store]\nurl = "sparql+http://127.0.0.1:9/sparql"\npassword = "in-the-file"\n')
    with pytest.raises(ValueError, match="HARVESTER_STORE_PASSWORD"):
        load_settings(config, env={})
    config.write_text('[store]\nurl = "sparql+http://127.0.0.1:9/sparql"\nuser = "harvester"\n')
    settings = load_settings(config, env={"HARVESTER_STORE_PASSWORD": "from-env"})
    assert (settings["store.user"], settings["store.password"]) == ("harvester", "from-env")


def test_an_unreachable_server_is_a_clear_store_error_at_open() -> None:
    settings = Settings().with_values(store_retries=0, store_timeout=2.0)
    with pytest.raises(StoreError, match="did not answer"):
        open_store(f"sparql+http://127.0.0.1:{free_port()}/sparql", settings)  # nothing listens there
    with pytest.raises(ValueError, match="store.dialect"):
        open_store("sparql+http://127.0.0.1:9/sparql", settings.with_values(store_dialect="fuseki5"))


@pytest.mark.parametrize("backend", REMOTE)
def test_the_sparql_endpoint_proxies_to_the_server_with_our_limits(request: pytest.FixtureRequest, tmp_path: Path,
                                                                   backend: str) -> None:
    from web import create_app

    settings = backend_settings(request, backend)
    ctx = Context(make_settings(tmp_path / "data", sparql_max_rows=2, **next(settings)))
    try:
        ctx.store.replace_graphs([record(ctx, f"k{i}") for i in range(3)])
        client = create_app(ctx).test_client()
        query = f"SELECT ?d WHERE {{ ?d a <{DATASET}> FILTER(STRSTARTS(STR(?d), '{ctx.iris.base}')) }}"
        response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"})
        assert response.status_code == 200
        assert response.headers["X-Harvester-Truncated"] == "rows"
        assert len(response.get_data(as_text=True).strip().splitlines()) == 3  # header + 2 rows
        bad = client.get("/sparql", query_string={"query": "SELEC nothing"}, headers={"Accept": "text/csv"})
        assert bad.status_code == 400
    finally:
        ctx.close()
        next(settings, None)


@pytest.mark.parametrize("backend", REMOTE)
def test_an_embedded_catalog_moves_to_a_server_by_export_and_load(request: pytest.FixtureRequest, tmp_path: Path,
                                                                  backend: str) -> None:
    """The migration in docs/stores.md: export N-Quads, load them with the server's own loader, point at it."""
    settings = backend_settings(request, backend)
    values = next(settings)
    embedded = Context(make_settings(tmp_path / "embedded", web_base_url=values["web_base_url"]))
    remote = Context(make_settings(tmp_path / "remote", **values))
    try:
        embedded.store.replace_graphs([record(embedded, f"k{i}") for i in range(5)])
        if backend == "oxigraph-server":
            dump = tmp_path / "catalog.nq"
            with dump.open("wb") as fh:
                embedded.store.export(fh, "nq")
            server: Any = request.getfixturevalue("oxigraph_server")
            loaded = requests.post(server.query_url.removesuffix("/query") + "/store", data=dump.read_bytes(),
                                   headers={"Content-Type": "application/n-quads"}, timeout=30)
            assert loaded.status_code in (200, 204), loaded.text
        else:
            server = request.getfixturevalue("virtuoso_server")
            folder = server.dir / f"load-{tmp_path.name}"  # inside DirsAllowed
            folder.mkdir()
            with (folder / "catalog.nq").open("wb") as fh:
                embedded.store.export(fh, "nq")
            server.sql(f"ld_dir ('{folder}', 'catalog.nq', 'urn:harvester:no-default-graph');\n"
                       "rdf_loader_run ();\ncheckpoint;\n")
        prefix = embedded.iris.graph_prefix()
        assert {g: sorted(t) for g, t in remote.store.iter_graphs(prefix)} == \
            {g: sorted(t) for g, t in embedded.store.iter_graphs(prefix)}
    finally:
        embedded.close()
        remote.close()
        next(settings, None)
