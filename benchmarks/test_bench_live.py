"""Live catalog updates (issue 18) on the bundled catalog: applying a 10,000-title batch, and
never-seen keystrokes with a 10,000-title delta against the same keystrokes without one.

The delta replaces 10,000 bundled titles (a word added to each, the weight changed), so the
main index has 10,000 hidden titles and the delta 10,000 titles: the harder case for the
merge. Keystrokes are the evaluation's queries (every category, seed 11), each distinct one
asked once on a fresh engine after ``WARMUP`` queries of another seed, as ``_bench_unseen``
does. The full measurements (more queries, visibility across processes, compaction while
serving) are ``scripts/live_bench.py``; docs/live-updates.md has the figures.
"""

from __future__ import annotations

import functools
import tempfile
import time
from typing import Any

import pytest

from autocomplete import Autocomplete
from autocomplete.live import UpdateOptions
from live_workload import DELTA_TITLES, WARMUP, K, eval_queries, fresh_engine
from live_workload import replacements as replaced_titles
from queries import latencies_ns, percentiles_us

PER_CATEGORY = 30


@pytest.fixture(scope="module")
def replacements() -> list[dict[str, object]]:
    return replaced_titles(DELTA_TITLES)


def test_apply_a_10000_title_batch(benchmark: Any, replacements: list[dict[str, object]]) -> None:
    benchmark.group = "live updates"
    benchmark.name = f"upsert[{DELTA_TITLES} titles, one batch, SQLite log]"
    with tempfile.TemporaryDirectory() as directory:
        options = UpdateOptions(f"sqlite:///{directory}/updates.db", poll_interval_s=0)
        engine = Autocomplete(updates=options)
        started = time.perf_counter()
        benchmark.pedantic(engine.upsert, args=(replacements,), rounds=1, iterations=1)
        benchmark.extra_info["seconds"] = round(time.perf_counter() - started, 3)
        assert engine.suggest("the matrix redux")[0].text.endswith("Redux")
        engine.close()


def test_suggest_never_seen_with_a_10000_title_delta(benchmark: Any) -> None:
    benchmark.group = "live updates"
    benchmark.name = f"suggest[bundled, never seen, {DELTA_TITLES}-title delta vs none]"
    queries = eval_queries(seed=11, per_category=PER_CATEGORY)
    warmup = eval_queries(seed=12, per_category=10)[:WARMUP]

    plain = percentiles_us(
        latencies_ns(functools.partial(fresh_engine(False, warmup).suggest, k=K), queries)
    )
    live = fresh_engine(True, warmup)
    with_delta = percentiles_us(latencies_ns(functools.partial(live.suggest, k=K), queries))
    benchmark.extra_info.update(
        {
            "queries": len(queries),
            "p50_us": with_delta["p50"],
            "p99_us": with_delta["p99"],
            "without_p50_us": plain["p50"],
            "without_p99_us": plain["p99"],
            "p99_ratio": round(with_delta["p99"] / plain["p99"], 2),
        }
    )

    def answer_all() -> None:
        for query in queries:
            live.suggest(query, K)

    benchmark.pedantic(answer_all, rounds=1, iterations=1)
