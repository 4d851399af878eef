"""The embedded store's memory: at most ``store.open_files`` table files open (each holds its index in memory), and
the process keeps its own file-descriptor limit (run in a child process: the count is of its descriptors);
memtables flushed after large transactional writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = r'''
import json, os, resource, sys
from harvester.store import GraphWrite
from harvester.store.oxigraph import OxigraphStore

path, cap = sys.argv[1], int(sys.argv[2])
soft_before = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
store = OxigraphStore(path, open_files=cap)
soft_after = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
for batch in range(40):  # every bulk load leaves table files of its own
    store.replace_graphs([GraphWrite(f"https://x.test/g/{batch}/{n}", "".join(
        f'<https://x.test/s/{batch}/{n}> <https://x.test/p{k}> "v {batch} {n} {k}" .\n' for k in range(5)))
        for n in range(20)])
found = [store.select(f"SELECT ?o WHERE {{ GRAPH <https://x.test/g/{b}/3> {{ ?s ?p ?o }} }}") for b in range(40)]


def target(fd):
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


open_tables = sum(target(fd).endswith(".sst") for fd in os.listdir("/proc/self/fd"))
tables = sum(name.endswith(".sst") for name in os.listdir(path))
print(json.dumps({"open": open_tables, "tables": tables, "rows": sum(map(len, found)),
                  "soft_before": soft_before, "soft_after": soft_after}))
'''


def _run(tmp_path: Path, cap: int) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / f"store-{cap}"), str(cap)],
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors through /proc (Linux)")
def test_the_store_keeps_at_most_open_files_tables_open_and_the_process_its_limit(tmp_path: Path) -> None:
    capped, free = _run(tmp_path, 48), _run(tmp_path, 0)
    assert capped["rows"] == free["rows"] == 200  # every graph answers, open or not
    # without a bound (nearly) every table file stays open; compaction may add or retire one while counting
    assert free["tables"] > 48 and free["open"] >= free["tables"] - 4 and free["open"] > 48
    assert capped["tables"] > 48 and capped["open"] <= 48
    assert capped["soft_after"] == capped["soft_before"]


def test_a_large_graph_replaced_flushes_the_memtables_at_once(tmp_path: Path) -> None:
    from harvester.store import GraphWrite
    from harvester.store.oxigraph import FLUSH_TRIPLES, OxigraphStore

    store = OxigraphStore(str(tmp_path / "store"))
    links = GraphWrite("https://x.test/graph/_duplicates", "".join(
        f"<https://x.test/a/{n}> <http://www.w3.org/2002/07/owl#sameAs> <https://x.test/b/{n}> .\n"
        for n in range(FLUSH_TRIPLES + 1)))
    small = GraphWrite("https://x.test/graph/r", "<https://x.test/r> <https://x.test/p> \"v\" .\n")
    store.replace_graphs([small])
    assert (store._unflushed, store._unflushed_triples) == (1, 1)  # one small record: not worth a flush
    store.replace_graphs([links])  # one graph, but as many triples as 300 records
    assert (store._unflushed, store._unflushed_triples) == (0, 0)
    assert len(store.graph_triples("https://x.test/graph/_duplicates")) == FLUSH_TRIPLES + 1


def test_a_harvest_or_web_process_collects_garbage_less_often_but_still_collects_cycles(tmp_path: Path) -> None:
    child = r'''
import gc, json, sys
from harvester.context import Context
from harvester.settings import load_settings
before = gc.get_threshold()
Context(load_settings(env={"HARVESTER_DATA_DIR": sys.argv[1]}))
after = gc.get_threshold()
class Node: pass
a, b = Node(), Node()
a.other, b.other = b, a
del a, b
print(json.dumps({"before": before, "after": after, "cycles": gc.collect()}))
'''
    done = subprocess.run([sys.executable, "-c", child, str(tmp_path / "data")], capture_output=True, text=True,
                          timeout=120, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    from harvester.memory import GC_THRESHOLDS

    assert tuple(found["before"]) == (700, 10, 10)  # Python's own, until a Context opens
    assert tuple(found["after"]) == GC_THRESHOLDS
    assert found["cycles"] >= 2  # the two nodes (and their __dict__s) of the cycle
