"""Store write benchmark: the harvest's write path into each backend against the server's own bulk path.

    python -m tests.benchmarks.store_writes --records 10000 [--stores embedded,oxigraph-server,virtuoso]
                                            [--json bench-results/store-writes.json]

The same records (generated CKAN packages mapped by ``map_task``, as a harvest writes them) are written

- by the harvester: ``replace_graphs`` in groups of at most ``batches.MAX_TRIPLES_PER_WRITE`` triples, as a
  first harvest hands them to the store, then again for 5% of them, changed (a re-harvest's replace);
- by the server's own fastest path into a fresh database: Virtuoso's bulk loader (``ld_dir`` +
  ``rdf_loader_run`` of one N-Quads file), the Oxigraph server's ``POST /store?no_transaction`` of N-Quads
  (1,000 records a request), pyoxigraph's ``bulk_load`` for the embedded store.

Nothing else runs in the benchmark's process meanwhile (the mapping is done before the clock starts), so the
rows compare write paths, not harvests. Servers are started in a temporary directory, as the tests start
them. Prints records/s, triples/s and CPU milliseconds per record on each side; not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil
import pyoxigraph
import requests

from harvester.batches import MAX_TRIPLES_PER_WRITE
from harvester.context import Context
from harvester.dcat.record import Iris
from harvester.mapping.worker import map_task
from harvester.store import GraphWrite
from tests.benchmarks.mapping import SOURCE, generate_bodies, ours_task
from tests.conftest import make_settings
from tests.servers import OxigraphServer, VirtuosoServer

STORES = ("embedded", "oxigraph-server", "virtuoso")
NO_GRAPH = "urn:harvester:benchmark-no-default-graph"


def records(count: int, base: str) -> list[GraphWrite]:
    """``count`` generated packages mapped as a harvest maps them, one GraphWrite per record."""
    iris = Iris(base)
    out: list[GraphWrite] = []
    everything = generate_bodies(count)
    for start in range(0, count, 1000):
        bodies = everything[start:start + 1000]
        task = ours_task(bodies)
        task.base = base
        for (package, _), mapped in zip(bodies, map_task(task)):
            if mapped.error:
                raise SystemExit(f"mapping failed: {mapped.error}")
            out.append(GraphWrite(iris.graph(SOURCE.id, package["name"]), mapped.ntriples))
    return out


def changed(writes: list[GraphWrite]) -> list[GraphWrite]:
    """Every 20th record with one triple more: a re-harvest's replace of 5% of them."""
    return [GraphWrite(w.graph, w.ntriples + f'<{w.graph}#changed> <http://purl.org/dc/terms/description> '
                                              f'"changed {n}"@zh .\n')
            for n, w in enumerate(writes[::20])]


def groups(writes: list[GraphWrite]) -> Iterator[list[GraphWrite]]:
    """Whole records, at most MAX_TRIPLES_PER_WRITE triples a group, as the harvest groups them."""
    group: list[GraphWrite] = []
    size = 0
    for w in writes:
        lines = w.ntriples.count("\n")
        if group and size + lines > MAX_TRIPLES_PER_WRITE:
            yield group
            group, size = [], 0
        group.append(w)
        size += lines
    if group:
        yield group


class Clock:
    """Wall time, this process's CPU time and the server's CPU time over a block."""

    def __init__(self, server_pid: int | None) -> None:
        self.server = psutil.Process(server_pid) if server_pid else None

    def _server_cpu(self) -> float:
        if self.server is None:
            return 0.0
        procs = [self.server, *self.server.children(recursive=True)]
        return sum(p.cpu_times().user + p.cpu_times().system for p in procs)

    @contextmanager
    def measure(self, into: dict[str, float], name: str, count: int, triples: int) -> Iterator[None]:
        wall, cpu, server = time.perf_counter(), time.process_time(), self._server_cpu()
        yield
        wall = time.perf_counter() - wall
        into[f"{name}_records_per_s"] = count / wall
        into[f"{name}_triples_per_s"] = triples / wall
        into[f"{name}_client_cpu_ms"] = (time.process_time() - cpu) * 1000 / count
        into[f"{name}_server_cpu_ms"] = (self._server_cpu() - server) * 1000 / count
        into[f"{name}_load_1min"] = os.getloadavg()[0]


def _server(kind: str, directory: Path) -> OxigraphServer | VirtuosoServer:
    directory.mkdir(parents=True)
    server = OxigraphServer(directory / "store") if kind == "oxigraph-server" else VirtuosoServer(directory)
    if server.binary is None:
        raise SystemExit(f"{kind} is not installed (see docs/stores.md)")
    server.start()
    return server


def ours(kind: str, tmp: Path, writes: list[GraphWrite], replaced: list[GraphWrite]) -> dict[str, float]:
    """The harvester's write path: a first load in harvest-sized groups, then the 5% replace."""
    server = None if kind == "embedded" else _server(kind, tmp / "ours")
    out: dict[str, float] = {}
    try:
        ctx = Context(make_settings(tmp / "data", **(server.settings() if server else {})))
        store = ctx.store
        clock = Clock(server.process.pid if server and server.process else None)
        triples = sum(w.ntriples.count("\n") for w in writes)
        with clock.measure(out, "first", len(writes), triples):
            for group in groups(writes):
                store.replace_graphs(group)
        with clock.measure(out, "replace", len(replaced), sum(w.ntriples.count("\n") for w in replaced)):
            for group in groups(replaced):
                store.replace_graphs(group)
        ctx.close()
    finally:
        if server:
            server.stop()
    return out


def reference(kind: str, tmp: Path, writes: list[GraphWrite]) -> dict[str, float]:
    """The store's own fastest load of the same records into a fresh database."""
    out: dict[str, float] = {}
    triples = sum(w.ntriples.count("\n") for w in writes)
    if kind == "embedded":
        store = pyoxigraph.Store(str(tmp / "reference"))
        text = "".join(w.nquads() for w in writes).encode()
        with Clock(None).measure(out, "reference", len(writes), triples):
            store.bulk_load(text, pyoxigraph.RdfFormat.N_QUADS)
            store.flush()
        return out
    server = _server(kind, tmp / "reference")
    try:
        clock = Clock(server.process.pid if server.process else None)
        if isinstance(server, VirtuosoServer):
            (server.dir / "records.nq").write_text("".join(w.nquads() for w in writes))
            with clock.measure(out, "reference", len(writes), triples):
                server.sql(f"ld_dir ('{server.dir}', 'records.nq', '{NO_GRAPH}');\nrdf_loader_run ();\n")
        else:
            url = server.query_url.removesuffix("/query") + "/store?no_transaction"
            bodies = ["".join(w.nquads() for w in writes[n:n + 1000]).encode() for n in range(0, len(writes), 1000)]
            with clock.measure(out, "reference", len(writes), triples):
                for body in bodies:
                    requests.post(url, data=body, headers={"Content-Type": "application/n-quads"},
                                  timeout=600).raise_for_status()
    finally:
        server.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--stores", default=",".join(STORES))
    parser.add_argument("--json", default="bench-results/store-writes.json")
    args = parser.parse_args()
    kinds = [k for k in args.stores.split(",") if k]
    if unknown := set(kinds) - set(STORES):
        raise SystemExit(f"unknown store(s): {', '.join(sorted(unknown))}; expected {', '.join(STORES)}")
    base = make_settings(Path(tempfile.gettempdir()) / "absent").base_url
    started = time.perf_counter()
    writes = records(args.records, base)
    replaced = changed(writes)
    per_record = sum(w.ntriples.count("\n") for w in writes) / len(writes)
    print(f"store write benchmark: {len(writes):,} records of {per_record:.0f} triples "
          f"(mapped in {time.perf_counter() - started:.0f} s), {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, pyoxigraph {pyoxigraph.__version__}", flush=True)
    result: dict[str, Any] = {"records": len(writes), "triples_per_record": per_record,
                              "cores": os.cpu_count(), "when": datetime.now(timezone.utc).isoformat()}
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix=f"store-writes-{kind}-") as tmp:
            row = {**ours(kind, Path(tmp), writes, replaced), **reference(kind, Path(tmp), writes)}
        row["ratio_to_reference"] = row["first_records_per_s"] / row["reference_records_per_s"]
        result[kind] = row
        print_row(kind, row)
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1))


def print_row(kind: str, row: dict[str, float]) -> None:
    line: Callable[[str, str], str] = lambda label, name: (
        f"  {label:<34} {row[f'{name}_records_per_s']:>7,.0f} records/s {row[f'{name}_triples_per_s']:>9,.0f} "
        f"triples/s   CPU ms/record: ours {row[f'{name}_client_cpu_ms']:.2f}, "
        f"server {row[f'{name}_server_cpu_ms']:.2f}   (load {row[f'{name}_load_1min']:.1f})")
    print(kind)
    print(line("harvester, first load", "first"))
    print(line("harvester, replacing 5%", "replace"))
    print(line("the store's own bulk path", "reference"))
    print(f"  first load ÷ the store's own bulk path: {row['ratio_to_reference']:.0%}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
