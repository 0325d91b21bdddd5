"""Runs a pure function over many items on every core, in order; on one core, in-process.

Worker processes are forked, so they start with the parent's memory (templates, the
site model, the function itself, closures included) without pickling it; only items
and results cross between processes.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from . import heap

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_PARALLEL_ITEMS = 200
"""Below this many items, starting processes costs more than it saves."""
IN_FLIGHT = 4
"""Chunks per worker handed out and not yet taken back by the caller."""


def workers() -> int:
    """WARCHIVE_WORKERS if set (1 forces a single process), else the usable cores."""
    configured = os.environ.get("WARCHIVE_WORKERS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def ordered_map(function: Callable[[Item], Result], items: list[Item],
                chunk: int = 64) -> Iterator[Result]:
    """`map(function, items)`, spread over worker processes when that pays off.

    At most `IN_FLIGHT` chunks per worker are handed out ahead of the caller: the results
    of a fast pool and a slow consumer (rendered pages written to disk) never pile up in
    memory.
    """
    count = workers()
    if len(items) < MIN_PARALLEL_ITEMS:
        yield from map(function, items)
        return
    if count < 2 or "fork" not in _methods():
        with heap.collecting():  # rendering many pages makes many reference cycles
            yield from map(function, items)
        return
    global _function
    _function = function  # read by the forked workers, which inherit it
    chunks = (items[start : start + chunk] for start in range(0, len(items), chunk))
    try:
        with multiprocessing.get_context("fork").Pool(count, initializer=_worker_started) as pool:
            pending = deque(pool.apply_async(_call_chunk, (part,))
                            for part in itertools.islice(chunks, count * IN_FLIGHT))
            while pending:
                results = pending.popleft().get()
                if (part := next(chunks, None)) is not None:
                    pending.append(pool.apply_async(_call_chunk, (part,)))
                yield from results
    finally:
        _function = None


_function: Callable[[Any], Any] | None = None
"""The function of the running `ordered_map`: only ever set around a pool's lifetime."""


WORKER_NICENESS = 10
"""Workers yield the cores to the build's Pagefind runs, which index the search parts
while pages are still rendered (`search.Indexer`): a part indexed sooner lets the next
start sooner, and rendering fills the time Pagefind leaves a core idle. Cold 10k build:
27.7 -> 25.1 s."""


def _worker_started() -> None:
    """A worker ends when the pool sends it SIGTERM, whatever handler the parent set:
    `warchive serve` turns SIGTERM into KeyboardInterrupt, and a worker that inherited
    that handler could be interrupted inside the pool's own queue code and never end,
    hanging the build. Ctrl-C reaches the parent, which ends the pool."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.enable()
    with contextlib.suppress(OSError):  # refused in a sandbox: a raising initializer
        os.nice(WORKER_NICENESS)          # would have its worker started again forever


def _call_chunk(items: list[Any]) -> list[Any]:
    assert _function is not None
    return [_function(item) for item in items]


def _methods() -> Iterable[str]:
    return multiprocessing.get_all_start_methods()
