"""The collector's pauses: a build pauses it, worker-free rendering turns it back on."""

from __future__ import annotations

import gc

import pytest

from builder import heap, parallel


def test_paused_gc_nests_and_restores_the_collector() -> None:
    assert gc.isenabled()
    with heap.paused_gc():
        assert not gc.isenabled()
        with heap.paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
        with heap.collecting():
            assert gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_long_single_process_map_collects_inside_a_paused_build(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARCHIVE_WORKERS", "1")
    seen: list[bool] = []
    with heap.paused_gc():
        list(parallel.ordered_map(lambda _: seen.append(gc.isenabled()),
                                  list(range(parallel.MIN_PARALLEL_ITEMS))))
        assert not gc.isenabled()
    assert set(seen) == {True}
