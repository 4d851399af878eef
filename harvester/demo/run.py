"""``harvester demo``: start the bundled demo portals on loopback, harvest them all, serve the merged catalog."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from harvester.context import Context
from harvester.demo.csw_portal import SOURCE_ID as CSW_SOURCE_ID
from harvester.demo.csw_portal import SOURCE_TITLE as CSW_SOURCE_TITLE
from harvester.demo.csw_portal import start_csw_demo
from harvester.demo.custom_portals import start_custom_demos
from harvester.demo.dcat_feed import start_dcat_demo
from harvester.demo.portal import DemoPortal, serve
from harvester.index import IndexFormatError
from harvester.jobs import run_job
from harvester.model import JobStatus, Source
from harvester.reindex import reindex
from harvester.settings import load_settings

DEMO_SOURCE_ID = "jinan-ckan"
DEMO_SOURCE_TITLE = "济南市公共数据开放平台（CKAN）"
#: one CKAN demo package in this many is 不予开放
CLOSED_EVERY = 60


def _free_port(preferred: int) -> int:
    """``preferred`` if it is free on 127.0.0.1 (stable download URLs across demo runs), else any."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            return 0


def run_demo(port: int, datasets: int, data_dir: Path, serve_site: bool = True) -> int:
    """Start the demo portals, harvest each into one catalog, then serve it (unless ``serve_site`` is off)."""
    settings = load_settings(env={}).with_values(data_dir=str(data_dir), web_base_url=f"http://127.0.0.1:{port}")
    ctx = Context(settings)
    portals: list[Any] = []
    try:
        _rebuild_an_older_index(ctx)
        sources = _start_portals(datasets, port, portals)
        failed = False
        for source in sources:
            failed |= _harvest(ctx, source)
        if failed:
            return 1
        if serve_site:
            from harvester.server import serve_forever

            serve_forever(ctx, "127.0.0.1", port)
        return 0
    finally:
        for running in portals:
            running.stop()
        ctx.close()


def _rebuild_an_older_index(ctx: Context) -> None:
    """A demo catalog kept from an earlier version may hold a search index of an older layout: the demo
    rebuilds it from the store (what ``harvester reindex`` does) instead of stopping."""
    try:
        ctx.index
    except IndexFormatError as exc:
        print(f"{exc}: rebuilding it", flush=True)
        print(f"indexed {reindex(ctx)} datasets", flush=True)


def _start_portals(datasets: int, port: int, portals: list[Any]) -> list[Source]:
    """Each department portal on loopback (added to ``portals`` to be stopped), and its source.
    Loopback demo portals need no politeness delay."""
    quick = {"delay": 0.0}
    portal = DemoPortal(size=datasets)
    # as in real catalogs, a few entries are 不予开放: listed by the department, kept from the public here
    portal.set_open_type(range(CLOSED_EVERY // 2, datasets, CLOSED_EVERY), "不予开放")
    ckan = serve(portal, host="127.0.0.1", port=_free_port(port + 1) if port else 0)
    portals.append(ckan)
    print(f"demo CKAN portal ({datasets} datasets of Jinan's departments) at {ckan.url}", flush=True)
    sources = [Source(DEMO_SOURCE_ID, "ckan", ckan.url, DEMO_SOURCE_TITLE,
                      options={"publisher": "济南市大数据局", **quick})]
    feed = start_dcat_demo(host="127.0.0.1", port=0, seed=2, portal_url=ckan.url)
    portals.append(feed)
    print(f"demo DCAT-AP feed of 济南市统计局 at {feed.url}", flush=True)
    sources.append(Source("jinan-tjj-dcat", "dcat_rdf", feed.url, "济南市统计局数据目录（DCAT）",
                          options={"publisher": "济南市统计局", **quick}))
    csw = start_csw_demo(host="127.0.0.1", port=0)
    portals.append(csw)
    print(f"demo CSW catalogue of {CSW_SOURCE_TITLE} at {csw.url}", flush=True)
    sources.append(Source(CSW_SOURCE_ID, "csw", csw.url, CSW_SOURCE_TITLE, options=dict(quick)))
    for demo in start_custom_demos("127.0.0.1"):
        portals.append(demo.running)
        print(f"demo home-made portal: {demo.title} at {demo.running.url}", flush=True)
        sources.append(Source(demo.source_id, "custom", demo.running.url, demo.title, mapping=demo.mapping_name,
                              options=dict(quick)))
    return sources


def _harvest(ctx: Context, source: Source) -> bool:
    """Harvest one demo source and print its report; True if the job failed."""
    from harvester.cli import print_job_report

    from harvester.trust.assess import after_harvest

    ctx.state.save_source(source)
    job = run_job(ctx, source)
    print_job_report(job)
    withheld = ctx.trust.withheld_count(source.id)
    if withheld:
        print(f"  {withheld} records kept from the public (不予开放), listed for operators", flush=True)
    assessed = after_harvest(ctx, source.id, job)
    if assessed is not None and assessed.assessed:
        print(f"  validated {assessed.assessed}: {assessed.failing} fail DCAT-AP 3 SHACL; mean MQA score "
              f"{assessed.mean_score:.0f}/405", flush=True)
    return job.status == JobStatus.FAILED
