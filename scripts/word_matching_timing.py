"""Time the word index's conjunctive retrieval alone, on the multi-word benchmark's keystrokes.

The 1,616 distinct keystrokes of ``benchmarks/test_bench_multiword.py`` are read into terms once
(as typed, without the speller's plan); then, for each, ``WordIndex.matching``'s first block,
all of its blocks, and ``WordReader.top_k(terms, 10)``. Prints microseconds per keystroke, the
fastest of five passes in thread CPU time. To compare two trees (or the kernels):

    PYTHONPATH=/path/to/old/src python scripts/word_matching_timing.py
    python scripts/word_matching_timing.py
    AUTOCOMPLETE_KERNELS=python python scripts/word_matching_timing.py
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import autocomplete
from autocomplete import Autocomplete
from autocomplete.index.bundled import bundled_index
from autocomplete.index.word_index import Term
from autocomplete.rank.multiword import WordReader, read_terms
from autocomplete.text.normalize import normalize_typed
from queries import multiword_keystrokes

PASSES = 5


def main() -> None:
    index = bundled_index()
    words = index.words
    term_sets = [
        terms
        for query in multiword_keystrokes(Autocomplete(index))
        if (terms := read_terms(normalize_typed(query), words, None))
    ]
    reader = WordReader(words)

    def first_block(terms: Sequence[Term]) -> object:
        return next(iter(words.matching(terms)), None)

    def timed(step: Callable[[Sequence[Term]], object]) -> float:
        fastest = float("inf")
        for _ in range(PASSES):
            gc.collect()
            start = time.thread_time_ns()
            for terms in term_sets:
                step(terms)
            fastest = min(fastest, (time.thread_time_ns() - start) / len(term_sets) / 1000)
        return fastest

    print(f"{Path(autocomplete.__file__).parent}: {len(term_sets)} keystrokes, µs each")
    print(f"  matching, first block  {timed(first_block):7.1f}")
    print(f"  matching, every block  {timed(lambda terms: list(words.matching(terms))):7.1f}")
    print(f"  top_k(10)              {timed(lambda terms: reader.top_k(terms, 10)):7.1f}")


if __name__ == "__main__":
    main()
