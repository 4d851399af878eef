"""The search index: Chinese recall against substring truth, English words, facets, sorting, paging, updates,
HTML-safe snippets, hostile query strings, the pinned format and the write lock."""

from __future__ import annotations

import html
import json
import random
import re
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from harvester.index import cache, queries, schema
from harvester.index import FACETS, IndexFormatError, IndexLockedError, SearchIndex, SearchIndexError, SearchQuery
from harvester.index.analysis import analyze_query, index_terms
from harvester.model import DatasetDoc

UTC = timezone.utc

# --- a generated corpus whose truth is known: every text is a random join of these fragments ---------

FRAGMENTS = [
    "交通运输局", "公共交通", "空气质量", "监测站点", "供水管网", "水务局", "质量，监测", "公交线路", "GDP统计",
    "人口普查", "气象", "数据开放", "客流", "A水B", "交，通", "通交", "pm2.5浓度", "PM10", "Gdp growth",
    "空气", "质量监测", "道路", "医院", "学校",
]
SEPARATORS = ["", "，", "。", " ", "、"]
THEMES, FORMATS = ["TRAN", "ENVI", "ECON", "HEAL"], ["CSV", "JSON", "XLSX", "PDF"]
LICENSES = ["CC_BY_4_0", "CC0_1_0"]
PUBLISHERS = ["济南市交通运输局", "济南市生态环境局", "济南市统计局", "济南市水务局"]
SOURCES = ["alpha", "beta", "gamma"]
#: facet → DatasetDoc attribute, as the index maps them
FACET_ATTRS = {"publisher": "publisher", "theme": "themes", "format": "formats", "license": "license",
               "source": "source", "access": "access", "quality": "quality_band", "keyword": "keywords"}


def _text(rng: random.Random, low: int, high: int) -> str:
    return "".join(p + rng.choice(SEPARATORS) for p in rng.choices(FRAGMENTS, k=rng.randint(low, high)))


def make_corpus(count: int = 240, seed: int = 3) -> list[DatasetDoc]:
    rng = random.Random(seed)
    docs = []
    for n in range(count):
        source = SOURCES[n % 3]
        docs.append(DatasetDoc(
            id=f"{source}/{n}", iri=f"https://example.org/dataset/{source}/{n}", source=source,
            title=_text(rng, 1, 2) + "数据", description=_text(rng, 2, 6),
            title_en=rng.choice(["", "Bus data", "GDP report", "Air Quality"]),
            keywords=rng.sample(["公交", "空气", "水质", "统计", "人口", "Open Data"], rng.randint(0, 3)),
            publisher=rng.choice(PUBLISHERS), themes=rng.sample(THEMES, rng.randint(1, 2)),
            formats=rng.sample(FORMATS, rng.randint(1, 3)), license=rng.choice(LICENSES),
            access=rng.choice(["PUBLIC", "PUBLIC", "RESTRICTED"]),
            modified=None if n % 10 == 0 else datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=n * 37 % 1500),
        ))
    return docs


def _fields(doc: DatasetDoc) -> list[str]:
    return [doc.title, doc.title_en, doc.description, doc.description_en, doc.publisher, *doc.keywords]


def truth(docs: list[DatasetDoc], q: str) -> set[str]:
    """Docs in which every word of q occurs in some field: as a substring (Chinese) or a whole word (Latin)."""
    def occurs(word: str, text: str) -> bool:
        if re.fullmatch(r"[A-Za-z0-9.]+", word):
            return re.search(rf"(?<![a-z0-9]){re.escape(word.lower())}(?![a-z0-9])", text.lower()) is not None
        return word in text
    return {d.id for d in docs if all(any(occurs(w, f) for f in _fields(d)) for w in q.split())}


def all_ids(index: SearchIndex, q: str, **kwargs) -> set[str]:
    ids: set[str] = set()
    page = 1
    while True:
        result = index.search(SearchQuery(q=q, per_page=100, page=page, **kwargs))
        ids.update(hit.doc.id for hit in result.hits)
        if page * 100 >= result.total:
            assert len(ids) == result.total
            return ids
        page += 1


def facet_values(doc: DatasetDoc, facet: str) -> set[str]:
    value = getattr(doc, FACET_ATTRS[facet])
    return set([value] if isinstance(value, str) else value) - {""}


def expected_facets(docs: list[DatasetDoc], ids: set[str], facet: str) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for doc in docs:
        if doc.id in ids:
            for v in facet_values(doc, facet):
                counts[v] = counts.get(v, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def doc(doc_id: str, title: str, description: str = "", **kwargs) -> DatasetDoc:
    source = doc_id.split("/")[0]
    return DatasetDoc(id=doc_id, iri=f"https://example.org/{doc_id}", source=source, title=title,
                      description=description, **kwargs)


@pytest.fixture(scope="module")
def corpus() -> list[DatasetDoc]:
    return make_corpus()


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, corpus: list[DatasetDoc]) -> Iterator[SearchIndex]:
    index = SearchIndex(tmp_path_factory.mktemp("corpus") / "index")
    index.upsert(corpus)
    index.commit()
    yield index
    index.close()


@pytest.fixture
def index(tmp_path: Path) -> Iterator[SearchIndex]:
    idx = SearchIndex(tmp_path / "index")
    yield idx
    idx.close()


def load(index: SearchIndex, *docs: DatasetDoc) -> SearchIndex:
    index.upsert(docs)
    index.commit()
    return index


# --- Chinese and English recall -----------------------------------------------------------------------

def test_two_char_word_is_found_inside_compounds_and_not_across_punctuation(index: SearchIndex) -> None:
    load(index, doc("s/1", "济南市交通运输局年报"), doc("s/2", "公共交通线路"), doc("s/3", "交，通 分开"),
         doc("s/4", "通交"), doc("s/5", "空气质量日报"))
    assert all_ids(index, "交通") == {"s/1", "s/2"}
    assert all_ids(index, "空气") == {"s/5"}


def test_single_character_is_found_anywhere_in_a_han_run(index: SearchIndex) -> None:
    load(index, doc("s/1", "水务局"), doc("s/2", "供水量统计"), doc("s/3", "城市供水"), doc("s/4", "A水B"),
         doc("s/5", "道路", keywords=["污水"]), doc("s/6", "空气质量"))
    assert all_ids(index, "水") == {"s/1", "s/2", "s/3", "s/4", "s/5"}


@pytest.mark.parametrize("q", ["交通", "空气", "气质", "公交", "交通运输局", "质量监测", "水", "气", "局",
                               "GDP", "gdp", "PM2.5", "PM10", "空气质量 监测", "PM2.5 监测", "open data"])
def test_recall_equals_substring_truth(corpus_index: SearchIndex, corpus: list[DatasetDoc], q: str) -> None:
    expected = truth(corpus, q)
    assert expected, f"the corpus should contain {q!r}"
    assert all_ids(corpus_index, q) == expected
    counted = corpus_index.search(SearchQuery(q=q, facet_limit=100)).facets["source"]  # one source per doc
    assert sum(count for _, count in counted) == len(expected)
    assert all_ids(corpus_index, q, sort="modified") == expected  # unscored: matched in the all-text field


def test_a_phrase_never_matches_across_two_fields(index: SearchIndex) -> None:
    load(index, doc("s/1", "公交", title_en="Jinan bus air", description_en="quality report"),
         doc("s/2", "公交", title_en="air-quality", keywords=["气质"]), doc("s/3", "空气", keywords=["质量"]))
    for q, expected in (("air-quality", {"s/2"}), ("空气质量", set()), ("air quality", {"s/1", "s/2"})):
        for sort in ("relevance", "modified"):
            result = index.search(SearchQuery(q=q, sort=sort))
            assert {hit.doc.id for hit in result.hits} == expected and result.total == len(expected), (q, sort)
            assert sum(count for _, count in result.facets["source"]) == len(expected), (q, sort)


def test_english_words_are_case_insensitive_and_whole_words(index: SearchIndex) -> None:
    load(index, doc("s/1", "GDP统计"), doc("s/2", "x", "gdp growth"), doc("s/3", "GDPR"), doc("s/4", "ＧＤＰ全角"),
         doc("s/5", "PM2.5浓度"), doc("s/6", "PM10"))
    assert all_ids(index, "GDP") == all_ids(index, "gdp") == all_ids(index, "Gdp") == {"s/1", "s/2", "s/4"}
    assert all_ids(index, "pm2.5") == {"s/5"}


def test_multi_word_query_means_and(index: SearchIndex) -> None:
    load(index, doc("s/1", "空气质量", "自动监测"), doc("s/2", "空气质量"), doc("s/3", "水质监测"))
    assert all_ids(index, "空气质量 监测") == {"s/1"}
    assert all_ids(index, "空气质量") == {"s/1", "s/2"}


@pytest.mark.parametrize("field", ["title", "title_en", "description", "description_en", "keywords", "publisher"])
def test_every_text_field_is_searched(index: SearchIndex, field: str) -> None:
    target = doc("s/1", "其他")
    setattr(target, field, ["绿道骑行"] if field == "keywords" else "绿道骑行 cycling")
    load(index, target, doc("s/2", "其他"))
    assert all_ids(index, "骑行") == {"s/1"}


def test_title_and_keyword_matches_rank_above_description_only(index: SearchIndex) -> None:
    filler = "数据" * 30
    load(index, doc("s/1", "城市数据", f"{filler}公交公交公交{filler}"), doc("s/2", "公交站点"),
         doc("s/3", "城市数据", filler, keywords=["公交"]))
    hits = index.search(SearchQuery(q="公交")).hits
    assert [h.doc.id for h in hits][-1] == "s/1"
    assert hits[0].score >= hits[1].score > hits[2].score > 0


def test_empty_or_unsearchable_query_browses_all(corpus_index: SearchIndex, corpus: list[DatasetDoc]) -> None:
    assert corpus_index.search(SearchQuery()).total == len(corpus)
    assert corpus_index.search(SearchQuery(q="  ，。！ ")).total == len(corpus)


# --- facets ---------------------------------------------------------------------------------------------

FILTER_CASES = [
    {"theme": ["TRAN"]},
    {"theme": ["TRAN", "ENVI"]},
    {"theme": ["TRAN", "ENVI"], "format": ["CSV"]},
    {"publisher": ["济南市水务局"], "access": ["RESTRICTED"], "keyword": ["公交", "人口"]},
]


@pytest.mark.parametrize("filters", FILTER_CASES)
@pytest.mark.parametrize("q", ["", "交通"])
def test_filters_or_within_and_across_with_disjunctive_counts(
    corpus_index: SearchIndex, corpus: list[DatasetDoc], q: str, filters: dict[str, list[str]]
) -> None:
    matching = truth(corpus, q) if q else {d.id for d in corpus}

    def passes(d: DatasetDoc, facets: dict[str, list[str]]) -> bool:
        return all(facet_values(d, f) & set(selected) for f, selected in facets.items())

    result = corpus_index.search(SearchQuery(q=q, filters=filters, facet_limit=100))
    expected_ids = {d.id for d in corpus if d.id in matching and passes(d, filters)}
    assert result.total == len(expected_ids) > 0
    for facet in FACETS:
        others = {f: v for f, v in filters.items() if f != facet}
        ids = {d.id for d in corpus if d.id in matching and passes(d, others)}
        assert result.facets[facet] == expected_facets(corpus, ids, facet), facet


def test_facet_limit_cuts_ties_by_value(index: SearchIndex) -> None:
    load(index, *[doc(f"s/{n}", "数据", keywords=[f"k{n % 7}", "常见"]) for n in range(14)])
    facets = index.search(SearchQuery(facet_limit=3)).facets
    assert facets["keyword"] == [("常见", 14), ("k0", 2), ("k1", 2)]
    assert facets["source"] == [("s", 14)]
    assert facets["license"] == []


HOSTILE_FORMATS = ["*", '["CSV"]', "[", 'a"b\\c', "CSV", "csv", "格式\x1f分隔", "", "  "]


def test_multi_valued_facets_counted_by_value_set_match_their_values_whatever_the_values(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(5)
    docs = [doc(f"s/{n}", "数据", formats=rng.sample(HOSTILE_FORMATS, rng.randint(0, 4)),
                themes=rng.sample(["TRAN", "ENVI", "ECON"], rng.randint(0, 3))) for n in range(60)]
    load(index, *docs)
    asked: list[dict] = []
    aggregation = queries.facet_aggregation
    monkeypatch.setattr(queries, "facet_aggregation", lambda *args, **kwargs: asked.append(
        request := aggregation(*args, **kwargs)) or request)
    for filters in ({}, {"format": ["*", '["CSV"]']}, {"theme": ["TRAN"], "format": ["CSV"]}):
        index._cache.invalidate()
        result = index.search(SearchQuery(q="数据", filters=filters, facet_limit=100))
        for facet in ("theme", "format"):
            others = {f: v for f, v in filters.items() if f != facet}
            ids = {d.id for d in docs if all(facet_values(d, f) & set(v) for f, v in others.items())}
            assert result.facets[facet] == expected_facets(docs, ids, facet), (filters, facet)
    fields = {a["terms"]["field"] for request in asked for a in request.values()}
    assert {"s_format", "s_theme"} <= fields and "f_format" not in fields  # the sets were added up


def test_value_sets_too_long_or_too_many_are_counted_from_the_values(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = [f"format-{n:03d}" for n in range(300)]  # a value set longer than MAX_VALUE_SET_CHARS
    docs = [doc("s/0", "数据", formats=many)] + [doc(f"s/{n}", "数据", formats=[f"F{n}", "CSV"]) for n in range(1, 6)]
    load(index, *docs)
    everything = {d.id for d in docs}
    assert index.search(SearchQuery(q="数据", facet_limit=1000)).facets["format"] == \
        expected_facets(docs, everything, "format")
    index.delete(["s/0"])
    index.commit()
    monkeypatch.setattr(queries, "MAX_VALUE_SETS", 2)  # 5 distinct sets: more than asked for
    counted = index.search(SearchQuery(q="数据", facet_limit=3)).facets["format"]
    assert counted == [("CSV", 5), ("F1", 1), ("F2", 1)]


def test_keyword_counts_split_over_columns_merge_into_the_exact_top(index: SearchIndex) -> None:
    words = [f"词{n:02d}" for n in range(30)]
    assert {schema.part_of(w, 2) for w in words[:6]} == {0, 1}  # the top values lie in both columns
    rng = random.Random(3)
    docs = [doc(f"s/{n}", "数据" if n % 3 else "交通",
                keywords=[w for rank, w in enumerate(words) if rng.random() < 1 / (rank + 1.5)]) for n in range(200)]
    load(index, *docs)
    for q, limit in (("", 5), ("交通", 7), ("数据", 30)):
        result = index.search(SearchQuery(q=q, facet_limit=limit))
        ids = {d.id for d in docs if not q or q in d.title}
        assert result.facets["keyword"] == expected_facets(docs, ids, "keyword")[:limit], q


def test_unknown_facets_and_empty_selections_are_ignored(corpus_index: SearchIndex, corpus: list) -> None:
    result = corpus_index.search(SearchQuery(filters={"colour": ["red"], "theme": []}))
    assert result.total == len(corpus) and result.query.filters == {}


def test_browse_results_are_cached_until_the_next_commit(index: SearchIndex) -> None:
    load(index, doc("s/1", "数据", publisher="甲局"))
    first = index.search(SearchQuery())
    first.facets["publisher"].clear()  # callers may change what they get
    assert index.search(SearchQuery()).facets["publisher"] == [("甲局", 1)]
    load(index, doc("s/2", "数据", publisher="乙局"))
    second = index.search(SearchQuery())
    assert second.facets["publisher"] == [("乙局", 1), ("甲局", 1)]
    assert second.total == 2 and {h.doc.id for h in second.hits} == {"s/1", "s/2"}



def test_browse_counts_are_counted_once_for_every_facet_limit(index: SearchIndex,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    load(index, *[doc(f"s/{n}", "数据", keywords=[f"k{n % 7}"]) for n in range(14)])
    calls = []
    count = SearchIndex._count
    monkeypatch.setattr(SearchIndex, "_count", lambda self, *args: calls.append(args) or count(self, *args))
    small = index.search(SearchQuery(facet_limit=2)).facets
    large = index.search(SearchQuery(facet_limit=50)).facets
    assert small["keyword"] == large["keyword"][:2] == [("k0", 2), ("k1", 2)] and len(large["keyword"]) == 7
    assert len(calls) == 1


def test_browse_counts_asked_at_once_are_counted_once(index: SearchIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    load(index, doc("s/1", "数据", publisher="甲局"), doc("s/2", "数据", publisher="乙局"))
    started, release, calls = threading.Event(), threading.Event(), []
    count = SearchIndex._count

    def slow(self: SearchIndex, *args: object) -> object:
        calls.append(args)
        started.set()
        release.wait(5)
        return count(self, *args)
    monkeypatch.setattr(SearchIndex, "_count", slow)
    found: list[list[tuple[str, int]]] = []
    askers = [threading.Thread(target=lambda: found.append(index.search(SearchQuery()).facets["publisher"]))
              for _ in range(3)]
    for thread in askers:
        thread.start()
    assert started.wait(5)
    time.sleep(0.2)  # the other two are waiting for the first one's counts now
    release.set()
    for thread in askers:
        thread.join()
    assert len(calls) == 1 and found == [[("乙局", 1), ("甲局", 1)]] * 3


def _wait_for_browse_counts(index: SearchIndex, publishers: int) -> dict[str, list[tuple[str, int]]] | None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        counts = index._cache.facets(index._cache.generation, False)
        if counts is not None and len(counts["publisher"]) == publishers:
            return counts
        time.sleep(0.02)
    return None


@pytest.mark.parametrize("committer", ["another process", "itself"])
def test_a_following_index_counts_browse_all_again_after_each_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, committer: str) -> None:
    with SearchIndex(tmp_path / "i") as reader, SearchIndex(tmp_path / "i") as other:
        writer = other if committer == "another process" else reader
        load(writer, doc("s/1", "数据", publisher="甲局"))
        reader.follow_commits(interval=0.05)
        assert reader.search(SearchQuery(per_page=5)).facets["publisher"] == [("甲局", 1)]
        load(writer, doc("s/2", "数据", publisher="乙局"))
        counts = _wait_for_browse_counts(reader, publishers=2)  # nobody searched since the commit
        assert counts is not None and counts["publisher"] == [("乙局", 1), ("甲局", 1)]
        page = reader._cache.page(reader._cache.generation, ("relevance", 1, 5, False))
        assert page is not None and page[0] == 2
        monkeypatch.setattr(SearchIndex, "_count", lambda *args: pytest.fail("counted again"))
        result = reader.search(SearchQuery(per_page=5))
        assert result.total == 2 and result.facets["publisher"] == [("乙局", 1), ("甲局", 1)]
        follower = reader._follower
    assert follower is not None and not follower.is_alive()


def _hold_the_follower(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """(warming, release): the follower stops before computing a commit's browse-all until ``release``."""
    warming, release = threading.Event(), threading.Event()
    warm = SearchIndex._warm

    def held(self: SearchIndex) -> None:
        if self._to_warm is not None:
            warming.set()
            release.wait(5)
        warm(self)
    monkeypatch.setattr(SearchIndex, "_warm", held)
    return warming, release


@pytest.mark.parametrize("costly", [True, False])
def test_while_a_following_index_counts_a_commit_browse_all_comes_from_the_previous_one_if_costly(
        index: SearchIndex, monkeypatch: pytest.MonkeyPatch, costly: bool) -> None:
    if costly:  # here every count takes less than the real threshold: make any of them count as costly
        monkeypatch.setattr("harvester.index.search.STALE_WHILE_COMPUTING_ABOVE", 0.0)
    load(index, doc("s/1", "数据", publisher="甲局"))
    index.follow_commits(interval=0.05)
    assert index.search(SearchQuery(per_page=5)).facets["publisher"] == [("甲局", 1)]
    warming, release = _hold_the_follower(monkeypatch)
    load(index, doc("s/2", "数据", publisher="乙局"))
    assert warming.wait(5)
    during = index.search(SearchQuery(per_page=5))
    if costly:  # the previous commit's page and counts, at once
        assert during.total == 1 and during.facets["publisher"] == [("甲局", 1)] and len(during.hits) == 1
    else:  # cheap enough to count now
        assert during.total == 2 and during.facets["publisher"] == [("乙局", 1), ("甲局", 1)]
    assert index.search(SearchQuery(q="数据")).total == 2  # a search with words is never answered stale
    assert index.search(SearchQuery(filters={"publisher": ["乙局"]})).facets["publisher"] == [("乙局", 1), ("甲局", 1)]
    release.set()
    deadline = time.monotonic() + 5
    while index._warm_due is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    after = index.search(SearchQuery(per_page=5))
    assert after.total == 2 and after.facets["publisher"] == [("乙局", 1), ("甲局", 1)]


def test_a_failed_warm_up_leaves_browse_all_to_be_counted_afresh(index: SearchIndex,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harvester.index.search.STALE_WHILE_COMPUTING_ABOVE", 0.0)
    load(index, doc("s/1", "数据", publisher="甲局"))
    index.follow_commits(interval=0.05)
    index.search(SearchQuery())
    failed, count = threading.Event(), SearchIndex._count

    def failing(self: SearchIndex, *args: object) -> object:
        if threading.current_thread().name == "index-follower":
            failed.set()
            raise RuntimeError("the disk went away")
        return count(self, *args)
    monkeypatch.setattr(SearchIndex, "_count", failing)
    load(index, doc("s/2", "数据", publisher="乙局"))
    assert failed.wait(5)
    deadline = time.monotonic() + 5
    while index._warm_due is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    result = index.search(SearchQuery())
    assert result.total == 2 and result.facets["publisher"] == [("乙局", 1), ("甲局", 1)]


def test_a_following_index_computes_the_landing_page_before_anyone_asks(index: SearchIndex,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    load(index, doc("s/1", "数据", publisher="甲局"), doc("s/2", "统计", publisher="乙局"))
    landing = SearchQuery(per_page=5, collapse=True)
    index.follow_commits(interval=60, warm=[landing, SearchQuery(q="数据")])  # a search with words is not warmed
    deadline = time.monotonic() + 5
    while index._cache.page(index._cache.generation, ("relevance", 1, 5, True)) is None:
        assert time.monotonic() < deadline, "the landing page was not computed"
        time.sleep(0.01)
    assert index._cache.facets(index._cache.generation, True) is not None
    assert index._cache.facets(index._cache.generation, False) is None and not index._cache._queries
    monkeypatch.setattr(SearchIndex, "_count", lambda *args: pytest.fail("counted on a visit"))
    result = index.search(landing)
    assert result.total == 2 and result.facets["publisher"] == [("乙局", 1), ("甲局", 1)]


def test_browse_entries_outlive_their_generation_until_computed_again() -> None:
    kept, page_key = cache.BrowseCache(), ("relevance", 1, 20, False)
    kept.keep_facets(0, False, {"publisher": [("甲局", 1)]}, 0.5)
    kept.keep_page(0, page_key, (1, []), 0.25)
    kept.invalidate()
    kept.invalidate()  # nothing was computed in generation 1
    assert kept.facets(2, False) is None and kept.page(2, page_key) is None
    assert kept.stale_facets(False) == ({"publisher": [("甲局", 1)]}, 0.5)
    assert kept.stale_page(page_key) == ((1, []), 0.25)
    assert kept.asked(8) == ([page_key], [False])  # still computed again after the next commit
    kept.keep_facets(2, False, {"publisher": [("乙局", 2)]}, 0.1)
    kept.keep_facets(1, True, {"publisher": []}, 0.1)  # a value of an older generation is never kept
    kept.invalidate()
    assert kept.stale_facets(False) == ({"publisher": [("乙局", 2)]}, 0.1) and kept.stale_facets(True) is None


def test_the_browse_pages_computed_again_after_a_commit_are_the_most_recently_computed() -> None:
    kept, pages = cache.BrowseCache(), [("relevance", n, 20, True) for n in range(1, 5)]
    for key in pages:  # the landing page first, then a crawler's pages 2-4
        kept.keep_page(0, key, (4, []))
    kept.invalidate()
    kept.keep_page(1, pages[0], (4, []))  # the landing page asked again after the commit
    assert kept.asked(2)[0] == [pages[3], pages[0]]
    kept.invalidate()
    assert kept.asked(2)[0] == [pages[3], pages[0]]  # carried as stale, in the same order


def test_an_index_that_does_not_follow_counts_nothing_by_itself(index: SearchIndex) -> None:
    load(index, doc("s/1", "数据", publisher="甲局"))
    index.search(SearchQuery())
    load(index, doc("s/2", "数据", publisher="乙局"))
    time.sleep(0.2)
    assert index._cache.facets(index._cache.generation, False) is None and index._follower is None


def test_searches_with_words_or_filters_are_cached_until_the_next_commit(index: SearchIndex) -> None:
    load(index, doc("s/1", "公交线路", publisher="甲局"), doc("s/2", "公交站点", publisher="乙局"))
    query = SearchQuery(q="公交", filters={"publisher": ["甲局"]})
    first = index.search(query)
    assert [h.doc.id for h in first.hits] == ["s/1"] and first.facets["publisher"] == [("乙局", 1), ("甲局", 1)]
    first.facets["publisher"].clear()  # callers may change what they get
    first.hits.clear()
    again = index.search(SearchQuery(q=" 公交 ", filters={"publisher": ["甲局"]}))  # the same search
    assert [h.doc.id for h in again.hits] == ["s/1"] and again.facets["publisher"] == [("乙局", 1), ("甲局", 1)]
    assert "<mark>公交</mark>" in again.hits[0].title_html
    load(index, doc("s/3", "公交客流", publisher="甲局"))
    after = index.search(query)
    assert {h.doc.id for h in after.hits} == {"s/1", "s/3"} and after.facets["publisher"] == [("甲局", 2), ("乙局", 1)]


def test_the_search_cache_keeps_the_most_recent_queries(index: SearchIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_QUERIES", 2)
    load(index, doc("s/1", "公交线路"), doc("s/2", "空气质量"), doc("s/3", "人口统计"))
    for q in ("公交", "空气", "公交", "人口"):  # 空气 is the least recently used when 人口 comes
        index.search(SearchQuery(q=q))
    kept = index._cache._queries
    assert [key[0] for key in kept] == ["公交", "人口"]


# --- sorting and paging ---------------------------------------------------------------------------------

def test_sort_by_modified_puts_newest_first_and_undated_last(corpus_index: SearchIndex, corpus: list) -> None:
    hits = corpus_index.search(SearchQuery(sort="modified", per_page=100, page=3)).hits
    dates = [h.doc.modified for h in corpus_index.search(SearchQuery(sort="modified", per_page=100)).hits]
    assert None not in dates and dates == sorted(filter(None, dates), reverse=True)
    assert all(h.doc.modified is None for h in hits[-sum(d.modified is None for d in corpus):])


def test_sort_by_title(index: SearchIndex) -> None:
    load(index, doc("s/1", "b 数据"), doc("s/2", "A 数据"), doc("s/3", "c 数据"))
    assert [h.doc.id for h in index.search(SearchQuery(q="数据", sort="title")).hits] == ["s/2", "s/1", "s/3"]


def test_pagination_totals_and_bounds(corpus_index: SearchIndex, corpus: list[DatasetDoc]) -> None:
    pages = [corpus_index.search(SearchQuery(per_page=50, page=p)) for p in (1, 2, 5, 6)]
    assert [len(r.hits) for r in pages] == [50, 50, 40, 0]
    assert {r.total for r in pages} == {len(corpus)}
    assert not {h.doc.id for h in pages[0].hits} & {h.doc.id for h in pages[1].hits}
    weird = corpus_index.search(SearchQuery(per_page=10_000, page=-3))
    assert (len(weird.hits), weird.query.per_page, weird.query.page) == (100, 100, 1)
    far = corpus_index.search(SearchQuery(page=10**9))
    assert far.hits == [] and far.total == len(corpus)


# --- updates ---------------------------------------------------------------------------------------------

def test_upsert_replaces_by_id(index: SearchIndex) -> None:
    load(index, doc("s/1", "旧标题"), doc("s/2", "其他"))
    index.upsert([doc("s/1", "新标题"), doc("s/1", "最新标题")])
    index.commit()
    assert index.count() == 2
    assert all_ids(index, "旧标") == set() and all_ids(index, "最新") == {"s/1"}
    latest = index.get("s/1")
    assert latest is not None and latest.title == "最新标题"


def test_delete_delete_source_count_and_ids_for_source(index: SearchIndex) -> None:
    load(index, doc("a/1", "一"), doc("a/2", "二"), doc("b/1", "三"), doc("ab/1", "四"))
    assert index.ids_for_source("a") == {"a/1", "a/2"}
    index.delete(["a/1"])
    index.commit()
    assert index.ids_for_source("a") == {"a/2"} and index.count() == 3 and index.get("a/1") is None
    index.delete_source("a")
    index.commit()
    assert index.ids_for_source("a") == set() and index.ids_for_source("ab") == {"ab/1"} and index.count() == 2
    index.clear()
    index.commit()
    assert index.count() == 0


def test_changes_are_invisible_until_commit(index: SearchIndex) -> None:
    index.upsert([doc("s/1", "数据")])
    assert index.count() == 0
    index.commit()
    assert index.count() == 1


def test_get_returns_the_original_values(index: SearchIndex) -> None:
    original = doc("s/1", "济南市ＰＭ２.５数据", "描述 <b>", title_en="PM2.5", keywords=["空气"],
                   themes=["ENVI"], formats=["CSV", "JSON"], license="CC_BY_4_0", access="PUBLIC",
                   publisher="生态环境局", modified=datetime(2024, 5, 1, 8, tzinfo=UTC),
                   issued=datetime(2020, 1, 1), landing_page="https://x")
    load(index, original)
    assert index.get("s/1") == original
    assert index.search(SearchQuery(q="pm2.5")).hits[0].doc == original


# --- snippets -------------------------------------------------------------------------------------------

def test_snippet_and_title_are_escaped_with_marks_only_around_matches(index: SearchIndex) -> None:
    evil = 'alert <script>alert(1)</script> and "><img src=x onerror=alert(1)> & 交通'
    load(index, doc("s/1", '<b>交通</b> "alert"', evil))
    hit = index.search(SearchQuery(q="alert 交通")).hits[0]
    for fragment in (hit.snippet, hit.title_html):
        stripped = fragment.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in stripped and ">" not in stripped and '"' not in stripped
        assert re.findall(r"<mark>(.*?)</mark>", fragment) and all(
            m in ("alert", "交通") for m in re.findall(r"<mark>(.*?)</mark>", fragment))
    assert html.unescape(hit.snippet.replace("<mark>", "").replace("</mark>", "")) == evil
    assert hit.title_html == '&lt;b&gt;<mark>交通</mark>&lt;/b&gt; &quot;<mark>alert</mark>&quot;'


def test_snippet_is_a_window_around_the_first_match(index: SearchIndex) -> None:
    load(index, doc("s/1", "标题", "开头" + "填充文字" * 60 + "公交线路" + "结尾" * 60),
         doc("s/2", "公交", "没有匹配的描述" * 30), doc("s/3", "公交", "", description_en="Bus lines <x>"))
    hits = {h.doc.id: h for h in index.search(SearchQuery(q="公交")).hits}
    assert hits["s/1"].snippet.startswith("…") and hits["s/1"].snippet.endswith("…")
    assert "<mark>公交</mark>线路" in hits["s/1"].snippet and 120 <= len(hits["s/1"].snippet) < 160
    assert hits["s/2"].snippet.startswith("没有匹配") and "<mark>" not in hits["s/2"].snippet
    assert hits["s/3"].snippet == "Bus lines &lt;x&gt;"


# --- robustness -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("q", ['"', '"unbalanced', "title:交通", "(((", ")", "[1 TO 5]", "*", "交通*", "?", "\\",
                               "a AND OR NOT", "-", "+交通", "~2", "^3", "\x00", "x" * 10_000, "交" * 1000,
                               "<script>", "😀交通😀", "{}", "AND", "a" * 300, "NOT 交通", "  "])
def test_weird_query_strings_do_not_raise(corpus_index: SearchIndex, q: str) -> None:
    result = corpus_index.search(SearchQuery(q=q, filters={"theme": ['"*:']}, sort="bogus"))
    assert result.total == 0 and result.hits == []
    assert corpus_index.search(SearchQuery(q=q)).total >= 0


def test_query_syntax_is_plain_text(corpus_index: SearchIndex, corpus: list[DatasetDoc]) -> None:
    assert all_ids(corpus_index, "交通*") == all_ids(corpus_index, "(交通)") == truth(corpus, "交通")
    assert len(analyze_query("字" * 500)) == 1 and len(analyze_query("字" * 500)[0].text) == 200


def test_reopen_after_close_keeps_docs(tmp_path: Path) -> None:
    with SearchIndex(tmp_path / "i") as first:
        first.upsert([doc("s/1", "交通"), doc("s/2", "水")])  # committed by close()
    with SearchIndex(tmp_path / "i") as second:
        assert second.count() == 2 and all_ids(second, "交通") == {"s/1"}
    with pytest.raises(SearchIndexError):
        second.search(SearchQuery())


def test_one_writer_per_directory(tmp_path: Path) -> None:
    with SearchIndex(tmp_path / "i") as writer, SearchIndex(tmp_path / "i") as reader:
        writer.upsert([doc("s/1", "交通")])
        with pytest.raises(IndexLockedError):
            reader.upsert([doc("s/2", "水")])
        writer.commit()
        assert reader.count() == 1  # another SearchIndex sees the commit


@pytest.mark.parametrize("meta", [{"format": "harvester-search-index", "schema_version": 0}, {"other": 1}, None])
def test_incompatible_index_asks_for_reindex(tmp_path: Path, meta: dict | None) -> None:
    SearchIndex(tmp_path / "i").close()
    meta_file = tmp_path / "i" / "meta.json"
    meta_file.write_text(json.dumps(meta)) if meta is not None else meta_file.unlink()
    with pytest.raises(IndexFormatError, match="harvester reindex"):
        SearchIndex(tmp_path / "i")
    with SearchIndex.recreate(tmp_path / "i") as fresh:
        assert fresh.count() == 0


def test_recreate_refuses_while_a_writer_holds_the_index(tmp_path: Path) -> None:
    with SearchIndex(tmp_path / "i") as writer:
        writer.upsert([doc("s/1", "交通")])
        with pytest.raises(IndexLockedError):
            SearchIndex.recreate(tmp_path / "i")
    assert json.loads((tmp_path / "i" / "meta.json").read_text())["schema_version"] >= 1
    with SearchIndex.recreate(tmp_path / "i") as fresh:
        assert fresh.count() == 0


def test_readers_keep_serving_while_a_writer_commits(index: SearchIndex) -> None:
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(30):
                index.search(SearchQuery(q="交通", filters={"theme": ["TRAN"]}))
                index.search(SearchQuery())
        except BaseException as error:  # noqa: BLE001 - collected for the assertion below
            errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    for batch in range(10):
        index.upsert(doc(f"s/{batch}-{n}", "交通数据", themes=["TRAN"]) for n in range(20))
        index.commit()
    for thread in readers:
        thread.join()
    assert errors == [] and index.count() == 200


def test_index_terms_are_bigrams_and_lower_cased_words() -> None:
    assert index_terms("济南市PM2.5，ＧＤＰ 水") == ["济南", "南市", "pm2", "5", "gdp", "水"]
