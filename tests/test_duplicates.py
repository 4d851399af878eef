"""The same dataset on several portals: keys, clusters, owl:sameAs links, one search result with "also published
on", and one name per department across portals."""

from __future__ import annotations

import logging
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from harvester.context import Context
from harvester.dcat.rdf import A, Triple, iri, literal, term
from harvester.demo import DemoPortal, serve
from harvester.index import SearchQuery
from harvester.jobs import run_job
from harvester.model import DatasetDoc, JobStatus, Source
from harvester.trust import duplicates
from harvester.trust.departments import department, shown_name
from harvester.reindex import reindex
from harvester.store import StoreError
from harvester.trust.duplicates import clusters, match_keys, normal_title, normal_url
from harvester.trust.register import MAX_SHARED, RELINK_ALL, TrustRegister
from tests.conftest import make_settings
from web import create_app

MAIN, SECOND = 40, 8


def test_urls_titles_and_identifiers_are_compared_normalised() -> None:
    assert normal_url("HTTPS://Data.Jinan.gov.cn/dataset/abc/#top") == normal_url("http://data.jinan.gov.cn/dataset/abc")
    assert normal_url("not a url") == ""
    assert normal_title("济南市 公交线路（2023）") == normal_title("济南市公交线路(2023)")
    ds = "https://x/dataset/a/1"
    triples = [Triple(f"<{ds}>", A, term("dcat:Dataset")),
               Triple(f"<{ds}>", term("dct:identifier"), literal("370100-JT-00001")),
               Triple(f"<{ds}>", term("dct:identifier"), literal("17")),  # a portal-local number: no key
               Triple(f"<{ds}>", term("dcat:landingPage"), iri("http://portal.example/ds/1/"))]
    keys = match_keys(triples, DatasetDoc(id="a/1", iri=ds, source="a", title="公交 线路", publisher="济南市交通局"))
    assert keys == [("identifier", "370100-jt-00001"), ("title", "济南市交通运输局|公交线路"),
                    ("url", "portal.example/ds/1")]


def test_union_find_groups_linked_records() -> None:
    pairs = [("a/1", "b/1"), ("b/1", "c/9"), ("a/2", "b/2")]
    assert clusters(pairs) == [["a/1", "b/1", "c/9"], ["a/2", "b/2"]]
    assert clusters([]) == []


def test_department_names_credit_codes_and_former_names_are_one_department() -> None:
    for name in ("济南市交通局", "济南市交通运输局", "113701008163601215", "Jinan Municipal Transport Bureau",
                 " 济南市 交通运输局 "):
        assert shown_name(name) == "济南市交通运输局", name
    assert department("济南市环境保护局").name == "济南市生态环境局"  # its name before the 2019 reform
    assert department("某某县档案馆") is None and shown_name("某某县档案馆") == "某某县档案馆"


@pytest.fixture()
def two_portals(tmp_path: Path) -> Iterator[tuple[Context, DemoPortal, list[Source]]]:
    """Two demo portals with the same seed: the second's datasets are also on the first (as happens)."""
    second = DemoPortal(size=SECOND)
    with serve(DemoPortal(size=MAIN)) as a, serve(second) as b:
        sources = [Source("jinan", "ckan", a.url, "济南市公共数据开放平台"), Source("jinan-tjj", "ckan", b.url, "统计局")]
        ctx = Context(make_settings(tmp_path, ckan_rows=50))
        try:
            for source in sources:
                ctx.state.save_source(source)
                assert run_job(ctx, source).status == JobStatus.SUCCEEDED
            yield ctx, second, sources
        finally:
            ctx.close()


def test_copies_on_two_portals_are_clustered_linked_and_shown_once(two_portals) -> None:
    ctx, _, _ = two_portals
    assert ctx.trust.cluster_count() == SECOND
    links = ctx.store.select("SELECT ?a ?b WHERE { GRAPH ?g { ?a <http://www.w3.org/2002/07/owl#sameAs> ?b } }")
    assert len(links) == SECOND
    assert all("/dataset/jinan/" in r["a"] and "/dataset/jinan-tjj/" in r["b"] for r in links), links[:2]
    assert ctx.index.count() == MAIN + SECOND  # every record stays, in its own graph and document
    folded = ctx.index.search(SearchQuery(collapse=True, per_page=100))
    assert folded.total == MAIN and all(h.doc.source == "jinan" for h in folded.hits)
    listed = duplicates.also_on(ctx.trust, [h.doc for h in folded.hits])
    primaries = [h.doc for h in folded.hits if listed[h.doc.id]]
    assert len(primaries) == SECOND and all(listed[d.id][0].startswith("jinan-tjj/") for d in primaries)
    copy = ctx.index.get(listed[primaries[0].id][0])
    assert copy is not None and copy.duplicate_of == primaries[0].id and copy.title == primaries[0].title
    client = create_app(ctx).test_client()
    html = lxml.html.fromstring(client.get("/search", query_string={"q": primaries[0].title}).get_data(as_text=True))
    hit = next(li for li in html.cssselect("li.hit") if primaries[0].id in li.cssselect("h2 a")[0].get("href"))
    also = hit.cssselect(".also-on a")
    assert [a.get("href") for a in also] == [f"/dataset/{copy.id}"]
    assert client.get("/search", query_string={"source": "jinan-tjj"}).get_data(as_text=True).count('class="hit"') \
        == SECOND  # a portal's own records all show when the portal is chosen


def _upserts(ctx: Context, monkeypatch: pytest.MonkeyPatch, relinking_only: bool = True) -> list[list[str]]:
    """The ids of the documents each ``index.upsert`` call writes (``relinking_only``: of a relinking), as
    the calls come."""
    calls: list[list[str]] = []
    refresh, upsert = duplicates.refresh, type(ctx.index).upsert
    relinking = []

    def watched(ctx: Context, **options: Any) -> int:
        relinking.append(True)
        try:
            return refresh(ctx, **options)
        finally:
            relinking.pop()

    def counted(self, docs) -> None:  # type: ignore[no-untyped-def]
        docs = list(docs)
        if relinking or not relinking_only:
            calls.append([d.id for d in docs])
        upsert(self, docs)
    monkeypatch.setattr(duplicates, "refresh", watched)
    monkeypatch.setattr(type(ctx.index), "upsert", counted)
    return calls


def test_a_cluster_that_grows_writes_the_new_members_documents_once_marked_and_no_other(
        two_portals, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, _, sources = two_portals
    third = Source("jinan-zz", "ckan", "", "第三个平台")
    calls = _upserts(ctx, monkeypatch, relinking_only=False)
    with serve(DemoPortal(size=3)) as portal:  # three of the datasets on a third portal
        third = Source(third.id, "ckan", portal.url, third.title)
        ctx.state.save_source(third)
        assert run_job(ctx, third).status == JobStatus.SUCCEEDED
    grown = {m: g for m, g in ctx.trust.cluster_members().items() if len(g) == 3}
    assert len(grown) == 9  # three clusters of three
    new_copies = {m for m in grown if m.startswith("jinan-zz/")}
    # each batch is relinked before it is indexed: the new members are written once, already marked
    assert sorted(m for call in calls for m in call) == sorted(new_copies)  # not the primaries, not the others
    copy = next(m for m in grown if m.startswith("jinan-tjj/"))
    stored = ctx.index.get(copy)
    assert stored is not None and stored.duplicate_of == grown[copy][0]
    others = [m for m in grown[copy] if m != copy]
    assert duplicates.also_on(ctx.trust, [stored]) == {copy: others}
    primary = ctx.index.get(grown[copy][0])
    assert primary is not None and primary.duplicate_of == ""
    assert duplicates.also_on(ctx.trust, [primary]) == {primary.id: grown[copy][1:]}
    new_copy = ctx.index.get(min(new_copies))
    assert new_copy is not None and new_copy.duplicate_of == grown[new_copy.id][0]
    client = create_app(ctx).test_client()  # where the copy is shown, its other copies are listed
    answer = client.get("/api/search", query_string={"source": "jinan-tjj", "per_page": 100}).get_json()
    assert [o["id"] for o in next(r for r in answer["results"] if r["id"] == copy)["also_on"]] == others
    html = lxml.html.fromstring(client.get("/search", query_string={"source": "jinan-tjj", "per_page": 100})
                                .get_data(as_text=True))
    hit = next(li for li in html.cssselect("li.hit") if li.cssselect("h2 a")[0].get("href") == f"/dataset/{copy}")
    assert [a.get("href") for a in hit.cssselect(".also-on a")] == [f"/dataset/{m}" for m in others]


def test_a_copy_gone_from_its_portal_unlinks_its_cluster(two_portals, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, second, sources = two_portals
    calls = _upserts(ctx, monkeypatch)
    second.remove([0])
    job = run_job(ctx, sources[1])
    assert job.counts.deleted == 1
    assert ctx.trust.cluster_count() == SECOND - 1
    assert calls == []  # the primary left alone keeps its document as it was
    assert ctx.index.search(SearchQuery(collapse=True, per_page=1)).total == MAIN
    assert _listing(ctx) == SECOND - 1


def test_relinking_that_fails_fails_no_job_and_the_next_job_relinks(
        two_portals, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    ctx, second, sources = two_portals
    second.remove([0])
    refresh = duplicates.refresh

    def locked(ctx: Context) -> int:
        raise sqlite3.OperationalError("database is locked")
    monkeypatch.setattr(duplicates, "refresh", locked)
    with caplog.at_level(logging.ERROR, logger="harvester.jobs"):
        job = run_job(ctx, sources[1])
    assert job.status == JobStatus.SUCCEEDED and job.counts.deleted == 1
    assert "relinking duplicates failed" in caplog.text
    assert ctx.trust.cluster_count() == SECOND  # not relinked yet
    monkeypatch.setattr(duplicates, "refresh", refresh)
    second.remove([1])
    assert run_job(ctx, sources[1]).status == JobStatus.SUCCEEDED
    assert ctx.trust.cluster_count() == SECOND - 2  # both removed copies unlinked now


def test_a_rebuilt_index_keeps_the_duplicate_marks(two_portals) -> None:
    ctx, _, _ = two_portals
    assert reindex(ctx) == MAIN + SECOND
    folded = ctx.index.search(SearchQuery(collapse=True, per_page=100))
    assert folded.total == MAIN and _listing(ctx) == SECOND


def test_relinking_reads_back_only_the_documents_whose_primary_changed(
        two_portals, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, second, sources = two_portals
    read: list[str] = []
    get = type(ctx.index).get
    monkeypatch.setattr(type(ctx.index), "get", lambda self, doc_id: read.append(doc_id) or get(self, doc_id))
    written: list[str] = []
    replace = ctx.store.replace_graphs
    monkeypatch.setattr(ctx.store, "replace_graphs",
                        lambda writes: written.extend(w.graph for w in writes) or replace(writes))
    patches: list[tuple[str, list[Triple], list[Triple]]] = []
    patch = ctx.store.patch_graph
    monkeypatch.setattr(ctx.store, "patch_graph",
                        lambda graph, removed, added: patches.append((graph, removed, added)) or patch(
                            graph, removed, added))
    members = ctx.trust.cluster_members()
    second.set_open_type([3], "无条件开放")  # a copy rewritten, still a copy: no cluster changes
    assert run_job(ctx, sources[1]).counts.updated == 1
    assert read == [] and ctx.trust.cluster_members() == members
    assert written and not any(g.endswith("/_duplicates") for g in written) and patches == []  # links untouched
    rewritten = [h.doc for h in ctx.index.search(SearchQuery(filters={"source": ["jinan-tjj"]}, per_page=100)).hits]
    assert len(rewritten) == SECOND and all(d.duplicate_of.startswith("jinan/") for d in rewritten)  # marks kept
    remote_id = second.package(0)["id"]
    gone = "jinan-tjj/" + ctx.state.records_by_remote_id("jinan-tjj", [remote_id])[remote_id].key
    read.clear()
    second.remove([0])
    assert run_job(ctx, sources[1]).counts.deleted == 1
    assert len(members[gone]) == 2 and read == [gone]  # its primary keeps its mark: not read back
    [(graph, removed, added)] = patches  # only the gone copy's link is taken out of the links graph
    assert graph.endswith("/_duplicates") and added == [] and len(removed) == 1 and removed[0].o.endswith(
        f"/{gone}>")
    assert _stored_links(ctx) == _links_of(ctx, ctx.trust.cluster_members())


def test_a_relinking_the_store_fails_is_applied_again_by_the_next_job(
        two_portals, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    ctx, second, sources = two_portals
    members = ctx.trust.cluster_members()
    patch = ctx.store.patch_graph

    def half_then_fail(graph: str, removed: list[Triple], added: list[Triple]) -> None:
        patch(graph, removed, [])  # the removals are written, as when a server fails between two requests
        raise StoreError("the SPARQL server answered 503")
    monkeypatch.setattr(ctx.store, "patch_graph", half_then_fail)
    second.remove([0])
    with caplog.at_level(logging.ERROR, logger="harvester.jobs"):
        assert run_job(ctx, sources[1]).status == JobStatus.SUCCEEDED
    assert "relinking duplicates failed" in caplog.text
    assert ctx.trust.cluster_members() == members  # the clusters saved are still those the store had
    monkeypatch.setattr(ctx.store, "patch_graph", patch)
    second.remove([1])
    assert run_job(ctx, sources[1]).counts.deleted == 1
    assert ctx.trust.cluster_count() == SECOND - 2
    assert _stored_links(ctx) == _links_of(ctx, ctx.trust.cluster_members())
    assert len(_stored_links(ctx)) == SECOND - 2


def test_relinking_marks_the_documents_a_few_at_a_time_and_patches_only_the_links_that_change(
        two_portals, monkeypatch: pytest.MonkeyPatch) -> None:
    """A region can be 100,000s of records at national scale: their documents are read back and written in
    chunks, and the links are compared member by member, not as two whole sets."""
    ctx, _, _ = two_portals
    monkeypatch.setattr(duplicates, "MARK_CHUNK", 2)
    calls = _upserts(ctx, monkeypatch)
    patches: list[tuple[list[Triple], list[Triple]]] = []
    patch = ctx.store.patch_graph
    monkeypatch.setattr(ctx.store, "patch_graph",
                        lambda graph, removed, added: patches.append((removed, added)) or patch(graph, removed, added))
    with serve(DemoPortal(size=3)) as portal:  # three of the datasets on a portal listed before the others
        first = Source("a-first", "ckan", portal.url, "列在最前的平台")
        ctx.state.save_source(first)
        assert run_job(ctx, first).status == JobStatus.SUCCEEDED
    grown = {m: g for m, g in ctx.trust.cluster_members().items() if g[0].startswith("a-first/")}
    assert len(grown) == 9  # three clusters of three, with new primaries
    # every member but the new primaries names another primary now: in chunks of at most two
    assert sorted(m for call in calls for m in call) == sorted(m for m, g in grown.items() if g[0] != m)
    assert max(len(call) for call in calls) <= 2
    [(removed, added)] = patches
    assert len(removed) == 3 and len(added) == 6
    assert _stored_links(ctx) == _links_of(ctx, ctx.trust.cluster_members())
    assert ctx.index.search(SearchQuery(collapse=True, per_page=1)).total == MAIN
    assert _listing(ctx) == SECOND


def _listing(ctx: Context) -> int:
    """How many of the merged search's results list copies on other portals."""
    docs = [h.doc for h in ctx.index.search(SearchQuery(collapse=True, per_page=100)).hits]
    return sum(1 for others in duplicates.also_on(ctx.trust, docs).values() if others)


def _stored_links(ctx: Context) -> set[tuple[str, str]]:
    rows = ctx.store.select("SELECT ?a ?b WHERE { GRAPH ?g { ?a <http://www.w3.org/2002/07/owl#sameAs> ?b } }")
    return {(r["a"], r["b"]) for r in rows}


def _links_of(ctx: Context, members: dict[str, list[str]]) -> set[tuple[str, str]]:
    """The links the clusters call for, from scratch: each primary to each other member."""
    return {(f"<{ctx.iris.dataset(*g[0].split('/', 1))}>", f"<{ctx.iris.dataset(*m.split('/', 1))}>")
            for m, g in members.items() if g[0] != m}


def _pairs_from_scratch(register: TrustRegister) -> list[tuple[str, str]]:
    """Every pair, computed over all the match keys (what ``shared_keys`` saves each relinking)."""
    rows = register._rows(
        "WITH shared AS (SELECT kind, value FROM match_keys GROUP BY kind, value "
        "HAVING count(DISTINCT source_id) > 1 AND count(*) = count(DISTINCT source_id) AND count(*) <= ?) "
        "SELECT DISTINCT a.source_id || '/' || a.key AS a, b.source_id || '/' || b.key AS b FROM shared "
        "JOIN match_keys a ON a.kind=shared.kind AND a.value=shared.value "
        "JOIN match_keys b ON b.kind=shared.kind AND b.value=shared.value WHERE a.source_id < b.source_id",
        [MAX_SHARED])
    return sorted((r["a"], r["b"]) for r in rows)


def test_shared_keys_follow_every_change_of_the_match_keys(tmp_path: Path) -> None:
    rng = random.Random(11)
    register = TrustRegister(tmp_path / "trust.db")
    sources, values = ["a", "b", "c"], [f"v{n}" for n in range(12)]
    for step in range(300):
        source = rng.choice(sources)
        keys = [f"k{rng.randrange(15)}" for _ in range(rng.randint(1, 4))]
        action = rng.random()
        if action < 0.75:
            register.replace_match_keys(source, {k: [(rng.choice(["title", "url"]), rng.choice(values))
                                                     for _ in range(rng.randint(0, 2))] for k in keys})
        elif action < 0.95:
            register.forget_records(source, keys)
        else:
            register.forget_source(source)
        assert sorted(register.duplicate_pairs()) == _pairs_from_scratch(register), step
    assert register.duplicate_pairs()  # the walk ends with links to find
    register.close()


def test_a_register_from_before_shared_keys_builds_them_once(tmp_path: Path) -> None:
    register = TrustRegister(tmp_path / "trust.db")
    register.replace_match_keys("a", {"1": [("title", "x")], "2": [("url", "y")]})
    register.replace_match_keys("b", {"9": [("title", "x")]})
    register._db.execute("DROP TABLE shared_keys")  # as a register written by an earlier version
    register.close()
    reopened = TrustRegister(tmp_path / "trust.db")
    assert reopened.duplicate_pairs() == [("a/1", "b/9")] == _pairs_from_scratch(reopened)
    reopened.close()


def test_relinking_only_around_the_touched_keys_finds_the_clusters_a_full_pass_finds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A random walk of changes, relinked every few steps: the clusters saved and the links stored are always
    those computed over the whole register."""
    rng = random.Random(5)
    ctx = Context(make_settings(tmp_path))
    regions: list[int] = []
    region = duplicates._region
    monkeypatch.setattr(duplicates, "_region", lambda trust, changed: regions.append(len(changed)) or region(
        trust, changed))
    sources, values = ["a", "b", "c", "d"], [f"v{n}" for n in range(14)]
    try:
        for step in range(240):
            source = rng.choice(sources)
            keys = [f"k{rng.randrange(12)}" for _ in range(rng.randint(1, 3))]
            action = rng.random()
            if action < 0.8:
                ctx.trust.replace_match_keys(source, {k: [(rng.choice(["title", "url"]), rng.choice(values))
                                                          for _ in range(rng.randint(0, 2))] for k in keys})
            elif action < 0.97:
                ctx.trust.forget_records(source, keys)
            else:
                ctx.trust.forget_source(source)
            if step % 3 == 0:
                duplicates.refresh(ctx)
                whole = {m: g for g in clusters(ctx.trust.duplicate_pairs()) for m in g}
                assert ctx.trust.cluster_members() == whole, step
                assert _stored_links(ctx) == _links_of(ctx, whole), step
        duplicates.refresh(ctx)
        assert ctx.trust.to_relink()[1:] == (set(), set()) and ctx.trust.cluster_count() > 2  # clusters are kept
        assert len(regions) > 60  # relinked around the touched keys, not by full passes
    finally:
        ctx.close()


def test_a_register_from_before_relink_keys_relinks_everything_once(two_portals) -> None:
    ctx, _, _ = two_portals
    members = ctx.trust.cluster_members()
    ctx.trust._db.execute("DELETE FROM clusters")  # clusters an earlier version left unsaved
    ctx.trust._db.execute("DROP TABLE relink_keys")  # as a register written by an earlier version
    ctx.trust._db.execute("DROP TABLE relink_records")
    ctx.trust.close()
    del ctx.trust  # opened again on next use
    assert ctx.trust.to_relink()[1] == {RELINK_ALL}
    assert duplicates.refresh(ctx) == len(members)
    assert ctx.trust.cluster_members() == members and ctx.trust.to_relink()[1:] == (set(), set())
