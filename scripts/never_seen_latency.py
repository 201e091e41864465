"""Never-seen keystroke latency of whichever ``autocomplete`` comes first on ``sys.path``.

For comparing two trees side by side on the same machine load (per-query thread CPU time, so a
descheduled process is not charged for the wait):

    PYTHONPATH=/path/to/old/src python scripts/never_seen_latency.py &
    python scripts/never_seen_latency.py

A fresh engine on the bundled index answers 50 queries of another seed, then each distinct
keystroke of the benchmark mix once: clean prefixes (``benchmarks/queries.engine_query_mix``) and
typo keystrokes (``typo_sessions``, the first 3,000) and multi-word keystrokes
(``multiword_keystrokes``: skipped and reordered words). Prints p50 and p99 in microseconds.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for benchmarks.queries

import numpy as np
from benchmarks.queries import ALL, distinct_keystrokes, engine_query_mix

import autocomplete
from autocomplete import Autocomplete
from autocomplete.index.bundled import bundled_index

TYPO_QUERIES = 3_000
WARMUP = 50


def main() -> None:
    index = bundled_index()
    probe = Autocomplete(index)
    clean = distinct_keystrokes(probe, "clean")
    typo = distinct_keystrokes(probe, "typo")
    multiword = distinct_keystrokes(probe, "multiword")
    figures: dict[str, tuple[float, float, int]] = {}
    for name, queries in (
        ("clean", clean),
        ("typo", typo[:TYPO_QUERIES]),
        ("multiword", multiword),
    ):
        engine = Autocomplete(index)
        for query in engine_query_mix(engine, seed=1)[ALL][:WARMUP]:
            engine.suggest(query, 10)
        gc.collect()
        spent = []
        for query in queries:
            start = time.thread_time_ns()
            engine.suggest(query, 10)
            spent.append(time.thread_time_ns() - start)
        micros = np.array(spent) / 1000
        figures[name] = (
            round(float(np.percentile(micros, 50)), 1),
            round(float(np.percentile(micros, 99)), 1),
            len(queries),
        )
    print(Path(autocomplete.__file__).parent, json.dumps(figures))


if __name__ == "__main__":
    main()
