"""The one memo every layer uses: bounded, least-recently-used eviction, safe across threads.

Everything the query path remembers (compiled filters, a typed word's candidates, a keystroke's
corrected retrievals, whole answers) is a pure function of immutable inputs, so a memo can only
make a repeat cheaper, never change what it returns. One policy for all of them: a full memo
drops the entry used longest ago (one at a time), so the prefixes that recur in every session
stay while a burst of one-off queries passes through. Each owner sets its memo's size, which
bounds the memory it may hold.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """At most ``max_size`` values by key; the least recently used is evicted first."""

    __slots__ = ("_items", "_lock", "_max_size", "name")

    def __init__(self, max_size: int, name: str = "") -> None:
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
            raise ValueError(f"max_size must be a whole number >= 1, got {max_size!r}")
        self._max_size = max_size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self.name = name  # what it holds, for debugging and the docs

    def __len__(self) -> int:
        return len(self._items)

    @property
    def max_size(self) -> int:
        return self._max_size

    def get(self, key: K) -> V | None:
        # No lock on the read path (it is the hot one): each OrderedDict call is atomic under
        # the interpreter lock, and a key evicted between the two calls is simply not moved.
        value = self._items.get(key)
        if value is not None:
            try:  # noqa: SIM105 - contextlib.suppress would cost a context manager per read
                self._items.move_to_end(key)
            except KeyError:
                pass
        return value

    def put(self, key: K, value: V) -> V:
        """Keep ``value`` under ``key`` and return it (so ``return memo.put(key, computed)``)."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            if len(self._items) > self._max_size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
