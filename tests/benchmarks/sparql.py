"""SPARQL benchmark: N records of the shape a harvest writes, bulk loaded into the embedded store; five
researcher queries timed.

    python -m tests.benchmarks.sparql --records 100000 [--runs 100] [--time-box 2400] [--out FILE]

The records are the demo portal's generated CKAN packages mapped by the real mapping worker
(``harvester.mapping.worker.map_task``: DCAT-AP 3 + catalog record + quality measurements) in worker
processes, and bulk loaded 1,000 records a call as a first harvest writes them, one named graph per record
across 20 sources. ``--time-box`` stops the load after that many seconds; the result then says how many
records were loaded. Queries run through the store's public query path (the one the /sparql endpoint
calls: limits, results serialised as SPARQL JSON). The store's files are dropped from the page cache first
(``drop_from_page_cache``); each timed point lookup asks for a record not asked before, after WARM_LOOKUPS
lookups of other records (reported apart). Not part of the test suite's pass/fail.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
import os
import platform
import tempfile
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import pyoxigraph as ox

from harvester.dcat.record import Iris
from harvester.demo.generator import generate_package
from harvester.batches import MAX_TRIPLES_PER_WRITE
from harvester.mapping.worker import MapItem, MapTask, map_task
from harvester.model import Source
from harvester.store import GraphWrite
from harvester.store.oxigraph import OxigraphStore
from tests.benchmarks import drop_from_page_cache, percentiles

BASE = "https://data.example.cn"
PORTALS = 20
CHUNK = 1000
#: the demo generator's clock stops at 2026-10-01, so "the last 30 days" are counted back from there
RECENT_SINCE = "2026-09-01T00:00:00Z"
PREFIXES = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
#: name → (query; {iri} is filled with a different dataset each run, point lookups only)
QUERIES: dict[str, str] = {
    "dataset_by_iri": """SELECT ?s ?p ?o WHERE {
  { VALUES ?s { <{iri}> } ?s ?p ?o }
  UNION { <{iri}> dcat:distribution ?s . ?s ?p ?o }
}""",
    "per_publisher": """SELECT ?publisher (SAMPLE(?title) AS ?name) ?datasets WHERE {
  { SELECT ?publisher (COUNT(?dataset) AS ?datasets) WHERE { ?dataset a dcat:Dataset ; dct:publisher ?publisher }
    GROUP BY ?publisher }
  ?publisher foaf:name ?title .
}
GROUP BY ?publisher ?datasets ORDER BY DESC(?datasets)""",
    # the SPARQL page's first example: grouping on the name, reached through the publisher; see SLOW_ABOVE
    "per_publisher_path": """SELECT ?publisher (COUNT(?dataset) AS ?datasets) WHERE {
  ?dataset a dcat:Dataset ; dct:publisher/foaf:name ?publisher .
}
GROUP BY ?publisher ORDER BY DESC(?datasets)""",
    "with_keyword": """SELECT ?dataset ?title WHERE {
  ?dataset dcat:keyword "公交"@zh ; dct:title ?title .
  FILTER(LANG(?title) = "zh")
}
LIMIT 100""",
    "per_format": """SELECT ?format (COUNT(?distribution) AS ?distributions) WHERE {
  ?dataset dcat:distribution ?distribution .
  ?distribution dct:format ?format .
}
GROUP BY ?format ORDER BY DESC(?distributions)""",
    "modified_30_days": f"""SELECT ?dataset ?modified WHERE {{
  ?dataset a dcat:Dataset ; dct:modified ?modified .
  FILTER(?modified >= "{RECENT_SINCE}"^^xsd:dateTime)
}}
ORDER BY DESC(?modified)""",
}
POINT_QUERIES = frozenset({"dataset_by_iri"})
#: queries not run on larger stores: a publisher's foaf:name is repeated in each of its records' graphs, and
#: joining through it in the union default graph grows with the square of the catalog (1 s at 10k, 45 s at 100k)
SLOW_ABOVE = {"per_publisher_path": 100_000}
#: an aggregate whose warm-up ran longer than this is timed once more only
SLOW_SECONDS = 20.0
#: point lookups of other records asked before the timed ones. The first lookups after a process opens the
#: store open its table files, reading each one's index and filter blocks (up to ~1 MB a lookup at 1M
#: records); a serving process has done that long before a researcher asks. The timed records are still
#: each asked for the first time, read from the disk or the page cache as it holds them.
WARM_LOOKUPS = 200


def source_of(index: int) -> Source:
    portal = f"portal-{(index // CHUNK) % PORTALS:02d}"
    return Source(portal, "ckan", f"http://{portal}.example.cn", portal)


def map_chunk(start: int, stop: int, seed: int) -> tuple[list[str], int, int]:
    """The N-Quads of records start..stop-1, in bulk loads of about batches.MAX_TRIPLES_PER_WRITE triples as a
    harvest writes them (a worker process's job), how many were mapped, how many failed."""
    source = source_of(start)
    items = []
    for index in range(start, stop):
        package = generate_package(index, seed)
        body = orjson.dumps(package, option=orjson.OPT_SORT_KEYS)
        items.append(MapItem(package["id"], package["name"], body, hashlib.sha1(body).hexdigest(),
                             f"{source.url}/dataset/{package['name']}"))
    task = MapTask("ckan", BASE, source, datetime.now(timezone.utc), items)
    iris = Iris(BASE)
    mapped = map_task(task)
    loads, pending, size = [], [], 0
    for item, m in zip(items, mapped):
        if m.error is None:
            pending.append(GraphWrite(iris.graph(source.id, item.key), m.ntriples).nquads())
            size += m.ntriples.count("\n")
            if size >= MAX_TRIPLES_PER_WRITE:
                loads.append("".join(pending))
                pending, size = [], 0
    if pending:
        loads.append("".join(pending))
    failed = sum(1 for m in mapped if m.error is not None)
    return loads, len(items) - failed, failed


def build_store(path: Path, records: int, *, workers: int, time_box: float, start: int = 0,
                seed: int = 1) -> dict[str, Any]:
    """Map and bulk load records ``start``..``records``-1 (fewer if ``time_box`` seconds run out; ``start`` > 0
    grows a store loaded up to ``start`` before); returns the facts of this load."""
    store = OxigraphStore(str(path))
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    in_flight: deque[Future[tuple[list[str], int, int]]] = deque()
    loaded = failed = 0
    submitted = start
    load_seconds = 0.0
    started = time.perf_counter()
    try:
        while submitted < records or in_flight:
            while submitted < records and len(in_flight) < workers + 1 and time.perf_counter() - started < time_box:
                stop = min((submitted // CHUNK + 1) * CHUNK, records)
                in_flight.append(pool.submit(map_chunk, submitted, stop, seed))
                submitted = stop
            if not in_flight:
                break
            loads, mapped, errors = in_flight.popleft().result()
            began = time.perf_counter()
            for text in loads:  # as OxigraphStore.replace_graphs writes new record graphs
                store._store.bulk_load(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS, lenient=True)
            load_seconds += time.perf_counter() - began
            loaded, failed = loaded + mapped, failed + errors
    finally:
        pool.shutdown(cancel_futures=True)
        store.flush()
    seconds = time.perf_counter() - started
    store.close()
    return {"records": start + loaded, "loaded": loaded, "failed": failed, "seconds": round(seconds, 1),
            "records_per_s": round(loaded / seconds) if seconds else 0,
            "bulk_load_seconds": round(load_seconds, 1), "time_boxed": start + loaded < records,
            "store_mb": round(_size_mb(path), 1)}


def sample_iris(records: int, count: int = 50, seed: int = 1) -> list[str]:
    """Dataset IRIs spread over the loaded records, for the point lookups."""
    iris = Iris(BASE)
    picks = sorted({int(records * (n + 0.5) / count) for n in range(count)})
    return [iris.dataset(source_of(i).id, generate_package(i, seed)["name"]) for i in picks]


def timed_and_warm(iris: list[str], timed: int) -> tuple[list[str], list[str]]:
    """``timed`` of ``iris`` (spread over them) for the timed lookups, and the others for the warm-up."""
    if len(iris) <= timed:
        return list(iris), []
    step = len(iris) / timed
    chosen = sorted({int(n * step) for n in range(timed)})
    taken = set(chosen)
    return [iris[i] for i in chosen], [iri for i, iri in enumerate(iris) if i not in taken]


def time_queries(store: Any, iris: list[str], runs: int, aggregate_budget: float = 60.0,
                 records: int = 0, warm_iris: list[str] | None = None) -> dict[str, Any]:
    """p50/p95 ms per query: ``runs`` point lookups (a different dataset each: give as many ``iris``; each
    asked for the first time), after lookups of ``warm_iris`` (other datasets: see WARM_LOOKUPS; their own
    times are reported as ``first_lookups_after_open``); aggregates at least 3 times (once when the warm-up
    took over SLOW_SECONDS) and until ``aggregate_budget`` seconds are spent (at most ``runs``). Queries of
    SLOW_ABOVE are skipped on stores of more ``records``."""
    out: dict[str, Any] = {}
    if warm_iris:
        body = QUERIES[next(iter(POINT_QUERIES))]
        p50, p95 = percentiles([_timed_ms(store, PREFIXES + body.replace("{iri}", iri)) for iri in warm_iris])
        opened = {"p50_ms": p50, "p95_ms": p95, "runs": len(warm_iris)}
    for name, body in QUERIES.items():
        if records > SLOW_ABOVE.get(name, records):
            out[name] = {"skipped": f"not run above {SLOW_ABOVE[name]:,} records", "p50_ms": math.nan,
                         "p95_ms": math.nan, "runs": 0, "rows": 0}
            continue
        point = name in POINT_QUERIES
        texts = [PREFIXES + body.replace("{iri}", iri) for iri in iris] if point else [PREFIXES + body]
        at_least = 3
        if not (point and warm_iris):  # a point lookup's warm-up is the lookups of warm_iris
            began = time.perf_counter()
            store.query(texts[0], "application/sparql-results+json", 10_000, 3600.0)  # warm-up
            at_least = 1 if time.perf_counter() - began > SLOW_SECONDS else 3
        samples: list[float] = []
        spent = 0.0
        while len(samples) < runs and (point or len(samples) < at_least or spent < aggregate_budget):
            began = time.perf_counter()
            answer = store.query(texts[len(samples) % len(texts)], "application/sparql-results+json", 10_000, 3600.0)
            elapsed = time.perf_counter() - began
            spent += elapsed
            samples.append(elapsed * 1000)
        p50, p95 = percentiles(samples)
        out[name] = {"p50_ms": p50, "p95_ms": p95, "runs": len(samples), "rows": answer.rows}
        if point and warm_iris:
            out[name]["first_lookups_after_open"] = opened
    return out


def _timed_ms(store: Any, text: str) -> float:
    began = time.perf_counter()
    store.query(text, "application/sparql-results+json", 10_000, 3600.0)
    return (time.perf_counter() - began) * 1000


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def run(records: int, runs: int, time_box: float, out: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="harvester-sparql-bench-") as tmp:
        load = {"before": os.getloadavg()}
        built = build_store(Path(tmp) / "store", records, workers=os.cpu_count() or 1, time_box=time_box)
        store = OxigraphStore(str(Path(tmp) / "store"))
        try:
            timed, warm = timed_and_warm(sample_iris(built["records"], runs + WARM_LOOKUPS), runs)
            drop_from_page_cache(Path(tmp) / "store")  # each timed record is read from the disk
            queries = time_queries(store, timed, runs, records=built["records"], warm_iris=warm)
        finally:
            store.close()
        load["after"] = os.getloadavg()
    results = {"records": records, "build": built, "queries": queries,
               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": load}}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return results


def print_results(results: dict[str, Any]) -> None:
    built = results["build"]
    print(f"records: {built['records']:,} of {results['records']:,} in {built['seconds']} s "
          f"({built['records_per_s']:,}/s mapped and loaded; bulk load {built['bulk_load_seconds']} s), "
          f"store {built['store_mb']:,} MB")
    print(f"{'query':<20}{'p50 ms':>10}{'p95 ms':>10}{'runs':>6}{'rows':>8}")
    for name, row in results["queries"].items():
        if "skipped" in row:
            print(f"{name:<20}  {row['skipped']}")
            continue
        print(f"{name:<20}{row['p50_ms']:>10}{row['p95_ms']:>10}{row['runs']:>6}{row['rows']:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="number of generated records")
    parser.add_argument("--runs", type=int, default=100, help="timed point lookups (aggregates: ≥ 3, ≤ 60 s)")
    parser.add_argument("--time-box", type=float, default=2400.0, help="seconds the load may take at most")
    parser.add_argument("--out", type=Path, default=None, help="JSON result file (default bench-results/…)")
    args = parser.parse_args()
    out = args.out or Path("bench-results") / f"sparql-{args.records}-{datetime.now():%Y%m%d-%H%M%S}.json"
    print_results(run(args.records, args.runs, args.time_box, out))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
