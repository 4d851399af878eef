"""The benchmark suite: harvest, mapping, search and SPARQL at city, province and nation scale, one command.

    python -m tests.benchmarks.suite                                  # all parts at the default sizes
    python -m tests.benchmarks.suite --parts mapping                  # one part (harvest, mapping, serving)
    python -m tests.benchmarks.suite --harvest-sizes 10k,100k,1m      # adds the 1M harvest across 20 portals
    python -m tests.benchmarks.suite --report                         # table and figure from stored results
    python -m tests.benchmarks.suite --parts harvest,serving --harvest-sizes 1m \
        --keep-harvest /big/disk/h1m --serving-harvested /big/disk/h1m/data   # serving measured on the harvest

Parts (each in modules of this package, runnable alone):

- ``harvest`` (tests.benchmarks.harvest): generated demo CKAN portals on loopback harvested end to end into
  the embedded store: first harvest, unchanged re-harvest, full re-harvest, 5% changed; datasets/s, peak RSS
  of the harvest process and its mapping worker, store and index size. ``--runs`` runs at 10k, one above
  (``--large-runs``); 1M is spread over 20 portals.
- ``mapping`` (tests.benchmarks.mapping): CKAN package → DCAT-AP 3 alone, ours against the rdflib graph
  baseline written the way ckanext-dcat does it, in one run; and a cProfile split of the mapping worker.
- ``serving`` (tests.benchmarks.serving): a catalog grown through the sizes; at each, a web process measures
  search p50/p95 (fixed query set, page of 20, every facet counted), the five SPARQL queries, two pages,
  and its peak RSS. The store's load is time-boxed (``--store-time-box``). With ``--serving-harvested`` it
  measures a data directory a harvest left instead (``--keep-harvest``): real harvested records, all of them.

Results are merged into ``bench-results/suite.json`` (a part or size measured again replaces the old entry;
each entry keeps its load average and time), the table is printed, and the scaling figure is drawn to
``docs/performance-scaling.png`` (tests.benchmarks.plot). Not part of the test suite's pass/fail.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.benchmarks import harvest, mapping, search, serving

RESULTS = Path("bench-results/suite.json")
FIGURE = Path("docs/performance-scaling.png")
PARTS = ("harvest", "mapping", "serving")
#: the issue's targets (2 cores): (what, threshold, higher is better)
TARGETS = {
    "first": ("first harvest at 100k, datasets/s", 1000, True),
    "unchanged": ("unchanged re-harvest, datasets/s", 10_000, True),
    "mapping": ("mapping alone (map_task), datasets/s", 5000, True),
    "ratio": ("mapping ÷ rdflib baseline", 50, True),
    "search": ("search p95 at 1M, ms (worst kind: each search the first since the last commit, browse-all as "
               "`serve` answers it right after one)", 50, False),
    "sparql": ("SPARQL point lookup p95 at 1M, ms", 10, False),
    "rss": ("harvest RSS at 1M (process + mapping worker), MB", 500, False),
}


def size(text: str) -> int:
    """``10k`` → 10000, ``1m`` → 1000000, ``2500`` → 2500."""
    text = text.strip().lower()
    factor = {"k": 1000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


def machine() -> dict[str, Any]:
    versions = {name: importlib.metadata.version(name)
                for name in ("pyoxigraph", "tantivy", "rdflib", "orjson", "Flask", "matplotlib")}
    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "versions": versions}


def _stamp() -> dict[str, Any]:
    return {"measured": datetime.now().isoformat(timespec="seconds"), "load_avg": os.getloadavg()}


def run_harvest(sizes: list[int], runs: int, large_runs: int, keep: Path | None = None) -> dict[str, Any]:
    """Runs per size; ``keep`` gets the data directory of the largest size's last run."""
    out = {}
    for datasets in sizes:
        portals = 20 if datasets >= 1_000_000 else 1
        phases = ("first", "unchanged", "changed_5pct") if portals > 1 else harvest.PHASES
        count = runs if datasets <= 10_000 else large_runs
        load_before = os.getloadavg()
        kept = keep if datasets == max(sizes) else None
        results = [harvest.isolated_run(datasets, n + 1, "embedded", portals, phases,
                                        keep=kept if n == count - 1 else None) for n in range(count)]
        out[str(datasets)] = {**harvest.summary(datasets, results, "embedded", portals), **_stamp(),
                              "load_before": load_before}
        harvest.print_summary(out[str(datasets)])
    return out


def run_mapping(packages: int, baseline_packages: int, runs: int) -> dict[str, Any]:
    load_before = os.getloadavg()
    results = mapping.run(packages, baseline_packages, runs)
    mapping.print_results(results)
    found = mapping.profile()
    results["profile"] = {k: v for k, v in found.items() if k != "top"}
    return {**results, **_stamp(), "load_before": load_before}


def merge(path: Path, new: dict[str, Any]) -> dict[str, Any]:
    """The stored results with ``new``'s parts (and, within a part, its sizes) replacing theirs."""
    stored: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for part, value in new.items():
        if part in ("harvest", "serving") and isinstance(stored.get(part), dict):
            stored[part].update(value)
        else:
            stored[part] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return stored


# --- the table ----------------------------------------------------------------------------------


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(target, measured, at, met?) per target, from what the results hold (the largest size measured)."""
    rows = []
    harvests = results.get("harvest", {})
    serving_rows = results.get("serving", {})

    def largest(part: dict[str, Any], wanted: int) -> tuple[str, dict[str, Any]] | None:
        sizes = sorted(part, key=int)
        at = [s for s in sizes if int(s) >= wanted][:1] or sizes[-1:]  # the target's size, else the largest
        return (at[0], part[at[0]]) if at else None

    def add(key: str, value: float | None, at: str) -> None:
        what, threshold, higher = TARGETS[key]
        if value is None:
            rows.append((f"{what}: {'≥' if higher else '<'} {threshold:,}", "not measured", "", ""))
            return
        met = value >= threshold if higher else value < threshold
        rows.append((f"{what}: {'≥' if higher else '<'} {threshold:,}", f"{value:,.0f}" if value >= 100 else
                     f"{value:,.1f}", at, "met" if met else "missed"))

    found = largest(harvests, 100_000)
    add("first", found[1]["median"]["first_datasets_per_s"] if found else None, _size_label(found, 100_000))
    add("unchanged", found[1]["median"]["unchanged_datasets_per_s"] if found else None,
        _size_label(found, 100_000))
    mapped = results.get("mapping")
    add("mapping", mapped["map_task"]["datasets_per_s"] if mapped else None,
        f"{mapped['map_task']['datasets']:,} packages" if mapped else "")
    add("ratio", mapped["ratio_map_task"] if mapped else None, "same run")
    found = largest(serving_rows, 1_000_000)
    add("search", max(_first_asked_p95(found[1]["web"], kind) for kind in search.ISSUE_KINDS) if found else None,
        _size_label(found, 1_000_000))
    add("sparql", found[1]["web"]["sparql"]["dataset_by_iri"]["p95_ms"] if found else None,
        _size_label(found and (str(found[1]["store_records"]), found[1]), 1_000_000) + " records")
    found = largest(harvests, 1_000_000)
    add("rss", found[1]["median"]["harvest_total_rss_mb"] if found else None, _size_label(found, 1_000_000))
    return rows


def _first_asked_p95(web: dict[str, Any], kind: str) -> float:
    """p95 of a kind of search asked for the first time since the last commit. Browse-all is computed by a
    serving process itself after each commit: what a visitor gets is what it answers right after one
    (search.browse_after_commits); results measured before that was so keep the browse-all computed cold."""
    after = web.get("search_after_commit", {}).get(kind, {})
    return float(after["p95_ms"] if after.get("asked") == "right after the commit" else web["search"][kind]["p95_ms"])


def _size_label(found: tuple[str, dict[str, Any]] | None, wanted: int) -> str:
    """The size measured at, flagged when it is below the target's size."""
    if not found:
        return ""
    return f"{int(found[0]):,}" + ("" if int(found[0]) >= wanted else f" (not {wanted:,})")


def table(results: dict[str, Any]) -> str:
    """The results as the Markdown tables of docs/performance.md."""
    lines = []
    m = results.get("machine", {})
    lines.append(f"Machine: {m.get('cores')} cores, Python {m.get('python')}, "
                 + ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items()))
    lines += ["", "| target | measured | at | |", "|---|---:|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in verdicts(results)]
    if results.get("harvest"):
        lines += ["", "| harvest, datasets/s (median) | " + " | ".join(
            f"{int(s):,} ({r['runs']} run{'s' if r['runs'] > 1 else ''}, {r['portals']} portal"
            f"{'s' if r['portals'] > 1 else ''})" for s, r in _by_size(results["harvest"])) + " |"]
        lines.append("|---|" + "---:|" * len(results["harvest"]))
        for phase, label in (("first", "first harvest"), ("unchanged", "unchanged re-harvest"),
                             ("unchanged_full", "unchanged, `--full`"), ("changed_5pct", "5% changed")):
            lines.append(f"| {label} | " + " | ".join(
                f"{r['median'][phase + '_datasets_per_s']:,.0f}" if phase + "_seconds" in r["median"] else "–"
                for _, r in _by_size(results["harvest"])) + " |")
        for key, label in (("harvest_rss_mb", "peak RSS, harvest process (MB)"),
                           ("map_workers_rss_mb", "peak RSS, mapping worker (MB)"),
                           ("store_mb", "store on disk (MB)"), ("index_mb", "index on disk (MB)")):
            lines.append(f"| {label} | " + " | ".join(f"{r['median'][key]:,.0f}"
                                                      for _, r in _by_size(results["harvest"])) + " |")
        lines.append("| harvest process peak RSS per quarter of the first harvest (MB) | " + " | ".join(
            " → ".join(f"{r['median'][f'first_rss_q{n}_mb']:,.0f}" for n in range(1, 5))
            if "first_rss_q1_mb" in r["median"] else "–" for _, r in _by_size(results["harvest"])) + " |")
        lines.append("| load average (1 min) during the runs | " + " | ".join(
            f"{min(x['first_load_1min'] for x in r['all']):.1f}–{max(x['first_load_1min'] for x in r['all']):.1f}"
            for _, r in _by_size(results["harvest"])) + " |")
    if results.get("mapping"):
        mp = results["mapping"]
        lines += ["", "| mapping (one process) | datasets/s | CPU-bound datasets/s | triples per dataset |",
                  "|---|---:|---:|---:|"]
        for path, label in (("map_task", "ours: `map_task` (what a harvest runs)"),
                            ("engine", "ours: the YAML mapping alone + N-Triples"),
                            ("rdflib", "baseline: rdflib graph per dataset → Turtle (ckanext-dcat's way)")):
            r = mp[path]
            lines.append(f"| {label} | {r['datasets_per_s']:,} | {r['cpu_datasets_per_s']:,} | "
                         f"{r['triples_per_dataset']} |")
        lines.append(f"| ratio to the baseline | {mp['ratio_map_task']}× / {mp['ratio_engine']}× | | |")
        lines.append(f"| load average (1 min) | {mp['load_before'][0]:.1f} → {mp['load_avg'][0]:.1f} | | |")
    if results.get("serving"):
        rows = _by_size(results["serving"])
        header = " | ".join(f"{int(s):,}" + (f" ({r['store_records']:,} in the store)" if r["store_records"] < int(s)
                                             else "") for s, r in rows)
        lines += ["", f"| p50 / p95 ms | {header} |", "|---|" + "---:|" * len(rows)]
        labels = {"search_repeated": "search, repeated (cached)",
                  "search_after_commit": "search right after a commit, as `serve` answers it"}
        for group in ("search", "search_repeated", "search_after_commit", "sparql", "pages"):
            for name in rows[-1][1]["web"].get(group, {}):
                label = labels.get(group, group)
                lines.append(f"| {label}: {name} | " + " | ".join(_cell(r["web"].get(group, {}).get(name))
                                                                for _, r in rows) + " |")
        opened = [r["web"]["sparql"].get("dataset_by_iri", {}).get("first_lookups_after_open") for _, r in rows]
        if any(opened):
            lines.append("| sparql: dataset_by_iri, the first lookups after the store opens (other records) | "
                         + " | ".join(_cell(row) for row in opened) + " |")
        if any("search_after_commit" in r["web"] for _, r in rows):
            lines.append("| its background warm-up after each commit (ms) | " + " | ".join(
                _cell({"p50_ms": w["warm_up_p50_ms"], "p95_ms": w["warm_up_p95_ms"]}) if w else "–" for w in
                (r["web"].get("search_after_commit", {}).get("browse_all") for _, r in rows)) + " |")
        lines.append("| peak RSS of the web process (MB) | " + " | ".join(str(r["web"]["web_rss_mb"]) for _, r in rows)
                     + " |")
        lines.append("| store on disk (MB) | " + " | ".join(f"{r['grow']['store']['store_mb']:,.0f}" for _, r in rows)
                     + " |")
        lines.append("| index on disk (MB) | " + " | ".join(f"{r['grow']['index']['index_mb']:,.0f}" for _, r in rows)
                     + " |")
        lines.append("| load average (1 min) before → after | " + " | ".join(
            f"{r['load']['before'][0]:.1f} → {r['load']['after'][0]:.1f}" for _, r in rows) + " |")
    return "\n".join(lines)


def _cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return "–"
    if "skipped" in row:
        return row["skipped"]
    return f"{row['p50_ms']:,} / {row['p95_ms']:,}"


def _by_size(part: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return sorted(part.items(), key=lambda item: int(item[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated: harvest, mapping, serving")
    parser.add_argument("--harvest-sizes", default="10k,100k", help="datasets per harvest run (1m: 20 portals)")
    parser.add_argument("--runs", type=int, default=3, help="harvest runs at 10k or less, and mapping runs")
    parser.add_argument("--large-runs", type=int, default=1, help="harvest runs above 10k")
    parser.add_argument("--serving-sizes", default="10k,100k,1m", help="catalog sizes for search and SPARQL")
    parser.add_argument("--keep-harvest", type=Path, default=None,
                        help="leave the data directory of the largest harvest here (an empty directory)")
    parser.add_argument("--serving-harvested", type=Path, default=None,
                        help="serving measures this harvested data directory (--keep-harvest) instead of "
                             "growing catalogs; the row goes under its record count")
    parser.add_argument("--store-time-box", type=float, default=1200.0, help="seconds each store load may take")
    parser.add_argument("--query-runs", type=int, default=100, help="timed searches per kind and point lookups")
    parser.add_argument("--packages", type=int, default=5000, help="packages of the mapping benchmark")
    parser.add_argument("--baseline-packages", type=int, default=1000, help="packages the baseline maps")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the merged JSON result file")
    parser.add_argument("--figure", type=Path, default=FIGURE, help="where the scaling figure goes")
    parser.add_argument("--report", action="store_true", help="only print the table and draw the figure")
    args = parser.parse_args()
    new: dict[str, Any] = {"machine": machine()}
    parts = [] if args.report else [p.strip() for p in args.parts.split(",") if p.strip()]
    if "mapping" in parts:
        new["mapping"] = run_mapping(args.packages, args.baseline_packages, args.runs)
        merge(args.results, new)
    if "harvest" in parts:
        new["harvest"] = run_harvest([size(s) for s in args.harvest_sizes.split(",")], args.runs, args.large_runs,
                                     args.keep_harvest)
        merge(args.results, {"harvest": new["harvest"]})
    if "serving" in parts:
        if args.serving_harvested:
            row = serving.measure_harvested(args.serving_harvested, args.query_runs)
            grown = {str(row["size"]): row}
        else:
            sizes = [size(s) for s in args.serving_sizes.split(",")]
            grown = serving.run(sizes, args.query_runs, args.store_time_box)
        new["serving"] = {k: {**v, **_stamp()} for k, v in grown.items()}
        merge(args.results, {"serving": new["serving"]})
    results = merge(args.results, new if parts else {})
    print(table(results))
    from tests.benchmarks import plot  # matplotlib only when drawing

    plot.draw(results, args.figure)
    print(f"results: {args.results}; figure: {args.figure}")


if __name__ == "__main__":
    main()
