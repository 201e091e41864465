"""Types of the C extension ``_align.c``: alignment and single-edit pricing for the error model."""

from array import array
from collections.abc import Callable
from typing import Literal

_Op = Literal["sub", "del", "ins", "trans"]
_Edit = tuple[_Op, int, int]

SYMBOLS: str
"""The word-start marker "^" and the model's alphabet: the rows and columns of the tables."""

def align(typed: str, intended: str) -> list[_Edit]: ...

class Pricer:
    def __init__(
        self,
        costs: array[float],
        first_letter_penalty: float,
        prefix_pending_cost: float,
        price_key: Callable[[_Op, str], float],
        neighbours: dict[tuple[str, str], set[tuple[str, str]]] | None = None,
        cheapest_rule: float = ...,
        max_search_edits: int = 0,
    ) -> None: ...
    def single_edit_cost(
        self, typed: str, intended: str, prefix: bool
    ) -> tuple[float, list[list[_Edit]]]: ...
    def settle(
        self, typed: str, intended: str, prefix: bool
    ) -> float | tuple[float, list[list[_Edit]]]: ...
