"""Serving the site: one process holding the embedded store, the web app and (later) the scheduler.

waitress serves the WSGI app with a pool of threads; the embedded store allows one writing process, so
harvests run as threads of this same process.
"""

from __future__ import annotations

import logging

from harvester.context import Context

log = logging.getLogger(__name__)


def start_process(ctx: Context) -> None:
    """What every serving process does first: jobs left 'running' by a killed process are marked so."""
    interrupted = ctx.state.mark_interrupted()
    if interrupted:
        log.warning("%d job(s) were interrupted by the previous process's end", interrupted)


def serve_forever(ctx: Context, host: str, port: int, threads: int = 8) -> None:
    import waitress

    from web import create_app

    start_process(ctx)
    app = create_app(ctx)
    print(f"serving {ctx.settings['web.title']} at http://{host}:{port}/", flush=True)
    waitress.serve(app, host=host, port=port, threads=threads, ident="harvester")
