"""Operational state in SQLite: sources added by operators, jobs with counts and errors, per-record hashes.

The triple store holds the catalog; this database holds what the harvester needs to work incrementally
and to report. Writes happen after the store write they describe, so after a crash the store may be ahead
of this file (a record re-harvested next time), never behind it.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

import psutil

from harvester.errors import SourceBusy
from harvester.sqlite import SqliteDb
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
CREATE INDEX IF NOT EXISTS pending_deletions_by_job ON pending_deletions (job_id);
CREATE TABLE IF NOT EXISTS deletion_decisions (
    job_id INTEGER PRIMARY KEY, decision TEXT NOT NULL, decided TEXT NOT NULL, deleted INTEGER NOT NULL,
    kept INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS schedules (
    source_id TEXT PRIMARY KEY, schedule TEXT NOT NULL, paused INTEGER NOT NULL DEFAULT 0,
    next_run TEXT, last_run TEXT
);
CREATE TABLE IF NOT EXISTS unfinished_writes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT NOT NULL, pid INTEGER NOT NULL, started TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS http_validators (
    url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, headers TEXT NOT NULL, body BLOB NOT NULL,
    saved TEXT NOT NULL
);
"""
#: columns added after the first release: (table, column, declaration)
MIGRATIONS = (
    ("jobs", "pid", "INTEGER"),
    ("jobs", "heartbeat", "TEXT"),
    ("jobs", "reason", "TEXT NOT NULL DEFAULT 'manual'"),
)

#: errors kept per job; a source with a million broken records must not grow state.db without bound
MAX_ERRORS_PER_JOB = 10_000


@dataclass(frozen=True)
class StoredRecord:
    remote_id: str
    key: str
    hash: str
    marker: str | None


@dataclass(frozen=True)
class ScheduleRow:
    """What state.db keeps of a source's schedule: the text it was computed from, pause flag, run times."""

    source_id: str
    schedule: str
    paused: bool
    next_run: datetime | None
    last_run: datetime | None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class State(SqliteDb):
    """One SQLite connection shared by the threads of one process (serialised by a lock)."""

    SCHEMA = SCHEMA
    MIGRATIONS = MIGRATIONS

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
    def start_job(self, source_id: str, incremental: bool, reason: str = "manual") -> Job:
        """A new 'running' job owned by this process; SourceBusy if a live process runs one of the source."""
        started = utcnow()
        with self._tx() as db:
            for job_id, pid, since in db.execute("SELECT id, pid, started FROM jobs WHERE source_id=? AND "
                                                 "status=?", (source_id, JobStatus.RUNNING.value)).fetchall():
                if process_alive(pid, _dt(since)):
                    raise SourceBusy(f"source {source_id!r} is being harvested by job {job_id} (process {pid})")
            cur = db.execute("INSERT INTO jobs (source_id, status, started, incremental, pid, heartbeat, reason) "
                             "VALUES (?,?,?,?,?,?,?)", (source_id, JobStatus.RUNNING.value, _ts(started),
                                                        int(incremental), os.getpid(), _ts(started), reason))
            job_id = int(cur.lastrowid or 0)
        return Job(id=job_id, source_id=source_id, status=JobStatus.RUNNING, started=started,
                   incremental=incremental)

    def save_progress(self, job: Job) -> None:
        """The running job's counts so far, and its heartbeat (the time of its last progress)."""
        c = job.counts
        with self._tx() as db:
            db.execute("UPDATE jobs SET added=?, updated=?, unchanged=?, deleted=?, failed=?, heartbeat=? "
                       "WHERE id=?", (c.added, c.updated, c.unchanged, c.deleted, c.failed, _ts(utcnow()), job.id))

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
        """Jobs still 'running' whose process is gone were cut off by a crash or kill; say so.

        Jobs of a live process (another ``harvester harvest`` running now) are left alone."""
        with self._tx() as db:
            rows = db.execute("SELECT id, pid, started FROM jobs WHERE status=?",
                              (JobStatus.RUNNING.value,)).fetchall()
            now = _ts(utcnow())
            dead = [(JobStatus.INTERRUPTED.value, now, job_id) for job_id, pid, started in rows
                    if not process_alive(pid, _dt(started))]
            db.executemany("UPDATE jobs SET status=?, finished=?, message='interrupted (process ended)' "
                           "WHERE id=?", dead)
            return len(dead)

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
    def _job(r: dict[str, Any]) -> Job:
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

    def records_of_source(self, source_id: str) -> list[StoredRecord]:
        return [StoredRecord(**r) for r in self._rows(
            "SELECT remote_id, key, hash, marker FROM records WHERE source_id=?", [source_id])]

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
        """(remote id, key) of the records a job would have deleted, waiting for an operator's decision."""
        return [(r["remote_id"], r["key"]) for r in
                self._rows("SELECT remote_id, key FROM pending_deletions WHERE job_id=? ORDER BY rowid", [job_id])]

    def still_unseen(self, source_id: str, job_id: int, remote_ids: list[str]) -> list[StoredRecord]:
        """Of these records, those still stored and seen by no job after ``job_id`` (still gone from the portal)."""
        out: list[StoredRecord] = []
        for i in range(0, len(remote_ids), 900):
            chunk = remote_ids[i:i + 900]
            out += [StoredRecord(**r) for r in self._rows(
                f"SELECT remote_id, key, hash, marker FROM records WHERE source_id=? AND job_id<=? "
                f"AND remote_id IN ({','.join('?' * len(chunk))})", [source_id, job_id, *chunk])]
        return out

    def decide_deletions(self, job: Job, decision: str, deleted: int, kept: int) -> None:
        """Close a job's pending deletions with the operator's decision ('confirmed' or 'rejected')."""
        job.status = JobStatus.PARTIAL if job.counts.failed else JobStatus.SUCCEEDED
        job.message = f"{job.message} [{decision} by an operator at {utcnow():%Y-%m-%d %H:%M:%S} UTC: " \
                      f"{deleted} deleted, {kept} kept]".strip()
        with self._tx() as db:
            db.execute("DELETE FROM pending_deletions WHERE job_id=?", (job.id,))
            db.execute("INSERT OR REPLACE INTO deletion_decisions (job_id, decision, decided, deleted, kept) "
                       "VALUES (?,?,?,?,?)", (job.id, decision, _ts(utcnow()), deleted, kept))
            db.execute("UPDATE jobs SET status=?, deleted=deleted+?, message=? WHERE id=?",
                       (job.status.value, deleted, job.message[:4000], job.id))
        job.counts.deleted += deleted

    def deletion_decision(self, job_id: int) -> dict[str, object] | None:
        rows = self._rows("SELECT decision, decided, deleted, kept FROM deletion_decisions WHERE job_id=?", [job_id])
        return rows[0] if rows else None

    @contextmanager
    def unfinished_write(self, what: str) -> Iterator[None]:
        """Note a write spanning store, index and state while it runs. A crash, or an error half-way, leaves
        the note behind, so the next process start compares the index with the store (harvester.recovery)."""
        with self._tx() as db:
            row_id = db.execute("INSERT INTO unfinished_writes (what, pid, started) VALUES (?,?,?)",
                                (what, os.getpid(), _ts(utcnow()))).lastrowid
        yield
        with self._tx() as db:
            db.execute("DELETE FROM unfinished_writes WHERE id=?", (row_id,))

    def abandoned_writes(self) -> list[str]:
        """Writes noted by processes that ended before finishing them (forgotten once returned)."""
        rows = [r for r in self._rows("SELECT * FROM unfinished_writes")
                if not process_alive(r["pid"], _dt(r["started"]))]
        with self._tx() as db:
            db.executemany("DELETE FROM unfinished_writes WHERE id=?", [(r["id"],) for r in rows])
        return [r["what"] for r in rows]

    # --- operator views --------------------------------------------------------------------------
    def job_heartbeat(self, job_id: int) -> datetime | None:
        rows = self._rows("SELECT heartbeat FROM jobs WHERE id=?", [job_id])
        return _dt(rows[0]["heartbeat"]) if rows else None

    def error_count(self, job_id: int) -> int:
        return int(self._rows("SELECT count(*) AS n FROM job_errors WHERE job_id=?", [job_id])[0]["n"])

    def running_jobs(self) -> list[Job]:
        """Jobs running now in a live process (this one or another)."""
        return [self._job(r) for r in self._rows("SELECT * FROM jobs WHERE status=? ORDER BY id",
                                                 [JobStatus.RUNNING.value])
                if process_alive(r["pid"], _dt(r["started"]))]

    def job_reason(self, job_id: int) -> str:
        rows = self._rows("SELECT reason FROM jobs WHERE id=?", [job_id])
        return str(rows[0]["reason"]) if rows else ""

    def job_status_counts(self) -> dict[str, int]:
        return {r["status"]: r["n"] for r in self._rows("SELECT status, count(*) AS n FROM jobs GROUP BY status")}

    def record_outcome_totals(self) -> dict[str, int]:
        """Sum of each outcome over every job (for /metrics)."""
        row = self._rows("SELECT coalesce(sum(added),0) AS added, coalesce(sum(updated),0) AS updated, "
                         "coalesce(sum(unchanged),0) AS unchanged, coalesce(sum(deleted),0) AS deleted, "
                         "coalesce(sum(failed),0) AS failed FROM jobs")[0]
        return {k: int(v) for k, v in row.items()}

    # --- schedules -------------------------------------------------------------------------------
    def schedule_rows(self) -> dict[str, ScheduleRow]:
        """source id → its stored schedule state."""
        return {r["source_id"]: ScheduleRow(r["source_id"], r["schedule"], bool(r["paused"]), _dt(r["next_run"]),
                                            _dt(r["last_run"])) for r in self._rows("SELECT * FROM schedules")}

    def save_schedule(self, source_id: str, schedule: str, next_run: datetime | None,
                      last_run: datetime | None = None) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO schedules (source_id, schedule, next_run, last_run) VALUES (?,?,?,?) "
                       "ON CONFLICT(source_id) DO UPDATE SET schedule=excluded.schedule, next_run=excluded.next_run, "
                       "last_run=coalesce(excluded.last_run, last_run)",
                       (source_id, schedule, _ts(next_run), _ts(last_run)))

    def set_paused(self, source_id: str, paused: bool) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO schedules (source_id, schedule, paused) VALUES (?, '', ?) "
                       "ON CONFLICT(source_id) DO UPDATE SET paused=excluded.paused", (source_id, int(paused)))

    def forget_schedule(self, source_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM schedules WHERE source_id=?", (source_id,))

    # --- HTTP validators (conditional GET) ---------------------------------------------------------
    def http_validator(self, url: str) -> dict[str, object] | None:
        rows = self._rows("SELECT etag, last_modified, headers, body FROM http_validators WHERE url=?", [url])
        return rows[0] if rows else None

    def save_http_validator(self, url: str, etag: str | None, last_modified: str | None, headers: str,
                            body: bytes) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO http_validators (url, etag, last_modified, headers, body, saved) "
                       "VALUES (?,?,?,?,?,?)", (url, etag, last_modified, headers, body, _ts(utcnow())))


def process_alive(pid: int | None, since: datetime | None) -> bool:
    """Whether process ``pid`` still runs and is the one that started at ``since`` (not a reused pid)."""
    if not pid:
        return False
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return since is None or process.create_time() <= since.timestamp() + 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
