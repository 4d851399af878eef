"""The merged catalog the web tests read: two demo CKAN portals harvested for real, plus a hostile record.

- ``jinan``: 济南市公共数据开放平台, a demo portal of ``MAIN_SIZE`` datasets;
- ``jinan-tjj``: 济南市统计局数据开放平台, a demo portal with the same seed and ``SECOND_SIZE`` datasets, so
  its datasets are also listed on the first portal (the same dataset on two portals, as happens);
- ``hostile-record`` in ``jinan``: harvested strings that try to inject markup and script URLs.

Both portals keep running while the catalog is used (dataset previews fetch from them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from harvester.context import Context
from harvester.dcat.rdf import A, Triple, iri, literal, term, typed
from harvester.dcat.record import catalog_record_triples
from harvester.demo import DemoPortal, serve
from harvester.index.docs import doc_from_triples
from harvester.jobs import run_job
from harvester.model import JobStatus, Source
from harvester.store import GraphWrite
from tests.conftest import make_settings

MAIN_SIZE = 120
SECOND_SIZE = 12
PORTAL_TITLE = "济南市公共数据开放平台"
SECOND_TITLE = "济南市统计局数据开放平台"
HOSTILE_KEY = "hostile-record"
HOSTILE_TITLE = '恶意标题<script>alert("t")</script>'
HOSTILE_DESCRIPTION = '描述"><img src=x onerror=alert(1)>结束'
HOSTILE_PUBLISHER = "<script>alert('org')</script>部门"
HOSTILE_URL = "javascript:alert(document.cookie)"
XSD_DT = "http://www.w3.org/2001/XMLSchema#dateTime"


@dataclass
class Catalog:
    ctx: Context
    sources: list[Source]

    @property
    def total(self) -> int:
        return MAIN_SIZE + SECOND_SIZE + 1


@contextmanager
def built_catalog(data_dir: Path) -> Iterator[Catalog]:
    """Harvest both demo portals into a fresh store and index under ``data_dir``; close everything after."""
    with serve(DemoPortal(size=MAIN_SIZE)) as main, serve(DemoPortal(size=SECOND_SIZE)) as second:
        sources = [Source(id="jinan", type="ckan", url=main.url, title=PORTAL_TITLE),
                   Source(id="jinan-tjj", type="ckan", url=second.url, title=SECOND_TITLE)]
        ctx = Context(make_settings(data_dir, ckan_rows=100, harvest_batch_size=200))
        try:
            for source in sources:
                ctx.state.save_source(source)
                job = run_job(ctx, source)
                assert job.status == JobStatus.SUCCEEDED, (job.message, job.errors[:3])
            write_hostile_record(ctx, sources[0])
            yield Catalog(ctx, sources)
        finally:
            ctx.close()


def write_hostile_record(ctx: Context, source: Source) -> None:
    """A record whose harvested strings try to inject markup and script URLs."""
    dataset = ctx.iris.dataset(source.id, HOSTILE_KEY)
    ds, dist = f"<{dataset}>", f"<{dataset}/distribution/1>"
    org, contact, prop = f"<{ctx.iris.base}/organization/{source.id}/hostile>", f"<{dataset}#contact>", f"<{dataset}#property-0>"
    triples = [
        Triple(ds, A, term("dcat:Dataset")),
        Triple(ds, term("dct:title"), literal(HOSTILE_TITLE, "zh")),
        Triple(ds, term("dct:description"), literal(HOSTILE_DESCRIPTION, "zh")),
        Triple(ds, term("dcat:keyword"), literal("<b>粗体</b>", "zh")),
        Triple(ds, term("dcat:landingPage"), iri(HOSTILE_URL)),
        Triple(ds, term("dct:modified"), typed("2024-01-02T03:04:05+00:00", XSD_DT)),
        Triple(ds, term("dct:publisher"), org),
        Triple(org, A, term("foaf:Organization")),
        Triple(org, term("foaf:name"), literal(HOSTILE_PUBLISHER, "zh")),
        Triple(ds, term("dcat:contactPoint"), contact),
        Triple(contact, A, term("vcard:Kind")),
        Triple(contact, term("vcard:hasEmail"), iri("javascript:alert('mail')")),
        Triple(ds, term("schema:additionalProperty"), prop),
        Triple(prop, term("schema:name"), literal("<i>字段</i>")),
        Triple(prop, term("schema:value"), literal('"><svg onload=alert(1)>')),
        Triple(ds, term("dcat:distribution"), dist),
        Triple(dist, A, term("dcat:Distribution")),
        Triple(dist, term("dct:title"), literal("<script>alert('dist')</script>", "zh")),
        Triple(dist, term("dct:format"), iri("http://publications.europa.eu/resource/authority/file-type/CSV")),
        Triple(dist, term("dcat:downloadURL"), iri("javascript:alert('download')")),
        Triple(dist, term("dcat:accessURL"), iri("JavaScript:alert('access')")),
    ]
    triples += catalog_record_triples(ctx.iris, source, HOSTILE_KEY, HOSTILE_URL,
                                      datetime(2024, 1, 2, tzinfo=timezone.utc), "0" * 40, None)
    ctx.store.replace_graphs([GraphWrite.of(ctx.iris.graph(source.id, HOSTILE_KEY), triples)])
    doc = doc_from_triples(source.id, HOSTILE_KEY, triples)
    assert doc is not None
    ctx.index.upsert([doc])
    ctx.index.commit()


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The WSGI app on a real HTTP server (werkzeug, threaded) on a loopback ephemeral port; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="web-test-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
