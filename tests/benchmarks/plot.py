"""The scaling figure of docs/performance.md: throughput, latency, memory and disk against catalog size.

    python -m tests.benchmarks.plot [bench-results/suite.json] [docs/performance-scaling.png]

Drawn from the suite's merged results (tests.benchmarks.suite), which also calls ``draw`` after each run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

PHASES = {"first": "first harvest", "unchanged": "unchanged re-harvest", "unchanged_full": "unchanged, --full",
          "changed_5pct": "5% changed"}


def _series(part: dict[str, Any], value: Any) -> tuple[list[int], list[float]]:
    xs, ys = [], []
    for key in sorted(part, key=int):
        found = value(part[key])
        if found is not None:
            xs.append(int(key))
            ys.append(found)
    return xs, ys


def _harvest_panel(ax: Any, harvests: dict[str, Any], mapping: dict[str, Any] | None) -> None:
    for phase, label in PHASES.items():
        xs, ys = _series(harvests, lambda r, p=phase: r["median"].get(p + "_datasets_per_s"))
        if xs:
            ax.plot(xs, ys, marker="o", label=label)
    if mapping:
        ax.axhline(mapping["map_task"]["datasets_per_s"], color="grey", linestyle=":",
                   label="mapping alone (one process)")
        ax.axhline(mapping["rdflib"]["datasets_per_s"], color="brown", linestyle=":",
                   label="rdflib baseline (one process)")
    for target in (1000, 10_000):
        ax.axhline(target, color="red", linewidth=0.6, linestyle="--")
    ax.set(xscale="log", yscale="log", xlabel="datasets harvested", ylabel="datasets/s",
           title="Harvest throughput (targets dashed)")
    _legend(ax)


def _search_panel(ax: Any, serving: dict[str, Any]) -> None:
    kinds = next(iter(serving.values()))["web"]["search"] if serving else {}
    for kind in kinds:
        xs, ys = _series(serving, lambda r, k=kind: r["web"]["search"].get(k, {}).get("p95_ms"))
        line = ax.plot(xs, ys, marker="o", label=kind)[0]
        after = _series(serving, lambda r, k=kind: _asked_after_commit(r["web"], k))
        if after[0]:  # what harvester serve answers right after a commit (browse-all), cold dotted
            line.set(linestyle=":", label=f"{kind}, computed cold")
            ax.plot(*after, marker="o", color=line.get_color(), label=f"{kind}, right after a commit")
    ax.axhline(50, color="red", linewidth=0.6, linestyle="--")
    ax.set(xscale="log", xlabel="documents in the index", ylabel="p95 ms",
           title="Search p95, page of 20 + every facet, first asked (target 50 ms)")
    _legend(ax)


def _asked_after_commit(web: dict[str, Any], kind: str) -> float | None:
    found = web.get("search_after_commit", {}).get(kind, {})
    return found["p95_ms"] if found.get("asked") == "right after the commit" else None


def _sparql_panel(ax: Any, serving: dict[str, Any]) -> None:
    queries = next(iter(serving.values()))["web"]["sparql"] if serving else {}
    for query in queries:
        xs, ys = [], []
        for key in sorted(serving, key=int):
            row = serving[key]
            if query in row["web"]["sparql"]:
                xs.append(row["store_records"])
                ys.append(row["web"]["sparql"][query]["p95_ms"])
        line = ax.plot(xs, ys, marker="o", label=query)[0]
        if query in ("dataset_by_iri", "with_keyword"):  # their p50 too: the p95 of short queries is the noise
            p50s = [serving[k]["web"]["sparql"][query]["p50_ms"] for k in sorted(serving, key=int)
                    if query in serving[k]["web"]["sparql"]]
            ax.plot(xs, p50s, linestyle=":", color=line.get_color(), label=f"{query} p50")
    ax.axhline(10, color="red", linewidth=0.6, linestyle="--")
    ax.set(xscale="log", yscale="log", xlabel="records in the store", ylabel="p95 ms",
           title="SPARQL p95 (dotted: p50), embedded store (point lookup target 10 ms)")
    _legend(ax)


def _memory_panel(ax: Any, harvests: dict[str, Any], serving: dict[str, Any]) -> None:
    for label, part, value in (
        ("harvest process RSS", harvests, lambda r: r["median"]["harvest_rss_mb"]),
        ("mapping worker RSS", harvests, lambda r: r["median"]["map_workers_rss_mb"]),
        ("web process RSS", serving, lambda r: r["web"]["web_rss_mb"]),
        ("store on disk (harvest)", harvests, lambda r: r["median"]["store_mb"]),
        ("index on disk", serving, lambda r: r["grow"]["index"]["index_mb"]),
    ):
        xs, ys = _series(part, value)
        if xs:
            ax.plot(xs, ys, marker="o", label=label)
    xs, ys = [], []
    for row in serving.values():
        xs.append(row["store_records"])
        ys.append(row["grow"]["store"]["store_mb"])
    if xs:
        ax.plot(sorted(xs), [y for _, y in sorted(zip(xs, ys))], marker="o", label="store on disk (loaded)")
    ax.axhline(500, color="red", linewidth=0.6, linestyle="--")
    ax.set(xscale="log", yscale="log", xlabel="datasets", ylabel="MB",
           title="Memory and disk (harvest RSS target 500 MB)")
    _legend(ax)


def _legend(ax: Any) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)


def draw(results: dict[str, Any], path: Path) -> None:
    harvests, serving = results.get("harvest", {}), results.get("serving", {})
    fig, axes = plt.subplots(2, 2, figsize=(13, 9.5))
    _harvest_panel(axes[0][0], harvests, results.get("mapping"))
    _search_panel(axes[0][1], serving)
    _sparql_panel(axes[1][0], serving)
    _memory_panel(axes[1][1], harvests, serving)
    machine = results.get("machine", {})
    fig.suptitle(f"harvester at city, province and nation scale — {machine.get('cores')} cores (shared), "
                 f"Python {machine.get('python')}, pyoxigraph {machine.get('versions', {}).get('pyoxigraph')}, "
                 f"tantivy {machine.get('versions', {}).get('tantivy')}", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("bench-results/suite.json")
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("docs/performance-scaling.png")
    draw(json.loads(source.read_text(encoding="utf-8")), target)
    print(f"written: {target}")


if __name__ == "__main__":
    main()
