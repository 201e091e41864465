"""Types of the C extension ``_nearby.c``: the spelling index's deletion probe and edit filter."""

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

class DeletionProbe:
    def __init__(
        self,
        lookup: Callable[[str], int | None],
        postings_first: npt.NDArray[np.int32],
        postings: npt.NDArray[np.int32],
        prefix_starts: npt.NDArray[np.int32],
        prefix_chars: npt.NDArray[np.uint32],
        prefix_weight: npt.NDArray[np.float32],
        prefix_best: npt.NDArray[np.float32],
    ) -> None: ...
    def near(
        self, typed: str, probe_length: int, depth: int, budget: int, long_length: int
    ) -> tuple[list[tuple[str, int, float, float]], list[str]]: ...
