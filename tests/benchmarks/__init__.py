"""The benchmarks (run as commands, not by pytest); see docs/performance.md."""

from __future__ import annotations

import os
import resource
import statistics
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak RSS in MB since it started its program.

    Linux's ``VmHWM``, not ``ru_maxrss``: a child started with the "spawn" method begins with the ``ru_maxrss``
    of its parent at the fork (the kernel keeps the larger across the exec), so a benchmark run from a large
    process would report that process's size."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # elsewhere: the best there is


def percentiles(samples: list[float], digits: int = 2) -> tuple[float, float]:
    """(p50, p95) of ``samples``, rounded: the median, and the sample 95% of the way up the sorted run."""
    ordered = sorted(samples)
    return round(statistics.median(ordered), digits), round(ordered[int(0.95 * (len(ordered) - 1))], digits)


def drop_from_page_cache(directory: Path) -> int:
    """Ask the kernel to forget the cached pages of the files under ``directory`` (``posix_fadvise``
    DONTNEED; pages a process has mapped stay), so that what a benchmark reads next comes from the disk
    whatever ran before it. Returns the bytes of the files advised."""
    advised = 0
    for path in directory.rglob("*"):
        if not path.is_file():
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            advised += os.fstat(fd).st_size
        finally:
            os.close(fd)
    return advised
