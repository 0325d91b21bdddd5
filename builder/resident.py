"""What a build keeps of the last one it published, so that an edit to articles costs the
pages that show them, not a build of the archive.

When every source but the articles is as the last build read it, no article file was
added or removed, and each edited article kept its place in the site (`model.placement`:
its address, date, names, source, claims and corrections), then the last build's model
still describes the site once its entries take the new versions (`Model.revise`). Page
keys cover the articles their pages show (`pagekeys`), so the only keys that can have
changed are those that covered an edited article: the last build recorded which
(`Model.covers`). Those pages are rendered from the revised model, unless their key is
unchanged (a body edit changes only its article's page), and every other file is kept.
Any other edit takes the full build.

`warchive serve` holds the last build in memory. `warchive build` keeps it in the cache
(`Memory.kept_in`): the next run reads a small record of it (`Last`), and reads the model
itself only for a body edit: 0.2 s at 10k articles, where loading and ranking take over
a second. Pickling the model takes 0.4 s, so a process the build leaves behind writes it
(`_write_in_background`): the build ends as soon as its site is published.
"""

from __future__ import annotations

import contextlib
import os
import time
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import cache, pagekeys, render
from .articles import Article
from .model import Entry, Site, keeps_placement
from .problems import Problem

_LAST = "last.pickle"
_MODEL = "model.pickle"


def _nothing() -> None:
    """A build that shows no progress waits for the model's writer in silence."""


@dataclass(frozen=True, slots=True)
class Model:
    """What the last full build rendered its pages from."""

    site: Site
    related: Mapping[Entry, Sequence[Entry]]
    covers: Mapping[str, array[int]]
    """Each file's path, and the entries its key covers (`render.Output.covers`)."""

    def entries(self) -> dict[str, Entry]:
        return {entry.article.path: entry for entry in self.site.entries}

    def revise(self, articles: Sequence[Article]) -> Revision | None:
        """Gives the site's entries of `articles`, new versions of theirs, those versions;
        None, changing nothing, unless each keeps its placement (`model.keeps_placement`)."""
        entries = self.entries()
        revised = [entries[article.path] for article in articles]
        if not all(keeps_placement(self.site, entry, article)
                   for entry, article in zip(revised, articles, strict=True)):
            return None
        previous = [entry.article for entry in revised]
        for entry, article in zip(revised, articles, strict=True):
            entry.article = article
        return Revision(revised, previous)

    def stale(self, revised: Sequence[Entry]) -> set[str]:
        """The files whose keys cover a `revised` entry: those its revision may change."""
        ranks = {self.site.order[entry] for entry in revised}
        return {path for path, covers in self.covers.items() if not ranks.isdisjoint(covers)}


@dataclass(frozen=True, slots=True)
class Revision:
    """Entries given new versions of their articles (`Model.revise`)."""

    entries: list[Entry]
    previous: list[Article]
    """The versions they replaced: `undo` gives them back."""

    def undo(self) -> None:
        for entry, article in zip(self.entries, self.previous, strict=True):
            entry.article = article


@dataclass(frozen=True, slots=True)
class Last:
    """The last build that published into `out`."""

    out: Path
    base: str
    """Its key for every page (`pipeline.Prior.base`): all sources but the articles, and
    the build's options."""
    marker: str
    """The identity of its marker file (`cache.marker_identity`): `out` still holds this
    build while the marker is the same file."""
    digests: dict[str, str]
    """Every article file's path and the digest of its text."""
    heads: dict[str, str]
    """The front-matter digest (`Article.head_digest`) of each article in the site."""
    paths: list[str]
    """Every file it published, in order; their page keys are in the cache's record of
    `out` (`cache.published_pages`), which is this build's while the marker is."""
    warnings: list[Problem]
    """What it warned of: all from front matter and YAML, each in the file it is about."""
    model: str
    """Which `Model` it was rendered from: the marker identity of the full build that
    made the model (later edits publish from the same model, revised)."""
    revised: dict[str, Article] = field(default_factory=dict)
    """Each article edited since the model was made, as it is now: the model read from
    the cache takes them (`Model.revise`) before it describes this build."""


@dataclass(slots=True)
class Memory:
    """What a build reads of the last one, and renews when it publishes. A build that
    fails leaves the published site, so the memory stays true; one that fails after
    publishing leaves a marker this memory does not know."""

    last: Last | None = None
    model: Model | None = None
    folder: Path | None = None
    """Where the memory is kept between processes; None: in this process alone."""
    background: bool = True
    """Whether the model is written by a process left behind (see the module's doc)."""
    _read: bool = field(default=False, repr=False)

    @classmethod
    def kept_in(cls, site_dir: Path, background: bool = True) -> Memory:
        """The memory `warchive build` keeps in `site_dir`'s cache, read when first needed."""
        return cls(folder=site_dir.resolve() / cache.CACHE_DIR, background=background)

    def recall(self) -> Last | None:
        if self.last is None and self.folder is not None and not self._read:
            self._read = True
            last = cache.read_record(self.folder / _LAST)
            self.last = last if isinstance(last, Last) else None
        return self.last

    def recall_model(self, waiting: Callable[[], None] = _nothing) -> Model | None:
        """The model `last` was rendered from, or None where it cannot be read. A model
        still being written (a full build just ended) is waited for, after `waiting` is
        called: at 100k articles writing it takes seconds, a full build twenty."""
        if self.last is not None and self.model is None and self.folder is not None:
            _wait_for_writer(self.folder, self.last.model, waiting)
            model = _read_model(self.folder, self.last.model)
            revised = list(self.last.revised.values())
            if model is not None and (not revised or model.revise(revised) is not None):
                self.model = model
        return self.model

    def remember(self, last: Last, model: Model | None = None) -> None:
        """After a build published `last`; `model` is new, or None: the one it had. The
        model's writer is started (its lock taken) before the record that names the
        model is written: a build that reads the record finds the writer, or its model."""
        self.last, self._read = last, True
        if model is not None:
            self.model = model
        if self.folder is None:
            return
        if model is not None and self.background:
            _write_in_background(self.folder, last.model, model)
        elif model is not None:
            _write_model(self.folder, last.model, model)
        cache.write_record(self.folder / _LAST, last)

    def forget(self) -> None:
        """The published site is not what `last` says: the next build is a full one."""
        self.last, self.model, self._read = None, None, True


def _read_model(folder: Path, model_id: str) -> Model | None:
    stored = cache.read_record(folder / _MODEL)
    if isinstance(stored, tuple) and stored[0] == model_id and isinstance(stored[1], Model):
        return stored[1]
    return None


def _write_model(folder: Path, model_id: str, model: Model) -> None:
    """A cache deleted since the build is not made again."""
    if folder.is_dir():
        cache.write_record(folder / _MODEL, (model_id, model))


def _write_in_background(folder: Path, model_id: str, model: Model) -> None:
    """Writes in a grandchild process, adopted by init, so that nothing waits for it: not
    this process, and not whoever reads its output (its standard streams are closed).
    It holds a lock named by the model (`_writing`) until it is done, taken here, so a
    build that starts meanwhile knows to wait for it (`_wait_for_writer`). Where no such
    process can be started, the model is written here."""
    if not (hasattr(os, "fork") and _writer_started(folder, model_id, model)):
        _write_model(folder, model_id, model)


def _writer_started(folder: Path, model_id: str, model: Model) -> bool:
    """False, leaving no lock file, if the lock or the process cannot be made."""
    import fcntl  # where processes fork

    lock = _writing(folder, model_id)
    try:
        handle = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o644)
    except OSError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # a new file: no one else has it
        child = os.fork()
    except OSError:
        os.close(handle)
        with contextlib.suppress(OSError):
            os.unlink(lock)
        return False
    if child:
        os.close(handle)  # the writer's copy holds the lock until it ends
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)
        return True
    try:
        try:
            writer = os.fork() == 0
        except OSError:
            writer = True  # no third process: this one writes, and the build waits for it
        if writer:
            _detach(keep=handle)
            _write_model(folder, model_id, model)
            os.unlink(lock)
    finally:
        os._exit(0)


def _wait_for_writer(folder: Path, model_id: str, waiting: Callable[[], None]) -> None:
    """Waits (a minute at most) while a writer of that model is at work. Asked before the
    model is read: the writer puts the model in place before it removes its lock file,
    so once the lock file is gone the model is there (or will never be). Asked after a
    read that missed, it would miss a writer ending during that read (0.2 s at 10k)."""
    try:
        handle = os.open(_writing(folder, model_id), os.O_RDONLY)
    except OSError:
        return
    import fcntl  # a lock file is only made where processes fork

    try:
        for attempt in range(3000):
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if attempt == 0:
                    waiting()
                time.sleep(0.02)
    finally:
        os.close(handle)


def _writing(folder: Path, model_id: str) -> Path:
    return folder / f"model.{model_id.replace(':', '-')}.writing"


def _detach(keep: int) -> None:
    """Lets go of the terminal, of the working folder and of every file the build had
    open but `keep`: a pipe reading the build's output ends when the build does."""
    os.setsid()  # Ctrl-C in the terminal is for the build, which is over
    os.chdir("/")  # nor does it keep the build's folder busy
    null = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(null, stream)
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
    os.nice(10)


Parse = Callable[[str], tuple[Article | None, list[Problem]]]


@dataclass(frozen=True, slots=True)
class Edited:
    """The articles edited since the last build, parsed anew."""

    articles: list[Article]
    warnings: list[Problem]
    """The build's warnings: the last build's about other files, and these articles'."""


def edited(last: Last, articles: Sequence[tuple[str, str]], parse: Parse) -> Edited | None:
    """The articles (path, text digest) edited since `last`; None unless the same files
    are there, and each edited one is in the site and parses without a problem."""
    if len(articles) != len(last.digests):
        return None
    changed = []
    for path, text_digest in articles:
        known = last.digests.get(path)
        if known is None:
            return None
        if known != text_digest:
            changed.append((path, text_digest))
    edited_paths = {path for path, _ in changed}
    found, warnings = [], [w for w in last.warnings if w.path not in edited_paths]
    for path, text_digest in changed:
        article, problems = parse(path)
        if path not in last.heads or article is None or article.digest != text_digest:
            return None  # a draft left out of the site, a problem, or saved again since
        found.append(article)
        warnings += problems
    return Edited(found, sorted(warnings))


def outputs(last: Last, model: Model, revised: Sequence[Entry], keys: Mapping[str, str],
            shared: render.Globals, published: Callable[[str], bytes | None],
            ) -> Iterator[render.Output]:
    """Every file `last` published (whose page `keys` it recorded): kept, but those whose
    keys cover a `revised` entry (`Model.stale`), rendered from `model` if their key
    changed. `published` reads a published file (the exports are made from theirs)."""
    stale = model.stale(revised)
    site = model.site
    keys_of = pagekeys.Keys(last.base)
    made = {output.path: output
            for output in render.exports(site, keys_of, keys, published, revised)
            if output.path in stale}
    pages = {page.route.output: page for page in render.pages(site, model.related)
             if page.route.output in stale}
    for path in last.paths:
        page = pages.get(path)
        if page is not None:
            context = page.context()
            key = keys_of.page(page.template, path, context)
            data = None if key == keys.get(path) else shared.render(page, context)
            yield render.Output(path, data, key)
        else:
            yield made.get(path) or render.Output(path, None, keys.get(path))
