"""The benchmarks' peak RSS is the measured process's own, not the size of the process that started it."""

from __future__ import annotations

import multiprocessing

from tests.benchmarks import peak_rss_mb


def _report(queue: multiprocessing.Queue) -> None:
    queue.put(peak_rss_mb())


def test_a_spawned_benchmark_process_reports_its_own_peak_not_its_parents() -> None:
    held = bytearray(400_000_000)
    held[::4096] = b"\x01" * len(held[::4096])  # touch every page: the parent is now ≥ 400 MB resident
    assert peak_rss_mb() >= 400
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_report, args=(queue,))
    child.start()
    child_peak = queue.get(timeout=60)
    child.join(timeout=60)
    assert 5 < child_peak < 200, child_peak  # a bare interpreter with the test package imported
    del held
