"""Operational state in SQLite: sources added by operators, jobs with counts and errors, per-record hashes.

The triple store holds the catalog; this database holds what the harvester needs to work incrementally
and to report. Writes happen after the store write they describe, so after a crash the store may be ahead
of this file (a record re-harvested next time), never behind it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from harvester.model import Job, JobCounts, JobStatus, RecordError, Source, Stage

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, url TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
    schedule TEXT, mapping TEXT, enabled INTEGER NOT NULL DEFAULT 1, options TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, source_id TEXT NOT NULL, status TEXT NOT NULL,
    started TEXT NOT NULL, finished TEXT, incremental INTEGER NOT NULL DEFAULT 0,
    gather_complete INTEGER NOT NULL DEFAULT 0,
    added INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0, unchanged INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS jobs_by_source ON jobs (source_id, id);
CREATE TABLE IF NOT EXISTS job_errors (
    job_id INTEGER NOT NULL, stage TEXT NOT NULL, remote_id TEXT, url TEXT, message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_errors_by_job ON job_errors (job_id);
CREATE TABLE IF NOT EXISTS records (
    source_id TEXT NOT NULL, remote_id TEXT NOT NULL, key TEXT NOT NULL, hash TEXT NOT NULL,
    marker TEXT, job_id INTEGER NOT NULL, PRIMARY KEY (source_id, remote_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS records_by_key ON records (source_id, key);
CREATE TABLE IF NOT EXISTS pending_deletions (
    job_id INTEGER NOT NULL, remote_id TEXT NOT NULL, key TEXT NOT NULL
);
"""

#: errors kept per job; a source with a million broken records must not grow state.db without bound
MAX_ERRORS_PER_JOB = 10_000


@dataclass(frozen=True)
class StoredRecord:
    remote_id: str
    key: str
    hash: str
    marker: str | None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class State:
    """One SQLite connection shared by the threads of one process (serialised by a lock)."""

    def __init__(self, path: Path | str) -> None:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, args: Iterable[object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cur = self._db.execute(sql, tuple(args))
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, row)) for row in cur.fetchall()]  # type: ignore[misc]

    # --- sources -------------------------------------------------------------------------------
    def save_source(self, source: Source) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO sources (id, type, url, title, schedule, mapping, enabled, options, created) "
                "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET type=excluded.type, url=excluded.url, "
                "title=excluded.title, schedule=excluded.schedule, mapping=excluded.mapping, "
                "enabled=excluded.enabled, options=excluded.options",
                (source.id, source.type, source.url, source.title, source.schedule, source.mapping,
                 int(source.enabled), json.dumps(source.options, ensure_ascii=False), _ts(utcnow())))

    def remove_source(self, source_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sources WHERE id=?", (source_id,))
            db.execute("DELETE FROM records WHERE source_id=?", (source_id,))

    def sources(self) -> list[Source]:
        return [Source(id=r["id"], type=r["type"], url=r["url"], title=r["title"], schedule=r["schedule"],
                       mapping=r["mapping"], enabled=bool(r["enabled"]), origin="state",
                       options=json.loads(r["options"]))
                for r in self._rows("SELECT * FROM sources ORDER BY id")]

    # --- jobs ----------------------------------------------------------------------------------
    def start_job(self, source_id: str, incremental: bool) -> Job:
        started = utcnow()
        with self._tx() as db:
            cur = db.execute("INSERT INTO jobs (source_id, status, started, incremental) VALUES (?,?,?,?)",
                             (source_id, JobStatus.RUNNING.value, _ts(started), int(incremental)))
            job_id = int(cur.lastrowid or 0)
        return Job(id=job_id, source_id=source_id, status=JobStatus.RUNNING, started=started,
                   incremental=incremental)

    def save_progress(self, job: Job) -> None:
        c = job.counts
        with self._tx() as db:
            db.execute("UPDATE jobs SET added=?, updated=?, unchanged=?, deleted=?, failed=? WHERE id=?",
                       (c.added, c.updated, c.unchanged, c.deleted, c.failed, job.id))

    def add_errors(self, job_id: int, errors: list[RecordError]) -> None:
        if not errors:
            return
        with self._tx() as db:
            (have,) = db.execute("SELECT count(*) FROM job_errors WHERE job_id=?", (job_id,)).fetchone()
            room = max(0, MAX_ERRORS_PER_JOB - have)
            db.executemany("INSERT INTO job_errors (job_id, stage, remote_id, url, message) VALUES (?,?,?,?,?)",
                           [(job_id, e.stage.value, e.remote_id, e.url, e.message[:2000]) for e in errors[:room]])

    def finish_job(self, job: Job, gather_complete: bool) -> None:
        job.finished = utcnow()
        c = job.counts
        with self._tx() as db:
            db.execute("UPDATE jobs SET status=?, finished=?, gather_complete=?, added=?, updated=?, "
                       "unchanged=?, deleted=?, failed=?, message=? WHERE id=?",
                       (job.status.value, _ts(job.finished), int(gather_complete), c.added, c.updated,
                        c.unchanged, c.deleted, c.failed, job.message[:4000], job.id))

    def mark_interrupted(self) -> int:
        """Jobs still 'running' when a process starts were cut off by a crash or kill; say so."""
        with self._tx() as db:
            cur = db.execute("UPDATE jobs SET status=?, finished=?, message='interrupted (process ended)' "
                             "WHERE status=?", (JobStatus.INTERRUPTED.value, _ts(utcnow()),
                                                JobStatus.RUNNING.value))
            return cur.rowcount

    def jobs(self, source_id: str | None = None, limit: int = 50) -> list[Job]:
        where, args = ("WHERE source_id=?", [source_id]) if source_id else ("", [])
        rows = self._rows(f"SELECT * FROM jobs {where} ORDER BY id DESC LIMIT ?", [*args, limit])
        return [self._job(r) for r in rows]

    def job(self, job_id: int) -> Job | None:
        rows = self._rows("SELECT * FROM jobs WHERE id=?", [job_id])
        if not rows:
            return None
        job = self._job(rows[0])
        job.errors = [RecordError(Stage(e["stage"]), e["message"], e["remote_id"], e["url"])
                      for e in self._rows("SELECT * FROM job_errors WHERE job_id=? ORDER BY rowid", [job_id])]
        return job

    def last_good_job(self, source_id: str) -> Job | None:
        """The newest job whose gather was complete and that finished (failed records allowed)."""
        rows = self._rows("SELECT * FROM jobs WHERE source_id=? AND gather_complete=1 AND status IN (?,?) "
                          "ORDER BY id DESC LIMIT 1",
                          [source_id, JobStatus.SUCCEEDED.value, JobStatus.PARTIAL.value])
        return self._job(rows[0]) if rows else None

    @staticmethod
    def _job(r: dict) -> Job:  # type: ignore[type-arg]
        return Job(id=r["id"], source_id=r["source_id"], status=JobStatus(r["status"]),
                   started=_dt(r["started"]) or utcnow(), finished=_dt(r["finished"]),
                   counts=JobCounts(r["added"], r["updated"], r["unchanged"], r["deleted"], r["failed"]),
                   incremental=bool(r["incremental"]), message=r["message"])

    # --- records -------------------------------------------------------------------------------
    def records_by_remote_id(self, source_id: str, remote_ids: list[str]) -> dict[str, StoredRecord]:
        out: dict[str, StoredRecord] = {}
        for i in range(0, len(remote_ids), 900):
            chunk = remote_ids[i:i + 900]
            marks = ",".join("?" * len(chunk))
            for r in self._rows(f"SELECT remote_id, key, hash, marker FROM records WHERE source_id=? "
                                f"AND remote_id IN ({marks})", [source_id, *chunk]):
                out[r["remote_id"]] = StoredRecord(r["remote_id"], r["key"], r["hash"], r["marker"])
        return out

    def record_by_key(self, source_id: str, key: str) -> StoredRecord | None:
        rows = self._rows("SELECT remote_id, key, hash, marker FROM records WHERE source_id=? AND key=?",
                          [source_id, key])
        return StoredRecord(**rows[0]) if rows else None

    def save_records(self, source_id: str, job_id: int, records: list[StoredRecord]) -> None:
        with self._tx() as db:
            db.executemany(
                "INSERT INTO records (source_id, remote_id, key, hash, marker, job_id) VALUES (?,?,?,?,?,?) "
                "ON CONFLICT(source_id, remote_id) DO UPDATE SET key=excluded.key, hash=excluded.hash, "
                "marker=excluded.marker, job_id=excluded.job_id",
                [(source_id, r.remote_id, r.key, r.hash, r.marker, job_id) for r in records])

    def touch_records(self, source_id: str, job_id: int, remote_ids: list[str]) -> None:
        """Mark records as seen by this job (unchanged ones included): the base of deletion detection."""
        with self._tx() as db:
            db.executemany("UPDATE records SET job_id=? WHERE source_id=? AND remote_id=?",
                           [(job_id, source_id, rid) for rid in remote_ids])

    def delete_records(self, source_id: str, remote_ids: list[str]) -> None:
        with self._tx() as db:
            db.executemany("DELETE FROM records WHERE source_id=? AND remote_id=?",
                           [(source_id, rid) for rid in remote_ids])

    def unseen_records(self, source_id: str, job_id: int) -> list[StoredRecord]:
        """Records of the source that the given job did not see: candidates for deletion."""
        return [StoredRecord(**r) for r in self._rows(
            "SELECT remote_id, key, hash, marker FROM records WHERE source_id=? AND job_id<>?",
            [source_id, job_id])]

    def record_count(self, source_id: str | None = None) -> int:
        if source_id is None:
            return int(self._rows("SELECT count(*) AS n FROM records")[0]["n"])
        return int(self._rows("SELECT count(*) AS n FROM records WHERE source_id=?", [source_id])[0]["n"])

    def record_counts(self) -> dict[str, int]:
        return {r["source_id"]: r["n"] for r in
                self._rows("SELECT source_id, count(*) AS n FROM records GROUP BY source_id")}

    def save_pending_deletions(self, job_id: int, records: list[StoredRecord]) -> None:
        with self._tx() as db:
            db.executemany("INSERT INTO pending_deletions (job_id, remote_id, key) VALUES (?,?,?)",
                           [(job_id, r.remote_id, r.key) for r in records])

    def pending_deletions(self, job_id: int) -> list[tuple[str, str]]:
        return [(r["remote_id"], r["key"]) for r in
                self._rows("SELECT remote_id, key FROM pending_deletions WHERE job_id=?", [job_id])]
