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
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .cache import Spare, marker_identity
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
    keys: dict[str, str] = field(default_factory=dict)
    """Output path to page key (`pagekeys`), for every output that has one."""
    paths: list[str] = field(default_factory=list)
    """Every output's path, in order."""
    fresh: list[str] = field(default_factory=list)
    """The files written anew, their bytes not the published site's: the others are the
    published files' inodes, which the next build, staging in this site's folder, need
    not link again."""
    unindexed: frozenset[str] = frozenset()
    """Search parts whose changed pages their bundle does not hold yet (`search.Plan`)."""

    @property
    def files(self) -> int:
        return len(self.paths)

    @property
    def written(self) -> int:
        return len(self.fresh)


Watch = Callable[[bytes], bytes | None]
Staging = Callable[[str, bool], None]


def unwatched(path: str, changed: bool) -> None:
    """A `Staging` for a build that has nothing to tell of each file (no search index)."""


def stage(outputs: Iterable[Output], out: Path, watch: Watch = lambda data: None,
          each: Staging = unwatched, spare: Spare | None = None,
          kept: Collection[str] = ()) -> Staged:
    """Writes every output into the staging folder: a fresh one, or the `spare` site
    brought up to date, with its top-level folders named in `kept` left for the caller
    (the search index) to bring up to date.

    A file whose bytes equal the published one is hard-linked to it instead of written,
    so its modification time stays and deploy tools copy only what changed; so is an
    output without data (a page not rendered again, as its key is unchanged). A spare's
    file that is the published one (the same inode) is left as it is. `watch` picks the
    part of a file that matters to a later step (the search-indexed text). Once a file is
    in staging, `each` is told its path and whether its watched part differs from the
    published file's: the search index starts on a part as soon as its pages are there.
    """
    staged = Staged(staging_dir(out))
    held = _recycled(staged.path, spare, kept)
    sweep(staged.path)
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
        if output.key is not None:
            staged.keys[relative] = output.key
        target, published = os.path.join(root, relative), os.path.join(published_root, relative)
        if output.data is None and relative in held and _is_published(spare, relative, root,
                                                                      published_root):
            each(relative, False)
            continue
        folder = os.path.dirname(relative)
        if folder not in made:
            _make_folder(root, folder, seen)
            made.add(folder)
        try:
            written = _place(output.data, published, target)
        except FileExistsError:  # a spare site's file or folder is there, or another output's
            _clear_way(root, relative, seen)
            written = _place(output.data, published, target)
        changed = False
        if written and output.data is not None:
            staged.fresh.append(relative)
            part = watch(output.data)
            changed = part is not None and part != _published_part(published, watch)
        each(relative, changed)
    _remove_unlisted(root, held - seen)
    return staged


def published_file(out: Path, path: str) -> bytes | None:
    """The bytes of an output as `out` publishes it, if it is there."""
    try:
        return (out / safe_relative(path)).read_bytes()
    except OSError:
        return None


def _is_published(spare: Spare | None, relative: str, root: str, published_root: str) -> bool:
    """Whether the spare site's file (in `root`) is the published one, a hard link: so
    unless the build that published it wrote it anew, which its record tells (sparing two
    stats a file, 0.1 s of every 10k-article rebuild)."""
    if spare is not None and spare.fresh is not None:
        return relative not in spare.fresh
    return _same_file(os.path.join(published_root, relative), os.path.join(root, relative))


def _recycled(path: Path, spare: Spare | None, kept: Collection[str]) -> frozenset[str]:
    """Readies the staging folder: the spare site, if `path` holds it, with its top-level
    entries that no output of its own made (but those in `kept`) removed; else a fresh
    folder. Returns the files it holds."""
    if spare is None or not spare.marker or marker_identity(path / MARKER) != spare.marker:
        if path.exists():
            set_aside(path)
        path.mkdir(parents=True)
        return frozenset()
    os.unlink(path / MARKER)  # from here on no record names this tree: cut short, it is not reused
    tops = {relative.split("/", 1)[0] for relative in spare.paths} | set(kept)
    for entry in os.scandir(path):
        if entry.name not in tops:
            _remove(entry.path)
    return spare.paths


def _make_folder(root: str, folder: str, seen: set[str]) -> None:
    """Makes an output's folder, removing a file of the spare site where it goes; a file
    this build staged there is a conflict between two outputs."""
    try:
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        return
    except (FileExistsError, NotADirectoryError):
        pass
    parts = folder.split("/")
    for end in range(1, len(parts) + 1):
        prefix = "/".join(parts[:end])
        if not os.path.isdir(os.path.join(root, prefix)):
            if prefix in seen:
                raise PublishError(f"two outputs would write {prefix!r}: one as a file, one "
                                   "as a folder")
            _remove(os.path.join(root, prefix))
            break
    os.makedirs(os.path.join(root, folder), exist_ok=True)


def _remove(path: str) -> None:
    """Removes a file or a folder of the staging tree, if there."""
    try:
        os.unlink(path)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except (IsADirectoryError, PermissionError):
        shutil.rmtree(path, ignore_errors=True)


def _remove_unlisted(root: str, paths: Iterable[str]) -> None:
    """Removes the spare site's files that this build has not, and the folders they
    leave empty."""
    for relative in paths:
        try:
            os.unlink(os.path.join(root, relative))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            continue  # a folder now: this build made it for its own files
        folder = os.path.dirname(relative)
        while folder:
            try:
                os.rmdir(os.path.join(root, folder))
            except OSError:
                break
            folder = os.path.dirname(folder)


def _place(data: bytes | None, published: str, target: str) -> bool:
    """Links the published file at `target`, or writes `data` there; True if written. A
    file is always made anew, never written into: a spare site's file is a hard link to
    a published file, which writing in place would change."""
    if data is None:
        _keep(published, target)
        return False
    if _link_unchanged(published, target, data):
        return False
    with open(target, "xb") as handle:
        handle.write(data)
    return True


def _keep(published: str, target: str) -> None:
    try:
        os.link(published, target)
    except FileExistsError:
        raise
    except OSError as error:
        raise KeptFileMissing(f"{published} is no longer there to keep: {error}") from error


def _clear_way(root: str, relative: str, seen: set[str]) -> None:
    """Removes what a spare site has at an output's path; a folder holding a file this
    build staged is a conflict between two outputs."""
    path = os.path.join(root, relative)
    if os.path.isdir(path) and not os.path.islink(path):
        if any(other.startswith(f"{relative}/") for other in seen):
            raise PublishError(f"two outputs would write {relative!r}: one as a file, one "
                               "as a folder")
        shutil.rmtree(path)
    else:
        os.unlink(path)


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
    except FileExistsError:
        raise
    except OSError:
        return False
    return True


def reuse(out: Path, staging: Path, folder: str, sign: str) -> bool:
    """Hard-links a folder of the published site into staging; False if there is none.
    The folder's files are never changed, only replaced together (a search bundle): a
    spare site's copy is kept when its `sign` file is the published one."""
    source, target = out / folder, staging / folder
    if not source.is_dir():
        return False
    if _same_file(source / sign, target / sign):
        return True
    clear(staging, folder)
    shutil.copytree(source, target, copy_function=os.link)
    return True


def _same_file(a: Path | str, b: Path | str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def clear(staging: Path, relative: str) -> None:
    """Takes a spare site's file or folder out of staging, to be removed after the build."""
    path = staging / relative
    if path.exists() or path.is_symlink():
        remove_later(path, beside=staging)


def swap(staging: Path, out: Path) -> None:
    """Puts the staged site in place in one step. The old one is left at the staging
    path, as the next build's `Spare`, or, where that step is two renames, removed.
    Should it fail, the old site stays as it was, hidden entries included."""
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


def remove_later(folder: Path, beside: Path | None = None) -> None:
    """Deletes a folder (a replaced site, a spare's search bundle) after the build has
    returned: deleting a site's 30,000 files and folders took 0.4 s of a one-edit rebuild
    of 10,000 articles. Nothing here fails the build."""
    set_aside(folder, beside)
    sweep(beside or folder)


def set_aside(folder: Path, beside: Path | None = None) -> None:
    """Renames a folder for `sweep` to delete, so the next build's staging never meets
    it; one inside a tree about to be swapped is moved out of it, to lie `beside` that
    tree. Deleted at once if it cannot be renamed."""
    beside = beside or folder
    doomed = beside.parent / f"{beside.name}{REMOVING}{os.getpid()}-{time.time_ns()}"
    try:
        os.rename(folder, doomed)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


def sweep(beside: Path) -> None:
    """Deletes, in the background, the folders set aside beside `beside`: this build's,
    and any an earlier removal left (the machine stopped)."""
    pattern = f"{glob.escape(beside.name)}{REMOVING}*"
    _removals[:] = [removal for removal in _removals if removal[0].poll() is None]
    handed = {target for _, targets in _removals for target in targets}
    targets = sorted(set(map(str, beside.parent.glob(pattern))) - handed)
    if not targets:
        return
    try:  # its own session: a Ctrl-C that stops the build lets it finish
        _removals.append((subprocess.Popen(
            ["rm", "-rf", "--", *targets], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True),
            targets))
    except OSError:  # no `rm` here: delete now
        for target in targets:
            shutil.rmtree(target, ignore_errors=True)


_removals: list[tuple[subprocess.Popen[bytes], list[str]]] = []
"""The `rm` processes `sweep` started, with what each deletes. Each is waited for
(`poll`) by a later call once it has finished: a long-running process (`warchive serve`,
perhaps the first process of a container, which no one else reaps for) keeps no finished
ones as zombies."""


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
