"""The collector's pauses and freezes: a build inside a settled process leaves it settled."""

from __future__ import annotations

import gc

from builder import heap


def test_frozen_blocks_unfreeze_unless_the_process_was_settled() -> None:
    gc.unfreeze()
    try:
        with heap.frozen():
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
        heap.settle()
        settled = gc.get_freeze_count()
        assert settled > 0
        with heap.frozen():
            pass
        assert gc.get_freeze_count() >= settled  # what the dev server holds stays frozen
        heap.unsettle()
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_paused_gc_restores_the_collector() -> None:
    assert gc.isenabled()
    with heap.paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
