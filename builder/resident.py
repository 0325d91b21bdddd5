"""What a long-running build process (`warchive serve`) keeps of its last build, so that
an edit to article bodies costs a page per article, not a build of the archive.

Page keys know an article by its front matter (`pagekeys`). When every source but the
articles is as the last build read it, no article file was added or removed, and each
edited article kept its front matter, then no page key but the edited articles' own pages'
can have changed: the last build's model still describes the site. Those pages are
rendered from it with their new bodies, and every other file is kept. Any other edit
takes the full build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import pagekeys, render
from .articles import Article
from .model import Entry, Site
from .problems import Problem
from .publish import safe_relative


@dataclass(frozen=True, slots=True)
class Last:
    """The last build that published into `out`, as the process still holds it."""

    out: Path
    base: str
    """Its key for every page (`pipeline.Prior.base`): all sources but the articles, and
    the build's options."""
    marker: str
    """The identity of its marker file (`cache.marker_identity`): `out` still holds this
    build while the marker is the same file."""
    site: Site
    related: Mapping[Entry, Sequence[Entry]]
    digests: dict[str, str]
    """Every article file's path and the digest of its text."""
    paths: list[str]
    """Every file it published, in order."""
    keys: dict[str, str]
    """The page keys of the files that have one."""
    warnings: list[Problem]
    """What it warned of: all from front matter and YAML, so a body edit keeps them."""

    def entries(self) -> dict[str, Entry]:
        return {entry.article.path: entry for entry in self.site.entries}


@dataclass(slots=True)
class Memory:
    """Held by the process between builds; `pipeline.build` reads it, and renews it when
    it publishes. A build that fails leaves the published site, so the memory stays true;
    one that fails after publishing leaves a marker this memory does not know."""

    last: Last | None = None


Parse = Callable[[str], tuple[Article | None, list[Problem]]]


def edited_bodies(last: Last, articles: Sequence[tuple[str, str]],
                  parse: Parse) -> list[tuple[Entry, Article]] | None:
    """The entries of the articles edited since `last`, each with its new parse; None
    unless each kept its front matter and no file was added or removed."""
    if len(articles) != len(last.digests):
        return None
    edited = []
    for path, text_digest in articles:
        known = last.digests.get(path)
        if known is None:
            return None
        if known != text_digest:
            edited.append((path, text_digest))
    entries = last.entries() if edited else {}
    texts = []
    for path, text_digest in edited:
        entry = entries.get(path)  # None: a draft left out of the site
        text, _ = parse(path)  # its warnings are the last build's: they are in its front matter
        if entry is None or text is None or text.digest != text_digest:  # saved again since
            return None
        if text.head_digest != entry.article.head_digest:
            return None
        texts.append((entry, text))
    return texts


def outputs(last: Last, texts: Sequence[tuple[Entry, Article]], shared: render.Globals,
            ) -> Iterator[render.Output]:
    """Every file `last` published: kept, but the pages of the entries in `texts`,
    rendered with their new bodies."""
    pages = {}
    for entry, text in texts:
        page = render.article_page(last.site, entry, last.related, text)
        pages[safe_relative(page.route.output)] = page
    keys = pagekeys.Keys(last.base)
    for path in last.paths:
        edited = pages.get(path)
        if edited is None:
            yield render.Output(path, None, last.keys.get(path))
            continue
        context = edited.context()
        key = keys.page(edited.template, edited.route.output, context)
        data = None if key == last.keys.get(path) else shared.render(edited, context)
        yield render.Output(path, data, key)
