"""Structured logs: one line per job event (started, finished, stopped, deletions decided), as text
``key=value`` pairs or, with ``log.format = "json"``, one JSON object per line for log collectors.

    job_event("job.finished", job, reason="schedule")
    → 2025-01-01T03:00:12+0000 INFO harvester.jobs job.finished job=12 source=jinan status=succeeded added=3 …
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any

from harvester.model import Job, JobStatus

_HANDLER_NAME = "harvester"
log = logging.getLogger("harvester.jobs")


def configure_logging(settings: Any, stream: Any = None) -> logging.Handler:
    """Send harvester's logs to ``stream`` (stderr) in the configured format; replaces an earlier call's handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonLineFormatter() if str(settings["log.format"]).lower() == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    level = logging.getLevelName(str(settings["log.level"]).upper())
    root.setLevel(level if isinstance(level, int) else logging.INFO)
    return handler


def job_fields(job: Job) -> dict[str, Any]:
    c = job.counts
    return {"job": job.id, "source": job.source_id, "status": job.status.value, "added": c.added,
            "updated": c.updated, "unchanged": c.unchanged, "deleted": c.deleted, "failed": c.failed,
            "seconds": round(job.duration, 3) if job.duration is not None else None}


def job_event(event: str, job: Job, **fields: Any) -> None:
    """Log one job event as one line; failures and stops at WARNING."""
    data = {"event": event, **job_fields(job), **fields}
    bad = job.status in (JobStatus.FAILED, JobStatus.INTERRUPTED, JobStatus.NEEDS_CONFIRMATION)
    log.log(logging.WARNING if bad else logging.INFO, _as_pairs(data), extra={"fields": data})


def _as_pairs(data: dict[str, Any]) -> str:
    """``event key=value …``; values with spaces or line breaks (harvested text) are quoted by json."""
    parts = [str(data.get("event", ""))]
    for key, value in data.items():
        if key == "event" or value is None:
            continue
        text = str(value)
        if not text or any(ch.isspace() or ch in "\"=" for ch in text):
            text = json.dumps(text, ensure_ascii=False)
        parts.append(f"{key}={text}")
    return " ".join(parts)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S%z")

    def format(self, record: logging.LogRecord) -> str:
        # one event, one line: a message or traceback with line breaks keeps them escaped
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name}
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        else:
            out["message"] = record.getMessage()
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)
