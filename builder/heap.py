"""Keeps Python's cyclic garbage collector off the archive's long-lived objects.

A build makes millions of objects that live until it ends (parsed articles, the site
model) and hold no garbage. The collector would scan them again and again while they are
made (two thirds of the time of loading the 100k archive's parse cache), and while pages
are rendered; in forked workers its scans would also copy the shared pages they touch.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No collection while long-lived objects are made; only for code that makes few
    reference cycles to collect (reading, parsing, building the model, staging). Rendering
    a page makes some: `collecting` turns the collector back on around it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def collecting() -> Iterator[None]:
    """The collector on, inside a `paused_gc` block, for code that makes cycles."""
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was_enabled:
            gc.disable()


@contextmanager
def frozen() -> Iterator[None]:
    """Everything alive now is left out of collections until the block ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()

