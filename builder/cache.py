"""The parse cache: articles already parsed (Markdown included), keyed by content hash.

A cache never changes the result: an entry is used only when the file's bytes, its path
and the builder's own source are exactly those it was made from. A cache that cannot be
read, or that another builder version wrote, is ignored and replaced.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import pickle
import shutil
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from . import heap
from .articles import Article
from .problems import Problem

Parsed = tuple[Article, list[Problem]]
"""An article and the warnings its parse gave (errors are never cached)."""

CACHE_DIR = ".warchive-cache"
_PARSED = "articles"
SHARDS = 64
"""The parse cache is kept in this many files, each article in the one its path hashes to."""
_CHECK = 4
"""Bytes of the checksum (CRC-32) each pickle starts with: it finds damage, and costs a
fifth of a hash (0.04 s less to read the 10k archive's model)."""
_PUBLISHED = "published.pickle"
_PAGE_KEYS = "pages.pickle"
_RELATED = "related.pickle"
_STAMPS = "stamps.pickle"
_TEMPLATES = "templates"

Stamped = tuple[tuple[int, int, int, int], str]
"""A file's (size, mtime_ns, ctime_ns, inode) and the digest of its text: a write to the
file changes its ctime, a replacement its inode, so an equal stat means the same text."""


@functools.cache
def builder_version() -> str:
    """A hash of the builder's own code and of the libraries that shape its output: a
    changed parser or renderer never reuses an old parse or page."""
    hasher = hashlib.blake2b(digest_size=16)
    for path in sorted(Path(__file__).parent.glob("*.py")):
        hasher.update(path.name.encode() + path.read_bytes())
    for module, library in _OUTPUT_LIBRARIES.items():
        hasher.update(f"{library}=={_installed_version(module, library)}".encode())
    return hasher.hexdigest()


_OUTPUT_LIBRARIES = {"jinja2": "jinja2", "markupsafe": "markupsafe",
                     "markdown_it": "markdown-it-py", "mdit_py_plugins": "mdit-py-plugins",
                     "yaml": "pyyaml", "translitua": "translitua", "pagefind_bin": "pagefind-bin"}
"""Each library's module, and the distribution that installs it."""


def _installed_version(module: str, library: str) -> str:
    """The version in the name of the library's `*.dist-info` folder beside its module,
    where pip puts it; else from `importlib.metadata`, whose import costs 0.02 s of every
    command."""
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.origin:
        package = spec.submodule_search_locations is not None
        folder = Path(spec.origin).parent.parent if package else Path(spec.origin).parent
        prefix = library.replace("-", "_").lower() + "-"
        found = [name[len(prefix) : -len(".dist-info")] for name in _listing(folder)
                 if name.lower().startswith(prefix) and name.endswith(".dist-info")]
        if len(found) == 1:  # more: one left behind by an upgrade; ask the library's files
            return found[0]
    from importlib import metadata

    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "missing"


@functools.cache
def _listing(folder: Path) -> tuple[str, ...]:
    try:
        return tuple(os.listdir(folder))
    except OSError:
        return ()


@dataclass
class ParseCache:
    version: str
    articles: dict[str, tuple[str, Parsed]] = field(default_factory=dict)
    """Path to (digest of its text, its parse and warnings)."""

    def get(self, path: str, text_digest: str) -> Parsed | None:
        found = self.articles.get(path)
        return found[1] if found and found[0] == text_digest else None


def load(site_dir: Path) -> ParseCache:
    """Every readable shard's articles; a damaged shard or one another builder version
    wrote only costs its articles a parse."""
    version = builder_version()
    articles: dict[str, tuple[str, Parsed]] = {}
    for number in range(SHARDS):
        shard = _read_shard(_shard_path(site_dir, number), version)
        if shard is not None:
            articles.update(shard.articles)
    return ParseCache(version, articles)


_read_before: dict[str, tuple[tuple[int, int, int], ParseCache]] = {}
"""Shards this process has read, by path, with their file's (inode, size, mtime): the dev
server's rebuilds take an unchanged shard from here instead of unpickling it again (0.2 s
at 10k articles). A saved shard is a new file (a new inode), so it is read again."""


def _read_shard(path: Path, version: str) -> ParseCache | None:
    """The shard at `path`, if this builder `version` wrote it. Another version's is not
    kept: the first build after an upgrade held the whole old parse in memory (500 MB
    at 100k articles) while it parsed the archive anew."""
    try:
        status = path.stat()
    except OSError:
        return None
    identity = (status.st_ino, status.st_size, status.st_mtime_ns)
    known = _read_before.get(str(path))
    if known is not None and known[0] == identity:
        return known[1]
    shard = read_pickle(path)
    if not isinstance(shard, ParseCache) or shard.version != version:
        _read_before.pop(str(path), None)
        return None
    _read_before[str(path)] = identity, shard
    return shard


def read_pickle(path: Path) -> object:
    """What `write_pickle` wrote at `path`; None if it is missing or damaged."""
    try:
        data = path.read_bytes()
        payload = memoryview(data)[_CHECK:]  # not a copy: the 100k model is 329 MB
        if _checksum(payload) != data[:_CHECK]:
            return None  # damaged: unpickling it could ask for any amount of memory
        with heap.paused_gc():
            return pickle.loads(payload)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
            IndexError, TypeError, ValueError, MemoryError):
        return None


def write_pickle(path: Path, value: object) -> None:
    """Pickled behind its checksum, to a temporary file renamed into place, so an
    interrupted write leaves no half file; a cache that cannot be written (a full disk, a
    value that cannot be pickled) is only a slower next build."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        with open(temporary, "wb") as handle:
            handle.write(_checksum(payload))
            handle.write(payload)
        os.replace(temporary, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _checksum(payload: bytes | memoryview) -> bytes:
    return zlib.crc32(payload).to_bytes(_CHECK, "big")


def read_record(path: Path) -> object:
    """What `write_record` wrote at `path`, if this builder version wrote it, else None:
    its code made it, so its shape is the one expected."""
    stored = read_pickle(path)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == builder_version():
        return stored[1]
    return None


def write_record(path: Path, value: object) -> None:
    write_pickle(path, (builder_version(), value))


def save(site_dir: Path, old: ParseCache, new: ParseCache) -> None:
    """Writes the shards in which `new` differs from `old` (what `load` gave): one edit
    rewrites one shard, not the whole archive's parse (a second at 10k articles)."""
    changed = {_shard(path) for path in old.articles.keys() ^ new.articles.keys()}
    changed |= {_shard(path) for path, (text_digest, _) in new.articles.items()
                if path in old.articles and old.articles[path][0] != text_digest}
    shards: dict[int, dict[str, tuple[str, Parsed]]] = {number: {} for number in changed}
    for path, parsed in new.articles.items():
        if (number := _shard(path)) in shards:
            shards[number][path] = parsed
    for number, articles in sorted(shards.items()):
        write_pickle(_shard_path(site_dir, number), ParseCache(new.version, articles))


def _shard(path: str) -> int:
    return zlib.crc32(path.encode()) % SHARDS


def _shard_path(site_dir: Path, number: int) -> Path:
    return site_dir / CACHE_DIR / _PARSED / f"{number:02d}.pickle"


def fingerprint(parts: Iterable[tuple[str, str | bytes]], options: str) -> str:
    """One hash of every source file, the build options and the builder's own code."""
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(builder_version().encode() + b"\0" + options.encode() + b"\0")
    for name, data in parts:
        hasher.update(name.encode() + b"\0")
        hasher.update(data if isinstance(data, bytes) else data.encode())
        hasher.update(b"\0")
    return hasher.hexdigest()


@dataclass(frozen=True, slots=True)
class Published:
    """What the last clean build into an output folder was made from."""

    fingerprint: str
    articles: int
    files: int
    marker: str
    """Identity (inode, mtime) of the output's marker file after that build: any other
    build into the folder, or a restored copy, replaces it."""


def marker_identity(marker: Path) -> str:
    try:
        status = marker.stat()
    except OSError:
        return ""
    return f"{status.st_ino}:{status.st_mtime_ns}"


def published(site_dir: Path, out: Path) -> Published | None:
    record = _records(site_dir / CACHE_DIR / _PUBLISHED).get(str(out.resolve()))
    return record if isinstance(record, Published) else None


def remember_published(site_dir: Path, out: Path, record: Published | None) -> None:
    """Records (or, with None, forgets) the build now published in `out`."""
    _update_record(site_dir / CACHE_DIR / _PUBLISHED, str(out.resolve()), record)


def _update_record(path: Path, name: str, record: object,
                   records: dict[str, Any] | None = None) -> None:
    """Sets (None: removes) one output folder's record in a file of the cache, whose
    `records` were read already, or are read here."""
    records = _records(path) if records is None else records
    # Folders since removed (e.g. each `warchive serve`'s temporary one) are forgotten.
    records = {folder: kept for folder, kept in records.items() if Path(folder).is_dir()}
    if record is None:
        records.pop(name, None)
    else:
        records[name] = record
    write_record(path, records)


def _records(path: Path) -> dict[str, Any]:
    """The records of a file of the cache, by output folder; none if unreadable."""
    records = read_record(path)
    return records if isinstance(records, dict) else {}


@dataclass(frozen=True, slots=True)
class Spare:
    """The site the last build replaced, as its record describes it. `publish.swap` leaves it
    at the staging folder's path, and the next build brings it up to date (`publish.stage`): it
    changes the files that differ instead of linking the archive's 27,000 files anew."""

    marker: str
    """The identity of its marker file (`marker_identity`): the tree at the staging
    path is this site while its marker is that file."""
    paths: frozenset[str]
    """Every file it holds."""
    fresh: frozenset[str] | None = None
    """The published site's files that are not the spare's (hard links to them): those
    the build that published it wrote anew (`publish.Staged.fresh`). None if unknown."""


@dataclass(frozen=True, slots=True)
class Pages:
    """What the cache knows of the sites a build in `out` replaces and stages in."""

    keys: dict[str, str]
    """The keys of the pages published in `out` (`pagekeys`); none unless `out` still
    holds the build they were recorded with."""
    spare: Spare | None
    """The site the build now published in `out` replaced."""


def published_pages(site_dir: Path, out: Path, marker: Path) -> Pages:
    """The page keys of `out`, if its `marker` is still the recorded build's, and the
    record of the spare site. The spare's is kept as a difference from the published
    record: the keyed files each lacks, and the spare's unkeyed files."""
    record = _page_record(_records(site_dir / CACHE_DIR / _PAGE_KEYS), out)
    if record is None:
        return Pages({}, None)
    keys: dict[str, str] = record["keys"]
    current = bool(record["marker"]) and record["marker"] == marker_identity(marker)
    try:
        old = record["spare"]
        paths = (set(keys) - set(old["lacks"])) | set(old["gone"]) | set(old["unkeyed"])
        fresh = frozenset(record["fresh"]) if current else None
        spare = Spare(str(old["marker"]), frozenset(map(str, paths)), fresh)
    except (KeyError, TypeError, ValueError):
        spare = None
    return Pages(keys if current else {}, spare)


def _page_record(records: dict[str, Any], out: Path) -> dict[str, Any] | None:
    record = records.get(str(out.resolve()))
    if isinstance(record, dict) and isinstance(record.get("keys"), dict):
        return record
    return None


def remember_page_keys(site_dir: Path, out: Path, marker: Path, keys: dict[str, str],
                       paths: list[str], fresh: list[str]) -> None:
    """Records the keys of the pages now published in `out`, its other files' paths, and
    those it wrote anew; the record it replaces becomes the spare's (`published_pages`)."""
    identity = marker_identity(marker)
    record: dict[str, Any] = {"marker": identity, "keys": keys, "fresh": fresh,
                              "unkeyed": [path for path in paths if path not in keys]}
    file = site_dir / CACHE_DIR / _PAGE_KEYS
    records = _records(file)
    old = _page_record(records, out)
    if old and old["marker"] and old["marker"] != identity and "unkeyed" in old:
        before: dict[str, str] = old["keys"]
        record["spare"] = {"marker": old["marker"], "unkeyed": old["unkeyed"],
                           "gone": [path for path in before if path not in keys],
                           "lacks": [path for path in keys if path not in before]}
    _update_record(file, str(out.resolve()), record, records)


def related_memo(site_dir: Path) -> dict[str, tuple[str, list[str]]]:
    """The last build's related-coverage lists (`related.Memo`), or none."""
    memo = read_record(site_dir / CACHE_DIR / _RELATED)
    return memo if isinstance(memo, dict) else {}


def remember_related(site_dir: Path, memo: dict[str, tuple[str, list[str]]]) -> None:
    write_record(site_dir / CACHE_DIR / _RELATED, memo)


def stamps(site_dir: Path) -> dict[str, Stamped]:
    """The article files' stats and digests as the last build read them, or none."""
    known = read_record(site_dir / CACHE_DIR / _STAMPS)
    return known if isinstance(known, dict) else {}


def remember_stamps(site_dir: Path, known: dict[str, Stamped]) -> None:
    write_record(site_dir / CACHE_DIR / _STAMPS, known)


def compiled_templates(site_dir: Path) -> jinja2.BytecodeCache | None:
    """Jinja's compiled templates, so that a rebuild does not compile them again (0.2 s of
    a one-edit rebuild at 10k); None where the cache folder cannot be made. Jinja checks
    each against its template's source; the folder is named by the builder version, as
    the environment's options shape the code too, and folders of other versions are
    removed (a build of another version running meanwhile only compiles again)."""
    root = site_dir / CACHE_DIR / _TEMPLATES
    folder = root / builder_version()
    try:
        if not folder.is_dir():
            for other in root.glob("*"):
                shutil.rmtree(other, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _CompiledTemplates(str(folder))


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """A compiled template that cannot be read or written is compiled from its source."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)
