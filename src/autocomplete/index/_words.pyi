"""Types of the C extension ``_words.c``: the word index's conjunctive check of a block, and
the ranks two ascending lists share."""

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

class TermFilter:
    def __init__(
        self,
        forward_first: npt.NDArray[np.int64],
        forward: npt.NDArray[np.int32],
        rank_year: npt.NDArray[np.int32],
    ) -> None: ...
    def keep(
        self,
        block: npt.NDArray[np.int32],
        terms: Iterable[tuple[Sequence[tuple[int, int]], int | None, int]],
        kept: npt.NDArray[np.int32],
    ) -> int: ...

def common_ranks(
    first: npt.NDArray[np.int32], second: npt.NDArray[np.int32], out: npt.NDArray[np.int32]
) -> int: ...
