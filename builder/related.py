"""Every article's related coverage, reusing the last build's lists where nothing they
depend on changed.

Ranking one article's related coverage (`Site.related`) walks a few hundred others: a
second for the 10k archive, and every page key needs the lists. A list depends only on
the article's terms and, for each, which articles name it in what order; an edit to an
article's text or title changes neither, so after such an edit every list is reused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from . import parallel
from .model import Entry, Site
from .registries import Term

Memo = dict[str, tuple[str, list[str]]]
"""Article path to (the key of its list's inputs, the related articles' paths)."""


def related_lists(site: Site, memo: Mapping[str, tuple[str, list[str]]], version: str,
                  ) -> tuple[dict[Entry, list[Entry]], Memo]:
    """Each entry's related entries, and the memo to keep for the next build. `version`
    (the builder's) is part of every key, so a changed ranking never reuses old lists."""
    limit = site.settings.related_articles
    shapes = _coverage_shapes(site)
    by_path = {entry.article.path: entry for entry in site.entries}
    found: dict[Entry, list[Entry]] = {}
    fresh: Memo = {}
    missing: list[Entry] = []
    for entry in site.entries:
        key = _key(entry, shapes, f"{version}\0{limit}")
        known = memo.get(entry.article.path)
        if known and known[0] == key and all(path in by_path for path in known[1]):
            found[entry] = [by_path[path] for path in known[1]]
        else:
            missing.append(entry)
        fresh[entry.article.path] = (key, [])

    def ranked(rank: int) -> list[int]:
        """By rank in `site.entries`: entries are compared by identity, so only numbers
        may cross into the worker processes and back."""
        return [site.order[other] for other in site.related(site.entries[rank], limit)]

    todo = [site.order[entry] for entry in missing]
    for entry, ranks in zip(missing, parallel.ordered_map(ranked, todo), strict=True):
        found[entry] = [site.entries[rank] for rank in ranks]
    for entry, others in found.items():
        fresh[entry.article.path] = (fresh[entry.article.path][0],
                                     [other.article.path for other in others])
    return found, fresh


def _coverage_shapes(site: Site) -> dict[Term, str]:
    """Per term, a hash of which articles name it, in order, with their sort keys."""
    names = {entry: f"{entry.article.path}\0{entry.sort_key()}" for entry in site.entries}
    shapes = {}
    for term, entries in site.coverage.items():
        if entries:
            text = "\n".join(names[entry] for entry in entries)
            shapes[term] = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    return shapes


def _key(entry: Entry, shapes: Mapping[Term, str], prefix: str) -> str:
    parts = [prefix, entry.article.path]
    parts += [f"{term.kind}\0{term.name}\0{shapes[term]}" for term in entry.terms]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()
