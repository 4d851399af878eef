"""What operators must know about records that the public must not see: withheld records, personal-data flags.

A record whose access right is one of ``trust.hidden_access_rights`` (不予开放, NON_PUBLIC) never reaches the
triple store or the search index, so no public route (search, pages, feeds, the CKAN API, SPARQL) can show
it; its DCAT lives here, in ``trust.db``, for operators. Personal data found in harvested metadata is
redacted before storing (harvester.trust.privacy); the findings (field, kind, masked excerpt) are kept here.

Writes follow the store → index → state order of a batch: this file is written with the state, after the
store, so a crash leaves it behind the store (the record is rewritten next harvest), never ahead of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from harvester.sqlite import SqliteDb

SCHEMA = """
CREATE TABLE IF NOT EXISTS withheld (
    source_id TEXT NOT NULL, key TEXT NOT NULL, remote_id TEXT NOT NULL, access TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '', ntriples TEXT NOT NULL, saved TEXT NOT NULL, PRIMARY KEY (source_id, key)
);
CREATE TABLE IF NOT EXISTS privacy_flags (
    source_id TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, field TEXT NOT NULL, excerpt TEXT NOT NULL,
    found TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS privacy_flags_by_key ON privacy_flags (source_id, key);
CREATE TABLE IF NOT EXISTS match_keys (
    source_id TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS match_keys_by_value ON match_keys (kind, value);
CREATE INDEX IF NOT EXISTS match_keys_by_record ON match_keys (source_id, key);
CREATE TABLE IF NOT EXISTS clusters (member TEXT PRIMARY KEY, cluster TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS clusters_by_cluster ON clusters (cluster);
CREATE TABLE IF NOT EXISTS assessments (
    source_id TEXT NOT NULL, key TEXT NOT NULL, hash TEXT NOT NULL, conforms INTEGER NOT NULL,
    violations TEXT NOT NULL, score INTEGER NOT NULL, band TEXT NOT NULL, assessed TEXT NOT NULL,
    PRIMARY KEY (source_id, key)
);
CREATE TABLE IF NOT EXISTS quality_history (
    source_id TEXT NOT NULL, at TEXT NOT NULL, records INTEGER NOT NULL, mean_score REAL NOT NULL,
    bands TEXT NOT NULL, failing INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS quality_history_by_source ON quality_history (source_id, at);
"""
#: a key shared by more records than this links nothing; nor does a key one source uses for several records
#: (a title like 统计年鉴 repeated by one portal tells no record apart)
MAX_SHARED = 20
#: the mark in relink_keys that asks the next relinking to go over every cluster
RELINK_ALL = ("*", "*")


@dataclass(frozen=True)
class WithheldRecord:
    source_id: str
    key: str
    remote_id: str
    access: str  # the EU access-right code that hides it
    title: str
    saved: datetime


@dataclass(frozen=True)
class PrivacyFlag:
    source_id: str
    key: str
    kind: str  # the rule's name: id_card, mobile, email …
    field: str  # where: dct:description, vcard:hasEmail …
    excerpt: str  # masked: never the whole value


@dataclass(frozen=True)
class Assessment:
    """A record's last validation and quality score, and the content hash they were made for."""

    key: str
    hash: str
    conforms: bool
    #: the SHACL violations: {"path", "message", "component", "focus"} each
    violations: list[dict[str, str]]
    score: int
    band: str


@dataclass(frozen=True)
class QualityPoint:
    """A source's quality after one assessment run (the operators' trend)."""

    at: datetime
    records: int
    mean_score: float
    bands: dict[str, int]
    failing: int


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


#: when a (kind, value) match key links records: held by several sources, once each, by few records
_SHARED_WHEN = ("HAVING count(DISTINCT source_id) > 1 AND count(*) = count(DISTINCT source_id) "
                f"AND count(*) <= {MAX_SHARED}")


class TrustRegister(SqliteDb):
    SCHEMA = SCHEMA

    def _migrate(self) -> None:
        """Registers from before ``shared_keys`` get it, built once from their match keys; registers from
        before ``relink_keys`` get it, asking for one relinking over every cluster."""
        super()._migrate()
        db = self._db  # opening: no other thread has this connection yet
        db.execute("BEGIN IMMEDIATE")
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not {"relink_keys", "relink_records"} <= tables:
                # made here, not in SCHEMA: a register from before them gets its first relinking over every cluster
                db.execute("CREATE TABLE IF NOT EXISTS relink_keys (kind TEXT NOT NULL, value TEXT NOT NULL)")
                db.execute("CREATE TABLE IF NOT EXISTS relink_records (source_id TEXT NOT NULL, key TEXT NOT NULL)")
                db.execute("INSERT INTO relink_keys VALUES (?, ?)", RELINK_ALL)
            if not db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='shared_keys'").fetchone():
                db.execute("CREATE TABLE shared_keys (kind TEXT NOT NULL, value TEXT NOT NULL, "
                           "PRIMARY KEY (kind, value))")
                db.execute(f"INSERT INTO shared_keys SELECT kind, value FROM match_keys GROUP BY kind, value "
                           f"{_SHARED_WHEN}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # --- withheld records ----------------------------------------------------------------------
    def save_withheld(self, source_id: str, records: Iterable[tuple[str, str, str, str, str]]) -> None:
        """(key, remote_id, access, title, ntriples) of records kept from the public."""
        with self._tx() as db:
            db.executemany(
                "INSERT INTO withheld (source_id, key, remote_id, access, title, ntriples, saved) "
                "VALUES (?,?,?,?,?,?,?) ON CONFLICT(source_id, key) DO UPDATE SET remote_id=excluded.remote_id, "
                "access=excluded.access, title=excluded.title, ntriples=excluded.ntriples, saved=excluded.saved",
                [(source_id, *r, _now()) for r in records])

    def release(self, source_id: str, keys: Iterable[str]) -> None:
        """Forget these records' withheld copies (they became public, or are deleted)."""
        with self._tx() as db:
            db.executemany("DELETE FROM withheld WHERE source_id=? AND key=?", [(source_id, k) for k in keys])

    def withheld(self, source_id: str | None = None, limit: int = 200, offset: int = 0) -> list[WithheldRecord]:
        where, args = ("WHERE source_id=?", [source_id]) if source_id else ("", [])
        rows = self._rows(f"SELECT source_id, key, remote_id, access, title, saved FROM withheld {where} "
                          f"ORDER BY source_id, title LIMIT ? OFFSET ?", [*args, limit, offset])
        return [WithheldRecord(**{**r, "saved": datetime.fromisoformat(r["saved"])}) for r in rows]

    def withheld_keys(self, source_id: str) -> set[str]:
        return {r["key"] for r in self._rows("SELECT key FROM withheld WHERE source_id=?", [source_id])}

    def withheld_count(self, source_id: str | None = None) -> int:
        if source_id is None:
            return int(self._rows("SELECT count(*) AS n FROM withheld")[0]["n"])
        return int(self._rows("SELECT count(*) AS n FROM withheld WHERE source_id=?", [source_id])[0]["n"])

    def withheld_ntriples(self, source_id: str, key: str) -> str | None:
        rows = self._rows("SELECT ntriples FROM withheld WHERE source_id=? AND key=?", [source_id, key])
        return str(rows[0]["ntriples"]) if rows else None

    # --- personal data ---------------------------------------------------------------------------
    def replace_flags(self, source_id: str, flags: dict[str, list[tuple[str, str, str]]]) -> None:
        """Each key's (kind, field, excerpt) findings replace what its earlier version had (none: cleared)."""
        if not flags:
            return
        found = _now()
        with self._tx() as db:
            db.executemany("DELETE FROM privacy_flags WHERE source_id=? AND key=?",
                           [(source_id, key) for key in flags])
            db.executemany("INSERT INTO privacy_flags (source_id, key, kind, field, excerpt, found) "
                           "VALUES (?,?,?,?,?,?)",
                           [(source_id, key, *f, found) for key, fs in flags.items() for f in fs])

    def clear_flags(self, source_id: str, keys: Iterable[str]) -> None:
        with self._tx() as db:
            db.executemany("DELETE FROM privacy_flags WHERE source_id=? AND key=?", [(source_id, k) for k in keys])

    def flags(self, source_id: str | None = None, limit: int = 500) -> list[PrivacyFlag]:
        where, args = ("WHERE source_id=?", [source_id]) if source_id else ("", [])
        rows = self._rows(f"SELECT source_id, key, kind, field, excerpt FROM privacy_flags {where} "
                          f"ORDER BY source_id, key, kind LIMIT ?", [*args, limit])
        return [PrivacyFlag(**r) for r in rows]

    def flag_counts(self, source_id: str | None = None) -> dict[str, int]:
        """Flagged records per kind of personal data."""
        where, args = ("WHERE source_id=?", [source_id]) if source_id else ("", [])
        return {r["kind"]: r["n"] for r in self._rows(
            f"SELECT kind, count(DISTINCT source_id || '/' || key) AS n FROM privacy_flags {where} GROUP BY kind",
            args)}

    # --- duplicates across portals (harvester.trust.duplicates) ----------------------------------------
    def replace_match_keys(self, source_id: str, keys: dict[str, list[tuple[str, str]]]) -> None:
        """Each record's (kind, value) keys replace its earlier ones (an empty list: it has none now)."""
        if not keys:
            return
        with self._tx() as db:
            _affected_by(db, "source_id=? AND key=?", [(source_id, k) for k in keys])
            db.executemany("INSERT INTO relink_records VALUES (?,?)", [(source_id, k) for k in keys])
            db.executemany("DELETE FROM match_keys WHERE source_id=? AND key=?", [(source_id, k) for k in keys])
            db.executemany("INSERT INTO match_keys (source_id, key, kind, value) VALUES (?,?,?,?)",
                           [(source_id, key, kind, value) for key, ks in keys.items() for kind, value in ks])
            db.executemany("INSERT INTO temp.affected_keys VALUES (?,?)", [k for ks in keys.values() for k in ks])
            _reshare(db)

    def to_relink(self) -> tuple[tuple[int, int], set[tuple[str, str]], set[str]]:
        """What changed since the last relinking: the keys that became or stopped being shared (RELINK_ALL
        among them: go over every cluster) and the records (``source/key``) whose keys changed, with the last
        rows' ids, for ``relinked``."""
        keys = self._rows("SELECT rowid, kind, value FROM relink_keys")
        records = self._rows("SELECT rowid, source_id || '/' || key AS id FROM relink_records")
        upto = (max((r["rowid"] for r in keys), default=0), max((r["rowid"] for r in records), default=0))
        return upto, {(r["kind"], r["value"]) for r in keys}, {r["id"] for r in records}

    def relinked(self, upto: tuple[int, int]) -> None:
        """What ``to_relink`` gave (up to those rows) is relinked; what changed since stays."""
        with self._tx() as db:
            db.execute("DELETE FROM relink_keys WHERE rowid <= ?", [upto[0]])
            db.execute("DELETE FROM relink_records WHERE rowid <= ?", [upto[1]])

    def holders(self, keys: Iterable[tuple[str, str]]) -> set[str]:
        """Record ids (``source/key``) that have any of these match keys."""
        found: set[str] = set()
        keys = list(keys)
        for start in range(0, len(keys), 400):
            chunk = keys[start:start + 400]
            rows = self._rows("WITH k(kind, value) AS (VALUES " + ",".join(["(?,?)"] * len(chunk)) + ") "
                              "SELECT m.source_id || '/' || m.key AS id FROM k "
                              "CROSS JOIN match_keys m ON m.kind=k.kind AND m.value=k.value",
                              [v for k in chunk for v in k])
            found.update(r["id"] for r in rows)
        return found

    def pairs_of(self, ids: Iterable[str]) -> list[tuple[str, str]]:
        """Pairs of record ids linked by a shared key, one of each pair among ``ids``."""
        pairs: list[tuple[str, str]] = []
        ids = list(ids)
        for start in range(0, len(ids), 400):
            chunk = [i.split("/", 1) for i in ids[start:start + 400]]
            rows = self._rows(
                "WITH r(source_id, key) AS (VALUES " + ",".join(["(?,?)"] * len(chunk)) + ") "
                "SELECT a.source_id || '/' || a.key AS a, b.source_id || '/' || b.key AS b FROM r "
                "CROSS JOIN match_keys a ON a.source_id=r.source_id AND a.key=r.key "
                "CROSS JOIN shared_keys s ON s.kind=a.kind AND s.value=a.value "
                "CROSS JOIN match_keys b ON b.kind=s.kind AND b.value=s.value WHERE b.source_id != a.source_id",
                [v for c in chunk for v in c])
            pairs.extend((r["a"], r["b"]) for r in rows)
        return pairs

    def duplicate_pairs(self) -> list[tuple[str, str]]:
        """Record ids (``source/key``) of different sources that share a key (``shared_keys``, kept up to date
        as match keys change: reading the pairs costs what is shared, not what is registered)."""
        rows = self._rows(
            "SELECT DISTINCT a.source_id || '/' || a.key AS a, b.source_id || '/' || b.key AS b FROM shared_keys s "
            "CROSS JOIN match_keys a ON a.kind=s.kind AND a.value=s.value "  # CROSS: from the shared keys, never
            "CROSS JOIN match_keys b ON b.kind=s.kind AND b.value=s.value "  # a scan of every key registered
            "WHERE a.source_id < b.source_id")
        return [(r["a"], r["b"]) for r in rows]

    def update_clusters(self, members: Iterable[str], clusters: dict[str, list[str]]) -> None:
        """Save the cluster of each of ``members`` as ``clusters`` (member → its group, primary first) now
        has it; a member ``clusters`` lacks is in none any more."""
        members = list(members)
        with self._tx() as db:
            db.executemany("DELETE FROM clusters WHERE member=?", [(m,) for m in members])
            db.executemany("INSERT INTO clusters (member, cluster) VALUES (?,?)",
                           [(m, clusters[m][0]) for m in members if m in clusters])

    def cluster_members(self) -> dict[str, list[str]]:
        """Record id → its cluster's members (primary first), for every clustered record."""
        return _groups(self._rows("SELECT member, cluster FROM clusters"))

    def clusters_of(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """Record id → its cluster's members (primary first), for those of ``ids`` that are in a cluster."""
        found: dict[str, list[str]] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            rows = self._rows("SELECT member, cluster FROM clusters WHERE cluster IN "
                              f"(SELECT cluster FROM clusters WHERE member IN ({','.join('?' * len(chunk))}))", chunk)
            wanted = set(chunk)
            found.update({m: g for m, g in _groups(rows).items() if m in wanted})
        return found

    def cluster_count(self) -> int:
        return int(self._rows("SELECT count(DISTINCT cluster) AS n FROM clusters")[0]["n"])

    # --- validation and quality (harvester.trust.assess) ----------------------------------------------
    def assessed_hashes(self, source_id: str) -> dict[str, str]:
        """Record key → the content hash its assessment was made for."""
        return {r["key"]: r["hash"] for r in self._rows("SELECT key, hash FROM assessments WHERE source_id=?",
                                                        [source_id])}

    def save_assessments(self, source_id: str, rows: list[Assessment]) -> None:
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO assessments (source_id, key, hash, conforms, violations, score, band, "
                "assessed) VALUES (?,?,?,?,?,?,?,?)",
                [(source_id, a.key, a.hash, int(a.conforms), json.dumps(a.violations, ensure_ascii=False),
                  a.score, a.band, _now()) for a in rows])

    def assessments(self, source_id: str) -> list[Assessment]:
        return [Assessment(r["key"], r["hash"], bool(r["conforms"]), json.loads(r["violations"]), r["score"],
                           r["band"]) for r in self._rows(
            "SELECT key, hash, conforms, violations, score, band FROM assessments WHERE source_id=? ORDER BY key",
            [source_id])]

    def add_quality_point(self, source_id: str, records: int, mean_score: float, bands: dict[str, int],
                          failing: int) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO quality_history (source_id, at, records, mean_score, bands, failing) "
                       "VALUES (?,?,?,?,?,?)", [source_id, _now(), records, mean_score, json.dumps(bands), failing])

    def quality_history(self, source_id: str, limit: int = 20) -> list[QualityPoint]:
        rows = self._rows("SELECT at, records, mean_score, bands, failing FROM quality_history WHERE source_id=? "
                          "ORDER BY at DESC LIMIT ?", [source_id, limit])
        return [QualityPoint(datetime.fromisoformat(r["at"]), r["records"], r["mean_score"], json.loads(r["bands"]),
                             r["failing"]) for r in reversed(rows)]

    def forget_records(self, source_id: str, keys: Iterable[str]) -> None:
        """Everything kept of these records (they are deleted)."""
        keys = list(keys)
        with self._tx() as db:
            _affected_by(db, "source_id=? AND key=?", [(source_id, k) for k in keys])
            db.executemany("INSERT INTO relink_records VALUES (?,?)", [(source_id, k) for k in keys])
            for table in ("withheld", "privacy_flags", "match_keys", "assessments"):
                db.executemany(f"DELETE FROM {table} WHERE source_id=? AND key=?", [(source_id, k) for k in keys])
            _reshare(db)

    def forget_source(self, source_id: str) -> None:
        with self._tx() as db:
            _affected_by(db, "source_id=?", [(source_id,)])
            db.execute("INSERT INTO relink_records SELECT DISTINCT source_id, key FROM match_keys WHERE source_id=?",
                       [source_id])
            for table in ("withheld", "privacy_flags", "match_keys", "assessments", "quality_history"):
                db.execute(f"DELETE FROM {table} WHERE source_id=?", [source_id])
            _reshare(db)


def _affected_by(db: Any, where: str, args: list[tuple[str, ...]]) -> None:
    """Start the list of match keys a change touches with those of the records ``where`` selects."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS affected_keys (kind TEXT NOT NULL, value TEXT NOT NULL)")
    db.execute("DELETE FROM temp.affected_keys")
    db.executemany(f"INSERT INTO temp.affected_keys SELECT kind, value FROM match_keys WHERE {where}", args)


def _reshare(db: Any) -> None:
    """Whether each touched key is shared, as the match keys now say; the keys that became or stopped being
    shared wait in relink_keys for the next relinking (harvester.trust.duplicates.refresh), with the records
    whose keys changed (relink_records): a link between two records changes only with one of those. Driven
    by the touched keys (CROSS JOIN keeps SQLite from scanning the register for them), each read up to
    MAX_SHARED + 1 of its records (a title a thousand records share is not a link, and need not be counted
    further): a batch costs its own keys, whatever the register's size."""
    touched = "(SELECT DISTINCT kind, value FROM temp.affected_keys) t"
    shared = f"SELECT s.kind, s.value FROM {touched} CROSS JOIN shared_keys s ON s.kind=t.kind AND s.value=t.value"
    db.execute("CREATE TEMP TABLE IF NOT EXISTS shared_before (kind TEXT, value TEXT, PRIMARY KEY (kind, value))")
    db.execute("DELETE FROM temp.shared_before")
    db.execute(f"INSERT OR IGNORE INTO temp.shared_before {shared}")
    db.execute(f"DELETE FROM shared_keys WHERE rowid IN (SELECT s.rowid FROM {touched} "
               "CROSS JOIN shared_keys s ON s.kind=t.kind AND s.value=t.value)")
    db.execute(f"INSERT INTO shared_keys SELECT kind, value FROM {touched} WHERE (SELECT "
               f"count(*) = count(DISTINCT source_id) AND count(DISTINCT source_id) > 1 AND count(*) <= {MAX_SHARED} "
               "FROM (SELECT source_id FROM match_keys m WHERE m.kind=t.kind AND m.value=t.value "
               f"LIMIT {MAX_SHARED + 1}))")
    # the keys that link records now and did not, or did and do not (their holders' clusters may change)
    db.execute("INSERT INTO relink_keys SELECT b.kind, b.value FROM temp.shared_before b WHERE NOT EXISTS "
               "(SELECT 1 FROM shared_keys s WHERE s.kind=b.kind AND s.value=b.value)")
    db.execute(f"INSERT INTO relink_keys {shared} WHERE NOT EXISTS "
               "(SELECT 1 FROM temp.shared_before b WHERE b.kind=s.kind AND b.value=s.value)")


def _groups(rows: Iterable[Any]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for r in rows:
        groups.setdefault(r["cluster"], []).append(r["member"])
    for primary, group in groups.items():
        group.sort(key=lambda m: (m != primary, m.partition("/")[0], m.partition("/")[2]))
    return {m: g for g in groups.values() for m in g}
