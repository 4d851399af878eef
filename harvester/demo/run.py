"""``harvester demo``: start the bundled demo portal on loopback, harvest it, serve the merged catalog."""

from __future__ import annotations

import socket
from pathlib import Path

from harvester.context import Context
from harvester.demo.portal import DemoPortal, serve
from harvester.jobs import run_job
from harvester.model import JobStatus, Source
from harvester.settings import load_settings

DEMO_SOURCE_ID = "jinan-ckan"
DEMO_SOURCE_TITLE = "济南市公共数据开放平台（CKAN）"


def _free_port(preferred: int) -> int:
    """``preferred`` if it is free on 127.0.0.1 (stable download URLs across demo runs), else any."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            return 0


def run_demo(port: int, datasets: int, data_dir: Path, serve_site: bool = True) -> int:
    from harvester.cli import print_job_report

    settings = load_settings(env={}).with_values(data_dir=str(data_dir), web_base_url=f"http://127.0.0.1:{port}")
    ctx = Context(settings)
    portal = DemoPortal(size=datasets)
    running = serve(portal, host="127.0.0.1", port=_free_port(port + 1))
    print(f"demo CKAN portal ({datasets} datasets of Jinan's departments) at {running.url}", flush=True)
    try:
        source = Source(DEMO_SOURCE_ID, "ckan", running.url, DEMO_SOURCE_TITLE,
                        options={"publisher": "济南市大数据局"})
        ctx.state.save_source(source)
        job = run_job(ctx, source)
        print_job_report(job)
        if job.status == JobStatus.FAILED:
            return 1
        if serve_site:
            from harvester.server import serve_forever

            serve_forever(ctx, "127.0.0.1", port)
        return 0
    finally:
        running.stop()
        ctx.close()
