"""Serving benchmark: a catalog grown through several sizes, and at each one a web process measuring search
latency, SPARQL latency, page times and its own peak RSS.

    python -m tests.benchmarks.serving --sizes 10000,100000,1000000 [--runs 100] [--store-time-box 1800]

One data directory grows from size to size: the store gets harvested-shape records (tests.benchmarks.sparql:
generated packages mapped by the real mapping worker, bulk loaded), the index gets generated documents
(tests.benchmarks.search; the index is filled directly, without a harvest). At each size a fresh process
opens the data directory as ``harvester serve`` does (Context + the Flask app) and measures:

- search: the fixed query set (search.ISSUE_KINDS), each a page of 20 with counts for every facet, first with
  the search cache emptied before every search (what a search costs the first time after a commit), then
  repeated (what the cache gives); and browse-all asked right after each commit on an index that follows
  commits, as ``harvester serve``'s does (it computes browse-all again in the background and, on a large
  catalog, answers with the previous commit's meanwhile; the warm-up's own time is reported too);
- SPARQL: the five researcher queries of tests.benchmarks.sparql through the store's public query path, the
  store's files dropped from the page cache first (each timed point lookup reads a record not asked before
  from the disk, after lookups of other records, as in a process that has served a while; those first
  lookups are reported apart);
- pages: the search page and the SPARQL endpoint through the app (in-process client, no network);
- its peak RSS (tests.benchmarks.peak_rss_mb).

Loading the store is what takes long (the bulk load itself runs at ~600–900 records/s on 2 cores for
records of ~130 triples): ``--store-time-box`` bounds each size's load, and the result says how many
records the store held when it was measured. Not part of the test suite's pass/fail.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from harvester.index import FACETS
from tests.benchmarks import drop_from_page_cache, peak_rss_mb, search, sparql, web

PAGES = {
    "search page: word + 2 facets": "/search?q=交通&theme=TRAN&format=CSV",
    "search page: home": "/",
}


def grow(data_dir: Path, size: int, previous: dict[str, int], store_time_box: float) -> dict[str, Any]:
    """Grow the store and the index of ``data_dir`` to ``size`` (the store within the time box)."""
    built = sparql.build_store(data_dir / "store", size, workers=os.cpu_count() or 1, time_box=store_time_box,
                               start=previous.get("store", 0))
    index, seconds = search.build_index(data_dir / "index", size, start=previous.get("index", 0))
    index.close()  # waits for merges: measure the steady state a reindex leaves behind
    grown = size - previous.get("index", 0)
    return {"store": built, "index": {"docs": size, "seconds": round(seconds, 1),
                                      "docs_per_s": round(grown / seconds) if seconds else 0,
                                      "index_mb": round(sparql._size_mb(data_dir / "index"), 1)}}


def measure_web(data_dir: Path, store_records: int, runs: int) -> dict[str, Any]:
    """What a web process over ``data_dir`` answers how fast, and its peak RSS (run in a fresh process).

    ``store_records`` 0: a data directory a harvest left (``harvest --keep``); its records are counted and the
    point lookups' datasets sampled from it."""
    from harvester.context import Context
    from harvester.settings import load_settings
    from web import create_app

    settings = load_settings(data_dir / "absent.toml", env={}).with_values(data_dir=str(data_dir))
    ctx = Context(settings)
    try:
        client = create_app(ctx).test_client()
        no_op = lambda: None  # noqa: E731
        uncached = lambda: ctx.index._cache.invalidate()  # noqa: E731
        found: dict[str, Any] = {"facets": len(FACETS), "search": {}, "search_repeated": {}, "pages": {}}
        for kind in search.ISSUE_KINDS:  # each search as if asked for the first time since the last commit
            found["search"][kind] = search.time_query_kind(ctx.index, search.QUERY_KINDS[kind], runs, uncached)
        for kind in search.ISSUE_KINDS:  # the same searches asked again: the cache's answer
            found["search_repeated"][kind] = search.time_query_kind(ctx.index, search.QUERY_KINDS[kind], runs, no_op)
        # browse-all right after each commit, as harvester serve answers it (it follows commits)
        found["search_after_commit"] = {"browse_all": search.browse_after_commits(ctx.index, max(50, runs // 2))}
        wanted = runs + sparql.WARM_LOOKUPS  # point lookups: each record asked once, after others (see there)
        if store_records:
            iris = sparql.sample_iris(store_records, wanted)
        else:
            store_records, iris = harvested_sample(ctx, wanted)
            found["store_records"] = store_records
        timed, warm = sparql.timed_and_warm(iris, runs)
        drop_from_page_cache(data_dir / "store")  # whatever ran before, each timed record is read from the disk
        found["sparql"] = sparql.time_queries(ctx.store, timed, runs, records=store_records, warm_iris=warm)
        point = sparql.PREFIXES + sparql.QUERIES["dataset_by_iri"].replace("{iri}", timed[0])
        pages = {**PAGES, "SPARQL endpoint: dataset by IRI": f"/sparql?format=json&query={quote(point)}"}
        for name, url in pages.items():
            found["pages"][name] = web.time_page(client, url, max(20, runs // 5))
    finally:
        ctx.close()
    found["web_rss_mb"] = round(peak_rss_mb())
    return found


def harvested_sample(ctx: Any, count: int = 50) -> tuple[int, list[str]]:
    """The records of a harvested data directory (its index documents) and ``count`` dataset IRIs spread over
    its sources."""
    from harvester.index import SearchQuery

    sources = [value for value, _ in ctx.index.search(SearchQuery(per_page=1, facet_limit=1000)).facets["source"]]
    ids = sorted(doc_id for source in sources for doc_id in ctx.index.ids_for_source(source))
    picks = list(dict.fromkeys(ids[int(len(ids) * (n + 0.5) / count)] for n in range(count))) if ids else []
    return len(ids), [ctx.iris.dataset(*doc_id.split("/", 1)) for doc_id in picks]


def measure_harvested(data_dir: Path, runs: int) -> dict[str, Any]:
    """A serving row for a data directory a harvest left (tests.benchmarks.harvest ``--keep``)."""
    load_before = os.getloadavg()
    web = isolated_measure(data_dir, 0, runs)
    records = web["store_records"]
    row = {"size": records, "store_records": records, "from_harvest": str(data_dir),
           "grow": {"store": {"records": records, "store_mb": round(sparql._size_mb(data_dir / "store"))},
                    "index": {"docs": records, "index_mb": round(sparql._size_mb(data_dir / "index"), 1)}},
           "web": web, "load": {"before": load_before, "after": os.getloadavg()},
           "measured": datetime.now().isoformat(timespec="seconds")}
    print_size(row)
    return row


def _measure_in_child(conn: Any, data_dir: Path, store_records: int, runs: int) -> None:
    conn.send(measure_web(data_dir, store_records, runs))


def isolated_measure(data_dir: Path, store_records: int, runs: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_measure_in_child, args=(sender, data_dir, store_records, runs))
    child.start()
    sender.close()
    try:
        result: dict[str, Any] = receiver.recv()
    except EOFError:
        child.join()
        raise SystemExit(f"the web process died (exit code {child.exitcode})")
    child.join()
    return result


def run(sizes: list[int], runs: int, store_time_box: float, keep: Path | None = None) -> dict[str, Any]:
    """Results per size: {size: {grow, web, load}}."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="harvester-serving-bench-") as tmp:
        data_dir = keep or Path(tmp) / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        previous: dict[str, int] = {}
        for size in sorted(sizes):
            load_before = os.getloadavg()
            grown = grow(data_dir, size, previous, store_time_box)
            previous = {"store": grown["store"]["records"], "index": size}
            web = isolated_measure(data_dir, grown["store"]["records"], runs)
            results[str(size)] = {"size": size, "store_records": grown["store"]["records"], "grow": grown,
                                  "web": web, "load": {"before": load_before, "after": os.getloadavg()},
                                  "measured": datetime.now().isoformat(timespec="seconds")}
            print_size(results[str(size)])
    return results


def print_size(row: dict[str, Any]) -> None:
    web, store = row["web"], row["grow"]["store"]
    print(f"catalog of {row['size']:,} docs in the index, {row['store_records']:,} records in the store "
          f"({store['store_mb']:,} MB; load {row['load']['before'][0]:.1f} → {row['load']['after'][0]:.1f}); "
          f"web process peak RSS {web['web_rss_mb']} MB")
    for group in ("search", "search_after_commit", "sparql", "pages"):
        for name, r in web.get(group, {}).items():
            if "skipped" in r:
                print(f"  {group + ' ' + name:<46} {r['skipped']}")
                continue
            print(f"  {group + ' ' + name:<46}{r['p50_ms']:>9} ms p50{r['p95_ms']:>9} ms p95")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="catalog sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=100, help="timed searches per kind and point lookups")
    parser.add_argument("--store-time-box", type=float, default=1800.0, help="seconds each store load may take")
    parser.add_argument("--keep", type=Path, default=None, help="grow this data directory (kept) instead of a temp one")
    parser.add_argument("--harvested", type=Path, default=None,
                        help="measure this data directory, left by `harvest --keep`, instead of growing catalogs")
    parser.add_argument("--out", type=Path, default=None, help="JSON result file (default bench-results/…)")
    args = parser.parse_args()
    if args.harvested:
        row = measure_harvested(args.harvested, args.runs)
        results = {str(row["size"]): row}
    else:
        results = run([int(size) for size in args.sizes.split(",")], args.runs, args.store_time_box, args.keep)
    out = args.out or Path("bench-results") / f"serving-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"sizes": results, "machine": {"cpus": os.cpu_count(),
                                                             "python": platform.python_version()}},
                              ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
