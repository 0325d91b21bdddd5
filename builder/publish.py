"""The only writer of the site: a staging folder, then an atomic swap into place.

Readers never see a half-built site: every page and the search index are written beside the
published folder, which is replaced in one step only when all of it succeeded.
"""

from __future__ import annotations

import ctypes
import glob
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .render import Output

MARKER = ".warchive-build"
"""Left in every output folder, so a build never replaces a folder it did not make."""
_RENAME_EXCHANGE = 2


class PublishError(Exception):
    """The output folder cannot be used; nothing was written."""


class KeptFileMissing(PublishError):
    """A page left unrendered, as its published copy was current, is gone from the
    published site (deleted by hand?): the build must render every page."""


def staging_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.staging"


def check_out_dir(out: Path, site_dir: Path) -> None:
    out, site_dir = out.resolve(), site_dir.resolve()
    if out == site_dir or out in site_dir.parents:
        raise PublishError(f"{out} holds the site's sources; choose another output folder")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise PublishError(f"{out} is not empty and was not made by warchive; "
                           "choose another output folder or empty it first")


def safe_relative(path: str) -> str:
    """The output path, refused when it could land outside the output folder (or name one
    file in two ways, which would let two outputs write it)."""
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or {"", ".", ".."} & set(parts):
        raise PublishError(f"refusing to write {path!r}: outside the output folder")
    return path


@dataclass
class Staged:
    """What a staging pass did, so later steps know what changed."""

    path: Path
    files: int = 0
    written: int = 0
    """Files whose bytes differ from the published site's (the rest are hard links to it)."""
    keys: dict[str, str] = field(default_factory=dict)
    """Output path to page key (`pagekeys`), for every output that has one."""
    paths: list[str] = field(default_factory=list)
    """Every output's path, in order."""
    unindexed: frozenset[str] = frozenset()
    """Search parts whose changed pages their bundle does not hold yet (`search.Plan`)."""


Watch = Callable[[bytes], bytes | None]
Staging = Callable[[str, bool], None]


def unwatched(path: str, changed: bool) -> None:
    """A `Staging` for a build that has nothing to tell of each file (no search index)."""


def stage(outputs: Iterable[Output], out: Path, watch: Watch = lambda data: None,
          each: Staging = unwatched) -> Staged:
    """Writes every output into a fresh staging folder.

    A file whose bytes equal the published one is hard-linked to it instead of written,
    so its modification time stays and deploy tools copy only what changed; so is an
    output without data (a page not rendered again, as its key is unchanged). `watch` picks
    the part of a file that matters to a later step (the search-indexed text). Once a file
    is in staging, `each` is told its path and whether its watched part differs from the
    published file's: the search index starts on a part as soon as its pages are there.
    """
    staged = Staged(staging_dir(out))
    if staged.path.exists():
        shutil.rmtree(staged.path)
    staged.path.mkdir(parents=True)
    (staged.path / MARKER).write_bytes(b"")  # always new: its identity marks this build
    root, published_root = str(staged.path), str(out)
    made: set[str] = set()
    seen = {MARKER}
    for output in outputs:
        relative = safe_relative(output.path)
        if relative in seen:
            raise PublishError(f"two outputs would write {output.path!r} (a file in "
                               "templates/static/ with the name of a generated page?)")
        seen.add(relative)
        staged.paths.append(relative)
        folder = os.path.dirname(relative)
        if folder not in made:
            os.makedirs(os.path.join(root, folder), exist_ok=True)
            made.add(folder)
        staged.files += 1
        if output.key is not None:
            staged.keys[relative] = output.key
        target, published = os.path.join(root, relative), os.path.join(published_root, relative)
        changed = False
        if output.data is None:
            _keep(published, target)
        elif not _link_unchanged(published, target, output.data):
            with open(target, "wb") as handle:
                handle.write(output.data)
            staged.written += 1
            part = watch(output.data)
            changed = part is not None and part != _published_part(published, watch)
        each(relative, changed)
    return staged


def _keep(published: str, target: str) -> None:
    try:
        os.link(published, target)
    except OSError as error:
        raise KeptFileMissing(f"{published} is no longer there to keep: {error}") from error


def _published_part(published: str, watch: Watch) -> bytes | None:
    try:
        with open(published, "rb") as handle:
            return watch(handle.read())
    except OSError:
        return None


def _link_unchanged(published: str, target: str, data: bytes) -> bool:
    try:
        if os.stat(published).st_size != len(data):
            return False
        with open(published, "rb") as handle:
            if handle.read() != data:
                return False
        os.link(published, target)
    except OSError:
        return False
    return True


def reuse(out: Path, staging: Path, folder: str) -> bool:
    """Hard-links a folder of the published site (e.g. the search index) into staging."""
    source = out / folder
    if not source.is_dir():
        return False
    shutil.copytree(source, staging / folder, copy_function=os.link)
    return True


def swap(staging: Path, out: Path) -> None:
    """Puts the staged site in place in one step, then removes the old one. Should that
    step fail, the old site stays as it was, hidden entries included."""
    if not out.exists():
        os.rename(staging, out)
        return
    carried = _carry_hidden(out, staging)
    try:
        if not _exchange(staging, out):
            _replace(staging, out)
            return
    except BaseException:
        for name in carried:
            os.rename(staging / name, out / name)
        raise
    remove_later(staging)


def _replace(staging: Path, out: Path) -> None:
    """Two renames where the atomic exchange is not supported."""
    old = out.parent / f".{out.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    os.rename(out, old)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(old, out)
        raise
    remove_later(old)


def _carry_hidden(out: Path, staging: Path) -> list[str]:
    """Hidden top-level entries of the published folder that no build makes (a `.git` of
    a deploy branch, a `.well-known`) move into the new site instead of being deleted."""
    carried = []
    for entry in out.iterdir():
        if (entry.name.startswith(".") and entry.name != MARKER
                and not (staging / entry.name).exists()):
            os.rename(entry, staging / entry.name)
            carried.append(entry.name)
    return carried


REMOVING = ".removing-"
"""Infix of a replaced site's folder name while it is being deleted."""


def remove_later(folder: Path) -> None:
    """Deletes a replaced site after the build has returned: deleting its 30,000 files
    and folders took 0.4 s of a one-edit rebuild of 10,000 articles. The folder is first
    renamed, so the next build's staging never meets it; folders that an earlier removal
    left (the machine stopped) go with it. The site is in place already: nothing here
    fails the build."""
    doomed = folder.parent / f"{folder.name}{REMOVING}{os.getpid()}-{time.time_ns()}"
    try:
        os.rename(folder, doomed)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return
    pattern = f"{glob.escape(folder.name)}{REMOVING}*"
    targets = sorted({str(doomed), *map(str, folder.parent.glob(pattern))})
    _removals[:] = [removal for removal in _removals if removal.poll() is None]
    try:  # its own session: a Ctrl-C that stops the build lets it finish
        _removals.append(subprocess.Popen(
            ["rm", "-rf", "--", *targets], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    except OSError:  # no `rm` here: delete now
        for target in targets:
            shutil.rmtree(target, ignore_errors=True)


_removals: list[subprocess.Popen[bytes]] = []
"""The `rm` processes `remove_later` started. Each is waited for (`poll`) by a later call
once it has finished: a long-running process (`warchive serve`, perhaps the first process
of a container, which no one else reaps for) keeps no finished ones as zombies."""


def discard(out: Path, later: bool = False) -> None:
    """Removes a failed build's staging folder; `later` for one called off by the next
    build, which should not wait for it."""
    if later and staging_dir(out).exists():
        remove_later(staging_dir(out))
    else:
        shutil.rmtree(staging_dir(out), ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Linux renameat2(RENAME_EXCHANGE): both names swap atomically. False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)
