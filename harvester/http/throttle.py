"""Per-host politeness shared by every client of the process: at most N requests to a host at once, and a
delay between the end of one request and the start of the next (so concurrent jobs of one portal share it).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from harvester.errors import JobStopped


@dataclass
class _Host:
    slots: threading.Semaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: time.monotonic() when the last request to the host ended (or a slot was taken, for concurrency > 1)
    free_at: float = 0.0


class HostThrottle:
    """Slots per host; ``concurrency`` is fixed when a host is first seen."""

    def __init__(self) -> None:
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()

    def _host(self, host: str, concurrency: int) -> _Host:
        with self._lock:
            found = self._hosts.get(host)
            if found is None:
                found = self._hosts[host] = _Host(threading.Semaphore(max(1, concurrency)))
            return found

    @contextmanager
    def slot(self, host: str, delay: float, concurrency: int = 1,
             cancel: threading.Event | None = None) -> Iterator[None]:
        """Wait for a free slot and for ``delay`` seconds since the host's last request; hold it while inside.

        JobStopped if ``cancel`` is set while waiting."""
        state = self._host(host, concurrency)
        while not state.slots.acquire(timeout=0.5):
            _check(cancel)
        try:
            with state.lock:
                wait = state.free_at + delay - time.monotonic()
                state.free_at = max(state.free_at, time.monotonic() + max(wait, 0.0))
            if wait > 0:
                if cancel is not None and cancel.wait(wait):
                    raise JobStopped("stopped while waiting for the portal's turn")
                if cancel is None:
                    time.sleep(wait)
            yield
        finally:
            with state.lock:
                state.free_at = max(state.free_at, time.monotonic())
            state.slots.release()


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise JobStopped("stopped while waiting for the portal's turn")


#: the process's throttle: every PoliteClient shares it
THROTTLE = HostThrottle()
