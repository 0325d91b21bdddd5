"""Keys of rendered pages: a page whose key equals its published key is not rendered again.

A key hashes the build's `base` (every template, the YAML files, about.md, the settings,
the build options and the builder's own code), the page's template and path, and its
context. Templates read nothing else: besides the context they see only `render.Globals`,
which depends on nothing but the base. So two equal keys mean two equal pages.

An article enters a key as its path and the digest of its text, never as its content:
hashing ten related articles in full on every page would cost more than rendering.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup

from .model import Entry
from .registries import Term
from .urls import Route


def page_key(base: str, template: str, output: str, context: Mapping[str, Any]) -> str:
    parts = [base, template, output]
    _encode(dict(context), parts)
    return hashlib.blake2b("\0".join(parts).encode(), digest_size=16).hexdigest()


def _encode(value: Any, parts: list[str]) -> None:
    """Appends an unambiguous text for `value` (length-prefixed strings, bracketed
    collections); a type it does not know is refused, never guessed at."""
    leaf = _LEAVES.get(type(value))
    if leaf is not None:
        parts.append(leaf(value))
    elif isinstance(value, (tuple, list)):
        parts.append(f"[{len(value)}")
        for item in value:
            _encode(item, parts)
    elif isinstance(value, dict):
        parts.append(f"{{{len(value)}")
        for key, item in value.items():
            _encode(key, parts)
            _encode(item, parts)
    elif isinstance(value, str):
        parts.append(f"S{len(value)}:{value}")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts.append(f"D{type(value).__qualname__}")
        for name in _field_names(type(value)):
            _encode(getattr(value, name), parts)
    else:
        raise TypeError(f"page keys cannot encode {type(value).__name__}: "
                        "add it to pagekeys._encode")


def _entry(entry: Entry) -> str:
    return f"E{entry.article.path}\0{entry.article.digest}"


def _scalar(value: object) -> str:
    return f"{type(value).__name__}:{value!r}"


_LEAVES: dict[type, Callable[[Any], str]] = {
    Entry: _entry,
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
