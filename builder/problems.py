"""Problems are values: each stage returns the ones it found, the pipeline reports them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    path: str
    """The file, relative to the site folder, as an editor would open it."""
    line: int
    """1-based line the problem starts on; 0 when it concerns the whole file."""
    message: str
    hint: str = ""
    """What to do about it, when that is not obvious from the message."""
    warning: bool = False
    """A warning does not stop a build, unless the build is --strict."""

    def format(self) -> str:
        kind = "warning: " if self.warning else ""
        text = f"{self.path}:{self.line}: {kind}{self.message}"
        return f"{text}\n    hint: {self.hint}" if self.hint else text


class ContentError(Exception):
    """Raised at a stage boundary when content has problems; nothing has been written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__(format_all(self.problems))


def format_all(problems: Iterable[Problem]) -> str:
    return "\n".join(p.format() for p in sorted(problems))


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """A hint naming the closest known words, or '' when none is close."""
    by_fold = {k.casefold(): k for k in known}
    close = difflib.get_close_matches(word.casefold(), list(by_fold), n=3, cutoff=0.6)
    if not close:
        return ""
    return "did you mean " + " or ".join(repr(by_fold[c]) for c in close) + "?"
