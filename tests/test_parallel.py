"""Worker processes: results in order, collected, and at a lower priority than Pagefind."""

from __future__ import annotations

import gc
import os
import signal
import threading

import pytest

from builder import parallel


def worker_state(item: int) -> tuple[int, int, bool, int]:
    return item, os.getpid(), gc.isenabled(), os.nice(0)


def test_workers_keep_the_order_and_yield_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARCHIVE_WORKERS", "2")
    items = list(range(parallel.MIN_PARALLEL_ITEMS * 3))
    results = list(parallel.ordered_map(worker_state, items, chunk=16))
    assert [item for item, *_ in results] == items
    assert os.getpid() not in {pid for _, pid, _, _ in results}
    assert {enabled for _, _, enabled, _ in results} == {True}
    assert {niceness for *_, niceness in results} == {
        min(os.nice(0) + parallel.WORKER_NICENESS, 19)}


def worker_signals(item: int) -> tuple[object, object]:
    return signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)


def test_workers_end_on_sigterm_whatever_the_parent_handles(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`warchive serve` turns SIGTERM into KeyboardInterrupt; a worker that kept that
    handler could be interrupted inside the pool's queue code and never end (seen as a
    preview hanging after its first build, about one pool in 200)."""
    monkeypatch.setenv("WARCHIVE_WORKERS", "2")

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        seen = set(parallel.ordered_map(worker_signals, list(range(parallel.MIN_PARALLEL_ITEMS))))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert seen == {(signal.SIG_DFL, signal.SIG_IGN)}


def test_workers_run_where_their_priority_cannot_be_lowered(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A sandbox may refuse setpriority: an initializer that raised would make the pool
    start workers forever, and the build would never end."""
    monkeypatch.setenv("WARCHIVE_WORKERS", "2")

    def refused(increment: int) -> int:
        raise PermissionError("setpriority is not allowed here")

    monkeypatch.setattr(os, "nice", refused)
    results: list[int] = []
    mapping = threading.Thread(target=lambda: results.extend(parallel.ordered_map(
        abs, list(range(parallel.MIN_PARALLEL_ITEMS)))), daemon=True)
    mapping.start()
    mapping.join(30)
    assert results == list(range(parallel.MIN_PARALLEL_ITEMS))
