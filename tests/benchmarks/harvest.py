"""Harvest benchmark: generated demo CKAN portals of N datasets in all on loopback, harvested end to end.

    python -m tests.benchmarks.harvest --datasets 10000 [--runs 3] [--portals 1]
                                       [--store embedded|oxigraph-server|virtuoso] [--json bench-results/harvest.json]

Measures, per run, a first harvest (gather → map → store → index), an unchanged re-harvest (incremental,
as a scheduled run does), a full re-harvest (every payload fetched and hashed), and a re-harvest with 5%
of the datasets changed; prints datasets/s, the share of time spent in store writes (and the store's own
write rate), and peak RSS, and writes a JSON result file. Each run is a process of its own with the
harvester's default settings (mapping in ``harvest.map_workers`` worker processes), so its peak RSS is the
harvest's alone; each portal is a process of its own too. ``--portals`` splits the datasets over that many
portals (sources), harvested one after the other. ``--store`` picks the backend: a SPARQL server is
started for the run in a temporary directory (as the tests start it) and stopped after.
Not part of the test suite's pass/fail.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

from harvester.context import Context
from harvester.demo.portal import DemoPortal, serve
from harvester.jobs import run_job
from harvester.model import JobStatus, Source
from harvester.settings import SETTINGS, load_settings
from tests.benchmarks import peak_rss_mb
from tests.conftest import make_settings
from tests.servers import OxigraphServer, VirtuosoServer

STORES = ("embedded", "oxigraph-server", "virtuoso")
PHASES = ("first", "unchanged", "unchanged_full", "changed_5pct")


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

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def stop(self) -> None:
        self._conn.send(None)
        self._process.join(timeout=10)


class RssSampler:
    """Peak RSS of this process's children other than ``excluded`` (the mapping workers), sampled; a store
    server's (``servers``) apart."""

    def __init__(self, excluded: set[int], period: float = 1.0) -> None:
        self.peak_children_mb = self.peak_total_mb = self.peak_server_mb = 0.0
        self.servers: set[int] = set()
        #: (time.perf_counter(), this process's RSS in MB, its anonymous part in MB) of every sample: is the
        #: harvest's memory flat? The rest of RSS is pages of files it has mapped (the search index's segments,
        #: which tantivy reads through mmap): page cache the kernel takes back when memory runs short.
        self.series: list[tuple[float, float, float]] = []
        self._excluded, self._period = excluded, period
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._done.wait(self._period):
            children = server = 0
            for child in me.children(recursive=True):
                if child.pid not in self._excluded:
                    try:
                        if child.pid in self.servers:
                            server += child.memory_info().rss
                        else:
                            children += child.memory_info().rss
                    except psutil.Error:
                        pass
            self.peak_server_mb = max(self.peak_server_mb, server / 1e6)
            info = me.memory_info()
            own = info.rss
            self.series.append((time.perf_counter(), own / 1e6, (own - info.shared) / 1e6))
            self.peak_children_mb = max(self.peak_children_mb, children / 1e6)
            self.peak_total_mb = max(self.peak_total_mb, (children + own) / 1e6)

    def quarters(self, began: float, ended: float, anonymous: bool = False) -> list[float]:
        """The harvest process's peak RSS (MB; ``anonymous``: its anonymous part) in each quarter of the time
        from ``began`` to ``ended``."""
        step = (ended - began) / 4
        return [max((sample[2 if anonymous else 1] for sample in self.series
                     if began + n * step <= sample[0] < began + (n + 1) * step), default=0.0) for n in range(4)]

    def peak(self, began: float, ended: float, anonymous: bool = False) -> float:
        """The harvest process's peak RSS (MB; ``anonymous``: its anonymous part) from ``began`` to ``ended``."""
        return max((sample[2 if anonymous else 1] for sample in self.series if began <= sample[0] <= ended),
                   default=0.0)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


@contextmanager
def store_backend(kind: str, tmp: Path, sampler: RssSampler | None = None) -> Iterator[dict[str, Any]]:
    """Settings values for the backend, with its server running (if it has one) until the block ends; the
    server's memory sampled apart from the harvest's."""
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
    if sampler is not None and server.process is not None:
        sampler.servers.add(server.process.pid)
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


def one_run(datasets: int, seed: int, store: str, portals: int = 1, phases: tuple[str, ...] = PHASES,
            keep: Path | None = None, overrides: dict[str, str] | None = None) -> dict[str, float]:
    """One run (first harvest, then the re-harvests of ``phases``) of ``portals`` portals sharing ``datasets``;
    with ``keep`` (an empty or absent directory) the harvest's data directory is left there at the end;
    ``overrides``: settings by name (``store.open_files``) and value as the environment would give it."""
    sizes = [datasets // portals + (1 if n < datasets % portals else 0) for n in range(portals)]
    remotes = [RemotePortal(size, seed * 1000 + n) for n, size in enumerate(sizes)]
    sources = [Source(f"bench-{n:02d}", "ckan", remote.url, f"benchmark portal {n}")
               for n, remote in enumerate(remotes)]
    sampler = RssSampler({remote.pid for remote in remotes if remote.pid})
    out: dict[str, float] = {}
    with _work_dir(keep) as tmp, store_backend(store, Path(tmp), sampler) as values:
        changed = setting_values(overrides or {})
        workers = load_settings(Path(tmp) / "absent.toml", env={})["harvest.map_workers"]
        ctx = Context(make_settings(Path(tmp) / "data", **{"harvest_map_workers": workers, **values, **changed}))
        out["map_workers"] = workers
        clock = StoreClock(ctx)
        try:
            for name in ("first", *(p for p in phases if p != "first")):
                if name == "changed_5pct":
                    for remote, size in zip(remotes, sizes):
                        remote.edit(range(0, size, 20))
                started = time.perf_counter()
                for source in sources:
                    job = run_job(ctx, source, full=name == "unchanged_full")
                    if job.status != JobStatus.SUCCEEDED:
                        raise SystemExit(f"{name}: job {job.status.value}: {job.message}")
                elapsed = time.perf_counter() - started
                if name == "first":
                    for n, mb in enumerate(sampler.quarters(started, started + elapsed), start=1):
                        out[f"first_rss_q{n}_mb"] = mb
                    for n, mb in enumerate(sampler.quarters(started, started + elapsed, anonymous=True), start=1):
                        out[f"first_anon_q{n}_mb"] = mb
                out[f"{name}_rss_mb"] = sampler.peak(started, started + elapsed)
                out[f"{name}_anon_mb"] = sampler.peak(started, started + elapsed, anonymous=True)
                out[f"{name}_datasets_per_s"] = datasets / elapsed
                out[f"{name}_seconds"] = elapsed
                store_seconds, records = clock.lap()
                out[f"{name}_store_seconds"] = store_seconds
                out[f"{name}_store_records_per_s"] = records / store_seconds if records > 1 else 0.0
                out[f"{name}_load_1min"] = os.getloadavg()[0]
            ctx.close()
            out["store_mb"] = _size_mb(Path(tmp) / ("data/store" if store == "embedded" else store.split("-")[0]))
            out["index_mb"] = _size_mb(Path(tmp) / "data" / "index")
        finally:
            ctx.close()
            sampler.stop()
            for remote in remotes:
                remote.stop()
    out["harvest_rss_mb"] = peak_rss_mb()
    out["map_workers_rss_mb"] = sampler.peak_children_mb
    if store != "embedded":
        out["store_server_rss_mb"] = sampler.peak_server_mb
    out["harvest_total_rss_mb"] = max(sampler.peak_total_mb, out["harvest_rss_mb"])
    return out


@contextmanager
def _work_dir(keep: Path | None) -> Iterator[str]:
    if keep is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield tmp
        return
    if keep.exists() and any(keep.iterdir()):
        raise SystemExit(f"{keep} is not empty: a kept harvest needs a directory of its own")
    keep.mkdir(parents=True, exist_ok=True)
    yield str(keep)


def setting_values(overrides: dict[str, str]) -> dict[str, Any]:
    """``{"store.open_files": "30"}`` → ``{"store_open_files": 30}``, parsed as ``HARVESTER_…`` would be."""
    known = {setting.name: setting for setting in SETTINGS}
    unknown = [name for name in overrides if name not in known]
    if unknown:
        raise SystemExit(f"unknown settings: {', '.join(unknown)} (docs/operators.md lists them)")
    env = {known[name].env: value for name, value in overrides.items()}
    parsed = load_settings(Path("/nonexistent/absent.toml"), env=env)
    return {name.replace(".", "_", 1): parsed[name] for name in overrides}


def _run_in_child(conn: Any, *args: Any) -> None:
    conn.send(one_run(*args))


def isolated_run(datasets: int, seed: int, store: str = "embedded", portals: int = 1,
                 phases: tuple[str, ...] = PHASES, keep: Path | None = None,
                 overrides: dict[str, str] | None = None) -> dict[str, float]:
    """``one_run`` in a fresh process, so that its peak RSS is the harvest's own."""
    receiver, sender = multiprocessing.get_context("spawn").Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(
        target=_run_in_child, args=(sender, datasets, seed, store, portals, phases, keep, overrides))
    child.start()
    sender.close()
    try:
        result: dict[str, float] = receiver.recv()
    except EOFError:
        raise SystemExit(f"the harvest run of {datasets:,} datasets died (exit code {child.join() or child.exitcode})")
    child.join()
    return result


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def summary(datasets: int, runs: list[dict[str, float]], store: str, portals: int,
            overrides: dict[str, str] | None = None) -> dict[str, Any]:
    return {"datasets": datasets, "runs": len(runs), "store": store, "portals": portals, "cores": os.cpu_count(),
            "settings": overrides or {},
            "python": platform.python_version(),
            "median": {k: statistics.median(r[k] for r in runs) for k in runs[0]}, "all": runs}


def print_summary(result: dict[str, Any]) -> None:
    medians = result["median"]
    print(f"harvest benchmark: {result['datasets']:,} datasets from {result['portals']} portal(s), "
          f"{result['runs']} run(s), store {result['store']}, {result['cores']} cores, "
          f"{medians['map_workers']:.0f} mapping worker(s)" +
          "".join(f", {name} = {value}" for name, value in result.get("settings", {}).items()))
    for key in PHASES:
        if key + "_seconds" not in medians:
            continue
        store_rate = medians[key + "_store_records_per_s"]
        print(f"  {key:16} {medians[key + '_datasets_per_s']:9,.0f} datasets/s   ({medians[key + '_seconds']:.1f} s; "
              f"store writes {medians[key + '_store_seconds']:.1f} s" +
              (f", {store_rate:,.0f} records/s" if store_rate else "") +
              (f"; peak RSS {medians[key + '_rss_mb']:,.0f} MB, anonymous {medians[key + '_anon_mb']:,.0f}"
               if key + "_rss_mb" in medians else "") +
              f"; load {medians[key + '_load_1min']:.1f})")
    print(f"  store {medians['store_mb']:.0f} MB, index {medians['index_mb']:.0f} MB, peak RSS: harvest process "
          f"{medians['harvest_rss_mb']:.0f} MB, mapping workers {medians['map_workers_rss_mb']:.0f} MB" +
          (f", store server {medians['store_server_rss_mb']:.0f} MB" if "store_server_rss_mb" in medians else ""))
    if "first_rss_q1_mb" in medians:
        print("  harvest process peak RSS per quarter of the first harvest: " +
              " → ".join(f"{medians[f'first_rss_q{n}_mb']:.0f}" for n in range(1, 5)) + " MB" +
              ("; its anonymous memory (RSS less mapped file pages) " +
               " → ".join(f"{medians[f'first_anon_q{n}_mb']:.0f}" for n in range(1, 5)) + " MB"
               if "first_anon_q1_mb" in medians else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--portals", type=int, default=1, help="portals the datasets are spread over")
    parser.add_argument("--store", choices=STORES, default="embedded", help="store backend (servers are started)")
    parser.add_argument("--json", default="")
    parser.add_argument("--keep", type=Path, default=None,
                        help="leave the last run's data directory here (for `serving --harvested`)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting other than its default, as in harvester.toml (store.open_files=100)")
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.set)
    setting_values(overrides)  # unknown names or bad values stop here, not in the child
    runs = [isolated_run(args.datasets, run + 1, args.store, args.portals,
                         keep=args.keep if run == args.runs - 1 else None, overrides=overrides)
            for run in range(args.runs)]
    result = summary(args.datasets, runs, args.store, args.portals, overrides)
    print_summary(result)
    path = Path(args.json or ("bench-results/harvest.json" if args.store == "embedded"
                              else f"bench-results/harvest-{args.store}.json"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    sys.exit(main())
