"""The exception tree of a harvest; each stage raises, and the job runner records the error once.

    HarvestError
    ├── GatherError          the portal's listing could not be read to its end (the job fails, nothing deleted)
    ├── FetchError           one HTTP exchange failed after retries
    │   ├── FetchTimeout
    │   ├── HTTPStatusError  (.status)
    │   ├── TooLarge         the body passed http.max_bytes
    │   └── RobotsDenied
    ├── MappingError         one payload cannot become a valid DCAT-AP record (the record fails alone)
    ├── JobStopped           a running job was stopped: no progress for harvest.stall_seconds, or shut down
    ├── OperationRefused     an operator's request cannot be carried out now (see harvester.operations)
    │   ├── SourceBusy       the source already has a job queued or running
    │   └── ScheduleError    a source's schedule is not a valid cron line or 'every N{m,h,d}'
    └── StoreError           (harvester.store) a store read or write failed
        ├── RecordDataError  the store refused one write's data: retried record by record
        └── QueryTimeout
"""

from __future__ import annotations


class HarvestError(Exception):
    """Base of every error a harvest reports."""


class GatherError(HarvestError):
    pass


class FetchError(HarvestError):
    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class FetchTimeout(FetchError):
    pass


class HTTPStatusError(FetchError):
    def __init__(self, message: str, url: str | None = None, status: int = 0, body: bytes = b"") -> None:
        super().__init__(message, url)
        self.status = status
        #: the start of the error answer: APIs explain themselves there (``{"message": "…"}``)
        self.body = body


class TooLarge(FetchError):
    pass


class RobotsDenied(FetchError):
    pass


class MappingError(HarvestError):
    pass


class JobStopped(HarvestError):
    """A running job was told to stop (it made no progress for too long, or the process is shutting down)."""


class OperationRefused(HarvestError):
    """An operator's request cannot be carried out now; the message says why and what to do."""


class SourceBusy(OperationRefused):
    """The source already has a job queued or running: a source never runs twice at once."""


class ScheduleError(OperationRefused, ValueError):
    """A schedule that is neither a five-field cron line nor 'every N' minutes, hours or days."""
