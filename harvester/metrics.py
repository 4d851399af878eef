"""Prometheus metrics: counters this process keeps (portal requests, job durations) and gauges read at
scrape time from state.db, the store and the index (jobs by status, records by outcome, sizes).

``exposition(ctx)`` renders them in the Prometheus text format; web/metrics.py serves it at ``/metrics``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

if TYPE_CHECKING:
    from harvester.context import Context

disable_created_metrics()  # no *_created series: scrapers compute rates from the totals
REGISTRY = CollectorRegistry(auto_describe=True)
PORTAL_REQUESTS = Counter("harvester_portal_requests", "HTTP requests to portals by host and answer status "
                          "('timeout' and 'error' when no answer came).", ["host", "status"], registry=REGISTRY)
HARVEST_DURATION = Histogram("harvester_harvest_duration_seconds", "Duration of the harvest jobs this process ran.",
                             ["source"], registry=REGISTRY,
                             buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, float("inf")))
JOBS_FINISHED = Counter("harvester_jobs_finished", "Harvest jobs this process finished, by status.", ["status"],
                        registry=REGISTRY)


class CatalogCollector:
    """Gauges and totals read from one Context at each scrape."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        state = self.ctx.state
        jobs = GaugeMetricFamily("harvester_jobs", "Jobs in state.db by status.", labels=["status"])
        for status, count in sorted(state.job_status_counts().items()):
            jobs.add_metric([status], count)
        yield jobs
        records = CounterMetricFamily("harvester_records", "Records by outcome, summed over every job.",
                                      labels=["outcome"])
        for outcome, count in state.record_outcome_totals().items():
            records.add_metric([outcome], count)
        yield records
        datasets = GaugeMetricFamily("harvester_source_datasets", "Datasets stored per source.", labels=["source"])
        for source_id, count in sorted(state.record_counts().items()):
            datasets.add_metric([source_id], count)
        yield datasets
        yield GaugeMetricFamily("harvester_jobs_running", "Jobs running now (any process).",
                                value=len(state.running_jobs()))
        yield from self._sizes()

    def _sizes(self) -> Iterator[Metric]:
        ctx = self.ctx  # only cheap reads here: counting the store's graphs would scan it at every scrape
        yield GaugeMetricFamily("harvester_store_bytes", "Size of the embedded store on disk.",
                                value=ctx.store.size_on_disk())
        yield GaugeMetricFamily("harvester_index_documents", "Documents in the search index.", value=ctx.index.count())
        yield GaugeMetricFamily("harvester_index_bytes", "Size of the search index on disk.",
                                value=_folder_bytes(ctx.settings.index_path))


class _Scrape:
    def __init__(self, ctx: Context) -> None:
        self.collectors = (REGISTRY, CatalogCollector(ctx))

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def exposition(ctx: Context) -> bytes:
    """Every metric in the Prometheus text exposition format (version 0.0.4)."""
    return generate_latest(_Scrape(ctx))  # type: ignore[arg-type]


def observe_job(source_id: str, status: str, seconds: float | None) -> None:
    """Count a finished job and its duration."""
    JOBS_FINISHED.labels(status).inc()
    if seconds is not None:
        HARVEST_DURATION.labels(source_id).observe(seconds)


def _folder_bytes(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
