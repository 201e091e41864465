"""A set of titles as a mask over title positions: what ``CatalogIndex.top_entries`` retrieves
within (``where`` filters, boost clauses and session context compile to one in ``rank``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from autocomplete.cache import Memo

WIDE_ANSWERS_KEPT = 4096
"""Filtered top lists of wide prefixes kept per mask (see ``CatalogIndex.top_entries``)."""

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float32]


class PassingEntries(NamedTuple):
    """A mask's passing index entries: positions (sorted), and their scores and titles."""

    positions: IntArray
    scores: FloatArray
    titles: IntArray


@dataclass(frozen=True, eq=False)
class TitleMask:
    """Titles passing some condition, one flag per title position; read-only."""

    mask: BoolArray
    count: int  # titles passing
    priors: FloatArray = field(repr=False)
    # Per-element reads of a memoryview yield Python bools, several times faster than NumPy's.
    passes: memoryview = field(init=False, repr=False)
    # Passing entries, per entry_title array (one index in practice); see ``entries``.
    _entries: dict[int, tuple[IntArray, PassingEntries]] = field(
        default_factory=dict, init=False, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    # Top lists of the widest prefixes within this mask: the short prefixes that recur in every
    # session ("t", "the "), each ranked once per mask.
    wide_answers: Memo[str, list[int]] = field(
        default_factory=lambda: Memo(WIDE_ANSWERS_KEPT, "a filter's wide-prefix answers"),
        init=False,
        repr=False,
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "passes", np.ascontiguousarray(self.mask).data)

    def __contains__(self, title: int) -> bool:
        return bool(self.passes[title])

    @property
    def fraction(self) -> float:
        """Share of the catalog's titles that pass."""
        return self.count / len(self.mask) if len(self.mask) else 0.0

    @cached_property
    def selected(self) -> IntArray:
        """Passing title positions, most popular (highest prior) first."""
        passing = np.flatnonzero(self.mask).astype(np.int32)
        order = np.argsort(-self.priors[passing], kind="stable")
        result: IntArray = passing[order]
        return result

    def entries(self, entry_title: IntArray, entry_score: FloatArray) -> PassingEntries:
        """The index entries whose title passes, in index order (computed once per index).

        Entries are laid out by key, so the passing entries under a prefix are one slice of
        these arrays, found by two binary searches: that is what makes selective filters
        cheap. Scores and titles are copied beside the positions so a slice needs no gather.
        """
        cached = self._entries.get(id(entry_title))
        if cached is not None and cached[0] is entry_title:
            return cached[1]
        with self._lock:
            positions: IntArray = np.flatnonzero(self.mask[entry_title]).astype(np.int32)
            passing = PassingEntries(positions, entry_score[positions], entry_title[positions])
            # The array itself is kept beside the result, so its id cannot be reused.
            self._entries[id(entry_title)] = (entry_title, passing)
        return passing
