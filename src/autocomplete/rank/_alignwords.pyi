"""Types of the C extension ``_alignwords.c``: typed words aligned with the titles of many ranks."""

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

class TitleAligner:
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
    ) -> None: ...
    def align(
        self,
        terms: Iterable[tuple[Sequence[tuple[int, int, float]], int | None]],
        ranks: npt.NDArray[np.int32],
    ) -> list[tuple[int, float, float, int, int, int, int, tuple[int, ...], tuple[int, ...]]]: ...
