"""Keys of rendered pages: a page whose key equals its published key is not rendered again.

A key hashes the build's `base` (every template, the YAML files, about.md, the settings,
the build options and the builder's own code), the page's template and path, and its
context. Templates read nothing else: besides the context they see only `render.Globals`,
which depends on nothing but the base. So two equal keys mean two equal pages.

An article enters a key as its path and the digest of its front matter, never as its
content: hashing ten related articles in full on every page would cost more than
rendering. Its body enters only the key of a page whose context holds it (`model.Body`),
by the digest of the file's text: editing a body changes no listing's key.

A key also tells which articles it covers (`Keys.covered`): an edit that leaves every
article where it was in the site (`model.placement`) changes the keys of those pages
alone, the only ones that show an article's front matter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from markupsafe import Markup

from .model import Body, Entry
from .registries import Term
from .urls import Route


class Keys:
    """Makes the page keys of one build.

    A model value (a claim series, a claim) is shown on several pages: the claims index
    and the series' own page, each claimant's page. Each dataclass is encoded once per
    `Keys`, and its digest stands for it on every later page; the memo holds the value
    itself, so no other object can take its id while the memo lives, and the entries it
    covers.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self._known: dict[int, tuple[object, str, tuple[Entry, ...]]] = {}
        self._covered: list[Entry] = []
        self._leaves = {**_LEAVES, Entry: self._entry}

    def page(self, template: str, output: str, context: Mapping[str, Any]) -> str:
        self._covered = []
        parts = [self.base, template, output]
        self._encode(dict(context), parts)
        return _digest(parts)

    def covered(self) -> list[Entry]:
        """The entries the last key covered, each once or more: the articles that page
        shows (`model.Entry` is a leaf of every context that shows one)."""
        return self._covered

    def _entry(self, entry: Entry) -> str:
        self._covered.append(entry)
        return _entry(entry)

    def _encode(self, value: Any, parts: list[str]) -> None:
        """Appends an unambiguous text for `value` (length-prefixed strings, bracketed
        collections); a type it does not know is refused, never guessed at."""
        leaf = self._leaves.get(type(value))
        if leaf is not None:
            parts.append(leaf(value))
        elif isinstance(value, (tuple, list)):
            parts.append(f"[{len(value)}")
            self._each(value, parts)
        elif isinstance(value, dict):
            parts.append(f"{{{len(value)}")
            self._each(itertools.chain.from_iterable(value.items()), parts)
        elif isinstance(value, str):
            parts.append(f"S{len(value)}:{value}")
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            parts.append(self._dataclass(value))
        else:
            raise TypeError(f"page keys cannot encode {type(value).__name__}: "
                            "add it to pagekeys.Keys._encode")

    def _each(self, values: Iterable[Any], parts: list[str]) -> None:
        """`_encode` of each value; a leaf (most are: a listing's articles, a context's
        names) without a call, which would double the cost of the 10k archive's keys."""
        leaves = self._leaves
        for value in values:
            leaf = leaves.get(type(value))
            if leaf is not None:
                parts.append(leaf(value))
            else:
                self._encode(value, parts)

    def _dataclass(self, value: Any) -> str:
        known = self._known.get(id(value))
        if known is not None:
            self._covered += known[2]
            return known[1]
        kind: type = type(value)
        fields = [f"D{kind.__qualname__}"]
        start = len(self._covered)
        for name in _field_names(kind):
            self._encode(getattr(value, name), fields)
        text = f"D{_digest(fields)}"
        if kind.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            covered = tuple(self._covered[start:])  # a value that can change is not kept
            self._known[id(value)] = (value, text, covered)
        return text


def _digest(parts: list[str]) -> str:
    return hashlib.blake2b("\0".join(parts).encode(), digest_size=16).hexdigest()


def _entry(entry: Entry) -> str:
    return f"E{entry.article.path}\0{entry.article.head_digest}"


def _body(body: Body) -> str:
    return f"B{body.article.path}\0{body.article.digest}"


def _scalar(value: object) -> str:
    return f"{type(value).__name__}:{value!r}"


_LEAVES: dict[type, Callable[[Any], str]] = {
    Entry: _entry,
    Body: _body,
    Term: lambda term: f"T{term.kind}\0{term.name}",
    Route: lambda route: f"R{route.output}",
    str: lambda text: f"S{len(text)}:{text}",
    Markup: lambda text: f"M{len(text)}:{text}",  # shown unescaped, unlike a str
    **dict.fromkeys((bool, int, float, type(None), dt.date, dt.datetime), _scalar),
}
"""Encoders by exact type, the common case, looked up before any isinstance test."""


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))
