"""Ranking quality and latency, per category and overall.

For one query with its hit set (the ids that count as the intended title), a system's answer is
judged by the rank of its first hit:

* ``success@1``: the first suggestion is a hit;
* ``success@5``: a hit is among the first five;
* ``MRR@10``: the mean over queries of ``1 / rank`` of the first hit within the first ten
  suggestions, 0 when there is none.

Latency is the wall time of one ``suggest`` call; p50 and p99 are nearest-rank percentiles (the
smallest time at least that share of the calls did not exceed), in milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DEPTH = 10
"""Suggestions asked for and judged (MRR@10)."""

OVERALL = "overall"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One system's answer to one query."""

    category: str
    rank: int | None
    """1-based rank of the first hit within ``DEPTH``, or None."""
    seconds: float
    text_rank: int | None = None
    """The same under the title-text rule (a title with the target's text is a hit)."""


@dataclass(frozen=True, slots=True)
class Summary:
    queries: int
    success_at_1: float
    success_at_5: float
    mrr_at_10: float
    p50_ms: float
    p99_ms: float
    text_mrr_at_10: float
    """MRR@10 under the title-text rule."""
    mean_ms: float


def first_hit(
    ids: Sequence[str], hits: frozenset[str] | set[str], depth: int = DEPTH
) -> int | None:
    """1-based rank of the first id in ``hits`` among the first ``depth`` ids, or None."""
    for rank, found in enumerate(ids[:depth], start=1):
        if found in hits:
            return rank
    return None


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``share`` of values <= it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = max(1, math.ceil(share * len(ordered)))
    return ordered[position - 1]


def _reciprocal(rank: int | None) -> float:
    return 0.0 if rank is None or rank > DEPTH else 1.0 / rank


def summarize(outcomes: Sequence[Outcome]) -> Summary:
    count = len(outcomes)
    if not count:
        nan = math.nan
        return Summary(0, nan, nan, nan, nan, nan, nan, nan)
    ranks = [outcome.rank for outcome in outcomes]
    millis = [outcome.seconds * 1000.0 for outcome in outcomes]
    return Summary(
        queries=count,
        success_at_1=sum(rank == 1 for rank in ranks) / count,
        success_at_5=sum(rank is not None and rank <= 5 for rank in ranks) / count,
        mrr_at_10=sum(_reciprocal(rank) for rank in ranks) / count,
        p50_ms=percentile(millis, 0.50),
        p99_ms=percentile(millis, 0.99),
        text_mrr_at_10=sum(_reciprocal(outcome.text_rank) for outcome in outcomes) / count,
        mean_ms=sum(millis) / count,
    )


def summarize_by_category(
    outcomes: Iterable[Outcome], *, overall_excludes: Iterable[str] = ()
) -> dict[str, Summary]:
    """A ``Summary`` per category, in first-seen order, then ``OVERALL`` over all the rest.

    Categories in ``overall_excludes`` (run on another catalog) get their own summary but are
    left out of the overall one.
    """
    grouped: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        grouped.setdefault(outcome.category, []).append(outcome)
    excluded = set(overall_excludes)
    result = {category: summarize(items) for category, items in grouped.items()}
    pooled = [
        item for category, items in grouped.items() if category not in excluded for item in items
    ]
    result[OVERALL] = summarize(pooled)
    return result
