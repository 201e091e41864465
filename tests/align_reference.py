"""The error model's single-edit pricing stated on the model itself, for the kernels' tests.

The pricing runs in a kernel (``_align.c``, or its plain-Python twin ``_align_python``) over
dense tables built from the model. These statements price the same alignments through the
model's own ``edit_key`` and ``edit_cost``, so ``test_align.py`` can hold both kernels to them,
to the bit, on many pairs. The alignment itself is stated once, in ``_align_python``.
"""

from __future__ import annotations

from autocomplete.spell._align_python import align, far_apart_substitutions, mirror_align
from autocomplete.spell.alignment import Edit, edit_key, span_ends
from autocomplete.spell.errormodel import MAX_SEARCH_EDITS, ErrorModel


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
