"""`Cached`: the base of the values the caches keep (the parse cache, the kept model)."""

from __future__ import annotations

from typing import Any


class Cached:
    """Pickled as its class and field values, which unpickle through `__init__`: 2.7 times
    faster than a frozen slots dataclass's own state protocol, whose unpickling took 0.55 s
    of every 10k-article rebuild. A subclass is a slots dataclass whose fields are all set
    by `__init__`, in order."""

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return type(self), tuple(map(self.__getattribute__, self.__slots__))
