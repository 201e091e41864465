"""Fit the multi-word channel's costs (``multiword.WordCosts``) on generated queries.

The costs are not guessed: they are chosen to rank best the queries of the evaluation's own
generator, on *training* seeds (the published evaluation uses seed 0; the fit uses 1-5), over
every category, the prefix ones included, so that a cost that helps scattered words at the
expense of plain prefixes loses. The objective is the mean over the generated categories of
MRR@10; the English-title queries (a fixed table) are only checked not to lose.

How: for every training query the engine is asked once with the word reading off (its prefix,
correction and fallback candidates, with their scores), and the word reader once for its
candidates under generous costs (``k = CANDIDATES``), each with its counts (stop words and other
words skipped, inversions, spelling cost, year). Any cost vector then ranks a query by merging
the two lists by score, which is cheap; a grid over the five costs picks the best. Run::

    .venv/bin/python -m autocomplete.tools.evaluation.fit_words --queries-per-category 300 \
        --seeds 1 2 3 4 5 --baseline 2,0.5,1.5,1,1

``--baseline`` says what no guarded category may fall more than its ``TOLERANCES`` below: the
engine with the word reading off (``none``, the issue's "before") or under given costs (entry,
stop_skip, content_skip, inversion, stop_inversion: those served before a refit, so that the
refit costs the other categories nothing they were not already paying).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from autocomplete.catalog.loader import Record
from autocomplete.rank.multiword import WordCosts, WordReader, read_terms
from autocomplete.tools.evaluation.known_title_queries import (
    KNOWN_TITLE_CATEGORIES,
    known_title_queries,
)
from autocomplete.tools.evaluation.queries import (
    CATEGORIES,
    PREFIX_CATEGORIES,
    EvalQuery,
    generate_queries,
)

CANDIDATES = 40
"""Word-reading candidates kept per training query."""

GRID: dict[str, tuple[float, ...]] = {
    "entry": (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0),
    "stop_skip": (0.0, 0.1, 0.25, 0.5, 1.0),
    "content_skip": (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0),
    "inversion": (0.0, 0.25, 0.5, 1.0, 2.0, 3.0),
    "stop_inversion": (1.0, 2.0, 4.0),
}
"""The values tried for each cost. Only points where a skipped stop word costs less than a
skipped content word are tried: the issue asks for that order, and the data alone cannot tell
the two apart when the generator's skips of either kind are rare enough."""

LOOSE_COSTS = WordCosts(
    entry=0.0, stop_skip=0.0, content_skip=0.5, inversion=0.0, stop_inversion=0.0
)
"""Costs used to gather the candidates: cheap, so that the top list holds whatever a dearer
setting might rank."""

TRAINING_SEEDS = (1, 2, 3, 4, 5)
"""Seeds of the training queries (the evaluation reports seed 0). One seed of 1,500 queries
left the fit flat enough that refits at 150 and 300 queries per category landed far apart."""

PREFIX_TOLERANCE = 0.002
"""Most MRR@10 a prefix category may lose to the word reading, on the training queries: the
issue allows 0.005 on the evaluation; the rest is margin for queries the fit has not seen."""

KNOWN_TITLE_TOLERANCE = 0.005
"""Most MRR@10 an English-title category may lose: the issue's own bound, with no margin, since
those queries come from a fixed table, the same whatever the seed (the fit sees the very queries
the evaluation asks). They are a constraint only, never part of the objective."""

TOLERANCES = {
    **{category: PREFIX_TOLERANCE for category in PREFIX_CATEGORIES},
    **{category: KNOWN_TITLE_TOLERANCE for category in KNOWN_TITLE_CATEGORIES},
}
"""The categories the fit must not make worse, and by how much at most."""


@dataclass(frozen=True, slots=True)
class _Case:
    category: str
    target: str
    prefix: tuple[tuple[str, float], ...]  # (id, score) from the engine without the word reading
    words: tuple[tuple[str, float, float, int, int, int, int, bool], ...]
    # (id, prior, spelling, stop words skipped, others skipped, inversions, those with a stop
    # word, year used)


def _cost(
    costs: WordCosts,
    spelling: float,
    stop: int,
    content: int,
    inv: int,
    stop_inv: int,
    year: bool,
) -> float:
    edited = stop or content or inv
    entry = costs.entry if edited or not year else 0.0
    return (
        spelling
        + entry
        + stop * costs.stop_skip
        + content * costs.content_skip
        + (inv - stop_inv) * costs.inversion
        + stop_inv * costs.stop_inversion
    )


def _rank(case: _Case, costs: WordCosts, k: int = 10) -> int | None:
    scores: dict[str, float] = {}
    for title_id, score in case.prefix:
        scores[title_id] = max(scores.get(title_id, -math.inf), score)
    for title_id, prior, spelling, stop, content, inv, stop_inv, year in case.words:
        score = prior - _cost(costs, spelling, stop, content, inv, stop_inv, year)
        scores[title_id] = max(scores.get(title_id, -math.inf), score)
    ranked = sorted(scores, key=lambda title_id: -scores[title_id])[:k]
    return ranked.index(case.target) + 1 if case.target in ranked else None


def objective(cases: Sequence[_Case], costs: WordCosts) -> dict[str, float]:
    """MRR@10 per category, and under ``"mean"`` their mean over the generated categories."""
    totals: dict[str, list[float]] = {}
    for case in cases:
        rank = _rank(case, costs)
        totals.setdefault(case.category, []).append(1.0 / rank if rank else 0.0)
    found = {category: sum(values) / len(values) for category, values in totals.items()}
    generated = [value for category, value in found.items() if category in CATEGORIES]
    found["mean"] = sum(generated) / len(generated)
    return found


def gather(per_category: int, seeds: Sequence[int] = TRAINING_SEEDS) -> list[_Case]:
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
    queries = [
        query
        for seed in seeds
        for query in generate_queries(records, per_category=per_category, seed=seed)
    ]
    queries.extend(_english_title_queries(records))
    for query in queries:
        typed = normalize_typed(query.text)
        prefix = tuple((s.id, s.score) for s in prefix_only.suggest(query.text, 10))
        words: list[tuple[str, float, float, int, int, int, int, bool]] = []
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
                        match.stop_inversions,
                        match.year,
                    )
                )
        cases.append(_Case(query.category, query.target_id, prefix, tuple(words)))
    return cases


def fit(
    cases: Sequence[_Case], baseline: WordCosts | None = None
) -> tuple[WordCosts, dict[str, float]]:
    """The grid point with the best mean MRR@10 among those that cost no guarded category more
    than its ``TOLERANCES`` against ``baseline`` (None: the word reading off; ties: the
    earlier, cheaper point)."""
    if baseline is None:
        without = objective([_Case(c.category, c.target, c.prefix, ()) for c in cases], _ANY)
    else:
        without = objective(cases, baseline)
    best: tuple[float, WordCosts, dict[str, float]] | None = None
    for values in itertools.product(*GRID.values()):
        costs = WordCosts(*values)
        if not costs.stop_skip < costs.content_skip:
            continue
        scores = objective(cases, costs)
        if any(
            scores[category] < without[category] - tolerance
            for category, tolerance in TOLERANCES.items()
            if category in without
        ):
            continue
        if best is None or scores["mean"] > best[0] + 1e-12:
            best = (scores["mean"], costs, scores)
    if best is None:
        raise ValueError("no point of the grid keeps the prefix categories within tolerance")
    return best[1], best[2]


def _english_title_queries(records: Sequence[Record]) -> list[EvalQuery]:
    from autocomplete.catalog.known_titles import TABLE_FILE, read_known_titles
    from autocomplete.paths import data_directory

    path = data_directory() / TABLE_FILE
    return known_title_queries(records, read_known_titles(path)) if path.is_file() else []


_ANY = WordCosts(entry=0.0, stop_skip=0.0, content_skip=0.0, inversion=0.0, stop_inversion=0.0)
"""Costs for rankings that have no word candidates (any will do)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autocomplete.tools.evaluation.fit_words")
    parser.add_argument("--queries-per-category", type=int, default=150)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(TRAINING_SEEDS))
    parser.add_argument("--baseline", default="none", help="none, or five comma-separated costs")
    args = parser.parse_args(argv)
    if 0 in args.seeds:
        parser.error("seed 0 is the reported evaluation: fit on other seeds")
    cases = gather(args.queries_per_category, args.seeds)
    print(f"{len(cases)} training queries ({', '.join(CATEGORIES)})", file=sys.stderr)
    baseline = None
    if args.baseline != "none":
        baseline = WordCosts(*(float(value) for value in args.baseline.split(",")))
    costs, scores = fit(cases, baseline)
    prefix_only = objective([_Case(c.category, c.target, c.prefix, ()) for c in cases], _ANY)
    print(costs)
    print(f"{'MRR@10':>14} {'fitted':>7} {'no words':>8}")
    for category, value in scores.items():
        print(f"{category:>14} {value:7.4f} {prefix_only[category]:8.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
