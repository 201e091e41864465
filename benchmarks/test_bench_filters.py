"""Filtered ``suggest`` against unfiltered, on the same query mix, in the same process.

The target (issue 6) is a ratio: a ``where`` filter, even one that keeps about 1% of the
catalog, keeps ``suggest`` p99 within 2x of the unfiltered p99. Each filter's p99 and its
ratio to the unfiltered p99 measured in the same pass go into ``extra_info``.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

from queries import ALL, Served, latencies_ns, percentiles_us

K = 10
ROUNDS = 3

FILTERS: dict[str, dict[str, object]] = {
    "animation": {"genres": "Animation"},  # about 6% of the bundled catalog
    "pg": {"mpaa": "PG"},  # about 1%
    "animation-1990s": {"genres": "Animation", "year": (1990, 1999)},  # about 1%
    "comedy-or-romance": {"genres": ["Comedy", "Romance"]},  # about a third
}


def _bench_filter(benchmark: Any, served: Served, name: str) -> None:
    engine = served.engine
    where = FILTERS[name]
    queries = served.mix[ALL]
    for query in queries:  # warm-up, both ways
        engine.suggest(query, K)
        engine.suggest(query, K, where=where)
    gc.collect()
    plain = percentiles_us(latencies_ns(lambda query: engine.suggest(query, K), queries))
    filtered = percentiles_us(
        latencies_ns(lambda query: engine.suggest(query, K, where=where), queries)
    )
    kept = engine.suggest("", 1, where=where)
    benchmark.group = f"filters {served.name}"
    benchmark.name = f"suggest where={name}[{served.name}]"
    benchmark.extra_info.update(
        {
            "queries": len(queries),
            "unfiltered_p50_us": plain["p50"],
            "unfiltered_p99_us": plain["p99"],
            "filtered_p50_us": filtered["p50"],
            "filtered_p99_us": filtered["p99"],
            "p99_ratio_to_unfiltered": round(filtered["p99"] / plain["p99"], 2),
        }
    )
    assert kept, f"filter {name} keeps no title"

    def answer_all() -> None:
        for query in queries:
            engine.suggest(query, K, where=where)

    benchmark.pedantic(answer_all, rounds=ROUNDS, iterations=1)


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_filtered_suggest_bundled(benchmark: Any, bundled: Served, name: str) -> None:
    _bench_filter(benchmark, bundled, name)
