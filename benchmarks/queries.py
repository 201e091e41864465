"""A fixed, realistic mix of exact-prefix queries, and the latency measurement over it.

People type a title one keystroke at a time, and every keystroke is a query. So the mix is made of
*typing sessions*: a target title is chosen, mostly by popularity (the way real traffic
concentrates on popular titles) and for a ``tail_share`` of sessions uniformly among the less
popular titles; its display text is lower-cased (and, for a share of sessions, typed without its
leading article, "big lebowski" for "The Big Lebowski"); and every prefix of 1 to 20 characters
is emitted. The queries of all sessions are then shuffled, so that a query's neighbours are not
its own session's keystrokes. Everything is drawn from a seeded generator: the same index and
seed always give the same mix.
"""

from __future__ import annotations

import functools
import gc
import random
import statistics
import time
from collections.abc import Callable, Sequence
from itertools import islice
from pathlib import Path

import marisa_trie
import numpy as np

from autocomplete import Autocomplete, Record
from autocomplete.text.normalize import normalize_query
from autocomplete.text.titles import split_leading_article
from autocomplete.tools.evaluation.queries import (
    ONE_SLIP,
    TWO_SLIPS,
    _make_out_of_order,
    _make_skipped_words,
    generate_queries,
    typed_form,
)

MAX_PREFIX = 20
"""Longest prefix typed, in characters."""

BUCKETS: dict[str, tuple[int, int]] = {
    "1-2": (1, 2),
    "3-5": (3, 5),
    "6-10": (6, 10),
    "11-20": (11, 20),
}
"""Prefix-length buckets (inclusive character ranges) the benchmarks report separately."""

ALL = "all"
"""The name of the whole mix, next to the buckets."""

SESSIONS = 1_000
"""Typing sessions in the default mix (about 12 queries each)."""

TAIL_SHARE = 0.25
"""Share of sessions whose target is drawn uniformly from the less popular titles."""

HEAD_QUANTILE = 0.9
"""Titles above this popularity quantile are not "tail" titles."""

DROP_ARTICLE_SHARE = 0.4
"""Share of sessions for a title with a leading article that type it without the article."""


def draw_targets(
    log_popularity: np.ndarray,
    count: int,
    rng: np.random.Generator,
    tail_share: float = TAIL_SHARE,
) -> np.ndarray:
    """``count`` titles (with repeats): by popularity, and for ``tail_share`` of them uniformly
    among the titles below the ``HEAD_QUANTILE`` of popularity."""
    log_popularity = np.asarray(log_popularity, dtype=np.float64)
    popularity = np.exp(log_popularity - log_popularity.max())
    popularity /= popularity.sum()
    tail = np.flatnonzero(log_popularity <= np.quantile(log_popularity, HEAD_QUANTILE))
    if not len(tail):
        tail = np.arange(len(log_popularity))
    from_tail = rng.random(count) < tail_share
    return np.where(
        from_tail,
        tail[rng.integers(0, len(tail), size=count)],
        rng.choice(len(log_popularity), size=count, p=popularity),
    )


def typing_sessions(
    title_of: Callable[[int], str],
    log_popularity: np.ndarray,
    *,
    sessions: int = SESSIONS,
    seed: int = 0,
    tail_share: float = TAIL_SHARE,
) -> list[str]:
    """The shuffled keystroke queries of ``sessions`` typing sessions.

    The catalog's titles are ``title_of(0)`` ... ``title_of(n - 1)``, with ``log_popularity``
    their log popularity (any base, any offset).
    """
    rng = np.random.default_rng(seed)
    targets = draw_targets(log_popularity, sessions, rng, tail_share)
    drop_article = rng.random(sessions) < DROP_ARTICLE_SHARE
    queries: list[str] = []
    for target, drop in zip(targets.tolist(), drop_article.tolist(), strict=True):
        text = title_of(target)
        if drop:
            split = split_leading_article(text)
            if split is not None:
                text = split[1]
        typed = text.lower().lstrip()
        queries.extend(typed[:length] for length in range(1, min(MAX_PREFIX, len(typed)) + 1))
    order = rng.permutation(len(queries))
    return [queries[position] for position in order.tolist()]


def engine_query_mix(
    engine: Autocomplete, *, sessions: int = SESSIONS, seed: int = 0
) -> dict[str, list[str]]:
    """The mix for ``engine``'s catalog, whole (``"all"``) and split into length buckets."""
    index = engine.index
    priors = np.asarray(index.arrays.title_prior, dtype=np.float64)
    titles = index.titles
    queries = typing_sessions(titles.__getitem__, priors, sessions=sessions, seed=seed)
    return split_buckets(queries)


def split_buckets(queries: Sequence[str]) -> dict[str, list[str]]:
    mix = {ALL: list(queries)}
    for name, (low, high) in BUCKETS.items():
        mix[name] = [query for query in queries if low <= len(query) <= high]
    return mix


# The baseline ---------------------------------------------------------------------------------


class TrieBaseline:
    """A bare prefix walk for ratio reporting: the first 10 normalized titles under the query.

    It normalizes the query as the engine does and enumerates 10 keys of a marisa-trie of the
    catalog's normalized titles: no ranking, no word starts, no presentation. Timed in the same
    process as the engine, ``suggest / baseline`` is steadier than either alone on a noisy
    machine.
    """

    def __init__(self, engine: Autocomplete) -> None:
        normalized = engine.index.normalized_titles
        self._trie = marisa_trie.Trie(normalized[title] for title in range(len(normalized)))

    def lookup(self, query: str, k: int = 10) -> list[str]:
        return list(islice(self._trie.iterkeys(normalize_query(query)), k))


class Served:
    """One engine, its query mix by bucket, and the baseline over the same catalog."""

    def __init__(self, name: str, engine: Autocomplete) -> None:
        self.name = name
        self.engine = engine
        self.mix = engine_query_mix(engine)
        self._baseline: TrieBaseline | None = None

    @property
    def baseline(self) -> TrieBaseline:
        if self._baseline is None:
            self._baseline = TrieBaseline(self.engine)
        return self._baseline


# Latency ---------------------------------------------------------------------------------------


def latencies_ns(call: Callable[[str], object], queries: Sequence[str]) -> np.ndarray:
    """Wall time of ``call(query)`` for every query, in nanoseconds, in the mix's order."""
    clock = time.perf_counter_ns
    found = np.empty(len(queries), dtype=np.int64)
    for position, query in enumerate(queries):
        started = clock()
        call(query)
        found[position] = clock() - started
    return found


def percentiles_us(latencies: np.ndarray) -> dict[str, float]:
    """p50, p90, p99, max and mean of nanosecond latencies, in microseconds."""
    if not len(latencies):
        return {"p50": float("nan"), "p90": float("nan"), "p99": float("nan"), "max": 0.0}
    p50, p90, p99 = np.percentile(latencies, [50, 90, 99]) / 1_000
    return {
        "p50": round(float(p50), 2),
        "p90": round(float(p90), 2),
        "p99": round(float(p99), 2),
        "max": round(float(latencies.max()) / 1_000, 2),
        "mean": round(float(latencies.mean()) / 1_000, 2),
    }


def slowest(
    queries: Sequence[str], latencies: np.ndarray, count: int = 10
) -> list[tuple[str, float]]:
    """The ``count`` slowest distinct queries with their latency in µs, slowest first."""
    found: dict[str, float] = {}
    for position in np.argsort(latencies)[::-1].tolist():
        found.setdefault(queries[position], round(float(latencies[position]) / 1_000, 1))
        if len(found) == count:
            break
    return list(found.items())


# Typing with slips -----------------------------------------------------------------------------

TYPO_SESSIONS = 600
"""Typing sessions with slips in the typo mix (each emits several keystrokes with an error)."""


def typo_sessions(
    engine: Autocomplete, *, sessions: int = TYPO_SESSIONS, seed: int = 0
) -> list[list[str]]:
    """Keystrokes of people typing titles with one or two slips, each session in order.

    Targets come from ``draw_targets`` (by popularity, a share from the tail); the slips
    and cut points come from the evaluation's generator (``autocomplete.tools.evaluation.queries``:
    keyboard substitutions, dropped, extra, doubled and swapped letters), half the sessions with
    one slip and half with two. A session is every keystroke from the first one that carries an
    error (is no longer a prefix of the title as typed) to the finished query: the keystrokes
    before the slip are exact-prefix queries, measured by the prefix benchmarks.
    """
    index = engine.index
    priors = np.asarray(index.arrays.title_prior, dtype=np.float64)
    rng = np.random.default_rng(seed)
    # Several candidates per session: the generator skips titles too short for two slips.
    drawn = dict.fromkeys(draw_targets(priors, 4 * sessions, rng).tolist())
    records = [Record(id=str(title), text=index.titles[title], weight=1.0) for title in drawn]
    per_category = sessions // 2
    found: list[list[str]] = []
    for query in generate_queries(
        records, per_category=per_category, seed=seed, categories=(ONE_SLIP, TWO_SLIPS)
    ):
        clean = typed_form(query.target_title)
        found.append(
            [
                query.text[:length]
                for length in range(1, len(query.text) + 1)
                if not clean.startswith(query.text[:length])
            ]
        )
    return found


MULTIWORD_TITLES = 300
"""Titles typed in the multi-word mix (half with words skipped, half out of order)."""


def multiword_keystrokes(
    engine: Autocomplete, *, seed: int = 0, titles: int = MULTIWORD_TITLES
) -> list[str]:
    """Distinct keystrokes of multi-word queries over the engine's catalog (issue 15): titles
    drawn by popularity, typed as the evaluation's ``skipped_words`` and ``out_of_order``
    generators type them, and every keystroke from the second word on ("harry potter c",
    "harry potter ch", ...)."""
    index = engine.index
    rng = np.random.default_rng(seed)
    chooser = random.Random(seed)
    prior = np.asarray(index.arrays.title_prior, dtype=np.float64)
    weights = np.exp(prior - prior.max())
    drawn = rng.choice(len(prior), size=titles * 20, p=weights / weights.sum()).tolist()
    keystrokes: dict[str, None] = {}
    made = 0
    for position, title in enumerate(drawn):
        typed = index.normalized_titles[title]
        make = _make_skipped_words if position % 2 else _make_out_of_order
        found = make(Record(id=str(title), text=typed), typed, chooser)
        if found is None:
            continue
        query = found[0]
        start = len(query.split()[0]) + 2
        for end in range(start, len(query) + 1):
            keystrokes.setdefault(query[:end], None)
        made += 1
        if made == titles:
            break
    return list(keystrokes)


def distinct_keystrokes(engine: Autocomplete, kind: str) -> list[str]:
    """Each distinct keystroke of the clean mix (``kind`` "clean": ``engine_query_mix``), of
    the typo sessions ("typo": ``typo_sessions``) or of the multi-word mix ("multiword":
    ``multiword_keystrokes``) once, in first-seen order: what the never-seen timings ask a
    fresh engine."""
    if kind == "clean":
        return list(dict.fromkeys(engine_query_mix(engine)[ALL]))
    if kind == "typo":
        return list(dict.fromkeys(query for session in typo_sessions(engine) for query in session))
    if kind == "multiword":
        return multiword_keystrokes(engine)
    raise ValueError(f"kind must be 'clean', 'typo' or 'multiword', got {kind!r}")


UNSEEN_PASSES = 2
"""Freshly loaded engines each never-seen measurement asks every keystroke once (the median of
their percentiles is reported)."""

UNSEEN_WARMUP = 50
"""Queries of another seed's mix a fresh engine answers first: the process is warm, its memos
hold none of the timed queries."""


def fresh_engine(index_dir: Path, k: int = 10) -> Autocomplete:
    """The index loaded anew, its verification done (the timed keystrokes do not share the
    machine with the load's background checks), after ``UNSEEN_WARMUP`` queries of another
    seed's mix."""
    engine = Autocomplete.load(index_dir)
    engine.verified()
    for query in engine_query_mix(engine, seed=1)[ALL][:UNSEEN_WARMUP]:
        engine.suggest(query, k)
    gc.collect()
    return engine


def never_seen_figures(index_dir: Path, queries: Sequence[str], k: int = 10) -> dict[str, float]:
    """``suggest(query, k)`` for every one of ``queries`` asked once, on ``UNSEEN_PASSES``
    fresh engines, beside the bare trie lookup (``TrieBaseline``, built once: a trie of every
    title is large at ten million) over the same queries: p50, p90 and p99 in microseconds,
    each the median over the passes, and the ratios to the lookup."""
    measured: list[dict[str, float]] = []
    walked: list[dict[str, float]] = []
    baseline: TrieBaseline | None = None
    for _ in range(UNSEEN_PASSES):
        engine = fresh_engine(index_dir, k)
        if baseline is None:
            baseline = TrieBaseline(engine)
            gc.collect()
        measured.append(
            percentiles_us(latencies_ns(functools.partial(engine.suggest, k=k), queries))
        )
        walked.append(percentiles_us(latencies_ns(baseline.lookup, queries)))
        del engine
    suggest = {
        key: statistics.median(run[key] for run in measured) for key in ("p50", "p90", "p99")
    }
    walk = {key: statistics.median(run[key] for run in walked) for key in ("p50", "p99")}
    return {
        "queries": len(queries),
        "p50_us": suggest["p50"],
        "p90_us": suggest["p90"],
        "p99_us": suggest["p99"],
        "baseline_p50_us": walk["p50"],
        "baseline_p99_us": walk["p99"],
        "p50_ratio_to_baseline": round(suggest["p50"] / walk["p50"], 1),
        "p99_ratio_to_baseline": round(suggest["p99"] / walk["p99"], 1),
    }
