"""Trying a source before it is enabled: the first few records gathered, fetched and mapped as a harvest would,
with their DCAT-AP graph and SHACL result. Nothing is written (no state, store or index is touched).

Used by ``harvester source test ID`` (harvester/cli_sources.py); an admin page can show the same values.
"""

from __future__ import annotations

import hashlib
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from typing import Any

import orjson
import pyoxigraph as ox

from harvester.dcat.rdf import PREFIXES
from harvester.dcat.validate import ValidationReport, validate_ntriples
from harvester.errors import FetchError, GatherError
from harvester.http import PoliteClient
from harvester.mapping.emitters import slug
from harvester.mapping.worker import MapItem, MapTask, map_task
from harvester.model import RemoteRef, Source
from harvester.sources import SourceType, open_source


@dataclass
class RecordPreview:
    remote_id: str
    original_url: str | None = None
    ntriples: str = ""
    #: "fetch: …" or "map: …" when the record could not be mapped
    error: str | None = None
    report: ValidationReport | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.report is not None and self.report.violation_count == 0

    def turtle(self) -> str:
        """The record graph as Turtle, with the prefixes it uses."""
        if not self.ntriples:
            return ""
        triples = sorted((quad.triple for quad in ox.parse(self.ntriples, format=ox.RdfFormat.N_TRIPLES)),
                         key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))  # a subject's lines together
        prefixes = {name: ns for name, ns in PREFIXES.items() if f"<{ns}" in self.ntriples}
        return (ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b"").decode("utf-8")


@dataclass
class SourcePreview:
    source: Source
    records: list[RecordPreview] = field(default_factory=list)
    #: why the listing could not be read (the records read before it failed are still shown)
    gather_error: str | None = None
    expected_total: int | None = None

    @property
    def ok(self) -> bool:
        return self.gather_error is None and all(r.ok for r in self.records)


def preview_source(settings: Any, source: Source, limit: int = 3, validate: bool = True) -> SourcePreview:
    """The first ``limit`` records of ``source`` as a harvest would store them (dataset IRIs under
    ``web.base_url``), each with its SHACL report when ``validate``."""
    preview = SourcePreview(source)
    client = PoliteClient.from_settings(settings, source)
    try:
        src = open_source(source, client, settings)
        refs = _first_refs(src, limit, preview)
        preview.expected_total = getattr(src, "expected_total", None)
        for ref in refs:
            preview.records.append(_preview_record(settings, source, src, ref, validate))
    except (GatherError, FetchError, ValueError) as exc:
        preview.gather_error = str(exc)
    finally:
        client.close()
    return preview


def _first_refs(src: SourceType, limit: int, preview: SourcePreview) -> list[RemoteRef]:
    refs: list[RemoteRef] = []
    try:
        with closing(src.gather(None)) as gathered:  # type: ignore[type-var]
            refs.extend(islice(gathered, limit))
    except (GatherError, FetchError) as exc:
        preview.gather_error = str(exc)
    return refs


def _preview_record(settings: Any, source: Source, src: SourceType, ref: RemoteRef,
                    validate: bool) -> RecordPreview:
    try:
        payload = src.fetch(ref)
    except FetchError as exc:
        return RecordPreview(ref.remote_id, ref.url, error=f"fetch: {exc}")
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS, default=str)
    content_hash = hashlib.sha1(body + src.mapping.digest.encode()).hexdigest()
    original = src.original_url(ref, payload)
    task = MapTask(src.mapping.ref, settings.base_url, source, datetime.now(timezone.utc),
                   [MapItem(ref.remote_id, slug(ref.remote_id), body, content_hash, original)])
    mapped = map_task(task)[0]
    if mapped.error is not None:
        return RecordPreview(ref.remote_id, original, error=f"map: {mapped.error}")
    report = validate_ntriples(mapped.ntriples) if validate else None
    return RecordPreview(ref.remote_id, original, mapped.ntriples, report=report)
