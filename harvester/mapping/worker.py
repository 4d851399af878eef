"""Mapping batches of payloads, in a worker process or inline: payload → record graph text + search document.

Mapping is the CPU-heavy pure stage of a harvest; with ``harvest.map_workers`` ≥ 1 it runs in worker
processes while the harvest process gathers, hashes and writes (the GIL would serialise threads). Tasks and
results are small picklable values: payloads travel as the JSON bytes already made for the content hash.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from harvester.dcat.rdf import term, to_ntriples
from harvester.dcat.record import Iris, catalog_record_triples
from harvester.errors import MappingError
from harvester.index.docs import doc_from_triples
from harvester.mapping.emitters import MapContext
from harvester.mapping.engine import load_mapping
from harvester.model import DatasetDoc, Source
from harvester.trust.duplicates import match_keys
from harvester.trust.privacy import redact_record
from harvester.trust.dqv import dqv_triples
from harvester.trust.quality import measure

_MODIFIED = term("dct:modified")


@dataclass(frozen=True)
class MapItem:
    remote_id: str
    key: str
    payload_json: bytes
    content_hash: str
    original_url: str | None


@dataclass
class MapTask:
    mapping: str
    base: str
    source: Source
    harvested: datetime
    items: list[MapItem] = field(default_factory=list)
    #: EU access-right codes whose records are kept from the public (``trust.hidden_access_rights``)
    hidden_access: tuple[str, ...] = ()


@dataclass
class Mapped:
    remote_id: str
    ntriples: str = ""
    doc: DatasetDoc | None = None
    error: str | None = None
    #: the access-right code that keeps this record from the public, when it does
    withheld: str | None = None
    #: (kind, value) keys that tell the same dataset on another portal (harvester.trust.duplicates)
    match_keys: list[tuple[str, str]] = field(default_factory=list)
    #: personal data found and redacted: (kind, field, masked excerpt)
    privacy: list[tuple[str, str, str]] = field(default_factory=list)


def map_task(task: MapTask) -> list[Mapped]:
    """Map every item; an item that cannot be mapped comes back with its error, the others go on."""
    mapping = load_mapping(task.mapping)
    iris = Iris(task.base)
    lang = str(task.source.options.get("language", "zh"))
    out = []
    for item in task.items:
        try:
            out.append(_map_one(mapping, iris, task, item, lang))
        except MappingError as exc:
            out.append(Mapped(item.remote_id, error=str(exc)))
        except Exception as exc:  # noqa: BLE001 - a broken record fails alone, whatever broke
            out.append(Mapped(item.remote_id, error=f"unexpected {type(exc).__name__}: {exc}"))
    return out


def _map_one(mapping: Any, iris: Iris, task: MapTask, item: MapItem, lang: str) -> Mapped:
    source = task.source
    ctx = MapContext(iris.base, source.id, item.key, iris.dataset(source.id, item.key), lang=lang)
    mapping.apply(orjson.loads(item.payload_json), ctx)
    mapped, findings = redact_record(ctx.triples)  # personal data never reaches the store (vocab/privacy)
    subject = f"<{ctx.dataset}>"
    modified = next((o for s, p, o in mapped if p == _MODIFIED and s == subject), None)
    triples = list(mapped) + catalog_record_triples(iris, source, item.key, item.original_url, task.harvested,
                                                   item.content_hash, modified)
    quality = measure(triples, ctx.dataset)  # SHACL and URL checks come later, in the background
    triples += dqv_triples(quality, ctx.dataset, level="total")
    doc = doc_from_triples(source.id, item.key, triples)
    withheld = doc.access if doc.access in task.hidden_access else None
    keys = match_keys(triples, doc) if doc is not None and withheld is None else []
    return Mapped(item.remote_id, to_ntriples(triples), doc, withheld=withheld, match_keys=keys,
                  privacy=[f.as_flag() for f in findings])


class Mapper:
    """Runs map tasks in ``workers`` processes (started once, reused by every job), or inline for 0."""

    def __init__(self, workers: int) -> None:
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) \
            if workers > 0 else None

    def submit(self, task: MapTask) -> Future[list[Mapped]]:
        if self._pool is not None:
            return self._pool.submit(map_task, task)
        done: Future[list[Mapped]] = Future()
        done.set_result(map_task(task))
        return done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
