"""Exact-prefix ``suggest(k=10)`` over the query mix, on the bundled and the large catalog.

Each benchmark round answers every query of one prefix-length bucket once (only the ``suggest``
calls are timed), after one untimed warm-up pass, so the figures are for a warm process. Per-query
latency percentiles, measured separately with ``perf_counter_ns`` (the median over
``LATENCY_PASSES`` passes), go into ``extra_info`` together with the same percentiles of a bare
trie prefix walk (``TrieBaseline``) measured in the same process, and their ratio, which is
steadier than absolute times on a noisy machine.
"""

from __future__ import annotations

import gc
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autocomplete import Autocomplete
from queries import (
    ALL,
    BUCKETS,
    Served,
    distinct_keystrokes,
    fresh_engine,
    latencies_ns,
    never_seen_figures,
    percentiles_us,
    slowest,
)

ROUNDS = 5
K = 10
LATENCY_PASSES = 3
"""Passes over the queries for the percentiles; each percentile is the median over passes."""

BUCKET_NAMES = [ALL, *BUCKETS]


def _median_percentiles(passes: list[np.ndarray]) -> dict[str, float]:
    figures = [percentiles_us(latencies) for latencies in passes]
    return {key: statistics.median(figure[key] for figure in figures) for key in figures[0]}


def _answer_all(served: Served, queries: list[str]) -> None:
    suggest = served.engine.suggest
    for query in queries:
        suggest(query, K)


def _bench_suggest(benchmark: Any, served: Served, bucket: str) -> None:
    queries = served.mix[bucket]
    benchmark.group = f"prefix {served.name}"
    benchmark.name = f"suggest[{served.name}, {bucket}]"
    _answer_all(served, queries)  # warm-up: caches filled, index pages resident
    gc.collect()  # leave no garbage of earlier tests for a collection to trip over in the timer
    passes = [
        (
            latencies_ns(lambda query: served.engine.suggest(query, K), queries),
            latencies_ns(served.baseline.lookup, queries),
        )
        for _ in range(LATENCY_PASSES)
    ]
    suggest = _median_percentiles([engine for engine, _ in passes])
    baseline = _median_percentiles([walk for _, walk in passes])
    engine_latency = np.minimum.reduce([engine for engine, _ in passes])
    benchmark.extra_info.update(
        {
            "queries": len(queries),
            "p50_us": suggest["p50"],
            "p99_us": suggest["p99"],
            "max_us": suggest["max"],
            "baseline_p50_us": baseline["p50"],
            "baseline_p99_us": baseline["p99"],
            "p50_ratio_to_baseline": round(suggest["p50"] / baseline["p50"], 1),
            "p99_ratio_to_baseline": round(suggest["p99"] / baseline["p99"], 1),
            "slowest_best_of_passes": slowest(queries, engine_latency, 5),
        }
    )
    benchmark.pedantic(_answer_all, args=(served, queries), rounds=ROUNDS, iterations=1)
    if benchmark.stats is not None:  # None when benchmarks are disabled
        per_query = benchmark.stats.stats.median / len(queries) * 1e6
        benchmark.extra_info["median_round_per_query_us"] = round(per_query, 2)


@pytest.mark.parametrize("bucket", BUCKET_NAMES)
def test_suggest_bundled(benchmark: Any, bundled: Served, bucket: str) -> None:
    _bench_suggest(benchmark, bundled, bucket)


@pytest.mark.parametrize("bucket", BUCKET_NAMES)
def test_suggest_large(benchmark: Any, large: Served, bucket: str) -> None:
    _bench_suggest(benchmark, large, bucket)


def _bench_baseline(benchmark: Any, served: Served, bucket: str) -> None:
    queries = served.mix[bucket]
    lookup = served.baseline.lookup
    benchmark.group = f"prefix {served.name}"
    benchmark.name = f"baseline trie walk[{served.name}, {bucket}]"

    def walk_all() -> None:
        for query in queries:
            lookup(query)

    walk_all()
    benchmark.extra_info["queries"] = len(queries)
    benchmark.pedantic(walk_all, rounds=ROUNDS, iterations=1)


@pytest.mark.parametrize("bucket", BUCKET_NAMES)
def test_baseline_bundled(benchmark: Any, bundled: Served, bucket: str) -> None:
    _bench_baseline(benchmark, bundled, bucket)


@pytest.mark.parametrize("bucket", BUCKET_NAMES)
def test_baseline_large(benchmark: Any, large: Served, bucket: str) -> None:
    _bench_baseline(benchmark, large, bucket)


# Keystrokes never seen before ------------------------------------------------------------------


def _bench_unseen(benchmark: Any, index_dir: Path, name: str) -> None:
    """Each distinct query of the mix asked once, on a freshly loaded engine: what a service
    sees for the long tail of keystrokes it has not answered before (no memo can help)."""
    queries = distinct_keystrokes(Autocomplete.load(index_dir), "clean")
    benchmark.group = f"prefix {name}"
    benchmark.name = f"suggest[{name}, never seen before]"
    benchmark.extra_info.update(never_seen_figures(index_dir, queries, K))

    def answer_all(engine: Autocomplete) -> None:
        for query in queries:
            engine.suggest(query, K)

    benchmark.pedantic(
        answer_all, setup=lambda: ((fresh_engine(index_dir, K),), {}), rounds=1, iterations=1
    )


def test_suggest_unseen_bundled(benchmark: Any, saved_bundled_index: Path) -> None:
    _bench_unseen(benchmark, saved_bundled_index, "bundled")


def test_suggest_unseen_large(benchmark: Any, large_index_dir: Path) -> None:
    _bench_unseen(benchmark, large_index_dir, "synthetic")
