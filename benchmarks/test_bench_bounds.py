"""Costs that must stay bounded, as ratios in one process (these were timing assertions in the
unit tests; timings belong here).

* a 100,000-character query costs about what a 1,000-character one does (input is cut);
* the widest prefix ("t", about 10,000 completions) costs about what a narrow one does (its top
  titles are precomputed);
* the click-feedback lookup per keystroke is a dictionary read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from autocomplete import Autocomplete
from autocomplete.feedback import FeedbackLayer, MemoryStore

REPEATS = 200


def _per_call_us(call: Callable[[], object], repeats: int = REPEATS) -> float:
    call()
    started = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - started) / repeats * 1e6


def test_huge_query_costs_what_a_long_one_does(
    benchmark: Any, bundled_engine: Autocomplete
) -> None:
    huge = "the big " + "x" * 100_000
    long = "the big " + "x" * 1_000
    benchmark.group = "bounds"
    benchmark.name = "suggest[100,000-character query]"
    ratio = _per_call_us(lambda: bundled_engine.suggest(huge), 20) / _per_call_us(
        lambda: bundled_engine.suggest(long), 20
    )
    benchmark.extra_info["ratio_to_1000_chars"] = round(ratio, 2)
    benchmark.pedantic(bundled_engine.suggest, args=(huge,), rounds=20, iterations=1)


def test_wide_prefix_costs_what_a_narrow_one_does(
    benchmark: Any, bundled_engine: Autocomplete
) -> None:
    benchmark.group = "bounds"
    benchmark.name = "suggest['t', the widest prefix]"
    ratio = _per_call_us(lambda: bundled_engine.suggest("t")) / _per_call_us(
        lambda: bundled_engine.suggest("the big lebo")
    )
    benchmark.extra_info["ratio_to_narrow_prefix"] = round(ratio, 2)
    benchmark.pedantic(bundled_engine.suggest, args=("t",), rounds=200, iterations=1)


def test_feedback_lookup_per_keystroke(benchmark: Any) -> None:
    layer = FeedbackLayer(MemoryStore())
    try:
        layer.refresh()
        benchmark.group = "bounds"
        benchmark.name = "FeedbackLayer.boosts[one keystroke]"
        benchmark(layer.boosts, "the big")
    finally:
        layer.close()
