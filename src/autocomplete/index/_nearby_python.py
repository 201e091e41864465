"""The plain-Python twin of ``_nearby.c``: the spelling index's deletion probe and edit filter.

The same interface and results as the C module (``tests/test_spelling_index.py`` holds both to
the statement of what the probe finds); ``spelling_index`` imports it only when the compiled
module is missing (see ``_kernels``). The edit filter is rapidfuzz's OSA distance, which is what
the C filter computes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import OSA

_MAX_DEPTH = 2
_MAX_PROBE = 64
_INTEGER_FORMATS = frozenset("iIlL")


def _four_byte_array(source: object, name: str, floats: bool) -> npt.NDArray[Any]:
    """``source`` as a flat array, if it is one of 32-bit integers (or floats)."""
    view = memoryview(source)  # type: ignore[arg-type]  # a TypeError for non-buffers, as in C
    format_ = view.format.lstrip("<=@")
    ok = view.itemsize == 4 and (format_ == "f" if floats else format_ in _INTEGER_FORMATS)
    if not (ok and view.c_contiguous):
        raise ValueError(f"{name} must be an array of 32-bit {'floats' if floats else 'integers'}")
    return np.frombuffer(view, dtype=np.float32 if floats else np.dtype(f"={format_}"))


class DeletionProbe:
    """The deletion index's probe over a spelling index's arrays (see ``_nearby.c``)."""

    __slots__ = (
        "_lookup",
        "_postings",
        "_postings_first",
        "_prefix_best",
        "_prefix_chars",
        "_prefix_starts",
        "_prefix_weight",
    )

    def __init__(
        self,
        lookup: Callable[[str], int | None],
        postings_first: npt.NDArray[np.int32],
        postings: npt.NDArray[np.int32],
        prefix_starts: npt.NDArray[np.int32],
        prefix_chars: npt.NDArray[np.uint32],
        prefix_weight: npt.NDArray[np.float32],
        prefix_best: npt.NDArray[np.float32],
    ) -> None:
        if not callable(lookup):
            raise TypeError("lookup must be callable")
        first = _four_byte_array(postings_first, "postings_first", False)
        posted = _four_byte_array(postings, "postings", False)
        starts = _four_byte_array(prefix_starts, "prefix_starts", False)
        chars = _four_byte_array(prefix_chars, "prefix_chars", False)
        weight = _four_byte_array(prefix_weight, "prefix_weight", True)
        best = _four_byte_array(prefix_best, "prefix_best", True)
        if len(first) < 1 or len(starts) < 1:
            raise ValueError("postings_first and prefix_starts need one more entry")
        if len(weight) != len(starts) - 1 or len(best) != len(starts) - 1:
            raise ValueError("prefix_weight and prefix_best need one entry per prefix")
        self._lookup = lookup
        self._postings_first = first.astype(np.int64)
        self._postings = posted
        self._prefix_starts = starts.astype(np.int64)
        self._prefix_chars = chars
        self._prefix_weight = weight
        self._prefix_best = best

    def near(
        self, typed: str, probe_length: int, depth: int, budget: int, long_length: int
    ) -> tuple[list[tuple[str, int, float, float]], list[str]]:
        """The prefixes sharing a deletion variant (up to ``depth`` deletions) with
        ``typed[:probe_length]``: (prefix, distance, log weight, best prior) for those at most
        ``budget`` edits from the whole of ``typed`` (every one, distance -1, when ``budget`` is
        negative), and the prefixes of exactly ``long_length`` characters whatever their
        distance (none when it is 0)."""
        if not isinstance(typed, str):
            raise TypeError(
                "near(typed: str, probe_length: int, depth: int, budget: int, long_length: int)"
            )
        probe_length, depth, budget = int(probe_length), int(depth), int(budget)
        long_length = int(long_length)
        if not 0 <= depth <= _MAX_DEPTH:
            raise ValueError(f"deletion depth is 0 to {_MAX_DEPTH}, got {depth}")
        probe = typed[: max(probe_length, 0)]
        if len(probe) > _MAX_PROBE:
            raise ValueError(f"probe_length is at most {_MAX_PROBE}")
        ids = self._posted_ids(probe, depth)
        starts = self._prefix_starts
        prefixes = len(starts) - 1
        if len(ids) and (ids[0] < 0 or ids[-1] >= prefixes):
            wrong = ids[0] if ids[0] < 0 else ids[-1]
            raise IndexError(f"prefix id {wrong} outside the index ({prefixes})")
        within: list[tuple[str, int, float, float]] = []
        long_prefixes: list[str] = []
        lengths = starts[ids + 1] - starts[ids]
        # Only prefixes whose length is within the budget of the typed word's can be kept.
        reachable = (
            np.ones(len(ids), dtype=bool) if budget < 0 else np.abs(lengths - len(typed)) <= budget
        )
        wanted = reachable | ((lengths == long_length) if long_length > 0 else False)
        for prefix_id, length, in_reach in zip(
            ids[wanted].tolist(), lengths[wanted].tolist(), reachable[wanted].tolist(), strict=True
        ):
            start = int(starts[prefix_id])
            text = "".join(map(chr, self._prefix_chars[start : start + length].tolist()))
            if budget < 0:
                distance = -1
            elif in_reach:
                distance = OSA.distance(typed, text, score_cutoff=budget)
            else:
                distance = budget + 1
            if distance <= budget:
                within.append(
                    (
                        text,
                        distance,
                        float(self._prefix_weight[prefix_id]),
                        float(self._prefix_best[prefix_id]),
                    )
                )
            if long_length > 0 and length == long_length:
                long_prefixes.append(text)
        return within, long_prefixes

    def _posted_ids(self, probe: str, depth: int) -> npt.NDArray[np.int64]:
        """The prefix ids posted under the probe's deletion variants, sorted, each once."""
        size = len(probe)
        variants = {probe}
        if depth >= 1:
            variants.update(probe[:first] + probe[first + 1 :] for first in range(size))
        if depth >= 2:
            variants.update(
                probe[:first] + probe[first + 1 : second] + probe[second + 1 :]
                for first in range(size)
                for second in range(first + 1, size)
            )
        first_posting = self._postings_first
        deletions = len(first_posting) - 1
        runs = []
        for variant in variants:
            found = self._lookup(variant)
            if found is None:
                continue
            deletion = int(found)
            if not 0 <= deletion < deletions:
                raise IndexError(f"deletion id {deletion} outside the postings ({deletions})")
            runs.append(self._postings[first_posting[deletion] : first_posting[deletion + 1]])
        if not runs:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(runs).astype(np.int64))
