"""The plain-Python twin of ``_alignwords.c``: typed words aligned with the titles of many ranks.

The same interface, results and errors as the C module (``tests/test_kernels.py`` holds the two
equal on thousands of random titles); ``multiword`` imports it only when the compiled module is
missing or ``AUTOCOMPLETE_KERNELS=python`` asks for it (see ``_kernels``). The alignment itself
(``_align``, ``_price``, ``_is_run``) is the one ``WordReader`` ran title by title before the C
kernel, moved here: each typed word's options at the title's positions, the cheapest assignment
of typed words to distinct title words (or the year), and the stretch from a word start the
prefix index holds, refused.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from autocomplete.index._words_python import _integer_array

_TERMS_SHAPE = (
    "terms must be a sequence of (ranges, year): ranges a sequence of (lo, hi, cost) with int "
    "word ids and a float cost, year an int or None"
)

Option = tuple[int, float, int]
"""A typed word read at a title position (-1: the year), at a spelling cost, through the range
of that index among the term's (-1: the year)."""

TermRanges = tuple[tuple[tuple[int, int, float], ...], int | None]
"""A typed word as the aligner reads it: its word ranges ``(lo, hi, cost)`` and its year."""

Priced = tuple[float, float, int, int, int, int, tuple[int, ...], tuple[int, ...]]
"""One assignment priced: cost, spelling, skipped stop words, skipped other words, inversions,
those of them where a title word is a stop word, each typed word's title position and range."""

Aligned = tuple[int, float, float, int, int, int, int, tuple[int, ...], tuple[int, ...]]
"""A rank that aligns: rank, cost, spelling, skipped stop words, skipped other words,
inversions, those of them where a title word is a stop word, the title position of each typed
word (-1: the year), and the range each read through (-1: the year)."""


def _read_terms(terms: Iterable[Any]) -> list[TermRanges]:
    try:
        read: list[TermRanges] = []
        for term in tuple(terms):  # read once, as in C
            if not isinstance(term, tuple) or len(term) != 2:
                raise TypeError
            ranges, year = term
            triples = []
            for triple in tuple(ranges):
                if not isinstance(triple, tuple) or len(triple) != 3:
                    raise TypeError
                lo, hi, cost = triple
                if not (isinstance(lo, int) and isinstance(hi, int)):
                    raise TypeError
                if not isinstance(cost, (int, float)):
                    raise TypeError
                triples.append((lo, hi, float(cost)))
            if year is not None and not isinstance(year, int):
                raise TypeError
            read.append((tuple(triples), year))
    except TypeError:
        raise TypeError(_TERMS_SHAPE) from None
    return read


def _number(value: object, name: str) -> float:
    if not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number")
    return float(value)


class TitleAligner:
    """The alignment of typed words with the titles of a word index (see ``_alignwords.c``)."""

    __slots__ = (
        "_content_skip",
        "_entry",
        "_forward",
        "_forward_first",
        "_inversion",
        "_keep",
        "_max_alignments",
        "_max_word_starts",
        "_rank_year",
        "_stop_ids",
        "_stop_inversion",
        "_stop_skip",
        "_words",
    )

    def __init__(
        self,
        forward_first: npt.NDArray[np.int64],
        forward: npt.NDArray[np.int32],
        rank_year: npt.NDArray[np.int32],
        stop_words: npt.NDArray[np.int32],
        costs: tuple[float, float, float, float, float],
        max_word_starts: int,
        max_alignments: int,
        keep: Sequence[int],
    ) -> None:
        first = _integer_array(forward_first, "forward_first", 64)
        words = _integer_array(forward, "forward", 32)
        years = _integer_array(rank_year, "rank_year", 32)
        stops = _integer_array(stop_words, "stop_words", 32)
        names = ("entry", "stop_skip", "content_skip", "inversion", "stop_inversion")
        if not isinstance(costs, tuple) or len(costs) != len(names):
            raise TypeError(f"costs must be ({', '.join(names)})")
        entry, stop_skip, content_skip, inversion, stop_inversion = (
            _number(value, name) for value, name in zip(costs, names, strict=True)
        )
        starts = operator.index(max_word_starts)
        alignments = operator.index(max_alignments)
        kept = tuple(operator.index(count) for count in tuple(keep))
        if len(first) < 1:
            raise ValueError("forward_first needs one more entry than there are titles")
        if len(years) != len(first) - 1:
            raise ValueError("rank_year needs one entry per title (one fewer than forward_first)")
        if alignments < 1:
            raise ValueError("max_alignments must be at least 1")
        if not kept or min(kept) < 1:
            raise ValueError("keep needs a count of at least 1 for each number of terms")
        self._forward_first = first
        self._forward = words
        self._rank_year = years
        self._words = len(stops)
        self._stop_ids = frozenset(np.flatnonzero(stops).tolist())
        self._entry, self._stop_skip = entry, stop_skip
        self._content_skip, self._inversion = content_skip, inversion
        self._stop_inversion = stop_inversion
        self._max_word_starts = starts
        self._max_alignments = alignments
        self._keep = kept

    def align(self, terms: Iterable[Any], ranks: npt.NDArray[np.int32]) -> list[Aligned]:
        """The ranks whose titles the terms align with, in the order given, each with its
        cheapest alignment; the others (no alignment, or a stretch from a word start) left out."""
        block = _integer_array(ranks, "ranks", 32)
        read = _read_terms(terms)
        if not 1 <= len(read) <= len(self._keep):
            raise ValueError(f"terms: 1 to {len(self._keep)} typed words, got {len(read)}")
        found: list[Aligned] = []
        for rank in block.tolist():
            aligned = self._align(read, self._title_words(rank), int(self._rank_year[rank]))
            if aligned is not None:
                found.append((rank, *aligned))
        return found

    def _title_words(self, rank: int) -> list[int]:
        """Word ids of the title at ``rank``, each offset and id checked as in C."""
        titles = len(self._forward_first) - 1
        if not 0 <= rank < titles:
            raise IndexError(f"rank {rank} outside the word index ({titles} titles)")
        start, end = self._forward_first[rank : rank + 2].tolist()
        if start < 0 or start > end or end > len(self._forward):
            raise IndexError(
                f"words {start}..{end} of rank {rank} outside the forward index "
                f"({len(self._forward)})"
            )
        words: list[int] = self._forward[start:end].tolist()
        for word in words:
            if not 0 <= word < self._words:
                raise IndexError(
                    f"word {word} of rank {rank} outside the stop-word flags ({self._words} words)"
                )
        return words

    def _align(self, terms: Sequence[TermRanges], words: list[int], year: int) -> Priced | None:
        """The cheapest assignment of typed words to distinct title words (or the year);
        None when there is none, or when the typed words are a stretch of the title from a
        word start (the prefix index reaches it)."""
        options: list[list[Option]] = []
        for ranges, term_year in terms:
            found: list[Option]
            if len(ranges) == 1:  # the common case: the word as typed
                lo, hi, cost = ranges[0]
                found = [(at, cost, 0) for at, word in enumerate(words) if lo <= word < hi]
            else:
                found = []
                for position, word in enumerate(words):
                    cheapest: tuple[float, int] | None = None
                    for which, (item_lo, item_hi, item_cost) in enumerate(ranges):
                        if item_lo <= word < item_hi and (
                            cheapest is None or item_cost < cheapest[0]
                        ):
                            cheapest = (item_cost, which)
                    if cheapest is not None:
                        found.append((position, cheapest[0], cheapest[1]))
            if term_year is not None and term_year == year:
                found.append((-1, 0.0, -1))
            if not found:
                return None
            options.append(found)
        if all(len(found) == 1 for found in options):
            choice = tuple(found[0] for found in options)
            placed = [position for position, _, _ in choice if position >= 0]
            if len(set(placed)) != len(placed) or self._is_run(choice):
                return None
            return self._price(choice, placed, words)
        total = 1
        for found in options:
            total *= len(found)
        if total > self._max_alignments:
            # Repeated words multiply the assignments: keep the cheapest and earliest few.
            keep = self._keep[len(options) - 1]
            options = [sorted(found, key=lambda o: (o[1], o[0]))[:keep] for found in options]
        best: Priced | None = None
        for choice in itertools.product(*options):
            if self._is_run(choice):
                return None  # the prefix index reaches this title through that word start
            positions = tuple(position for position, _, _ in choice)
            placed = [position for position in positions if position >= 0]
            if len(set(placed)) != len(placed):
                continue
            aligned = self._price(choice, placed, words)
            if aligned is not None and (best is None or aligned[0] < best[0]):
                best = aligned
        return best

    def _price(
        self, choice: tuple[Option, ...], placed: list[int], words: list[int]
    ) -> Priced | None:
        spelling = sum(cost for _, cost, _ in choice)
        stop_ids = self._stop_ids
        inverted = [
            (left, right) for left, right in itertools.combinations(placed, 2) if left > right
        ]
        inversions = len(inverted)
        stop_inversions = sum(
            1 for left, right in inverted if words[left] in stop_ids or words[right] in stop_ids
        )
        covered = set(placed)
        end = max(placed, default=-1)
        skipped_stop = skipped_content = 0
        for position in range(end + 1):
            if position not in covered:
                if words[position] in self._stop_ids:
                    skipped_stop += 1
                else:
                    skipped_content += 1
        uses_year = len(placed) < len(choice)
        if not (skipped_stop or skipped_content or inversions or uses_year):
            return None  # a plain prefix of the title: the prefix index's to find
        cost = (
            spelling
            + self._entry
            + skipped_stop * self._stop_skip
            + skipped_content * self._content_skip
            + (inversions - stop_inversions) * self._inversion
            + stop_inversions * self._stop_inversion
        )
        if uses_year and not (skipped_stop or skipped_content or inversions):
            cost -= self._entry  # the title's words as typed, then its year: nothing edited
        return (
            cost,
            spelling,
            skipped_stop,
            skipped_content,
            inversions,
            stop_inversions,
            tuple(position for position, _, _ in choice),
            tuple(which for _, _, which in choice),
        )

    def _is_run(self, choice: tuple[Option, ...]) -> bool:
        """Whether the typed words sit in a row, in order, from a word start the prefix index
        holds (``max_word_starts``): a stretch of the title it reaches by its key."""
        first = choice[0][0]
        if first < 0 or first > self._max_word_starts:
            return False
        return all(position == first + offset for offset, (position, _, _) in enumerate(choice))
