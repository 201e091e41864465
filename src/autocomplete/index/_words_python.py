"""The plain-Python twin of ``_words.c``: the word index's conjunctive check of a block of ranks.

The same interface, results and errors as the C module (``tests/test_kernels.py`` holds the two
equal on thousands of random blocks); ``word_index`` imports it only when the compiled module is
missing or ``AUTOCOMPLETE_KERNELS=python`` asks for it (see ``_kernels``). The check is a few
vectorized NumPy passes over the block's forward lists, one per term.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

_SIGNED_FORMATS = frozenset("ilq")
_NATIVE = {32: np.dtype(np.int32), 64: np.dtype(np.int64)}
_TERMS_SHAPE = (
    "terms must be a sequence of (ranges, year, needed): ranges a sequence of (lo, hi) int "
    "pairs, year an int or None, needed an int"
)

TermCheck = tuple[Sequence[tuple[int, int]], int | None, int]
"""One check of ``TermFilter.keep``: a title passes when its words in any of the ranges, plus
one when its year is the year, number at least ``needed``."""


def _integer_array(source: object, name: str, bits: int, *, writable: bool = False) -> Any:
    """``source`` as a flat NumPy array, if it is one of ``bits``-bit signed integers."""
    if (
        type(source) is np.ndarray
        and source.dtype == _NATIVE[bits]
        and source.flags.c_contiguous
        and (source.flags.writeable or not writable)
    ):
        return source.reshape(-1)  # the common case, without a memoryview's cost
    view = memoryview(source)  # type: ignore[arg-type]  # a TypeError for non-buffers, as in C
    if writable and view.readonly:
        raise ValueError(f"{name} is read-only")  # NumPy's buffer says ValueError in C too
    format_ = view.format.lstrip("<=@")
    if not (view.itemsize * 8 == bits and format_ in _SIGNED_FORMATS and view.c_contiguous):
        raise ValueError(f"{name} must be an array of {bits}-bit integers")
    return np.frombuffer(view, dtype=np.dtype(f"=i{bits // 8}"))


def _read_terms(terms: Iterable[Any]) -> list[tuple[list[tuple[int, int]], int | None, int]]:
    try:
        read = []
        for term in tuple(terms):  # read once, as in C
            if not isinstance(term, tuple) or len(term) != 3:
                raise TypeError
            ranges, year, needed = term
            pairs = []
            for pair in ranges:
                if not isinstance(pair, tuple) or len(pair) != 2:
                    raise TypeError
                lo, hi = pair
                if not (isinstance(lo, int) and isinstance(hi, int)):
                    raise TypeError
                pairs.append((lo, hi))
            if year is not None and not isinstance(year, int):
                raise TypeError
            if not isinstance(needed, int):
                raise TypeError
            read.append((pairs, year, needed))
    except TypeError:
        raise TypeError(_TERMS_SHAPE) from None
    return read


class TermFilter:
    """The conjunctive check of a block of ranks over a word index's forward lists (see
    ``_words.c``)."""

    __slots__ = ("_forward", "_forward_first", "_rank_year")

    def __init__(
        self,
        forward_first: npt.NDArray[np.int64],
        forward: npt.NDArray[np.int32],
        rank_year: npt.NDArray[np.int32],
    ) -> None:
        first = _integer_array(forward_first, "forward_first", 64)
        words = _integer_array(forward, "forward", 32)
        years = _integer_array(rank_year, "rank_year", 32)
        if len(first) < 1:
            raise ValueError("forward_first needs one more entry than there are titles")
        if len(years) != len(first) - 1:
            raise ValueError("rank_year needs one entry per title (one fewer than forward_first)")
        self._forward_first = first
        self._forward = words
        self._rank_year = years

    def keep(
        self, block: npt.NDArray[np.int32], terms: Iterable[Any], kept: npt.NDArray[np.int32]
    ) -> int:
        """Write the ranks of ``block`` whose titles satisfy every check of ``terms`` into
        ``kept``, in block order; return how many there are."""
        ranks = _integer_array(block, "block", 32)
        out = _integer_array(kept, "kept", 32, writable=True)
        if len(out) < len(ranks):
            raise ValueError(f"kept holds {len(out)} ranks, the block {len(ranks)}")
        checks = _read_terms(terms)
        if not len(ranks):
            return 0
        titles = len(self._forward_first) - 1
        # Read as unsigned, a negative rank is larger than any title count: one pass, not two.
        if int(ranks.view(np.uint32).max()) >= titles:
            outside = (ranks < 0) | (ranks >= titles)
            rank = int(ranks[np.argmax(outside)])
            raise IndexError(f"rank {rank} outside the word index ({titles} titles)")
        first = self._forward_first
        starts = first[ranks]
        ends = first[ranks + 1]
        lengths = ends - starts
        if int(starts.min()) < 0 or int(lengths.min()) < 0 or ends.max() > len(self._forward):
            damaged = (starts < 0) | (starts > ends) | (ends > len(self._forward))
            at = int(np.argmax(damaged))
            raise IndexError(
                f"words {int(starts[at])}..{int(ends[at])} of rank {int(ranks[at])} outside "
                f"the forward index ({len(self._forward)})"
            )
        passing = ranks[self._satisfies(ranks, starts, lengths, checks)]
        out[: len(passing)] = passing
        return len(passing)

    def _satisfies(
        self,
        ranks: npt.NDArray[np.int32],
        starts: npt.NDArray[np.int64],
        lengths: npt.NDArray[np.int64],
        checks: list[tuple[list[tuple[int, int]], int | None, int]],
    ) -> npt.NDArray[np.bool_]:
        segment_starts = np.cumsum(lengths) - lengths
        # Positions of every forward entry of the block, laid end to end.
        flat = np.repeat(starts - segment_starts, lengths) + np.arange(int(lengths.sum()))
        words = self._forward[flat]
        keep = np.ones(len(ranks), dtype=np.bool_)
        no_words = lengths == 0
        for ranges, year, needed in checks:
            # One entry more than the words, never hit: every segment start is an index of it,
            # and the last segment's sum runs to its end.
            hit = np.zeros(len(words) + 1, dtype=np.int32)
            for lo, hi in ranges:
                if hi - lo == 1:
                    hit[:-1] |= words == lo
                else:
                    hit[:-1] |= (words >= lo) & (words < hi)
            # reduceat reads one element for an empty segment: titles without words (reached
            # only through a year) are set back to no hit. (The block is not empty here.)
            counted = np.add.reduceat(hit, segment_starts)
            counted[no_words] = 0
            if year is not None:
                counted += self._rank_year[ranks] == year
            keep &= counted >= needed
        return keep


def common_ranks(first: object, second: object, out: object) -> int:
    """Write the values both ``first`` and ``second`` hold (int32 arrays, each strictly
    ascending) into ``out``, ascending; return how many there are."""
    firsts = _integer_array(first, "first", 32)
    seconds = _integer_array(second, "second", 32)
    into = _integer_array(out, "out", 32, writable=True)
    shorter = min(len(firsts), len(seconds))
    if len(into) < shorter:
        raise ValueError(f"out holds {len(into)} ranks, the shorter array {shorter}")
    for values, name in ((firsts, "first"), (seconds, "second")):
        if len(values) > 1 and not bool(np.all(values[1:] > values[:-1])):
            raise ValueError(f"{name} must be strictly ascending")
    found = np.intersect1d(firsts, seconds, assume_unique=True)
    into[: len(found)] = found
    return len(found)
