"""The QWERTY keyboard: the characters the error model prices and the keys a finger may slip to.

The model's keyboard prior (``ErrorModel``'s ``K``) spreads substitutions and insertions over
these neighbours; see docs/spelling.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
ALPHABET = "".join(_ROWS) + " "
"""Characters with precomputed costs; others (non-Latin letters) are costed on demand."""


def _qwerty_neighbours() -> dict[str, frozenset[str]]:
    # Rows are staggered by about half a key, so key (row, col) touches (row - 1, col),
    # (row - 1, col + 1), (row + 1, col - 1) and (row + 1, col) besides its row neighbours.
    where = {char: (row, col) for row, keys in enumerate(_ROWS) for col, char in enumerate(keys)}
    near: dict[str, set[str]] = {char: set() for char in where}
    for char, (row, col) in where.items():
        for other_row, other_col in (
            (row, col - 1),
            (row, col + 1),
            (row - 1, col),
            (row - 1, col + 1),
            (row + 1, col - 1),
            (row + 1, col),
        ):
            if 0 <= other_row < len(_ROWS) and 0 <= other_col < len(_ROWS[other_row]):
                near[char].add(_ROWS[other_row][other_col])
    # The space bar lies under the middle of the bottom row.
    near[" "] = set("cvbnm")
    for char in "cvbnm":
        near[char].add(" ")
    return {char: frozenset(chars) for char, chars in near.items()}


NEIGHBOURS: Mapping[str, frozenset[str]] = MappingProxyType(_qwerty_neighbours())


def key_share(adjacent_key_share: float, adjacent: bool, neighbours: int) -> float:
    """Share of one particular key among the keys a slip may land on, ``adjacent_key_share`` of
    the slips going to the ``neighbours`` keys next to the intended one."""
    if neighbours == 0:
        return 1 / (len(ALPHABET) - 1)
    if adjacent:
        return adjacent_key_share / neighbours
    return (1 - adjacent_key_share) / (len(ALPHABET) - 1 - neighbours)
