"""Virtuoso's fast write path, the harvester loader installed in the server (harvester.store.virtuoso): records
go a group per request, read back exactly as the embedded store reads them, leave every other graph alone,
fail cleanly, survive a kill -9 of the server whole or not at all, and a server without the loader still
works through the Graph Store Protocol. docs/stores.md shows the very SQL the tests install."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harvester.context import Context
from harvester.dcat.rdf import A, iri
from harvester.store import GraphWrite, RecordDataError, StoreError
from harvester.store.oxigraph import OxigraphStore
from harvester.store.virtuoso import LOADER_SQL, loader_body
from tests.conftest import make_settings
from tests.servers import FaultProxy, VirtuosoServer, backend_settings
from tests.test_store_backends import _as_stored, record

DOCS = Path(__file__).resolve().parent.parent / "docs" / "stores.md"
VIRTRDF = "http://www.openlinksw.com/schemas/virtrdf#"


@pytest.fixture
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Context]:
    settings = backend_settings(request, "virtuoso")
    context = Context(make_settings(tmp_path / "data", **next(settings)))
    try:
        yield context
    finally:
        context.close()
        next(settings, None)


def loader_requests(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records per loader request, as they go; the Graph Store PUT path must not be used meanwhile."""
    sizes: list[int] = []
    loader = ctx.store._loader  # type: ignore[attr-defined]
    original = loader.replace

    def counting(writes: list[GraphWrite]) -> None:
        original(writes)
        sizes.append(len(writes))
    monkeypatch.setattr(loader, "replace", counting)
    monkeypatch.setattr(ctx.store.http, "put_graph", lambda *a: pytest.fail("a Graph Store PUT"))  # type: ignore[attr-defined]
    return sizes


def test_the_docs_show_the_loader_the_tests_install() -> None:
    assert LOADER_SQL in DOCS.read_text(encoding="utf-8")


def test_the_request_body_names_each_graph_then_carries_its_quads() -> None:
    writes = [GraphWrite.of(f"http://x.test/graph/{i}", [(iri(f"http://x.test/{i}"), A, iri("http://t.test/T"))])
              for i in range(2)]
    assert loader_body(writes).decode() == (
        "# graph <http://x.test/graph/0>\n# graph <http://x.test/graph/1>\n"
        "<http://x.test/0> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://t.test/T> "
        "<http://x.test/graph/0> .\n"
        "<http://x.test/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://t.test/T> "
        "<http://x.test/graph/1> .\n")


def test_records_go_a_group_per_request_and_read_back_as_embedded(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = loader_requests(ctx, monkeypatch)
    writes = [record(ctx, f"k{i:03d}") for i in range(250)]
    ctx.store.replace_graphs(writes)
    assert sorted(sizes) == [61, 63, 63, 63]  # 4 even requests of at most 100: 2 for each of the 2 loaders
    changed = [record(ctx, f"k{i:03d}", "空气质量", version=2) for i in range(0, 250, 2)]
    ctx.store.replace_graphs(changed)
    expected = {**_as_stored(writes), **_as_stored(changed)}
    assert {g: sorted(t) for g, t in ctx.store.iter_graphs(ctx.iris.graph_prefix("src"))} == expected


def test_the_loader_leaves_every_other_graph_alone(ctx: Context) -> None:
    """A graph the loader has never seen has no IRI id in Virtuoso: deleting by a missing id would empty the store."""
    other = GraphWrite.of(ctx.iris.graph("other", "x"), [(iri("http://s.test/x"), A, iri("http://t.test/T"))])
    ctx.store.replace_graphs([other, record(ctx, "old")])
    system = _count(ctx, VIRTRDF)
    assert system > 0
    ctx.store.replace_graphs([record(ctx, f"new{i}") for i in range(3)] + [record(ctx, "old", version=2)])
    assert _count(ctx, VIRTRDF) == system
    assert ctx.store.graph_triples(other.graph) and ctx.store.count_graphs(ctx.iris.graph_prefix("src")) == 4


def _count(ctx: Context, graph: str) -> int:
    rows = ctx.store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(rows[0]["n"].split('"')[1])


def test_a_refused_record_fails_its_request_and_changes_nothing(ctx: Context) -> None:
    """Virtuoso parses the whole request before it clears anything: refused data leaves every record of its
    request as it was (the other loader's request, here the last record alone, goes through)."""
    good = [record(ctx, f"k{i}") for i in range(3)]
    ctx.store.replace_graphs(good)
    broken = GraphWrite(good[1].graph, good[1].ntriples + '<http://s.test/x> <http://p.test/y> "unterminated .\n')
    alone = record(ctx, "k9")
    with pytest.raises(RecordDataError):
        ctx.store.replace_graphs([record(ctx, "k0", "改了", version=2), broken, alone])
    stored = {g: sorted(t) for g, t in ctx.store.iter_graphs(ctx.iris.graph_prefix("src"))}
    assert stored == {**_as_stored(good), **_as_stored([alone])}


def test_a_virtuoso_without_the_loader_is_written_by_graph_store_puts(request: pytest.FixtureRequest,
                                                                      tmp_path: Path) -> None:
    (tmp_path / "bare").mkdir()
    server = VirtuosoServer(tmp_path / "bare", loader=False)
    server.start()
    try:
        values = {**server.settings(), "web_base_url": "http://bare.harvester.test", "store_retries": 0}
        ctx = Context(make_settings(tmp_path / "data", **values))
        try:
            writes = [record(ctx, f"k{i}") for i in range(3)]
            ctx.store.replace_graphs(writes)
            assert not ctx.store._loader.installed()  # type: ignore[attr-defined]
            reference = OxigraphStore(None)
            reference.replace_graphs(writes)
            assert dict(ctx.store.iter_graphs(ctx.iris.graph_prefix("src"))).keys() == {w.graph for w in writes}
            for w in writes:
                assert sorted(ctx.store.graph_triples(w.graph)) == sorted(reference.graph_triples(w.graph))
            reference.close()
        finally:
            ctx.close()
    finally:
        server.stop()


# what Virtuoso answers when two writes bring a language tag it has not seen before at the same moment
FIRST_LANGUAGE_RACE = (b"<html><head><title>SPARQL Graph Protocol request failed</title></head><body>"
                       b"<h1>HTTP/1.1 500 Request Failed</h1><h3>Error 23000</h3>"
                       b"<xmp>SR197: Non unique primary key on DB.DBA.RDF_LANGUAGE.</xmp></body></html>")


@pytest.mark.parametrize("loader", [True, False], ids=["loader", "graph-store-puts"])
def test_writes_that_met_on_a_new_language_tag_are_run_again(request: pytest.FixtureRequest,
                                                             virtuoso_server: VirtuosoServer, tmp_path: Path,
                                                             loader: bool) -> None:
    settings = backend_settings(request, "virtuoso")
    proxy, values = FaultProxy.before_store(next(settings))
    ctx = Context(make_settings(tmp_path / "data", **values))
    if not loader:
        ctx.store._loader._installed = False  # type: ignore[attr-defined]  # as on a server without it
    try:
        proxy.fault.mode, proxy.fault.times, proxy.fault.body = "error", 2, FIRST_LANGUAGE_RACE
        writes = [record(ctx, f"k{i}") for i in range(3)]
        ctx.store.replace_graphs(writes)
        assert proxy.failed == 2
        assert ctx.store._loader.installed() is loader  # type: ignore[attr-defined]
        stored = {g: sorted(t) for g, t in ctx.store.iter_graphs(ctx.iris.graph_prefix("src"))}
        assert stored == _as_stored(writes)
        # any other 500 is a failure of the write, not a conflict to run again
        proxy.fault.times, proxy.fault.body, proxy.failed = 1, b"SR999: something else", 0
        with pytest.raises(StoreError, match="SR999"):
            ctx.store.replace_graphs([record(ctx, "k0", "改了", version=2)])
        assert proxy.failed == 1
    finally:
        ctx.close()
        proxy.close()
        next(settings, None)


def test_a_user_without_sparql_update_is_refused_and_nothing_is_written(
        request: pytest.FixtureRequest, virtuoso_server: VirtuosoServer, tmp_path: Path) -> None:
    if not _reader_exists(virtuoso_server):  # a user who may read and write graphs, but not run SPARQL updates
        virtuoso_server.sql("DB.DBA.USER_CREATE ('reader', 'reader-pw');\n"
                            "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('reader', 3);\n")
    settings = backend_settings(request, "virtuoso")
    values = {**next(settings), "store_user": "reader", "store_password": "reader-pw"}
    ctx = Context(make_settings(tmp_path / "data", **values))
    try:
        with pytest.raises(StoreError, match="403") as failure:
            ctx.store.replace_graphs([record(ctx, "k1")])
        assert not isinstance(failure.value, RecordDataError)
        assert not ctx.store.has_graph(ctx.iris.graph("src", "k1"))
    finally:
        ctx.close()
        next(settings, None)


def _reader_exists(server: VirtuosoServer) -> bool:
    return "reader" in server.sql("SELECT U_NAME FROM DB.DBA.SYS_USERS WHERE U_NAME = 'reader';\n").split()


def test_virtuoso_killed_during_a_first_load_keeps_every_acknowledged_record_whole(
        request: pytest.FixtureRequest, virtuoso_server: VirtuosoServer, tmp_path: Path) -> None:
    """Each loader request loads its records in one transaction: after kill -9 and Virtuoso's roll-forward,
    every record of an acknowledged request is there whole, the others whole or absent, none partial."""
    settings = backend_settings(request, "virtuoso")
    ctx = Context(make_settings(tmp_path / "data", **next(settings)))
    try:
        new = [record(ctx, f"n{i:05d}") for i in range(3000)]
        acknowledged = _load_until_killed(ctx, virtuoso_server, new)
        stored = _triple_counts(ctx)
        assert set(stored.values()) == {13}, "a record partly loaded"
        assert acknowledged <= stored.keys(), "an acknowledged record lost"
        assert len(stored) < len(new)
        ctx.store.replace_graphs(new)  # the job is simply run again
        assert _triple_counts(ctx) == {w.graph: 13 for w in new}
        sample = new[::500]
        assert {w.graph: sorted(ctx.store.graph_triples(w.graph)) for w in sample} == _as_stored(sample)
    finally:
        ctx.close()
        next(settings, None)


def _triple_counts(ctx: Context) -> dict[str, int]:
    """Triples per record graph, in one query (reading thousands of graphs back is slow on Virtuoso)."""
    rows = ctx.store.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    prefix = ctx.iris.graph_prefix("src")
    return {r["g"][1:-1]: int(r["n"].split('"')[1]) for r in rows if r["g"][1:-1].startswith(prefix)}


def _load_until_killed(ctx: Context, server: VirtuosoServer, writes: list[GraphWrite]) -> set[str]:
    acknowledged: set[str] = set()
    loader: Any = ctx.store._loader  # type: ignore[attr-defined]
    original = loader.replace

    def noting(group: list[GraphWrite]) -> None:
        original(group)
        acknowledged.update(w.graph for w in group)
    loader.replace = noting
    failed: list[BaseException] = []

    def load() -> None:
        try:
            ctx.store.replace_graphs(writes)
        except StoreError as exc:
            failed.append(exc)
    writer = threading.Thread(target=load)
    writer.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 300 and writer.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)  # a few requests acknowledged: the kill lands in the middle of the load
    server.kill()
    writer.join(timeout=60)
    server.start()
    if not failed:
        pytest.fail("the load finished before the kill; the test needs a larger write")
    return acknowledged
