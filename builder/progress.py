"""Progress of a long build on a terminal: the stage and a count, on one line.

Silent when the output is not a terminal (CI logs, pipes) or when asked to be quiet.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

Item = TypeVar("Item")


class Progress:
    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._shown = 0.0

    def stage(self, name: str) -> None:
        self._line(f"{name}…", force=True)

    def track(self, items: Iterable[Item], name: str, total: int) -> Iterator[Item]:
        """Yields the items, counting them on the line every tenth of a second."""
        for count, item in enumerate(items, 1):
            if self.enabled and time.monotonic() - self._shown > 0.1:
                self._line(f"{name} {count:,}/{total:,}")
            yield item
        self._line(f"{name} {total:,}/{total:,}", force=True)

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _line(self, text: str, force: bool = False) -> None:
        if self.enabled and (force or time.monotonic() - self._shown > 0.1):
            self.stream.write(f"\r\033[K{text}")
            self.stream.flush()
            self._shown = time.monotonic()


QUIET = Progress(enabled=False)


def counted(count: int, noun: str) -> str:
    """'1 article', '3,889 articles': what an editor reads of a count."""
    return f"{count:,} {plural(count, noun)}"


def plural(count: int, noun: str) -> str:
    """'part' for one, 'parts' for any other count."""
    return noun if count == 1 else f"{noun}s"
