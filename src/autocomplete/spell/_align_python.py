"""The plain-Python twin of ``_align.c``: string alignment and single-edit pricing.

The same algorithms as the C module, written for reading, with the same interface and, to the
bit, the same results (``tests/test_align.py`` holds the three equal: C, this module and the
model-level statement in ``tests/align_reference.py``). ``alignment`` imports it only when the
compiled module is missing (see ``_kernels``); it is several times slower.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from typing import Literal

_Op = Literal["sub", "del", "ins", "trans"]
_Edit = tuple[_Op, int, int]

SYMBOLS = "^1234567890qwertyuiopasdfghjklzxcvbnm "
"""The word-start marker "^" and the model's alphabet: the rows and columns of the tables."""

_OPS: tuple[_Op, ...] = ("sub", "del", "ins", "trans")
_OP_INDEX = {op: index for index, op in enumerate(_OPS)}
_SYMBOL_INDEX = {char: index for index, char in enumerate(SYMBOLS)}
_COSTS = len(_OPS) * len(SYMBOLS) * len(SYMBOLS)


def align(typed: str, intended: str) -> list[_Edit]:
    """An optimal string alignment (OSA) of ``typed`` with ``intended``, as edits in order.

    Among equally short alignments the backtrace prefers transpositions over two edits, and
    puts an extra or dropped letter on the second of a doubled pair.
    """
    if not isinstance(typed, str) or not isinstance(intended, str):
        raise TypeError("align(typed: str, intended: str)")
    rows, cols = len(typed) + 1, len(intended) + 1
    dist = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        dist[i][0] = i
    for j in range(cols):
        dist[0][j] = j
    for i in range(1, rows):
        for j in range(1, cols):
            best = min(
                dist[i - 1][j - 1] + (typed[i - 1] != intended[j - 1]),
                dist[i - 1][j] + 1,
                dist[i][j - 1] + 1,
            )
            if _swapped(typed, intended, i, j):
                best = min(best, dist[i - 2][j - 2] + 1)
            dist[i][j] = best
    edits: list[_Edit] = []
    i, j = rows - 1, cols - 1
    while i > 0 or j > 0:
        here = dist[i][j]
        if _swapped(typed, intended, i, j) and here == dist[i - 2][j - 2] + 1:
            edits.append(("trans", i - 2, j - 2))
            i, j = i - 2, j - 2
        elif j > 1 and intended[j - 1] == intended[j - 2] and here == dist[i][j - 1] + 1:
            edits.append(("del", i, j - 1))
            j -= 1
        elif i > 1 and typed[i - 1] == typed[i - 2] and here == dist[i - 1][j] + 1:
            edits.append(("ins", i - 1, j))
            i -= 1
        elif i > 0 and j > 0 and here == dist[i - 1][j - 1] + (typed[i - 1] != intended[j - 1]):
            if typed[i - 1] != intended[j - 1]:
                edits.append(("sub", i - 1, j - 1))
            i, j = i - 1, j - 1
        elif j > 0 and here == dist[i][j - 1] + 1:
            edits.append(("del", i, j - 1))
            j -= 1
        else:
            edits.append(("ins", i - 1, j))
            i -= 1
    edits.reverse()
    return edits


def _swapped(typed: str, intended: str, i: int, j: int) -> bool:
    """Whether ``typed[i-2:i]`` is ``intended[j-2:j]`` with its two letters swapped."""
    return (
        i > 1
        and j > 1
        and typed[i - 1] == intended[j - 2]
        and typed[i - 2] == intended[j - 1]
        and typed[i - 1] != intended[j - 1]
    )


def mirror_align(typed: str, intended: str) -> list[_Edit]:
    """The alignment of the reversed strings, mapped back onto ``typed`` and ``intended``."""
    n, m = len(typed), len(intended)
    mapped: list[_Edit] = []
    for op, i, j in reversed(align(typed[::-1], intended[::-1])):
        if op == "sub":
            mapped.append((op, n - 1 - i, m - 1 - j))
        elif op == "del":
            mapped.append((op, n - i, m - 1 - j))
        elif op == "ins":
            mapped.append((op, n - 1 - i, m - j))
        else:
            mapped.append((op, n - 2 - i, m - 2 - j))
    return mapped


def far_apart_substitutions(edits: list[_Edit]) -> bool:
    """Substitutions none of which are adjacent: other alignments of the same length almost
    never place them differently, so the mirror image is not worth computing."""
    previous = -2
    for op, _, j in edits:
        if op != "sub" or j - previous < 2:
            return False
        previous = j
    return True


class Pricer:
    """An error model's single-edit pricing over its dense cost tables (see ``_align.c``)."""

    __slots__ = (
        "_cheapest_rule",
        "_costs",
        "_first_letter_penalty",
        "_max_search_edits",
        "_neighbours",
        "_prefix_pending_cost",
        "_price_key",
    )

    def __init__(
        self,
        costs: array[float],
        first_letter_penalty: float,
        prefix_pending_cost: float,
        price_key: Callable[[_Op, str], float],
        neighbours: dict[tuple[str, str], set[tuple[str, str]]] | None = None,
        cheapest_rule: float = math.inf,
        max_search_edits: int = 0,
    ) -> None:
        if not callable(price_key):
            raise TypeError("price_key must be callable")
        if neighbours is not None and not isinstance(neighbours, dict):
            raise TypeError(f"neighbours must be a dict, not {type(neighbours).__name__}")
        view = memoryview(costs)
        if not (view.c_contiguous and view.format == "d" and view.nbytes == 8 * _COSTS):
            raise ValueError(
                f"costs must be {len(_OPS)} x {len(SYMBOLS)} x {len(SYMBOLS)} float64 values "
                "(op, context, char)"
            )
        # NaN where the model's tables have no entry: those keys are priced by price_key.
        self._costs: list[float] = array("d", view.tobytes()).tolist()
        self._first_letter_penalty = float(first_letter_penalty)
        self._prefix_pending_cost = float(prefix_pending_cost)
        self._price_key = price_key
        self._neighbours = neighbours
        self._cheapest_rule = float(cheapest_rule)
        self._max_search_edits = int(max_search_edits)

    def single_edit_cost(
        self, typed: str, intended: str, prefix: bool
    ) -> tuple[float, list[list[_Edit]]]:
        """ErrorModel's single-edit cost, and the alignments weighed (one, or two when the
        mirror image differs)."""
        if not isinstance(typed, str) or not isinstance(intended, str):
            raise TypeError("single_edit_cost(typed: str, intended: str, prefix: bool)")
        return self._single_edit_cost(typed, intended, bool(prefix))

    def settle(
        self, typed: str, intended: str, prefix: bool
    ) -> float | tuple[float, list[list[_Edit]]]:
        """The cost when no alternation can lower it, else the single-edit cost and alignments."""
        if not isinstance(typed, str) or not isinstance(intended, str):
            raise TypeError("settle(typed: str, intended: str, prefix: bool)")
        neighbours = self._neighbours
        if neighbours is None:
            raise RuntimeError("Pricer has no alternation cores")
        total, alignments = self._single_edit_cost(typed, intended, bool(prefix))
        count = len(alignments[0])
        settled = count == 0 or count > self._max_search_edits or total <= self._cheapest_rule
        if not settled and count == 1:
            settled = _one_edit_settled(neighbours, typed, intended, alignments[0][0])
        return total if settled else (total, alignments)

    def _single_edit_cost(
        self, typed: str, intended: str, prefix: bool
    ) -> tuple[float, list[list[_Edit]]]:
        # The whole strings, and for a word still being typed the intended one cut at the typed
        # length with the rest pending, whichever is cheaper.
        total, alignments = self._alignment_cost(typed, intended)
        n, m = len(typed), len(intended)
        if prefix and m > n:
            cut = intended[:n]
            truncated = self._alignment_cost(typed, cut)[0] if cut != typed else 0.0
            pending = truncated + (m - n) * self._prefix_pending_cost
            if pending < total:
                total = pending
        return total, alignments

    def _alignment_cost(self, typed: str, intended: str) -> tuple[float, list[list[_Edit]]]:
        edits = align(typed, intended)
        total = self._edits_cost(typed, intended, edits)
        if len(edits) > 1 and not far_apart_substitutions(edits):
            mirrored = mirror_align(typed, intended)
            mirrored_total = self._edits_cost(typed, intended, mirrored)
            if mirrored_total < total:
                total = mirrored_total
            if mirrored != edits:
                return total, [edits, mirrored]
        return total, [edits]

    def _edits_cost(self, typed: str, intended: str, edits: list[_Edit]) -> float:
        total = 0.0
        for edit in edits:
            cost, at_start = self._edit_cost(typed, intended, edit)
            # Added in two steps, as the model's statement does, so that the sums agree.
            total += cost
            if at_start:
                total += self._first_letter_penalty
        return total

    def _edit_cost(self, typed: str, intended: str, edit: _Edit) -> tuple[float, bool]:
        """One edit's cost (its ``alignment.edit_key`` looked up) and whether it touches the
        first letter of a word."""
        op, i, j = edit
        if op == "sub" or op == "trans":
            at_start = j == 0 or intended[j - 1] == " "
            first = typed[i] if op == "sub" else intended[j]
            second = intended[j] if op == "sub" else intended[j + 1]
        else:
            char = intended[j] if op == "del" else typed[i]
            before = intended[j - 1] if j > 0 else " "
            if op == "del":
                if before != char and j + 1 < len(intended) and intended[j + 1] == char:
                    before = char
            elif (i > 0 and typed[i - 1] == char) or (i + 1 < len(typed) and typed[i + 1] == char):
                before = char
            at_start = before == " " and char != " "
            first = "^" if at_start else before
            second = char
        row, column = _SYMBOL_INDEX.get(first), _SYMBOL_INDEX.get(second)
        found = math.nan
        if row is not None and column is not None:
            found = self._costs[(_OP_INDEX[op] * len(SYMBOLS) + row) * len(SYMBOLS) + column]
        if math.isnan(found):
            found = float(self._price_key(op, first + second))
        return found, at_start


def _one_edit_settled(
    neighbours: dict[tuple[str, str], set[tuple[str, str]]], typed: str, intended: str, edit: _Edit
) -> bool:
    """Whether no alternation can apply to a pair one edit apart: the letters the edit
    changes are no alternation's core, or not between the letters it needs."""
    op, i, j = edit
    width = 2 if op == "trans" else 1
    high = j + (0 if op == "ins" else width)
    typed_high = i + (0 if op == "del" else width)
    needs = neighbours.get((intended[j:high], typed[i:typed_high]))
    if needs is None:
        return True
    before = intended[j - 1] if j > 0 else ""
    after = intended[high] if high < len(intended) else ""
    if op == "ins" or op == "del":
        # An extra or dropped letter beside the same letter may slide along it.
        char = typed[i] if op == "ins" else intended[j]
        if char in (before, after):
            return False
    return not any(
        (with_before, with_after) in needs
        for with_before in {"", before}
        for with_after in {"", after}
    )
