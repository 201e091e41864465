"""Multi-word keystrokes never seen before (issue 15): ``suggest(k=10)`` on queries made of the
words people remember, on the bundled and (opt-in) the million-title catalog.

The queries: titles drawn by popularity, typed as the evaluation's ``skipped_words`` and
``out_of_order`` generators type them, and every keystroke from the second word on ("harry
potter c", "harry potter ch", ...), each distinct one asked once. As in ``_bench_unseen`` of
``test_bench_prefix``: a freshly loaded engine, ``WARMUP`` queries of another seed first, then
each query once, timed with ``perf_counter_ns``; the same for a bare trie lookup (``TrieBaseline``)
in the same process, and the ratio, steadier than either alone on a loaded machine. The word
retrieval alone (reading the words and the conjunctive top-k, without the prefix index or
presentation; the speller's plan only for a word that matches nothing) is timed too, and the
engine with the word reading off on the same keystrokes (what the rest of ``suggest`` costs),
and the word retrieval once more with the floor the engine gives it (the k-th score the prefix
reading found: no word match below it can place), as it runs inside ``suggest``.
"""

from __future__ import annotations

import functools
import gc
from pathlib import Path
from typing import Any

from autocomplete import Autocomplete, CatalogIndex
from autocomplete.rank.multiword import FITTED_COSTS, WordCosts, WordReader, read_terms
from autocomplete.rank.scoring import CHANNEL_WEIGHT, EXACT_BONUS
from autocomplete.spell.candidates import Speller
from autocomplete.spell.errormodel import ErrorModel
from autocomplete.text.normalize import normalize_typed
from queries import (
    TrieBaseline,
    latencies_ns,
    multiword_keystrokes,
    percentiles_us,
    slowest,
)

K = 10
WARMUP = 50
"""Queries of another seed answered first: the process is warm, its memos hold none of the
timed queries."""


def _bench(benchmark: Any, index_dir: Path, name: str) -> None:
    queries = multiword_keystrokes(Autocomplete.load(index_dir))
    benchmark.group = f"multiword {name}"
    benchmark.name = f"suggest[{name}, multi-word, never seen before]"

    def fresh(word_costs: WordCosts | None = FITTED_COSTS) -> Autocomplete:
        engine = Autocomplete(CatalogIndex.load(index_dir), word_costs=word_costs)
        for query in multiword_keystrokes(engine, seed=1, titles=WARMUP)[:WARMUP]:
            engine.suggest(query, K)
        gc.collect()
        return engine

    engine = fresh()
    measured = latencies_ns(functools.partial(engine.suggest, k=K), queries)
    baseline = latencies_ns(TrieBaseline(engine).lookup, queries)
    # The word retrieval alone, on another fresh engine, with a speller built as the
    # engine builds its own (its plan gives each word's readings).
    other = fresh()
    reader = WordReader(other.index.words)
    speller = Speller(
        other.index.spelling,
        ErrorModel.load(),
        channel_weight=CHANNEL_WEIGHT,
        exact_bonus=EXACT_BONUS,
        phrase_exists=other.index.has_phrase,
    )

    def words_only(query: str) -> object:
        typed = normalize_typed(query)
        terms = read_terms(typed, other.index.words, functools.partial(speller.plan, typed))
        return reader.top_k(terms, K) if terms else None

    words = latencies_ns(words_only, queries)
    # The engine without the word reading, as it was: what the rest of suggest costs.
    prefix_engine = fresh(None)
    prefix_only = latencies_ns(functools.partial(prefix_engine.suggest, k=K), queries)
    # The word retrieval as the engine runs it: it must beat the k-th result found so far.
    floors = {}
    for query in queries:
        found = prefix_engine.suggest(query, K)
        floors[query] = found[-1].score if len(found) == K else float("-inf")

    def words_in_engine(query: str) -> object:
        typed = normalize_typed(query)
        terms = read_terms(typed, other.index.words, functools.partial(speller.plan, typed))
        return reader.top_k(terms, K, floor=floors[query]) if terms else None

    in_engine = percentiles_us(latencies_ns(words_in_engine, queries))
    suggest, walk, alone = percentiles_us(measured), percentiles_us(baseline), percentiles_us(words)
    before = percentiles_us(prefix_only)
    benchmark.extra_info.update(
        {
            "queries": len(queries),
            "p50_us": suggest["p50"],
            "p99_us": suggest["p99"],
            "baseline_p50_us": walk["p50"],
            "baseline_p99_us": walk["p99"],
            "p50_ratio_to_baseline": round(suggest["p50"] / walk["p50"], 1),
            "p99_ratio_to_baseline": round(suggest["p99"] / walk["p99"], 1),
            "words_only_p50_us": alone["p50"],
            "words_only_p99_us": alone["p99"],
            "words_only_p50_ratio_to_baseline": round(alone["p50"] / walk["p50"], 1),
            "words_only_p99_ratio_to_baseline": round(alone["p99"] / walk["p99"], 1),
            "words_with_floor_p50_us": in_engine["p50"],
            "words_with_floor_p99_us": in_engine["p99"],
            "without_words_p50_us": before["p50"],
            "without_words_p99_us": before["p99"],
            "slowest": slowest(queries, measured, 5),
            "word_index_bytes": other.index.words.nbytes,
            "word_index_build_seconds": other.index.info.get("word_index_seconds"),
        }
    )

    def answer_all(engine: Autocomplete) -> None:
        for query in queries:
            engine.suggest(query, K)

    benchmark.pedantic(answer_all, setup=lambda: ((fresh(),), {}), rounds=1, iterations=1)


def test_multiword_unseen_bundled(benchmark: Any, saved_bundled_index: Path) -> None:
    _bench(benchmark, saved_bundled_index, "bundled")


def test_multiword_unseen_large(benchmark: Any, large_index_dir: Path) -> None:
    _bench(benchmark, large_index_dir, "synthetic")
