"""Fit the multi-word channel's costs (``multiword.WordCosts``) on generated queries.

The costs are not guessed: they are chosen to rank best the queries of the evaluation's own
generator, on a *training* seed (the published evaluation uses seed 0; the fit uses seed 1), over
every category, the prefix ones included, so that a cost that helps scattered words at the
expense of plain prefixes loses. The objective is the mean over categories of MRR@10.

How: for every training query the engine is asked once with the word reading off (its prefix,
correction and fallback candidates, with their scores), and the word reader once for its
candidates under generous costs (``k = CANDIDATES``), each with its counts (stop words and other
words skipped, inversions, spelling cost, year). Any cost vector then ranks a query by merging
the two lists by score, which is cheap; a grid over the four costs picks the best. Run::

    .venv/bin/python -m autocomplete.tools.evaluation.fit_words --queries-per-category 150
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from autocomplete.rank.multiword import WordCosts, WordReader, read_terms
from autocomplete.tools.evaluation.queries import CATEGORIES, PREFIX_CATEGORIES, generate_queries

CANDIDATES = 40
"""Word-reading candidates kept per training query."""

GRID: dict[str, tuple[float, ...]] = {
    "entry": (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0),
    "stop_skip": (0.0, 0.1, 0.25, 0.5, 1.0),
    "content_skip": (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0),
    "inversion": (0.0, 0.25, 0.5, 1.0, 2.0, 3.0),
}
"""The values tried for each cost. Only points where a skipped stop word costs less than a
skipped content word are tried: the issue asks for that order, and the data alone cannot tell
the two apart when the generator's skips of either kind are rare enough."""

LOOSE_COSTS = WordCosts(entry=0.0, stop_skip=0.0, content_skip=0.5, inversion=0.0)
"""Costs used to gather the candidates: cheap, so that the top list holds whatever a dearer
setting might rank."""

TRAINING_SEED = 1
"""Seed of the training queries (the evaluation reports seed 0)."""

PREFIX_TOLERANCE = 0.002
"""Most MRR@10 a prefix category may lose to the word reading, on the training queries: the
issue allows 0.005 on the evaluation; the rest is margin for queries the fit has not seen."""


@dataclass(frozen=True, slots=True)
class _Case:
    category: str
    target: str
    prefix: tuple[tuple[str, float], ...]  # (id, score) from the engine without the word reading
    words: tuple[tuple[str, float, float, int, int, int, bool], ...]
    # (id, prior, spelling, stop words skipped, others skipped, inversions, year used)


def _cost(
    costs: WordCosts, spelling: float, stop: int, content: int, inv: int, year: bool
) -> float:
    edited = stop or content or inv
    entry = costs.entry if edited or not year else 0.0
    return (
        spelling
        + entry
        + stop * costs.stop_skip
        + content * costs.content_skip
        + inv * costs.inversion
    )


def _rank(case: _Case, costs: WordCosts, k: int = 10) -> int | None:
    scores: dict[str, float] = {}
    for title_id, score in case.prefix:
        scores[title_id] = max(scores.get(title_id, -math.inf), score)
    for title_id, prior, spelling, stop, content, inv, year in case.words:
        score = prior - _cost(costs, spelling, stop, content, inv, year)
        scores[title_id] = max(scores.get(title_id, -math.inf), score)
    ranked = sorted(scores, key=lambda title_id: -scores[title_id])[:k]
    return ranked.index(case.target) + 1 if case.target in ranked else None


def objective(cases: Sequence[_Case], costs: WordCosts) -> dict[str, float]:
    """MRR@10 per category, and their mean under ``"mean"``."""
    totals: dict[str, list[float]] = {}
    for case in cases:
        rank = _rank(case, costs)
        totals.setdefault(case.category, []).append(1.0 / rank if rank else 0.0)
    found = {category: sum(values) / len(values) for category, values in totals.items()}
    found["mean"] = sum(found.values()) / len(found)
    return found


def gather(per_category: int, seed: int = TRAINING_SEED) -> list[_Case]:
    """The training cases: both candidate lists of every generated query."""
    from autocomplete import Autocomplete
    from autocomplete.index.bundled import bundled_records
    from autocomplete.rank.scoring import CHANNEL_WEIGHT, EXACT_BONUS
    from autocomplete.spell.candidates import Speller
    from autocomplete.spell.errormodel import ErrorModel
    from autocomplete.text.normalize import normalize_typed

    records = bundled_records()
    prefix_only = Autocomplete(word_costs=None)
    index = prefix_only.index
    # The engine's speller, built the same way (the plan gives each word's readings).
    speller = Speller(
        index.spelling,
        ErrorModel.load(),
        channel_weight=CHANNEL_WEIGHT,
        exact_bonus=EXACT_BONUS,
        phrase_exists=index.has_phrase,
    )
    reader = WordReader(index.words, LOOSE_COSTS)
    cases: list[_Case] = []
    for query in generate_queries(records, per_category=per_category, seed=seed):
        typed = normalize_typed(query.text)
        prefix = tuple((s.id, s.score) for s in prefix_only.suggest(query.text, 10))
        words: list[tuple[str, float, float, int, int, int, bool]] = []
        terms = (
            read_terms(typed, index.words, functools.partial(speller.plan, typed))
            if typed.strip()
            else None
        )
        if terms is not None:
            for match in reader.top_k(terms, CANDIDATES):
                words.append(
                    (
                        index.ids[match.title],
                        float(index.hot.title_prior[match.title]),
                        match.spelling,
                        match.skipped_stop,
                        match.skipped_content,
                        match.inversions,
                        match.year,
                    )
                )
        cases.append(_Case(query.category, query.target_id, prefix, tuple(words)))
    return cases


def fit(cases: Sequence[_Case]) -> tuple[WordCosts, dict[str, float]]:
    """The grid point with the best mean MRR@10 among those that cost no prefix category more
    than ``PREFIX_TOLERANCE`` (ties: the earlier, cheaper point)."""
    without = objective([_Case(c.category, c.target, c.prefix, ()) for c in cases], _ANY)
    best: tuple[float, WordCosts, dict[str, float]] | None = None
    for values in itertools.product(*GRID.values()):
        costs = WordCosts(*values)
        if not costs.stop_skip < costs.content_skip:
            continue
        scores = objective(cases, costs)
        if any(
            scores[category] < without[category] - PREFIX_TOLERANCE
            for category in PREFIX_CATEGORIES
            if category in without
        ):
            continue
        if best is None or scores["mean"] > best[0] + 1e-12:
            best = (scores["mean"], costs, scores)
    if best is None:
        raise ValueError("no point of the grid keeps the prefix categories within tolerance")
    return best[1], best[2]


_ANY = WordCosts(entry=0.0, stop_skip=0.0, content_skip=0.0, inversion=0.0)
"""Costs for rankings that have no word candidates (any will do)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autocomplete.tools.evaluation.fit_words")
    parser.add_argument("--queries-per-category", type=int, default=150)
    parser.add_argument("--seed", type=int, default=TRAINING_SEED)
    args = parser.parse_args(argv)
    cases = gather(args.queries_per_category, args.seed)
    print(f"{len(cases)} training queries ({', '.join(CATEGORIES)})", file=sys.stderr)
    costs, scores = fit(cases)
    prefix_only = objective([_Case(c.category, c.target, c.prefix, ()) for c in cases], _ANY)
    print(costs)
    print(f"{'MRR@10':>14} {'fitted':>7} {'no words':>8}")
    for category, value in scores.items():
        print(f"{category:>14} {value:7.4f} {prefix_only[category]:8.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
