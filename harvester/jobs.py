"""Running one harvest job: gather → fetch → map → check → store → index, in batches, with counts and errors.

Records stream through in batches of ``harvest.batch_size``: memory stays flat whatever the portal's size.
Per batch the order is store → trust register (match keys, then relinking the duplicates they change) →
index → state, so after a crash the state is never ahead of the store or the index (a record written but not
yet noted is simply written again next time; harvester.recovery brings the index back in line with the store
on the next start, marking the documents from the register's clusters). One bad record fails alone; a failed
gather fails the job and deletes nothing; records gone from a complete listing are deleted only while they
are fewer than ``harvest.delete_guard`` of the source (harvester.deletions). A job that makes no progress
for ``harvest.stall_seconds`` is stopped and fails; one stopped by a shutdown ends interrupted.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
import traceback
from collections import deque
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta
from typing import Any, Callable


from harvester import memory, metrics
from harvester.batches import Batch, BatchWriter, Pending, Written, canonical_json, chunks, groups_by_size
from harvester.context import Context
from harvester.dcat.record import source_catalog_triples
from harvester.deletions import delete_records, delete_unlisted
from harvester.trust import duplicates
from harvester.errors import FetchError, GatherError, JobStopped
from harvester.http import PoliteClient
from harvester.index import SearchIndexError
from harvester.logs import job_event
from harvester.mapping.emitters import slug
from harvester.mapping.worker import MapItem, Mapped, MapTask
from harvester.model import (
    DatasetDoc,
    Job,
    JobStatus,
    Outcome,
    RecordError,
    RemoteRef,
    Source,
    Stage,
)
from harvester.sources import SourceType, open_source
from harvester.state import StoredRecord, utcnow
from harvester.store import GraphWrite, StoreError
from harvester.store.oxigraph import RecordDataError

log = logging.getLogger(__name__)
Progress = Callable[[Job, int | None], None]
class _Watchdog:
    """Stops the job when it has made no progress for ``stall_seconds`` (checked a few times per period)."""

    def __init__(self, runner: JobRunner, stall_seconds: float) -> None:
        self._done = threading.Event()
        self._runner = runner
        self._stall = stall_seconds
        self._thread = threading.Thread(target=self._watch, name="job-watchdog", daemon=True)
        if stall_seconds > 0:
            self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(min(max(self._stall / 10, 0.05), 5.0)):
            if self._runner.idle_seconds() > self._stall:
                self._runner.stop(f"stalled: no progress for {self._stall:g} s, stopped")
                return

    def close(self) -> None:
        self._done.set()


class JobRunner:
    """Runs one job of one source; ``job`` holds its live counts once started, ``stop()`` ends it early."""

    def __init__(self, ctx: Context, source: Source, full: bool = False, progress: Progress | None = None,
                 confirm_deletions: bool = False, reason: str = "manual",
                 on_start: Callable[[Job], None] | None = None) -> None:
        self.ctx = ctx
        self.source = source
        self.full = full
        self.progress = progress
        self.confirm_deletions = confirm_deletions
        self.reason = reason
        self.on_start = on_start
        self.job: Job | None = None
        self._stop = threading.Event()
        self._stop_reason = ""
        self._interrupted = False
        self._last_progress = time.monotonic()
        self.client = PoliteClient.from_settings(ctx.settings, source, ctx.state, cancel=self._stop,
                                                 on_response=self.touch)
        self._lock = threading.Lock()  # job counts and errors change in both threads

    def touch(self) -> None:
        """Note progress (a record handled, a batch written, a portal's answer): the stall clock restarts."""
        self._last_progress = time.monotonic()

    def idle_seconds(self) -> float:
        return time.monotonic() - self._last_progress

    def stop(self, reason: str, interrupted: bool = False) -> None:
        """Ask the job to stop soon (between records, HTTP reads and waits). ``interrupted``: the job ends
        'interrupted' (a shutdown; the next run completes the work) rather than 'failed'."""
        self._stop_reason, self._interrupted = reason, interrupted
        self._stop.set()

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise JobStopped(self._stop_reason or "stopped")

    def run(self) -> Job:
        try:
            last_good = None if self.full else self.ctx.state.last_good_job(self.source.id)
            since = last_good.started - timedelta(seconds=self.ctx.settings["harvest.overlap_seconds"]) \
                if last_good else None
            job = self.job = self.ctx.state.start_job(self.source.id, since is not None, self.reason)
        except BaseException:
            self.client.close()
            raise
        job_event("job.started", job, reason=self.reason, incremental=job.incremental)
        if self.on_start is not None:
            self.on_start(job)
        self.touch()
        watchdog = _Watchdog(self, float(self.ctx.settings["harvest.stall_seconds"]))
        complete = False
        try:
            src = open_source(self.source, self.client, self.ctx.settings)
            self._write_source_catalog()
            self._gather_all(job, src, since)
            complete = True
            if getattr(src, "complete_listing", True):
                delete_unlisted(self.ctx, self.source, job, self.confirm_deletions)
            self._relink_duplicates(job)
        except JobStopped as exc:
            self._fail(job, f"{self._stop_reason or exc}; nothing deleted", Stage.GATHER)
            job.status = JobStatus.INTERRUPTED if self._interrupted else JobStatus.FAILED
        except (GatherError, FetchError) as exc:
            self._fail(job, f"gather failed, nothing deleted: {exc}", Stage.GATHER)
        except StoreError as exc:
            self._fail(job, f"store write failed: {exc}", Stage.STORE)
        except Exception as exc:  # noqa: BLE001 - the job must end with a status, whatever broke
            log.exception("job %s crashed", job.id)
            self._fail(job, f"unexpected error: {exc!r}", Stage.GATHER)
            job.errors.append(RecordError(Stage.GATHER, traceback.format_exc(limit=5)))
        finally:
            watchdog.close()
            self.client.close()
        if job.status == JobStatus.RUNNING:
            job.status = JobStatus.PARTIAL if job.counts.failed else JobStatus.SUCCEEDED
        ended_early = job.status in (JobStatus.FAILED, JobStatus.INTERRUPTED)
        self.ctx.state.add_errors(job.id, job.errors[-1:] if ended_early else [])
        self.ctx.state.finish_job(job, gather_complete=complete)
        job_event("job.finished", job, reason=self.reason, message=job.message or None)
        metrics.observe_job(job.source_id, job.status.value, job.duration)
        return job

    def _relink_duplicates(self, job: Job) -> None:
        """Clusters of the same dataset across portals, after any change (a failure here fails no job)."""
        c = job.counts
        if c.added or c.updated or c.deleted:
            try:
                duplicates.refresh(self.ctx)
            except (StoreError, SearchIndexError, sqlite3.Error):
                log.exception("job %s: relinking duplicates failed; the next job tries again", job.id)

    def _fail(self, job: Job, message: str, stage: Stage) -> None:
        job.status = JobStatus.FAILED
        job.message = message
        job.errors.append(RecordError(stage, message))

    def _write_source_catalog(self) -> None:
        iris = self.ctx.iris
        triples = source_catalog_triples(iris, self.source, self.ctx.settings["web.title"])
        self.ctx.store.replace_graphs([GraphWrite.of(iris.source_graph(self.source.id), triples)])

    # --- batches -------------------------------------------------------------------------------
    def _gather_all(self, job: Job, src: SourceType, since: Any) -> None:
        """Batches flow: prepare (this thread) → map (a worker process) → commit (the writer thread)."""
        size = int(self.ctx.settings["harvest.batch_size"])
        writer = BatchWriter(lambda batch: self._commit(job, src, batch))
        in_flight: deque[tuple[Batch, Future[list[Mapped]]]] = deque()
        try:
            for refs in chunks(src.gather(since), size):
                self._check_stop()
                batch, task = self._prepare(job, src, refs)
                in_flight.append((batch, self.ctx.mapper.submit(task)))
                if len(in_flight) > 1:
                    writer.submit(self._collect(job, *in_flight.popleft()))
            while in_flight:
                writer.submit(self._collect(job, *in_flight.popleft()))
        finally:
            writer.close()

    def _prepare(self, job: Job, src: SourceType, refs: list[RemoteRef]) -> tuple[Batch, MapTask]:
        batch = Batch()
        task = MapTask(src.mapping.ref, self.ctx.iris.base, self.source, utcnow(),
                       hidden_access=hidden_access_rights(self.ctx.settings))
        known = self.ctx.state.records_by_remote_id(self.source.id, [r.remote_id for r in refs])
        for ref in refs:
            item = self._one(job, src, ref, known.get(ref.remote_id), batch)
            if item is not None:
                task.items.append(item)
        return batch, task

    def _mapped(self, future: Future[list[Mapped]]) -> list[Mapped]:
        while True:  # a mapping worker that hangs must not hide a stop
            try:
                return future.result(timeout=0.5)
            except FutureTimeout:
                self._check_stop()

    def _collect(self, job: Job, batch: Batch, future: Future[list[Mapped]]) -> Batch:
        iris = self.ctx.iris
        for mapped in self._mapped(future):
            pending = batch.pending.pop(mapped.remote_id)
            if mapped.error is not None:
                self._record_failed(job, batch, pending.ref, pending.known, Stage.MAP, mapped.error)
                continue
            graph = iris.graph(self.source.id, pending.key)
            batch.written.append(Written(pending, GraphWrite(graph, mapped.ntriples), mapped.doc, mapped.withheld,
                                          mapped.match_keys, mapped.privacy))
        return batch

    def _count(self, job: Job, outcome: Outcome, n: int = 1) -> None:
        with self._lock:
            job.counts.count(outcome, n)

    def _one(self, job: Job, src: SourceType, ref: RemoteRef, known: StoredRecord | None,
             batch: Batch) -> MapItem | None:
        """Unchanged, failed, or a MapItem to map."""
        self.touch()
        if ref.deleted:
            if known:
                batch.deleted.append(known)
            return None
        if known and not self.full and ref.changed_marker and ref.changed_marker == known.marker:
            batch.seen_known.append(ref.remote_id)
            self._count(job, Outcome.UNCHANGED)
            return None
        stage = Stage.FETCH
        try:
            payload = src.fetch(ref)
            stage = Stage.MAP
            body = canonical_json(payload)
            content_hash = hashlib.sha1(body + src.mapping.digest.encode()).hexdigest()
            marker = src.mapping.change_marker(payload) or ref.changed_marker
            if known and known.hash == content_hash:
                batch.seen_known.append(ref.remote_id)
                batch.marker_updates.append(StoredRecord(ref.remote_id, known.key, known.hash, marker))
                self._count(job, Outcome.UNCHANGED)
                return None
            key = known.key if known else slug(ref.remote_id)
            original = src.original_url(ref, payload)
            ref = RemoteRef(ref.remote_id, marker, original)
            batch.pending[ref.remote_id] = Pending(ref, key, content_hash, marker, known is not None)
            return MapItem(ref.remote_id, key, body, content_hash, original)
        except JobStopped:
            raise
        except FetchError as exc:
            self._record_failed(job, batch, ref, known is not None, stage, str(exc))
        except Exception as exc:  # noqa: BLE001 - a broken record fails alone, whatever broke
            self._record_failed(job, batch, ref, known is not None, stage, f"unexpected {type(exc).__name__}: {exc}")
        return None

    def _record_failed(self, job: Job, batch: Batch, ref: RemoteRef, known: bool, stage: Stage,
                       message: str) -> None:
        self._count(job, Outcome.FAILED)
        batch.errors.append(RecordError(stage, message, ref.remote_id, ref.url))
        if known:  # the last good version stays stored and is not deleted as unlisted
            batch.seen_known.append(ref.remote_id)

    def _commit(self, job: Job, src: SourceType, batch: Batch) -> None:
        """Store → register → index → state, in the writer thread (the module docstring says why this order)."""
        public = [w for w in batch.written if w.withheld is None]
        withheld = [w for w in batch.written if w.withheld is not None]
        batch.written = public
        written = self._store_writes(job, batch)
        docs = [w.doc for w in written if w.doc is not None]
        hidden_before = [w for w in withheld if w.pending.known]
        if hidden_before:  # a record that was public until now leaves the store and the index
            self.ctx.store.drop_graphs([w.write.graph for w in hidden_before])
            self.ctx.index.delete([f"{self.source.id}/{w.pending.key}" for w in hidden_before])
        self._register(written, withheld)
        relinked = self._relink_batch(job, docs) if written or withheld else False
        if docs or hidden_before or relinked:
            self.ctx.index.upsert(duplicates.mark(self.ctx.trust, docs))  # with their clusters' marks
            self.ctx.index.commit()
        written = written + withheld
        state = self.ctx.state
        state.save_records(self.source.id, job.id, [StoredRecord(w.pending.ref.remote_id, w.pending.key,
                                                                 w.pending.hash, w.pending.marker)
                                                    for w in written])
        state.save_records(self.source.id, job.id, batch.marker_updates)
        state.touch_records(self.source.id, job.id, batch.seen_known)
        if batch.deleted:
            self._count(job, Outcome.DELETED, delete_records(self.ctx, self.source.id, batch.deleted))
        with self._lock:
            for w in written:
                job.counts.count(w.outcome)
            job.errors.extend(batch.errors)
        state.add_errors(job.id, batch.errors)
        state.save_progress(job)
        self.touch()
        if self.progress:
            self.progress(job, getattr(src, "expected_total", None))
        memory.give_back()

    def _relink_batch(self, job: Job, docs: list[DatasetDoc]) -> bool:
        """Relink what the batch's match keys changed before its documents are indexed, so that they are
        indexed once, with their clusters' marks; whether any cluster changed (the other documents it
        re-marked are committed with the batch). A failure here fails no job: the job's end tries again."""
        try:
            return duplicates.refresh(self.ctx, writing={doc.id for doc in docs}, commit=False) > 0
        except (StoreError, SearchIndexError, sqlite3.Error):
            log.exception("job %s: relinking a batch's duplicates failed; the job's end tries again", job.id)
            return False

    def _register(self, public: list[Written], withheld: list[Written]) -> None:
        """Withheld records' DCAT for operators; records that are public again lose their withheld copy."""
        trust = self.ctx.trust
        if withheld:
            trust.save_withheld(self.source.id, [(w.pending.key, w.pending.ref.remote_id, w.withheld or "",
                                                  w.doc.title if w.doc else "", w.write.ntriples) for w in withheld])
        again_public = [w.pending.key for w in public if w.pending.known]
        if again_public:
            trust.release(self.source.id, again_public)
        trust.replace_match_keys(self.source.id, {w.pending.key: w.match_keys for w in public + withheld})
        trust.replace_flags(self.source.id, {w.pending.key: w.privacy for w in public + withheld
                                             if w.privacy or w.pending.known})

    def _store_writes(self, job: Job, batch: Batch) -> list[Written]:
        """Write the batch in writes of whole records; a write whose data the store refuses, record by record."""
        ok: list[Written] = []
        for group in groups_by_size(batch.written):
            try:
                self.ctx.store.replace_graphs([w.write for w in group])
                ok += group
            except RecordDataError:
                ok += self._store_one_by_one(job, batch, group)
        return ok

    def _store_one_by_one(self, job: Job, batch: Batch, group: list[Written]) -> list[Written]:
        ok = []
        for w in group:
            try:
                self.ctx.store.replace_graphs([w.write])
                ok.append(w)
            except RecordDataError as exc:
                if w.outcome == Outcome.ADDED:  # clear what the refused bulk load may have left
                    self.ctx.store.drop_graphs([w.write.graph])
                self._record_failed(job, batch, w.pending.ref, w.pending.known, Stage.STORE,
                                    f"the store refused the record: {exc}")
        return ok


def hidden_access_rights(settings: Any) -> tuple[str, ...]:
    """``trust.hidden_access_rights`` as codes, whether the config file gave a list or a text."""
    value = settings["trust.hidden_access_rights"]
    codes = value.replace(",", " ").split() if isinstance(value, str) else value
    return tuple(str(code).strip().upper() for code in codes)


def run_job(ctx: Context, source: Source, full: bool = False, progress: Progress | None = None,
            confirm_deletions: bool = False, reason: str = "manual") -> Job:
    """Run one job of the source in this thread; SourceBusy if a live process is harvesting it."""
    return JobRunner(ctx, source, full, progress, confirm_deletions, reason).run()
