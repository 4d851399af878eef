"""Web benchmark: server time to render the search page over a 100,000-dataset index, and the page's weight.

Run: ``python -m tests.benchmarks.web --docs 100000`` (not part of the test run). Builds an index of N generated
docs (tests.benchmarks.search's generator) in a temp data dir, then times whole requests through the WSGI app
in-process (routing, search, facet labels, template; no network) for each kind of search page, and weighs the
page: its HTML plus every stylesheet, script and icon it loads, as a first visit with an empty cache fetches them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import lxml.html

from harvester.context import Context
from harvester.settings import load_settings
from tests.benchmarks.search import build_index
from web import create_app

#: page kind → URL of the search page
PAGES = {
    "home (browse all)": "/",
    "two-character word": "/search?q=交通",
    "several words": "/search?q=空气质量 监测",
    "word + 2 facets": "/search?q=交通&theme=TRAN&format=CSV",
    "2 values of a facet": "/search?format=JSON&format=XML&access=PUBLIC",
    "single character": "/search?q=水",
    "English, page 5": "/search?q=bus&page=5",
    "newest first": "/search?q=统计&sort=modified",
    "nothing found (relax hints)": "/search?q=没有这种数据&format=CSV&access=RESTRICTED",
    "English UI": "/search?q=交通&lang=en",
}
BUDGET_MS = 100
WEIGHT_BUDGET = 200 * 1024


def time_page(client: Any, url: str, runs: int) -> dict[str, Any]:
    """p50/p95/max (ms) of ``runs`` requests after 3 warm-up requests."""
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(samples[int(0.95 * (runs - 1))], 1),
            "max_ms": round(samples[-1], 1), "html_bytes": len(response.data)}


def page_weight(client: Any, url: str) -> dict[str, int]:
    """Bytes of the page and of each same-site asset it references (stylesheets, scripts, icons)."""
    html = client.get(url).data
    doc = lxml.html.fromstring(html)
    assets = [e.get("href") for e in doc.iter("link") if e.get("rel") in ("stylesheet", "icon")]
    assets += [e.get("src") for e in doc.iter("script") if e.get("src")]
    weights = {"html": len(html)}
    for asset in assets:
        weights[asset] = len(client.get(asset).data)
    weights["total"] = sum(weights.values())
    return weights


def run(count: int, runs: int, out: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="harvester-web-bench-") as tmp:
        index, seconds = build_index(Path(tmp) / "index", count)
        index.close()
        settings = load_settings(Path(tmp) / "absent.toml", env={}).with_values(data_dir=tmp)
        ctx = Context(settings)
        try:
            client = create_app(ctx).test_client()
            results: dict[str, Any] = {
                "docs": count, "index_build_seconds": round(seconds, 1),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                            "load_before": os.getloadavg()},
                "pages": {kind: time_page(client, url, runs) for kind, url in PAGES.items()},
                "weight": {kind: page_weight(client, PAGES[kind]) for kind in ("home (browse all)", "word + 2 facets")},
            }
            results["machine"]["load_after"] = os.getloadavg()
        finally:
            ctx.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return results


def print_results(results: dict[str, Any], out: Path) -> None:
    print(f"docs: {results['docs']}  (index built in {results['index_build_seconds']} s)")
    print(f"{'search page':<30}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'HTML KB':>9}")
    for kind, row in results["pages"].items():
        flag = "" if row["p95_ms"] <= BUDGET_MS else f"   over the {BUDGET_MS} ms budget"
        print(f"{kind:<30}{row['p50_ms']:>8}{row['p95_ms']:>8}{row['max_ms']:>8}{row['html_bytes'] / 1024:>9.1f}{flag}")
    for kind, weights in results["weight"].items():
        parts = ", ".join(f"{name} {size / 1024:.1f} KB" for name, size in weights.items() if name != "total")
        verdict = "within" if weights["total"] <= WEIGHT_BUDGET else "OVER"
        print(f"weight of {kind}: {weights['total'] / 1024:.1f} KB ({verdict} {WEIGHT_BUDGET // 1024} KB): {parts}")
    print(f"written: {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000, help="number of generated documents")
    parser.add_argument("--runs", type=int, default=50, help="timed requests per page kind")
    parser.add_argument("--out", type=Path, default=None, help="JSON result file (default bench-results/…)")
    args = parser.parse_args()
    out = args.out or Path("bench-results") / f"web-{args.docs}-{datetime.now():%Y%m%d-%H%M%S}.json"
    print_results(run(args.docs, args.runs, out), out)


if __name__ == "__main__":
    main()
