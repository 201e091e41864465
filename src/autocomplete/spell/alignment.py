"""The single-edit alignment that the error model prices and its trainer counts.

``align`` (compiled from ``_align.c``, or its plain-Python twin) lines a typed string up with the
intended one, as edits; ``edit_key`` names an edit's count-table cell; ``span_ends`` what it
covers. Shared by ``errormodel``, ``alternations`` and the trainer; see docs/spelling.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from autocomplete._kernels import python_kernels

if TYPE_CHECKING or "_align" not in python_kernels():
    from autocomplete.spell._align import SYMBOLS as SYMBOLS
    from autocomplete.spell._align import Pricer as Pricer
    from autocomplete.spell._align import align as align
else:  # built without a C compiler: the same statements, in Python (slower)
    from autocomplete.spell._align_python import SYMBOLS as SYMBOLS
    from autocomplete.spell._align_python import Pricer as Pricer
    from autocomplete.spell._align_python import align as align

WORD_START = "^"
"""Context marker for an edit at the start of a word (never a normalized character)."""

Op = Literal["sub", "del", "ins", "trans"]
Edit = tuple[Op, int, int]
"""An edit turning the intended string into the typed one, with typed and intended positions:

* ``("sub", i, j)``: ``typed[i]`` was typed for ``intended[j]``;
* ``("del", i, j)``: ``intended[j]`` was dropped (``i`` typed characters precede it);
* ``("ins", i, j)``: ``typed[i]`` is extra (``j`` intended characters precede it);
* ``("trans", i, j)``: ``typed[i:i+2]`` is ``intended[j:j+2]`` swapped.
"""

# ``align(typed, intended)``, an optimal string alignment (OSA) as edits in order, is written in
# C (``_align.c``), with the pricing that runs on every candidate. Among equally short alignments
# its backtrace prefers a transposition over two edits, and puts an extra or dropped letter on
# the second of a doubled pair, so that the counts see "acomodate" as a dropped "c" after "c".


def span_ends(edit: Edit) -> tuple[int, int]:
    """Where ``edit`` ends (exclusive) in the intended and in the typed string: a swap covers
    two letters of each, a substitution one of each, an insertion none of the intended and a
    deletion none of the typed."""
    op, i, j = edit
    width = 2 if op == "trans" else 1
    return j + (0 if op == "ins" else width), i + (0 if op == "del" else width)


def edit_key(typed: str, intended: str, edit: Edit) -> tuple[Op, str, bool]:
    """The count-table key of ``edit`` and whether it touches the first letter of a word.

    A space counts as a word start for the context. An extra or dropped letter next to the same
    letter is keyed as a doubled letter wherever the alignment put it ("acommodate" and
    "accomodate" are the same slip).
    """
    op, i, j = edit
    if op == "sub":
        at_start = j == 0 or intended[j - 1] == " "
        return op, typed[i] + intended[j], at_start
    if op == "trans":
        at_start = j == 0 or intended[j - 1] == " "
        return op, intended[j] + intended[j + 1], at_start
    if op == "del":
        char = intended[j]
        before = intended[j - 1] if j > 0 else " "
        if before != char and j + 1 < len(intended) and intended[j + 1] == char:
            before = char
    else:
        char = typed[i]
        before = intended[j - 1] if j > 0 else " "
        if (i > 0 and typed[i - 1] == char) or (i + 1 < len(typed) and typed[i + 1] == char):
            before = char
    if before == " " and char != " ":
        return op, WORD_START + char, True
    return op, before + char, False
