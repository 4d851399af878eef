"""The small typed values that pass between the pipeline stages (gather → fetch → map → check → store → index)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Outcome(str, enum.Enum):
    """What happened to one record in one job."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    FAILED = "failed"


class JobStatus(str, enum.Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    #: finished, but some records failed alone
    PARTIAL = "partial"
    FAILED = "failed"
    #: the gather was complete but the source shrank past the deletion guard; nothing was deleted
    NEEDS_CONFIRMATION = "needs_confirmation"
    INTERRUPTED = "interrupted"


class Stage(str, enum.Enum):
    GATHER = "gather"
    FETCH = "fetch"
    MAP = "map"
    CHECK = "check"
    STORE = "store"
    INDEX = "index"


@dataclass(frozen=True)
class RemoteRef:
    """One record as the portal's listing names it."""

    remote_id: str
    #: a value that changes when the record changes (e.g. CKAN metadata_modified); None when unknown
    changed_marker: str | None = None
    url: str | None = None
    #: the payload when the listing already carried it (CKAN package_search does), so no fetch is needed
    payload: Any = None
    #: the portal says this record was deleted (an OAI-PMH ``status="deleted"`` header): remove it
    deleted: bool = False


@dataclass(frozen=True)
class Source:
    """A harvest source: one portal of one department."""

    id: str
    type: str
    url: str
    title: str = ""
    schedule: str | None = None
    mapping: str | None = None
    enabled: bool = True
    #: where it was declared: "config" (read-only in the admin pages) or "state"
    origin: str = "state"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class RecordError:
    """A record that failed alone: where, why, and which remote record."""

    stage: Stage
    message: str
    remote_id: str | None = None
    url: str | None = None


@dataclass
class JobCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0

    def count(self, outcome: Outcome, n: int = 1) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + n)

    @property
    def seen(self) -> int:
        return self.added + self.updated + self.unchanged + self.failed


@dataclass
class Job:
    id: int
    source_id: str
    status: JobStatus
    started: datetime
    finished: datetime | None = None
    counts: JobCounts = field(default_factory=JobCounts)
    incremental: bool = False
    message: str = ""
    errors: list[RecordError] = field(default_factory=list)

    @property
    def duration(self) -> float | None:
        if self.finished is None:
            return None
        return (self.finished - self.started).total_seconds()


@dataclass
class DatasetDoc:
    """The search document of one dataset, derived from its record graph (see harvester/index/docs.py).

    Facet fields hold stable codes, not labels: ``themes`` EU data-theme codes (``TRAN``), ``formats``
    EU file-type codes (``CSV``), ``license`` a licence code (``CC-BY-4.0``), ``access`` an EU access-right
    code (``PUBLIC``, ``RESTRICTED``, ``NON_PUBLIC``). The web layer turns codes into labels with harvester.vocab.
    """

    id: str  # "{source_id}/{key}"
    iri: str
    source: str
    title: str
    description: str = ""
    title_en: str = ""
    description_en: str = ""
    keywords: list[str] = field(default_factory=list)
    publisher: str = ""
    themes: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    license: str = ""
    access: str = ""
    modified: datetime | None = None
    issued: datetime | None = None
    landing_page: str = ""
    #: column names and titles of its data dictionary (csvw:tableSchema), searchable and a filter
    columns: list[str] = field(default_factory=list)
    #: MQA points (0–405, harvester.trust.quality) and band (excellent, good, sufficient, bad)
    quality: int | None = None
    quality_band: str = ""
    #: the id of its cluster's primary when the same dataset is published on several portals (folded into it;
    #: the cluster's members are read from trust.db where they are shown: harvester.trust.duplicates.also_on)
    duplicate_of: str = ""
