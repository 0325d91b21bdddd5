"""`check()` and `build()`: read the sources, run the stages, stop at the first stage with problems.

This is the only module that reads `content/` and `templates/`.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import (
    cache,
    frontmatter,
    heap,
    markdown,
    parallel,
    publish,
    related,
    render,
    resident,
    search,
)
from .articles import Article, digest, parse_article
from .model import Entry, Site, build_site
from .problems import ContentError, Problem
from .progress import QUIET, Progress, counted
from .registries import KINDS, Registry, Subject, read_registry, read_subjects
from .settings import Settings, read_settings

TEMPLATE_SUFFIXES = (".html", ".xml")


@dataclass(slots=True)
class Sources:
    """Everything read from disk, keyed by path relative to the site."""

    articles: list[tuple[str, str]] = field(default_factory=list)
    """Path and digest of the text. The texts are read again to be parsed, if not cached:
    together, a 100k archive's texts would hold a gigabyte for the whole parse. Once
    parsed, the digest is the parsed text's: a save in between would have changed it."""
    yaml: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    assets: dict[str, bytes] = field(default_factory=dict)
    about: str | None = None
    """content/about.md: how the archive is curated."""
    stamps: dict[str, cache.Stamped] = field(default_factory=dict)
    """Each article file's stat and digest, so the next read skips the unchanged ones."""


@dataclass(frozen=True, slots=True)
class BuildResult:
    out: Path
    files: int
    written: int
    """Files whose bytes changed; the others kept their published copy."""
    articles: int
    warnings: list[Problem]
    unindexed: frozenset[str] = frozenset()
    """Search parts left for a later build to index (`search.Plan.later`)."""


def read_sources(site_dir: Path, known: Mapping[str, cache.Stamped] | None = None,
                 ) -> tuple[Sources, list[Problem]]:
    """Everything under content/ and templates/. An article file whose stat (size, times,
    inode) is the one in `known` is not read again: its digest is taken from there."""
    sources, problems = Sources(), list[Problem]()
    content = site_dir / "content"
    if not content.is_dir():
        return sources, [Problem(str(content), 0, "no content/ folder here",
                                 "run warchive in the folder that holds content/ and templates/")]
    for name in ("site", *KINDS, "claims"):
        path = content / f"{name}.yaml"
        if path.is_file():
            text = _decode(path.read_bytes(), _rel(path, site_dir), problems)
            sources.yaml[name] = frontmatter.normalise(text or "")
    about = content / "about.md"
    if about.is_file():
        sources.about = _decode(about.read_bytes(), _rel(about, site_dir), problems)
    folder = content / "articles"
    for rel, entry in _article_files(str(folder), _rel(folder, site_dir), content.resolve(),
                                     problems):
        stamped = _stamped(entry, rel, (known or {}).get(rel), problems)
        if stamped is not None:
            sources.articles.append((rel, stamped[1]))
            if time.time_ns() - stamped[0][2] > _RACY_NS:  # by ctime, which no tool sets
                sources.stamps[rel] = stamped
    _read_templates(site_dir / "templates", sources, problems)
    return sources, problems


_RACY_NS = 2_000_000_000
"""A file changed this recently (in ns) is not remembered by its stat: on a filesystem
with coarse timestamps, a second write in the same tick would keep the same stat."""


def _stamped(entry: os.DirEntry[str], rel: str, known: cache.Stamped | None,
             problems: list[Problem]) -> cache.Stamped | None:
    try:
        status = entry.stat()
        stamp = (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
        if known is not None and known[0] == stamp:
            return known
        data = Path(entry.path).read_bytes()
    except OSError as error:
        problems.append(Problem(rel, 0, f"cannot read this file: {error.strerror}",
                                "a broken symlink? fix or remove it"))
        return None
    text = _decode(data, rel, problems)
    return None if text is None else (stamp, digest(text))


def _rel(path: Path, site_dir: Path) -> str:
    return path.relative_to(site_dir).as_posix()


def _decode(data: bytes, rel: str, problems: list[Problem]) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.append(Problem(rel, line, f"invalid UTF-8 (byte 0x{data[error.start]:02x})",
                                "save the file as UTF-8"))
        return None


def _article_files(folder: str, rel: str, content: Path, problems: list[Problem],
                   ) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """The article files under `folder` (whose path from the site is `rel`), each with
    that path, in sorted order: a folder's files, then its sub-folders'. os.scandir, as
    pathlib took a third of reading 10,000 files' stats."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except FileNotFoundError:
        return
    except OSError as error:
        problems.append(Problem(rel, 0, f"cannot list this folder: {error.strerror}",
                                "articles/ must be a folder warchive can read"))
        return
    folders = []
    for entry in entries:
        path = f"{rel}/{entry.name}"
        if entry.is_dir():
            if entry.is_symlink():
                problems.append(Problem(path, 0, "symlinked folders are not followed",
                                        "move the folder into content/"))
            else:
                folders.append((entry.path, path))
        elif entry.name.startswith(".") or not entry.name.endswith(".md"):
            continue
        elif entry.is_symlink() and content not in Path(entry.path).resolve().parents:
            problems.append(Problem(path, 0, "symlink leads out of content/",
                                    "copy the file into content/ instead"))
        else:
            yield path, entry
    for inner, path in folders:
        yield from _article_files(inner, path, content, problems)


def _read_templates(folder: Path, sources: Sources, problems: list[Problem]) -> None:
    if not folder.is_dir():
        problems.append(Problem("templates", 0, "no templates/ folder here"))
        return
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(folder).as_posix()
        if rel.startswith("static/"):
            sources.assets[rel.removeprefix("static/")] = path.read_bytes()
        elif path.suffix in TEMPLATE_SUFFIXES:
            sources.templates[rel] = path.read_text("utf-8")


@dataclass(frozen=True, slots=True)
class Loaded:
    site: Site
    sources: Sources
    warnings: list[Problem]


def load(site_dir: Path, drafts: bool = False, base_url: str | None = None,
         use_cache: bool = True, strict: bool = False,
         read: tuple[Sources, list[Problem]] | None = None) -> Loaded:
    """Reads (unless given what `read_sources` returned) and validates everything; raises
    ContentError with every problem found.

    Warnings stop nothing unless `strict`; they are returned for the command to show.
    """
    sources, problems = read or read_sources(site_dir)
    settings, registries, subjects = _read_yaml(sources, problems)
    if base_url is not None:
        settings = dataclasses.replace(settings, base_url=base_url.rstrip("/") + "/")
    with heap.paused_gc():
        articles = _parse_articles(sources, problems, site_dir, use_cache)
        problems += _check_templates(sources.templates,
                                     cache.compiled_templates(site_dir) if use_cache else None)
        if any(strict or not p.warning for p in problems):
            raise ContentError(problems)
        about = Markup(markdown.render(sources.about)) if sources.about else None
        site, found = build_site((a for a in articles if drafts or not a.draft), registries,
                                 subjects, settings, about)
    if site is None:
        raise ContentError(problems + found)
    return Loaded(site, sources, sorted(problems))


def _read_yaml(sources: Sources, problems: list[Problem],
               ) -> tuple[Settings, dict[str, Registry], dict[str, Subject]]:
    def parsed(name: str) -> tuple[object, str]:
        path = f"content/{name}.yaml"
        data, found = frontmatter.load(sources.yaml.get(name, ""), path)
        problems.extend(found)
        return data, path

    settings, found = read_settings(*parsed("site"))
    problems += found
    registries = {}
    for kind in KINDS:
        registries[kind], found = read_registry(kind, *parsed(kind))
        problems += found
    subjects, found = read_subjects(*parsed("claims"))
    problems += found
    return settings, registries, subjects


def _parse_articles(sources: Sources, problems: list[Problem], site_dir: Path,
                    use_cache: bool) -> list[Article]:
    """Every article, from the cache when its text is unchanged, else parsed on all cores."""
    old = cache.load(site_dir) if use_cache else cache.ParseCache(cache.builder_version())
    parsed = {path: hit for path, text_digest in sources.articles
              if (hit := old.get(path, text_digest)) is not None}
    missing = [path for path, _ in sources.articles if path not in parsed]
    parse = functools.partial(_parse, site_dir)
    for path, (article, found) in zip(missing, parallel.ordered_map(parse, missing),
                                      strict=True):
        if article is None:
            problems += found
        else:
            parsed[path] = (article, found)
    if use_cache:
        fresh = {path: (done[0].digest, done) for path, done in parsed.items()}
        cache.save(site_dir, old, cache.ParseCache(old.version, fresh))
    sources.articles = [(path, parsed[path][0].digest if path in parsed else text_digest)
                        for path, text_digest in sources.articles]
    articles = []
    for path, _ in sources.articles:
        if path in parsed:
            article, warnings = parsed[path]
            problems += warnings
            articles.append(article)
    return articles


def _parse(site_dir: Path, path: str) -> tuple[Article | None, list[Problem]]:
    """Reads the file again (see `Sources.articles`) and parses it."""
    problems: list[Problem] = []
    text = _decode((site_dir / path).read_bytes(), path, problems)
    if text is None:
        return None, problems
    return parse_article(path, text, Path(path).stem)


def _check_templates(templates: dict[str, str],
                     compiled: jinja2.BytecodeCache | None) -> list[Problem]:
    env = render.environment(templates, compiled=compiled)
    problems = []
    for name in templates:
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            problems.append(Problem(f"templates/{name}", error.lineno, error.message or "syntax"))
    return problems


def load_registries(site_dir: Path) -> dict[str, Registry]:
    """The people, places and topics alone, for `import` to suggest terms from."""
    sources, problems = read_sources(site_dir)
    _, registries, _ = _read_yaml(sources, problems)
    if problems:
        raise ContentError(problems)
    return registries


def check(site_dir: Path, drafts: bool = False, strict: bool = False) -> Loaded:
    """Validates everything and writes nothing, not even the cache."""
    return load(site_dir, drafts, use_cache=False, strict=strict)


def build(site_dir: Path, out: Path | None = None, drafts: bool = False,
          base_url: str | None = None, index: bool = True,
          live_reload: str | None = None, progress: Progress = QUIET,
          strict: bool = False, plan: search.Plan = search.NOW,
          memory: resident.Memory | None = None) -> BuildResult:
    """Validates, renders into staging, indexes, then swaps the result into `out`.

    `live_reload` is the address of the dev server's reload script, put in every page;
    `plan` says which search parts to index now; `memory` is what is kept from one build
    to the next (`resident`): by a long-running process, or in the cache (`Memory.kept_in`).
    """
    with heap.paused_gc():  # the collector would scan the archive's objects again and again
        out = out or site_dir / "public"
        progress.stage("reading and checking content")
        sources, problems = read_sources(site_dir, cache.stamps(site_dir))
        asked = _Request(site_dir, out, drafts, base_url, index, live_reload, progress, strict,
                         plan)
        stamp = cache.fingerprint(_source_parts(sources), asked.options)
        last = cache.published(site_dir, out)
        marker = out / publish.MARKER
        if (not problems and not plan.stale and last and last.fingerprint == stamp
                and last.marker == cache.marker_identity(marker)):
            progress.done()
            return BuildResult(out, last.files, 0, last.articles, [])
        cache.remember_published(site_dir, out, None)
        memory = memory or resident.Memory()
        result = None if problems else _publish_edits(asked, sources, memory)
        if result is None:
            result = _build_all(asked, sources, problems, memory)
        if not result.warnings and not result.unindexed:
            stamp = cache.fingerprint(_source_parts(sources), asked.options)  # as parsed
            cache.remember_published(site_dir, out, cache.Published(
                stamp, result.articles, result.files, cache.marker_identity(marker)))
        return result


@dataclass(frozen=True, slots=True)
class _Request:
    """What `build` was asked for."""

    site_dir: Path
    out: Path
    drafts: bool
    base_url: str | None
    index: bool
    live_reload: str | None
    progress: Progress
    strict: bool
    plan: search.Plan

    @property
    def options(self) -> str:
        return repr((self.drafts, self.base_url, self.index, self.live_reload, self.strict))

    @property
    def search(self) -> search.Plan | None:
        return self.plan if self.index else None


def _build_all(asked: _Request, sources: Sources, problems: list[Problem],
               memory: resident.Memory) -> BuildResult:
    """The build of every stage, for any edit."""
    loaded = load(asked.site_dir, asked.drafts, asked.base_url, strict=asked.strict,
                  read=(sources, problems))
    asked.plan.go_on()
    cache.remember_stamps(asked.site_dir, sources.stamps)
    publish.check_out_dir(asked.out, asked.site_dir)
    with heap.frozen():  # the model lives until the end: no collection need scan it
        staged = _publish_reusing(asked.site_dir, loaded, asked.out, asked.options,
                                  asked.search, asked.live_reload, asked.progress, memory)
    return BuildResult(asked.out, staged.files, staged.written, len(loaded.site.entries),
                       loaded.warnings, staged.unindexed)


def _publish_edits(asked: _Request, sources: Sources,
                   memory: resident.Memory) -> BuildResult | None:
    """Publishes an edit to articles that keeps each where it was in the site from the
    model the last build left in `memory` (`resident`); None when the edit needs the full
    build."""
    last, site_dir, out = memory.recall(), asked.site_dir, asked.out
    marker = out / publish.MARKER
    if (last is None or last.out != out.resolve()
            or last.marker != cache.marker_identity(marker)
            or last.base != cache.fingerprint(_shared_parts(sources), asked.options)):
        return None
    pages = cache.published_pages(site_dir, out, marker)
    if not pages.keys:  # the build's own record of `out` is gone (a cache deleted since)
        return None
    edited = resident.edited(last, sources.articles, functools.partial(_parse, site_dir))
    if edited is None or (asked.strict and edited.warnings):
        return None
    model = memory.recall_model(waiting=lambda: asked.progress.stage(
        "waiting for the last build's model to be written"))
    revision = None if model is None else model.revise(edited.articles)
    if model is None or revision is None:
        return None
    try:
        staged = _publish_revised(asked, sources, last, model, revision.entries, pages)
    except BaseException:
        revision.undo()  # nothing was published: the model describes the site again
        raise
    if staged is None:
        memory.forget()  # a file is gone from the published site: the full build renders it
        return None
    memory.remember(dataclasses.replace(
        last, marker=cache.marker_identity(marker), digests=dict(sources.articles),
        heads={**last.heads, **{a.path: a.head_digest for a in edited.articles}},
        paths=staged.paths, warnings=edited.warnings,
        revised={**last.revised, **{a.path: a for a in edited.articles}}))
    return BuildResult(out, staged.files, staged.written, len(model.site.entries),
                       edited.warnings, staged.unindexed)


def _publish_revised(asked: _Request, sources: Sources, last: resident.Last,
                     model: resident.Model, revised: list[Entry],
                     pages: cache.Pages) -> publish.Staged | None:
    """Stages the pages `revised` may change, keeps the rest, indexes and swaps; None if
    a kept file is gone."""
    site_dir, out = asked.site_dir, asked.out
    if revised:
        asked.progress.stage(f"publishing the edit to {counted(len(revised), 'article')}")
    cache.remember_stamps(site_dir, sources.stamps)
    env = render.environment(sources.templates, asked.live_reload, model.site.urls.base_path,
                             cache.compiled_templates(site_dir))
    outputs = resident.outputs(last, model, revised, pages.keys, render.Globals(model.site, env),
                               functools.partial(publish.published_file, out))
    try:
        staged = _stage_index_swap(outputs, out, model.site, asked.search, asked.progress,
                                   pages.spare)
    except publish.KeptFileMissing:
        return None
    cache.remember_page_keys(site_dir, out, out / publish.MARKER, staged.keys, staged.paths,
                             staged.fresh)
    return staged


def _publish_reusing(site_dir: Path, loaded: Loaded, out: Path, options: str,
                     index: search.Plan | None, live_reload: str | None,
                     progress: Progress, memory: resident.Memory) -> publish.Staged:
    """`_publish`, with what the last build left that is still good, and recording what
    the next one can use."""
    progress.stage("ranking related coverage")
    lists, memo = related.related_lists(loaded.site, cache.related_memo(site_dir),
                                        cache.builder_version())
    marker = out / publish.MARKER
    pages = cache.published_pages(site_dir, out, marker)
    prior = Prior(cache.fingerprint(_shared_parts(loaded.sources), options), pages.keys,
                  lists, cache.compiled_templates(site_dir), pages.spare)
    covers: dict[str, array[int]] = {}
    try:
        staged: publish.Staged | None = _publish(loaded, out, index, live_reload, progress,
                                                 prior, covers)
    except publish.KeptFileMissing:
        staged = None  # a page kept by its key is gone: render every page, below
    if staged is None:
        staged = _publish(loaded, out, index, live_reload, progress,
                          dataclasses.replace(prior, page_keys={}, spare=None), covers)
    cache.remember_page_keys(site_dir, out, marker, staged.keys, staged.paths, staged.fresh)
    cache.remember_related(site_dir, memo)
    identity = cache.marker_identity(marker)
    heads = {entry.article.path: entry.article.head_digest for entry in loaded.site.entries}
    memory.remember(resident.Last(out.resolve(), prior.base, identity,
                                  dict(loaded.sources.articles), heads, staged.paths,
                                  loaded.warnings, identity),
                    resident.Model(loaded.site, lists, covers))
    return staged


@dataclass(frozen=True, slots=True)
class Prior:
    """What a build takes from the builds before it."""

    base: str
    """This build's key for every page (`pagekeys`): all sources but the articles."""
    page_keys: dict[str, str]
    """The published pages' keys: a page whose key is unchanged is not rendered again."""
    related: dict[Entry, list[Entry]]
    """Each article's related coverage, reused where its inputs are unchanged."""
    compiled: jinja2.BytecodeCache | None
    """The templates' compiled code, if the cache can hold it."""
    spare: cache.Spare | None
    """The site the last build replaced, to stage this one in (`publish.stage`)."""


def _publish(loaded: Loaded, out: Path, index: search.Plan | None, live_reload: str | None,
             progress: Progress, prior: Prior, covers: dict[str, array[int]]) -> publish.Staged:
    """Renders into staging, indexes there (unless `index` is None), and swaps; on any
    failure the old site stays. Records what each file's key covers in `covers`."""
    site = loaded.site
    assets = (render.Output(path, data) for path, data in sorted(loaded.sources.assets.items()))
    outputs = _recording(render.render_site(
        site, loaded.sources.templates, live_reload, prior.base, prior.page_keys,
        prior.related, prior.compiled), covers)
    if progress.enabled:
        outputs = progress.track(outputs, "rendering", render.count(site))
    return _stage_index_swap(_chain(outputs, assets), out, site, index, progress, prior.spare)


def _stage_index_swap(outputs: Iterator[render.Output], out: Path, site: Site,
                      index: search.Plan | None, progress: Progress,
                      spare: cache.Spare | None) -> publish.Staged:
    """Stages the outputs (in the `spare` site, if staging holds it) while the search
    parts are indexed (unless `index` is None), then swaps; on any failure the old site
    stays."""
    indexer = None
    if index is not None:
        parts = [search.Part(name, tuple(e.route.output for e in entries))
                 for name, entries in site.search_parts()]
        indexer = search.Indexer(out, parts, site.settings.language, progress, index)
    try:
        staged = publish.stage(outputs, out, search.indexed_text,
                               indexer.page_staged if indexer else publish.unwatched,
                               spare, kept=[search.FOLDER] if indexer else [])
        if indexer is not None:
            staged.unindexed = indexer.finish()
        publish.swap(staged.path, out)
    except BaseException as error:
        if indexer is not None:
            indexer.close()
        publish.discard(out, later=isinstance(error, search.Cancelled))
        raise
    finally:
        progress.done()
    return staged


def _source_parts(sources: Sources) -> Iterator[tuple[str, str | bytes]]:
    yield from sources.articles
    yield from _shared_parts(sources)


def _shared_parts(sources: Sources) -> Iterator[tuple[str, str | bytes]]:
    """Every source but the articles: what any page may depend on."""
    yield from sorted(sources.yaml.items())
    yield from sorted(sources.templates.items())
    yield from sorted(sources.assets.items())
    yield "about", sources.about or ""


def _recording(outputs: Iterator[render.Output], covers: dict[str, array[int]],
               ) -> Iterator[render.Output]:
    for output in outputs:
        if output.covers is not None:
            covers[output.path] = output.covers
        yield output


def _chain(*streams: Iterator[render.Output]) -> Iterator[render.Output]:
    for stream in streams:
        yield from stream
