"""Shared fixtures: the demo CKAN portal on an ephemeral loopback port, and a Context on a temporary data dir."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from harvester.context import Context
from harvester.demo.portal import DemoPortal, RunningPortal, serve
from harvester.model import Source
from harvester.settings import Settings, load_settings

pytest_plugins = ("tests.servers",)  # the session's SPARQL servers (Oxigraph server, Virtuoso), started on demand


def make_settings(data_dir: Path, **values: object) -> Settings:
    """Settings isolated from the environment and any harvester.toml, with fast HTTP retries for tests, and
    mapping in the test process (one test runs the worker processes: test_harvest_ckan)."""
    base = load_settings(data_dir / "absent.toml", env={})
    values = {"http_retries": 1, "http_backoff": 0.01, "http_delay": 0.0, "harvest_map_workers": 0, **values}
    return base.with_values(data_dir=str(data_dir), **values)


@pytest.fixture
def portal() -> Iterator[tuple[DemoPortal, RunningPortal]]:
    demo = DemoPortal(size=60)
    running = serve(demo, host="127.0.0.1", port=0)
    try:
        yield demo, running
    finally:
        running.stop()


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    context = Context(make_settings(tmp_path / "data", harvest_batch_size=25, ckan_rows=20))
    try:
        yield context
    finally:
        context.close()


def ckan_source(url: str, source_id: str = "jinan") -> Source:
    return Source(source_id, "ckan", url, "济南市公共数据开放平台")
