"""Serving the site: one process holding the embedded store, the web app, the scheduler and the harvests.

waitress serves the WSGI app with a pool of threads; the embedded store allows one writing process, so
harvests run as threads of this same process (harvester.scheduler.HarvestPool). On start the process
recovers from an earlier crash (harvester.recovery); on SIGTERM or Ctrl-C it stops the scheduler and asks
running jobs to stop, which end 'interrupted' (the next run completes them).
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from harvester.context import Context
from harvester.logs import configure_logging
from harvester.recovery import Recovery, recover

log = logging.getLogger(__name__)


def start_process(ctx: Context) -> Recovery:
    """What every process that may write does first: mark interrupted jobs, reconcile the index with the store."""
    return recover(ctx)


def serve_forever(ctx: Context, host: str, port: int, threads: int = 8) -> None:
    import waitress

    from harvester.operations import harvests
    from web import create_app
    from web.search import landing_query

    configure_logging(ctx.settings)
    start_process(ctx)
    app = create_app(ctx)
    # the landing page is computed at start and again after each commit, not on a visit
    ctx.index.follow_commits(warm=[landing_query()])
    running = harvests(ctx)
    _stop_on_sigterm()
    running.scheduler.start()
    print(f"serving {ctx.settings['web.title']} at http://{host}:{port}/", flush=True)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="harvester")
    finally:
        running.scheduler.stop()
        running.pool.shutdown()


def _stop_on_sigterm() -> None:
    """SIGTERM ends the server like Ctrl-C does, so running jobs are stopped and marked (not just killed)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def _raise(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)
