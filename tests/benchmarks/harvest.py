"""Harvest benchmark: a generated demo CKAN portal of N datasets on loopback, harvested end to end.

    python -m tests.benchmarks.harvest --datasets 10000 [--runs 3] [--store embedded|oxigraph-server|virtuoso]
                                       [--json bench-results/harvest.json]

Measures, per run, a first harvest (gather → map → store → index), an unchanged re-harvest (incremental,
as a scheduled run does), a full re-harvest (every payload fetched and hashed), and a re-harvest with 5%
of the datasets changed; prints datasets/s, the share of time spent in store writes (and the store's own
write rate), and the process's peak RSS, and writes a JSON result file. ``--store`` picks the backend: a
SPARQL server is started for the run in a temporary directory (as the tests start it) and stopped after.
Not part of the test suite's pass/fail.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harvester.context import Context
from harvester.demo.portal import DemoPortal, serve
from harvester.jobs import run_job
from harvester.model import JobStatus, Source
from tests.conftest import make_settings
from tests.servers import OxigraphServer, VirtuosoServer

STORES = ("embedded", "oxigraph-server", "virtuoso")


def _portal_process(datasets: int, seed: int, conn) -> None:  # type: ignore[no-untyped-def]
    """The portal runs in a process of its own, as a real portal would: its CPU is not the harvester's."""
    portal = DemoPortal(size=datasets, seed=seed)
    running = serve(portal, host="127.0.0.1", port=0)
    conn.send(running.url)
    while (command := conn.recv()) is not None:
        portal.edit(command)
        conn.send("ok")
    running.stop()


class RemotePortal:
    def __init__(self, datasets: int, seed: int) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(target=_portal_process, args=(datasets, seed, child), daemon=True)
        self._process.start()
        self.url: str = self._conn.recv()

    def edit(self, indexes: range) -> None:
        self._conn.send(indexes)
        self._conn.recv()

    def stop(self) -> None:
        self._conn.send(None)
        self._process.join(timeout=10)


@contextmanager
def store_backend(kind: str, tmp: Path) -> Iterator[dict[str, Any]]:
    """Settings values for the backend, with its server running (if it has one) until the block ends."""
    if kind == "embedded":
        yield {}
        return
    server: OxigraphServer | VirtuosoServer
    if kind == "oxigraph-server":
        (tmp / "oxigraph").mkdir()
        server = OxigraphServer(tmp / "oxigraph" / "store")
    else:
        (tmp / "virtuoso").mkdir()
        server = VirtuosoServer(tmp / "virtuoso")
    if server.binary is None:
        raise SystemExit(f"{kind} is not installed (see docs/stores.md)")
    server.start()
    try:
        yield server.settings()
    finally:
        server.stop()


class StoreClock:
    """Time spent in the store's replace_graphs, and how many records it wrote."""

    def __init__(self, ctx: Context) -> None:
        self.seconds, self.records = 0.0, 0
        replace: Callable[[Any], None] = ctx.store.replace_graphs

        def timed(writes: Any) -> None:
            started = time.perf_counter()
            try:
                replace(writes)
            finally:
                self.seconds += time.perf_counter() - started
                self.records += len(writes)
        ctx.store.replace_graphs = timed  # type: ignore[method-assign]

    def lap(self) -> tuple[float, int]:
        lap = self.seconds, self.records
        self.seconds, self.records = 0.0, 0
        return lap


def one_run(datasets: int, seed: int, store: str) -> dict[str, float]:
    portal = RemotePortal(datasets, seed)
    running = portal
    source = Source("bench", "ckan", running.url, "benchmark portal")
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, store_backend(store, Path(tmp)) as values:
        ctx = Context(make_settings(Path(tmp) / "data", **values))
        clock = StoreClock(ctx)
        try:
            for name, prepare, full in (("first", None, False), ("unchanged", None, False),
                                        ("unchanged_full", None, True),
                                        ("changed_5pct", lambda: portal.edit(range(0, datasets, 20)), False)):
                if prepare:
                    prepare()
                started = time.perf_counter()
                job = run_job(ctx, source, full=full)
                elapsed = time.perf_counter() - started
                if job.status != JobStatus.SUCCEEDED:
                    raise SystemExit(f"{name}: job {job.status.value}: {job.message}")
                out[f"{name}_datasets_per_s"] = datasets / elapsed
                out[f"{name}_seconds"] = elapsed
                store_seconds, records = clock.lap()
                out[f"{name}_store_seconds"] = store_seconds
                out[f"{name}_store_records_per_s"] = records / store_seconds if records > 1 else 0.0
            out["store_mb"] = _size_mb(Path(tmp) / ("data/store" if store == "embedded" else store.split("-")[0]))
            out["index_mb"] = _size_mb(Path(tmp) / "data" / "index")
        finally:
            ctx.close()
            running.stop()
    return out


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--store", choices=STORES, default="embedded", help="store backend (servers are started)")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    runs = [one_run(args.datasets, seed=run + 1, store=args.store) for run in range(args.runs)]
    medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"datasets": args.datasets, "runs": args.runs, "store": args.store, "cores": os.cpu_count(),
              "python": platform.python_version(), "median": medians, "all": runs,
              "peak_rss_mb": peak_rss_mb}
    print(f"harvest benchmark: {args.datasets:,} datasets, {args.runs} run(s), store {args.store}, "
          f"{os.cpu_count()} cores")
    for key in ("first", "unchanged", "unchanged_full", "changed_5pct"):
        store_rate = medians[key + "_store_records_per_s"]
        print(f"  {key:16} {medians[key + '_datasets_per_s']:9,.0f} datasets/s   ({medians[key + '_seconds']:.1f} s; "
              f"store writes {medians[key + '_store_seconds']:.1f} s" +
              (f", {store_rate:,.0f} records/s)" if store_rate else ")"))
    print(f"  store {medians['store_mb']:.0f} MB, index {medians['index_mb']:.0f} MB, "
          f"peak RSS of the harvester {peak_rss_mb:.0f} MB")
    path = Path(args.json or ("bench-results/harvest.json" if args.store == "embedded"
                              else f"bench-results/harvest-{args.store}.json"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    sys.exit(main())
