"""The exception tree of a harvest; each stage raises, and the job runner records the error once.

    HarvestError
    ├── GatherError          the portal's listing could not be read to its end (the job fails, nothing deleted)
    ├── FetchError           one HTTP exchange failed after retries
    │   ├── FetchTimeout
    │   ├── HTTPStatusError  (.status)
    │   ├── TooLarge         the body passed http.max_bytes
    │   └── RobotsDenied
    ├── MappingError         one payload cannot become a valid DCAT-AP record (the record fails alone)
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
    def __init__(self, message: str, url: str | None = None, status: int = 0) -> None:
        super().__init__(message, url)
        self.status = status


class TooLarge(FetchError):
    pass


class RobotsDenied(FetchError):
    pass


class MappingError(HarvestError):
    pass
