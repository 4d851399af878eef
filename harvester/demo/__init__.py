"""The bundled demo portal: seeded CKAN packages of Jinan's government departments (济南市各委办局), generated on
demand, served by a real CKAN-API-compatible HTTP server for ``harvester demo``, end-to-end tests and benchmarks.

    portal = DemoPortal(size=360, seed=1)
    with serve(portal) as running:          # running.url == "http://127.0.0.1:<port>"
        ...                                  # harvest running.url; portal.edit([3]); portal.remove([4]); …
"""

from harvester.demo.generator import generate_package
from harvester.demo.portal import BROKEN_KINDS, DEFAULT_SIZE, DemoPortal, RunningPortal, serve

__all__ = ["BROKEN_KINDS", "DEFAULT_SIZE", "DemoPortal", "RunningPortal", "generate_package", "serve"]
