"""Typed reading of YAML mappings: one place turns values into fields or problems.

Articles, registries and settings all read their YAML through `Fields`, so every kind of
mistake (unknown key, missing key, wrong type, bad URL, impossible date) is worded once.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection
from typing import Any
from urllib.parse import urlsplit

from .frontmatter import REFUSED, YList, YMap
from .problems import Problem, did_you_mean

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
LANGUAGE_TAG = re.compile(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*")
_TYPE_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
               type(None): "nothing", dt.date: "a date", dt.datetime: "a date and time",
               YMap: "a mapping", YList: "a list"}


def describe(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


class Fields:
    """Reads the keys of one mapping, recording problems instead of raising."""

    def __init__(self, mapping: YMap, path: str, problems: list[Problem], where: str = "") -> None:
        self.mapping = mapping
        self.path = path
        self.problems = problems
        self.where = where
        """Prefix naming the enclosing item in messages, e.g. 'source: '."""

    def problem(self, key: str, message: str, hint: str = "") -> None:
        line = self.mapping.line_of(key)
        self.problems.append(Problem(self.path, line, self.where + message, hint))

    def only(self, allowed: Collection[str]) -> None:
        for key in self.mapping:
            if key not in allowed:
                hint = did_you_mean(key, allowed) or "allowed: " + ", ".join(sorted(allowed))
                self.problem(key, f"unknown field {key!r}", hint)

    def _get(self, key: str, required: bool) -> Any:
        value = self.mapping.get(key)
        if value is REFUSED:
            return None
        if value is None and required:
            self.problems.append(Problem(self.path, self.mapping.line,
                                         f"{self.where}missing required field {key!r}"))
        return value

    def _typed(self, key: str, value: Any, kinds: tuple[type, ...], wanted: str) -> bool:
        if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
            return True
        self.problem(key, f"{key!r} must be {wanted}, not {describe(value)} ({value!r})")
        return False

    def text(self, key: str, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is None or not self._typed(key, value, (str,), "text"):
            return None
        if _CONTROL.search(value):
            self.problem(key, f"{key!r} holds a control character, which feeds cannot carry",
                         "remove it (a YAML escape such as \\v or \\x0b)")
            return None
        if required and not value.strip():
            self.problem(key, f"{key!r} must not be empty")
            return None
        return str(value).strip()

    def language(self, key: str) -> str | None:
        """A BCP 47 language tag such as en, uk or pt-BR."""
        value = self.text(key)
        if value is not None and not LANGUAGE_TAG.fullmatch(value):
            self.problem(key, f"{key!r} must be a language tag like en or uk, not {value!r}")
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, False)
        if value is None or not self._typed(key, value, (bool,), "true or false"):
            return default
        return bool(value)

    def integer(self, key: str, default: int, minimum: int = 1) -> int:
        value = self._get(key, False)
        if value is None or not self._typed(key, value, (int,), "a whole number"):
            return default
        if value < minimum:
            self.problem(key, f"{key!r} must be at least {minimum}")
            return default
        return int(value)

    def number(self, key: str, required: bool = False) -> float | int | None:
        value = self._get(key, required)
        if value is None or not self._typed(key, value, (int, float), "a number"):
            return None
        if not math.isfinite(value):
            self.problem(key, f"{key!r} must be a finite number, not {value!r}")
            return None
        return value  # type: ignore[no-any-return]

    def date(self, key: str, required: bool = False, with_time: bool = False,
             ) -> dt.date | None:
        """A date; with `with_time`, also a date and time with an offset (kept as a
        datetime). Elsewhere a time is dropped: dates compare with dates only."""
        value = self._get(key, required)
        if value is None or not self._typed(key, value, (dt.date,), "a date (YYYY-MM-DD)"):
            return None
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            self.problem(key, f"{key!r} has a time without an offset",
                         "add one, e.g. 2025-02-08T18:30:00+02:00, or give the date alone")
            return None
        if isinstance(value, dt.datetime) and not with_time:
            return value.date()
        return value  # type: ignore[no-any-return]

    def url(self, key: str, required: bool = False, schemes: Collection[str] = ("http", "https"),
            ) -> str | None:
        value = self.text(key, required)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme.lower() not in schemes or not parts.netloc:
            self.problem(key, f"{key!r} must be an absolute {'/'.join(schemes)} address, "
                              f"not {value!r}")
            return None
        return value

    def mapping_of(self, key: str, required: bool = False) -> YMap | None:
        value = self._get(key, required)
        if value is None or not self._typed(key, value, (YMap,), "a mapping"):
            return None
        return value  # type: ignore[no-any-return]

    def list_of(self, key: str) -> YList:
        """A list; a single text value is taken as a list of one."""
        value = self._get(key, False)
        if value is None:
            return YList(self.mapping.line_of(key))
        if isinstance(value, str):
            one = YList(self.mapping.line_of(key))
            one.append(value)
            one.item_lines.append(one.line)
            return one
        if not self._typed(key, value, (YList,), "a list"):
            return YList(self.mapping.line_of(key))
        return value  # type: ignore[no-any-return]

    def texts(self, key: str) -> list[tuple[str, int]]:
        """A list of text items, each with its line."""
        items = self.list_of(key)
        found = []
        for item, line in zip(items, items.item_lines, strict=True):
            if item is REFUSED:
                continue
            if isinstance(item, str) and item.strip():
                found.append((item.strip(), line))
            else:
                self.problems.append(Problem(self.path, line, f"{self.where}{key!r} items must "
                                             f"be text, not {describe(item)} ({item!r})"))
        return found

    def mappings(self, key: str) -> list[YMap]:
        items = self.list_of(key)
        found = []
        for item, line in zip(items, items.item_lines, strict=True):
            if item is REFUSED:
                continue
            if isinstance(item, YMap):
                found.append(item)
            else:
                self.problems.append(Problem(self.path, line, f"{self.where}{key!r} items must "
                                             f"be mappings, not {describe(item)}"))
        return found
