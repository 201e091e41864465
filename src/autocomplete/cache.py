"""The one memo every layer uses: bounded, recently used entries kept, safe across threads.

Everything the query path remembers (compiled filters, a typed word's candidates, a keystroke's
corrected retrievals, whole answers) is a pure function of immutable inputs, so a memo can only
make a repeat cheaper, never change what it returns. One policy for all of them, an
approximation of least-recently-used eviction in two generations: new entries go to the young
generation; when it is full it becomes the old one and the previous old one is dropped; an
entry read from the old generation moves back to the young one. So an entry survives as long as
it is used at least once per half of the memo's size of insertions: the prefixes that recur in
every session stay while a burst of one-off queries passes through. Each owner sets its memo's
size, which bounds the memory it may hold.

Two plain dicts rather than an ``OrderedDict``: a read is one dict lookup and an insertion one
dict store (an ordered dict's bookkeeping cost five times that, about 20 microseconds a
keystroke). No locks: each dict operation is atomic under the interpreter lock, and a race can
only drop or repeat an entry, which a memo tolerates.

Two function-level memos stay ``functools.lru_cache`` (the C implementation, cheaper than any
Python-level memo for a pure function of its arguments): text normalization and the error
model's price of one (typed, intended) pair.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """At most ``max_size`` values by key; those unused longest are evicted first."""

    __slots__ = ("_generation", "_old", "_young", "max_size", "name")

    def __init__(self, max_size: int, name: str = "") -> None:
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
            raise ValueError(f"max_size must be a whole number >= 1, got {max_size!r}")
        self.max_size = max_size
        self.name = name  # what it holds, for debugging and the docs
        self._generation = (max_size + 1) // 2  # entries per generation
        self._young: dict[K, V] = {}
        self._old: dict[K, V] = {}

    def __len__(self) -> int:
        return len(self._young) + len(self._old)

    def get(self, key: K) -> V | None:
        value = self._young.get(key)
        if value is None:
            value = self._old.pop(key, None)
            if value is not None:
                self.put(key, value)  # used again: back to the young generation
        return value

    def put(self, key: K, value: V) -> V:
        """Keep ``value`` under ``key`` and return it (so ``return memo.put(key, computed)``)."""
        young = self._young
        if len(young) >= self._generation and key not in young:
            self._old = young
            young = self._young = {}
        young[key] = value
        return value

    def emptied(self) -> Memo[K, V]:
        """A new empty memo of the same size and name (for a copy of its owner whose entries
        would no longer hold)."""
        return Memo(self.max_size, self.name)

    def clear(self) -> None:
        self._young = {}
        self._old = {}
