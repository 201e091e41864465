"""The static part of the score: what an index entry is worth before any query is seen.

``prior + match_weight(kind)`` is computed once per entry at build time and stored in the
index; ``autocomplete.rank.scoring`` documents the whole scoring function and adds the
query-dependent terms. See there for why each weight is what it is.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np
import numpy.typing as npt

PRIOR_SMOOTHING = 1.0
"""Pseudo-count added to every weight before taking the log prior."""


class MatchKind(IntEnum):
    """How an index entry relates to its title; stored as one byte per entry."""

    TITLE = 0
    NO_ARTICLE = 1
    ALIAS = 2
    WORD = 3
    INITIALS = 4


MATCH_WEIGHT: dict[MatchKind, float] = {
    MatchKind.TITLE: 0.0,
    MatchKind.NO_ARTICLE: math.log(0.8),
    MatchKind.ALIAS: math.log(0.8),
    MatchKind.WORD: math.log(0.12),
    MatchKind.INITIALS: math.log(0.5),
}

EXACT_KINDS = frozenset(
    {MatchKind.TITLE, MatchKind.NO_ARTICLE, MatchKind.ALIAS, MatchKind.INITIALS}
)
EXACT_KIND_CODES = frozenset(int(kind) for kind in EXACT_KINDS)
"""``EXACT_KINDS`` as the byte codes the index stores."""

MIN_INITIALS = 3
"""Shortest one-word query also read as the initials of a title's words."""


def log_priors(
    weights: npt.NDArray[np.float64], total: float | None = None
) -> npt.NDArray[np.float64]:
    """log P(title) for every title, from non-negative popularity weights.

    ``total`` is the normalizer (the smoothed weights' sum) when it is not these weights' own:
    a live catalog's small delta index is scored on its main catalog's scale (``prior_total``).
    """
    smoothed = weights.astype(np.float64) + PRIOR_SMOOTHING
    return np.log(smoothed) - math.log(prior_total(weights) if total is None else total)


def prior_total(weights: npt.NDArray[np.float64]) -> float:
    """The normalizer of ``log_priors``: the smoothed weights' sum, summed as it sums them."""
    return float((weights.astype(np.float64) + PRIOR_SMOOTHING).sum())


def match_weights() -> npt.NDArray[np.float32]:
    """``MATCH_WEIGHT`` as an array indexed by ``MatchKind``."""
    table = np.zeros(len(MatchKind), dtype=np.float32)
    for kind, weight in MATCH_WEIGHT.items():
        table[kind] = weight
    return table
