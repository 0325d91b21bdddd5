"""Pagefind over the staging folder, so the published site never lacks its index.

The index is built in parts, each a run of whole years (or months, for a year of more
than `model.PART_LIMIT` articles) of at most PART_LIMIT articles: a part is rebuilt only
when the indexed text of one of its pages changed, and no single Pagefind run holds
more than a few thousand pages in memory. The search page
queries every part and merges the results (templates/static/search.js).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pagefind_bin import get_executable  # type: ignore[import-untyped]

from . import machine, parallel
from .progress import QUIET, Progress, counted, plural
from .publish import clear, reuse, safe_relative, staging_dir

FOLDER = "pagefind"
SIGN = "pagefind-entry.json"
"""Written anew by every Pagefind run: two bundles are the same while this file is."""
INDEXED_MARK = b"<article data-pagefind-body"
"""Pages holding this are the ones Pagefind indexes (the articles)."""
INDEX_CHUNK_SIZE = 5000
"""Word locations per index chunk, a quarter of Pagefind's 20,000: a search downloads the
chunk holding each of its words from every part, so smaller chunks keep a first search on
a 10,000-article site under 300 kB (bench/README.md). Pagefind 1.5 reads it from an
environment variable it calls unstable; should that go, chunks are only larger again."""


def indexed_text(page: bytes) -> bytes | None:
    """What Pagefind reads of a page: its <article data-pagefind-body> element (title, filters,
    metadata and body are all inside it). None for a page that is not indexed."""
    start = page.find(INDEXED_MARK)
    if start < 0:
        return None
    end = page.find(b"</article>", start)
    return page[start:end] if end >= 0 else page[start:]


def indexed_page(page: bytes) -> bytes:
    """The page as Pagefind is given it: its <html> tag (the language) and the indexed
    <article>. So Pagefind indexes exactly what `indexed_text` watches for changes; its
    output for our pages is the same as from the whole page (fragments and index chunks
    compared), and it runs about 6 % faster on half the HTML."""
    body = indexed_text(page)
    if body is None:
        return page
    html_tag = page[: page.find(b">", page.find(b"<html")) + 1]
    head = b'<head><meta charset="utf-8"></head><body>'
    return html_tag + head + body + b"</article></body></html>"


_SHADOW = ".search-parts"
PAGEFIND_MIB_A_PAGE = 0.28
"""Pagefind's peak memory for each page of one run (2.8 GB for 10,000 pages, bench/)."""
PAGES_AT_ONCE_UNKNOWN_MEMORY = 4000
"""`pages_at_once` where the available memory is unknown: one full part."""
POLL_SECONDS = 0.05
"""How often a build waiting for Pagefind looks whether a run ended or it was called off."""


def pages_at_once(available_mib: float | None) -> int:
    """Pages indexed at once at most, summed over the Pagefind runs going on together: as
    many as half the memory available when the build starts holds (the other half is the
    builder's: 1.2 GB at 100k articles). One run keeps about 1.4 cores busy, so a second
    run at once fills the cores once rendering is done (10k articles: 24 s instead of 26);
    where memory is short, parts run one after the other."""
    if available_mib is None:
        return PAGES_AT_ONCE_UNKNOWN_MEMORY
    return int(available_mib / 2 / PAGEFIND_MIB_A_PAGE)


class SearchIndexError(Exception):
    """Pagefind failed; the old site stays published."""


class Cancelled(SearchIndexError):
    """The build was called off (`Plan.cancel`), between stages or while Pagefind ran;
    the old site stays."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Which parts a build indexes: by default every part whose pages changed. The dev
    server publishes an edit's pages first, with the parts they belong to left as they
    were (`later`), then indexes those in a build that can be called off (`cancel`) by
    the next edit."""

    later: bool = False
    """A part whose pages changed keeps its published bundle, and is reported stale."""
    stale: frozenset[str] = frozenset()
    """Parts an earlier build left stale: indexed whether or not their pages changed."""
    cancel: threading.Event | None = None

    def go_on(self) -> None:
        """Raises Cancelled if the build was called off: checked between its stages."""
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("the build was called off")


NOW = Plan()
"""Every part whose pages changed is indexed in this build: a published site's plan."""


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    """The span it covers: '2025', '2023_2024', or '2025-03' for a month of a large year;
    its bundle is pagefind/<name>/."""
    pages: tuple[str, ...]
    """Output paths of the part's indexed pages."""


class Indexer:
    """Indexes the search parts of one build into its staging folder, each as soon as
    staging holds all the part's pages (`publish.stage` tells it of each file).

    Articles are staged newest first, in the order of the parts, so the newest part's
    Pagefind runs while older pages are still rendered, by workers that yield it the
    cores (`parallel.WORKER_NICENESS`): one run keeps about 1.4 cores busy, and rendering
    takes the rest. A part none of whose pages changed keeps its published bundle. Parts
    run a few at once, as memory allows (`pages_at_once`).
    """

    def __init__(self, out: Path, parts: Sequence[Part], language: str,
                 progress: Progress = QUIET, plan: Plan = NOW) -> None:
        self._out, self._staging = out, staging_dir(out)
        self._parts, self._language, self._progress, self._plan = parts, language, progress, plan
        self._part_of = {page: part for part in parts for page in part.pages}
        self._left = {part.name: len(part.pages) for part in parts}
        self._changed = set[str]()
        self._queue = deque[Part]()
        self._running: list[_Run] = []
        self._stale = set[str]()
        self._pages_at_once = pages_at_once(machine.available_mib())

    def page_staged(self, path: str, changed: bool) -> None:
        """`publish.Staging`: `path` is in staging; `changed`, its indexed text differs
        from the published page's."""
        self._plan.go_on()
        part = self._part_of.get(path)
        if part is not None:
            if changed:
                self._changed.add(part.name)
            self._left[part.name] -= 1
            if self._left[part.name] == 0:
                self._settle(part)
        if self._running or self._queue:
            self._advance(wait=False)

    def finish(self) -> frozenset[str]:
        """Waits for every part's bundle; returns the parts left stale (`Plan.later`)."""
        self._plan.go_on()
        unstaged = [part.name for part in self._parts if self._left[part.name] > 0]
        if unstaged:  # every part's page is an output: a builder bug, not the content's
            raise SearchIndexError(f"search parts {unstaged} lack pages in staging")
        self._advance(wait=True)
        self.close()
        names = {part.name for part in self._parts}
        for entry in _entries(self._staging / FOLDER):
            if entry not in names:  # a spare site's bundle of a part this build has not
                clear(self._staging, f"{FOLDER}/{entry}")
        if not names:  # no article left: a fresh build has no index folder either
            clear(self._staging, FOLDER)
        return frozenset(self._stale)

    def close(self) -> None:
        """Stops any Pagefind still running (the build failed or was called off), and
        removes the pages given to Pagefind."""
        for run in self._running:
            run.process.kill()
        for run in self._running:  # killed first, all: a second Ctrl-C leaves none running
            run.process.wait()
        self._running.clear()
        shutil.rmtree(self._staging / _SHADOW, ignore_errors=True)

    def _settle(self, part: Part) -> None:
        """Keeps the published bundle of a part none of whose pages changed, or queues it."""
        bundle = f"{FOLDER}/{part.name}"
        current = (part.name not in self._plan.stale and part.name not in self._changed
                   and page_count(self._out / bundle, self._language) == len(part.pages))
        if (current or self._plan.later) and reuse(self._out, self._staging, bundle, SIGN):
            if not current:
                self._stale.add(part.name)
        else:
            self._queue.append(part)

    def _advance(self, wait: bool) -> None:
        """Reaps the runs that ended and starts queued parts while there is room; with
        `wait`, until every queued part is indexed."""
        while True:
            for run in [run for run in self._running if run.process.poll() is not None]:
                run.finish()
                self._running.remove(run)
            while self._queue and self._has_room(self._queue[0]):
                self._start(self._queue.popleft())
            if not wait or not self._running:
                return
            self._progress.stage(self._running_now())
            self._wait_for_a_run()

    def _running_now(self) -> str:
        """'indexing search part 2025 (1/3), 3,889 articles', or with two runs
        'indexing search parts 2025 (1/3) and 2022_2023 (3/3), 7,848 articles'."""
        total = len(self._parts)
        runs = [f"{run.part.name} ({self._parts.index(run.part) + 1}/{total})"
                for run in self._running]
        pages = sum(len(run.part.pages) for run in self._running)
        return (f"indexing search {plural(len(runs), 'part')} {' and '.join(runs)}, "
                f"{counted(pages, 'article')}")

    def _wait_for_a_run(self) -> None:
        """Until any run ends (the next part may start in its place), or the build is called
        off; the runs stay listed until reaped, so that `close` can stop them."""
        cancel = self._plan.cancel
        while all(run.process.poll() is None for run in self._running):
            if cancel is None:
                time.sleep(POLL_SECONDS)
            elif cancel.wait(POLL_SECONDS):
                names = " and ".join(run.part.name for run in self._running)
                raise Cancelled(f"indexing {plural(len(self._running), 'part')} {names} "
                                "was called off")

    def _has_room(self, part: Part) -> bool:
        pages = sum(len(run.part.pages) for run in self._running)
        return not self._running or (len(self._running) < parallel.workers()
                                     and pages + len(part.pages) <= self._pages_at_once)

    def _start(self, part: Part) -> None:
        self._plan.go_on()
        self._running.append(_Run.start(self._staging, part, self._language))


@dataclass
class _Run:
    """One Pagefind process indexing one part into staging/pagefind/<part>/."""

    part: Part
    process: subprocess.Popen[bytes]
    shadow: Path
    log: Path
    """What Pagefind printed, kept for the error message."""

    @classmethod
    def start(cls, staging: Path, part: Part, language: str) -> _Run:
        """Pagefind reads a shadow folder holding only the part's pages (`indexed_page`, at
        their own paths, so result URLs are right). Every page goes into the site's
        language: Pagefind would otherwise split the index by each page's `lang`, and the
        search page would never find an article written in another language; the cost is
        that only the site language is stemmed."""
        shadow = staging / _SHADOW / part.name
        for page in part.pages:
            target = shadow / safe_relative(page)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(indexed_page((staging / page).read_bytes()))
        clear(staging, f"{FOLDER}/{part.name}")  # a spare site's bundle
        command = [str(get_executable()), "--site", str(shadow), "--silent", "--output-path",
                   str(staging / FOLDER / part.name), "--force-language", language]
        log = shadow.with_name(f"{part.name}.log")
        with log.open("wb") as output:
            process = subprocess.Popen(command, stdout=output, stderr=output, env=os.environ | {
                "PAGEFIND_UNSTABLE_INDEX_CHUNK_SIZE": str(INDEX_CHUNK_SIZE)})
        return cls(part, process, shadow, log)

    def finish(self) -> None:
        """Reaps the ended process; raises SearchIndexError if Pagefind failed."""
        code = self.process.wait()
        shutil.rmtree(self.shadow)
        output = self.log.read_text(errors="replace").strip()
        if code != 0:
            raise SearchIndexError(f"pagefind failed on part {self.part.name} ({code}): "
                                   f"{output}")


def _entries(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def page_count(bundle: Path, language: str) -> int | None:
    """Pages in a published bundle indexed in `language`; None when there is none."""
    try:
        entry = json.loads((bundle / SIGN).read_text())
        languages = entry["languages"]
        if set(languages) != {language}:
            return None
        return sum(int(part["page_count"]) for part in languages.values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
