"""Search index benchmark: build rate and query latency on generated Jinan-like records.

Run: ``python -m tests.benchmarks.search --docs 100000`` (not part of the test run). Builds an index of N
generated docs in a temp dir, prints build docs/s and p50/p95 latency per query kind (every search returns
a page of 20 and counts for all facets), each search first asked (the search cache emptied before it) and
repeated (answered by the cache that holds until the next commit), and writes a JSON result file.
``ISSUE_KINDS`` are the fixed query set the benchmark suite (tests.benchmarks.suite) reports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator

from harvester.index import FACETS, SearchIndex, SearchQuery
from harvester.index.schema import to_tantivy
from harvester.model import DatasetDoc
from harvester.trust.quality import band_of
from tests.benchmarks import percentiles

DISTRICTS = ["济南市", "历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区", "济阳区", "莱芜区", "钢城区", "平阴县", "商河县"]
AGENCIES = [
    "交通运输局", "生态环境局", "统计局", "公安局", "卫生健康委员会", "教育局", "自然资源和规划局", "水务局",
    "住房和城乡建设局", "市场监督管理局", "民政局", "人力资源和社会保障局", "文化和旅游局", "农业农村局",
    "城市管理局", "气象局", "财政局", "商务局", "应急管理局", "发展和改革委员会",
]
#: theme code → (topic phrases, English phrases)
TOPICS = {
    "TRAN": (["公交线路客流统计", "公共交通站点", "道路交通流量", "停车场泊位", "出租车运营", "轨道交通客流"],
             ["bus ridership", "traffic flow", "parking spaces"]),
    "ENVI": (["空气质量监测", "水质监测", "PM2.5浓度监测", "噪声监测", "污染源排放"],
             ["air quality monitoring", "PM2.5 concentration", "water quality"]),
    "ECON": (["地区生产总值GDP", "企业登记信息", "规模以上工业产值", "居民消费价格"],
             ["GDP statistics", "enterprise registration", "consumer prices"]),
    "HEAL": (["医疗机构名录", "疫苗接种点", "药品零售企业", "卫生监督检查"], ["hospitals", "vaccination sites"]),
    "EDUC": (["中小学校名录", "招生计划", "幼儿园信息", "教育经费"], ["schools", "enrolment plan"]),
    "SOCI": (["人口统计", "社会救助对象", "养老机构", "就业人数"], ["population statistics", "social assistance"]),
    "AGRI": (["农产品价格", "粮食产量", "农业合作社"], ["agricultural prices", "grain output"]),
    "GOVE": (["政务服务事项", "行政许可", "政府采购"], ["government services", "public procurement"]),
    "REGI": (["行政区划", "街道社区名录"], ["administrative divisions"]),
    "ENER": (["用电量统计", "供水供气", "新能源充电桩"], ["electricity consumption", "charging stations"]),
    "JUST": (["法律援助机构", "公证机构"], ["legal aid"]),
    "TECH": (["高新技术企业", "专利授权"], ["high-tech enterprises", "patents"]),
}
SUFFIXES = ["数据", "信息", "统计数据", "明细", "目录", "情况"]
FILLERS = [
    "数据按月更新，包括编号、名称、地址、联系电话等字段。", "本数据集由{pub}提供，面向社会公众开放。",
    "数据来源于业务系统，经脱敏处理后发布。", "可用于城市规划、学术研究和公共服务改进。",
    "统计口径与国家标准保持一致，历年数据可比。", "如需更详细的数据，请通过申请方式获取。",
    "覆盖全市各区县，记录时间范围为{year}年全年。", "字段说明详见附件，坐标系为CGCS2000。",
]
FORMATS = ["CSV", "XLSX", "JSON", "XML", "PDF", "API", "SHP", "ZIP", "DOCX", "RDF"]
LICENSES = ["CC_BY_4_0", "CC0_1_0", "CC_BY_SA_4_0", "ODC_BY", "OGL_CN", "OTHER"]
SOURCES = [f"portal-{i:02d}" for i in range(20)]
CHAR_POOL = "城市道路交通公共服务数据统计环境监测空气质量水资源教育医疗卫生人口经济产业企业农业能源旅游文化安全应急规划建设住房社会保障就业"

QUERY_KINDS: dict[str, list[SearchQuery]] = {
    "cjk_2char": [SearchQuery(q=w) for w in ("交通", "空气", "公交", "医疗", "人口", "企业")],
    "multi_word": [SearchQuery(q=w) for w in ("空气质量 监测", "公交 线路", "交通 客流 统计", "PM2.5 监测")],
    "english": [SearchQuery(q=w) for w in ("GDP", "gdp", "PM2.5", "bus", "quality")],
    "q_2_filters": [
        SearchQuery(q="交通", filters={"theme": ["TRAN"], "format": ["CSV"]}),
        SearchQuery(q="监测", filters={"theme": ["ENVI"], "access": ["PUBLIC"]}),
        SearchQuery(q="数据", filters={"format": ["JSON", "XML"], "license": ["CC_BY_4_0"]}),
    ],
    "single_char": [SearchQuery(q=w) for w in ("水", "气", "局")],
    "sort_modified": [SearchQuery(q="统计", sort="modified")],
    "browse_all": [SearchQuery()],
}
#: the suite's fixed query set: two-character Chinese word, several words, English word, word + 2 facet
#: filters, browse all (served from the cache until the next commit)
ISSUE_KINDS = ("cjk_2char", "multi_word", "english", "q_2_filters", "browse_all")


def keyword_vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    """Topic words first (frequent), then generated 2–4 character words (the long tail)."""
    words = [p for phrases, _ in TOPICS.values() for p in phrases]
    while len(words) < size:
        words.append("".join(rng.choice(CHAR_POOL) for _ in range(rng.randint(2, 4))))
    return list(dict.fromkeys(words))


def generate_docs(count: int, seed: int = 7) -> Iterator[DatasetDoc]:
    """Deterministic Jinan-like datasets with Chinese text, some English, and every facet."""
    rng = random.Random(seed)
    vocabulary = keyword_vocabulary(rng)
    zipf_weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    publishers = [d + a for d in DISTRICTS[:4] for a in AGENCIES] + ["济南公共交通集团"]
    base = datetime(2015, 1, 1, tzinfo=timezone.utc)
    for n in range(count):
        theme = rng.choice(list(TOPICS))
        phrases, english = TOPICS[theme]
        topic, publisher, year = rng.choice(phrases), rng.choice(publishers), rng.randint(2015, 2024)
        title = f"{rng.choice(DISTRICTS)}{year}年{topic}{rng.choice(SUFFIXES)}"
        sentences = [f"{publisher}发布的{year}年{topic}{rng.choice(SUFFIXES)}。"]
        while sum(map(len, sentences)) < rng.randint(100, 420):
            sentences.append(rng.choice(FILLERS).format(pub=publisher, year=year))
        with_english = rng.random() < 0.3
        quality = int(rng.triangular(60, 405, 260))
        yield DatasetDoc(
            id=f"{SOURCES[n % len(SOURCES)]}/{n}",
            iri=f"https://data.example.cn/dataset/{SOURCES[n % len(SOURCES)]}/{n}",
            source=SOURCES[n % len(SOURCES)],
            title=title,
            description="".join(sentences),
            title_en=f"Jinan {year} {rng.choice(english)}" if with_english else "",
            description_en=f"Open data on {rng.choice(english)} in Jinan, {year}." if with_english else "",
            keywords=list(dict.fromkeys(rng.choices(vocabulary, zipf_weights, k=rng.randint(2, 6)))),
            publisher=publisher,
            themes=[theme],
            formats=rng.sample(FORMATS, rng.randint(1, 3)),
            license=rng.choice(LICENSES),
            access=rng.choices(["PUBLIC", "RESTRICTED", "NON_PUBLIC"], [80, 15, 5])[0],
            modified=None if rng.random() < 0.05 else base + timedelta(days=rng.randint(0, 3650)),
            quality=quality,
            quality_band=band_of(quality),
        )


def build_index(path: Path, count: int, batch: int = 5000, start: int = 0) -> tuple[SearchIndex, float]:
    """Index generated docs ``start``..``count``-1 (upserts committed per batch, as a harvest commits);
    returns the index and the seconds taken. ``start`` > 0 grows an index built up to ``start`` before.

    Each batch is generated before its clock starts: the time is analysis + indexing + commits only.
    """
    index = SearchIndex(path)
    docs = generate_docs(count)
    for _ in range(start):  # the same docs as a build from 0, so a grown index equals a fresh one
        next(docs)
    seconds = 0.0
    while pending := list(islice(docs, batch)):
        started = time.perf_counter()
        index.upsert(pending)
        index.commit()
        seconds += time.perf_counter() - started
    return index, seconds


def time_query_kind(index: SearchIndex, queries: list[SearchQuery], runs: int, before: Callable[[], None]) -> dict:
    """p50/p95 (ms) of ``runs`` searches cycling through ``queries``, after 3 warm-up rounds."""
    for query in queries * 3:
        index.search(query)
    samples, totals = [], {}
    for i in range(runs):
        query = queries[i % len(queries)]
        before()
        started = time.perf_counter()
        result = index.search(query)
        samples.append((time.perf_counter() - started) * 1000)
        assert len(result.facets) == len(FACETS) and len(result.hits) <= 20
        totals[query.q or "(all)"] = result.total
    p50, p95 = percentiles(samples)
    return {"p50_ms": p50, "p95_ms": p95, "runs": runs, "totals": totals}


def browse_after_commits(index: SearchIndex, runs: int) -> dict:
    """Browse-all on an index that follows commits (as ``harvester serve``'s does), each search asked right
    after a commit (the reload a commit causes), as by a visitor arriving at the worst moment: while the
    follower computes that commit's results (a large catalog answers with the previous commit's meanwhile, a
    small one computes them, or waits for the follower's); with how long each warm-up took from its commit."""
    index.follow_commits()
    warm_ups: list[float] = []
    committed: list[float] = []

    def commit() -> None:
        if committed:  # the previous commit's warm-up has to end first: measure it
            while index._warm_due is not None:
                time.sleep(0.0005)
            warm_ups.append((time.perf_counter() - committed.pop()) * 1000)
        index._reload(force=True)
        committed.append(time.perf_counter())

    timed = time_query_kind(index, QUERY_KINDS["browse_all"], runs, commit)
    p50, p95 = percentiles(warm_ups, digits=1)
    return {**timed, "asked": "right after the commit", "warm_up_p50_ms": p50, "warm_up_p95_ms": p95}


def analysis_rate(sample_size: int = 2000) -> float:
    """Docs per second turned into tantivy documents (analysis + JSON), without indexing."""
    sample = list(generate_docs(sample_size))
    started = time.perf_counter()
    for doc in sample:
        to_tantivy(doc)
    return sample_size / (time.perf_counter() - started)


def run(count: int, runs: int, out: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="harvester-search-bench-") as tmp:
        index, seconds = build_index(Path(tmp) / "index", count)
        index.close()  # waits for background merges: measure the steady state a reindex leaves behind
        index = SearchIndex(Path(tmp) / "index")
        results: dict = {
            "docs": count,
            "build_seconds": round(seconds, 1),
            "build_docs_per_s": round(count / seconds),
            "analysis_only_docs_per_s": round(analysis_rate()),
            "segments": index._index.searcher().num_segments,
            "index_mb": round(sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 1e6, 1),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_before": os.getloadavg()},
            "queries": {},
        }
        no_op = lambda: None  # noqa: E731
        uncached = lambda: index._cache.invalidate()  # noqa: E731  (each search asked first)
        for kind, queries in QUERY_KINDS.items():
            results["queries"][kind] = time_query_kind(index, queries, runs, uncached)
        for kind, queries in QUERY_KINDS.items():
            results["queries"][kind + "_repeated"] = time_query_kind(index, queries, runs, no_op)
        results["machine"]["load_after"] = os.getloadavg()
        index.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return results


def print_results(results: dict, out: Path) -> None:
    print(f"docs: {results['docs']}  build: {results['build_seconds']} s = {results['build_docs_per_s']} docs/s"
          f"  (analysis alone {results['analysis_only_docs_per_s']} docs/s)"
          f"  index: {results['index_mb']} MB in {results['segments']} segments")
    print(f"{'query kind':<22}{'p50 ms':>9}{'p95 ms':>9}  totals")
    for kind, row in results["queries"].items():
        print(f"{kind:<22}{row['p50_ms']:>9}{row['p95_ms']:>9}  {row['totals']}")
    print(f"written: {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000, help="number of generated documents")
    parser.add_argument("--runs", type=int, default=200, help="timed searches per query kind")
    parser.add_argument("--out", type=Path, default=None, help="JSON result file (default bench-results/…)")
    args = parser.parse_args()
    out = args.out or Path("bench-results") / f"search-{args.docs}-{datetime.now():%Y%m%d-%H%M%S}.json"
    print_results(run(args.docs, args.runs, out), out)


if __name__ == "__main__":
    main()
