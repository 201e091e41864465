"""Plain-Python statements of what the C module ``autocomplete._align`` computes.

The error model's alignment and single-edit pricing run in C (``src/autocomplete/_align.c``);
these are the same algorithms written for reading, and ``test_align.py`` holds the two equal,
to the bit, on many pairs.
"""

from __future__ import annotations

from autocomplete.errormodel import MAX_SEARCH_EDITS, Edit, ErrorModel, edit_key, span_ends


def align(typed: str, intended: str) -> list[Edit]:
    """An optimal string alignment (OSA) of ``typed`` with ``intended``, as edits in order.

    Among equally short alignments the backtrace prefers transpositions over two edits, and
    puts an extra or dropped letter on the second of a doubled pair.
    """
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
    edits: list[Edit] = []
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


def mirror_align(typed: str, intended: str) -> list[Edit]:
    """The alignment of the reversed strings, mapped back onto ``typed`` and ``intended``."""
    n, m = len(typed), len(intended)
    mapped: list[Edit] = []
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


def far_apart_substitutions(edits: list[Edit]) -> bool:
    previous = -2
    for op, _, j in edits:
        if op != "sub" or j - previous < 2:
            return False
        previous = j
    return True


def edits_cost(model: ErrorModel, typed: str, intended: str, edits: list[Edit]) -> float:
    total = 0.0
    for edit in edits:
        op, key, at_start = edit_key(typed, intended, edit)
        total += model.edit_cost(op, key)
        if at_start:
            total += model.parameters.first_letter_penalty
    return total


def alignment_cost(model: ErrorModel, typed: str, intended: str) -> tuple[float, list[list[Edit]]]:
    edits = align(typed, intended)
    total = edits_cost(model, typed, intended, edits)
    if len(edits) > 1 and not far_apart_substitutions(edits):
        mirrored = mirror_align(typed, intended)
        total = min(total, edits_cost(model, typed, intended, mirrored))
        if mirrored != edits:
            return total, [edits, mirrored]
    return total, [edits]


def single_edit_cost(
    model: ErrorModel, typed: str, intended: str, prefix: bool
) -> tuple[float, list[list[Edit]]]:
    total, alignments = alignment_cost(model, typed, intended)
    pending = len(intended) - len(typed)
    if prefix and pending > 0:
        cut = intended[: len(typed)]
        truncated = alignment_cost(model, typed, cut)[0] if cut != typed else 0.0
        total = min(total, truncated + pending * model.parameters.prefix_pending_cost)
    return total, alignments


def settle(
    model: ErrorModel, typed: str, intended: str, prefix: bool
) -> float | tuple[float, list[list[Edit]]]:
    """The cost when no alternation can lower it, else the single-edit cost and alignments."""
    total, alignments = single_edit_cost(model, typed, intended, prefix)
    edits = alignments[0]
    if not 0 < len(edits) <= MAX_SEARCH_EDITS or total <= model._cheapest_rule:
        return total
    if len(edits) == 1:
        op, i, j = edits[0]
        high, typed_high = span_ends(edits[0])
        needs = model._cores.neighbours.get((intended[j:high], typed[i:typed_high]))
        if needs is None:
            return total
        before, after = intended[j - 1] if j else "", intended[high : high + 1]
        char = typed[i] if op == "ins" else intended[j] if op == "del" else ""
        if not (char and char in (before, after)) and not (
            ("", "") in needs
            or (before, "") in needs
            or ("", after) in needs
            or (before, after) in needs
        ):
            return total
    return total, alignments
