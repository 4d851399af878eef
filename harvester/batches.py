"""One harvest's batches on their way from the mapping worker to the store, the index and the state: what a
batch holds, the thread that writes batches while the next is mapped, and the store writes' grouping."""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import orjson

from harvester.model import DatasetDoc, Outcome, RecordError, RemoteRef
from harvester.state import StoredRecord
from harvester.store import GraphWrite

#: most triples loaded in one store write: a bulk load of this size is ingested at once, so a kill
#: never leaves part of a record graph (records are never split across writes). Measured on the embedded
#: store at 100,000 records of ~130 triples: ~40,000 triples a write loads 720-740 records/s in ~460 MB,
#: 130,000 loads 590/s in ~630 MB, 530,000 loads 580/s in 1.3 GB (the bulk loader sorts each write in memory).
MAX_TRIPLES_PER_WRITE = 40_000


@dataclass
class Pending:
    """A record waiting for its mapping: what the state will note once it is written."""

    ref: RemoteRef
    key: str
    hash: str
    marker: str | None
    known: bool


@dataclass
class Written:
    pending: Pending
    write: GraphWrite
    doc: DatasetDoc | None
    withheld: str | None = None  # the access right that keeps it from the public (harvester.trust.register)
    match_keys: list[tuple[str, str]] = field(default_factory=list)
    privacy: list[tuple[str, str, str]] = field(default_factory=list)  # personal data found and redacted

    @property
    def outcome(self) -> Outcome:
        return Outcome.UPDATED if self.pending.known else Outcome.ADDED


@dataclass
class Batch:
    written: list[Written] = field(default_factory=list)
    seen_known: list[str] = field(default_factory=list)  # unchanged or failed records already stored
    marker_updates: list[StoredRecord] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    pending: dict[str, Pending] = field(default_factory=dict)
    deleted: list[StoredRecord] = field(default_factory=list)  # stored records the portal says are deleted


class BatchWriter:
    """Writes batches in a thread of its own while the next batch is mapped (store writes release the
    GIL). A batch is handed over, not queued: ``submit`` returns once the writer has taken it, so at most
    three batches are in the process at once (one written, one handed over, one coming back from the mapping
    worker); each is ~50 MB at the default 1,000 records. The first error is raised again in the mapping
    thread."""

    def __init__(self, commit: Callable[[Batch], None]) -> None:
        self._commit = commit
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
        self._taken = threading.Semaphore(0)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="batch-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            self._taken.release()
            if self._error is None:
                try:
                    self._commit(batch)
                except BaseException as exc:  # noqa: BLE001 - handed to the mapping thread
                    self._error = exc
            del batch  # not kept alive while the next one is awaited

    def submit(self, batch: Batch) -> None:
        """Hand ``batch`` to the writer; returns when the writer has taken it (it may still be writing it)."""
        self._raise()
        self._queue.put(batch)
        self._taken.acquire()

    def close(self) -> None:
        """Wait for the batches in flight; raise the writer's error if it had one."""
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


def canonical_json(payload: Any) -> bytes:
    """The payload as sorted-key JSON: hashed for change detection, and sent to the mapping worker."""
    try:
        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson refuses integers past 64 bits
        return json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")


def groups_by_size(written: list[Written]) -> Iterator[list[Written]]:
    """Whole records, at most MAX_TRIPLES_PER_WRITE triples a group (a record larger than that goes alone)."""
    group: list[Written] = []
    size = 0
    for w in written:
        lines = w.write.ntriples.count("\n")
        if group and size + lines > MAX_TRIPLES_PER_WRITE:
            yield group
            group, size = [], 0
        group.append(w)
        size += lines
    if group:
        yield group


def chunks(refs: Iterable[RemoteRef], size: int) -> Iterator[list[RemoteRef]]:
    chunk: list[RemoteRef] = []
    for ref in refs:
        chunk.append(ref)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
