"""Time the word reading alone on multi-word keystrokes, best of three passes per keystroke.

    python scripts/multiword_timing.py [INDEX_DIR]

INDEX_DIR is a saved index (default: the bundled catalog's, from the cache). The keystrokes are
those of ``benchmarks/test_bench_multiword.py``; each is read and answered (``read_terms`` and
``WordReader.top_k``, k = 10, no floor) three times in one process after a warm-up, and the
fastest of the three is kept: the word reading keeps no memo, so a repeat does the same work,
and the minimum removes most of a shared machine's scheduling noise. Prints p50 and p99 (µs)
of the first pass and of the best of three, and the slowest keystrokes.
"""

from __future__ import annotations

import functools
import gc
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from autocomplete import Autocomplete, CatalogIndex
from autocomplete.rank.multiword import WordReader, read_terms
from autocomplete.rank.scoring import CHANNEL_WEIGHT, EXACT_BONUS
from autocomplete.spell.candidates import Speller
from autocomplete.spell.errormodel import ErrorModel
from autocomplete.text.normalize import normalize_typed
from queries import multiword_keystrokes

PASSES = 3


def main() -> int:
    engine = Autocomplete(CatalogIndex.load(sys.argv[1])) if len(sys.argv) > 1 else Autocomplete()
    index = engine.index
    reader = WordReader(index.words)
    speller = Speller(
        index.spelling,
        ErrorModel.load(),
        channel_weight=CHANNEL_WEIGHT,
        exact_bonus=EXACT_BONUS,
        phrase_exists=index.has_phrase,
    )

    def answer(query: str) -> object:
        typed = normalize_typed(query)
        terms = read_terms(typed, index.words, functools.partial(speller.plan, typed))
        return reader.top_k(terms, 10) if terms else None

    queries = multiword_keystrokes(engine)
    for query in multiword_keystrokes(engine, seed=1, titles=50)[:50]:
        answer(query)
    gc.collect()
    passes = np.empty((PASSES, len(queries)), dtype=np.int64)
    for row in range(PASSES):
        for column, query in enumerate(queries):
            started = time.perf_counter_ns()
            answer(query)
            passes[row, column] = time.perf_counter_ns() - started
    best = passes.min(axis=0)
    first_p50, first_p99 = np.percentile(passes[0], [50, 99]) / 1000
    best_p50, best_p99 = np.percentile(best, [50, 99]) / 1000
    print(f"{len(queries)} keystrokes over {index.title_count:,} titles")
    print(f"first pass: p50 {first_p50:.0f} µs, p99 {first_p99:.0f} µs")
    print(f"best of {PASSES}: p50 {best_p50:.0f} µs, p99 {best_p99:.0f} µs")
    for column in np.argsort(best)[::-1][:5].tolist():
        print(f"  {queries[column]!r}: {best[column] / 1000:.0f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
