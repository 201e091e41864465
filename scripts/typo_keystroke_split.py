"""How much of a typo keystroke's time is the word search, and how much is everything after it.

The typo benchmark (``benchmarks/test_bench_typo.py``) times keystrokes with slips the first time
they are seen. This script times the same keystrokes three ways, on one warmed-up engine:

* ``first seen``: as the benchmark does;
* ``words memoized``: again, after emptying every memo except the typed words' candidates. Each
  keystroke still builds its correction plan, runs the beam search over readings, looks the
  readings up and presents the results, but finds every word's candidates in the memo. This is
  the time left if the word search (deletion probes, the edit filter, pricing with the error
  model) cost nothing;
* ``all memoized``: a third time, with every memo full.

The second pass clears the engine's private memos on purpose: this is a measurement, not a use of
the API.

    .venv/bin/python scripts/typo_keystroke_split.py            # ~10 s, bundled catalog
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from autocomplete import Autocomplete  # noqa: E402
from queries import latencies_ns, percentiles_us, typo_sessions  # noqa: E402

K = 10
WARMUP_SHARE = 0.5
"""Warm-up keystrokes (from other sessions) as a share of the measured ones."""


def _empty_all_but_word_memos(engine: Autocomplete) -> None:
    speller = engine._speller
    speller._plans.clear()
    engine._presented.clear()
    engine._corrected.clear()
    engine._anchored.clear()


def _split(engine: Autocomplete, keystrokes: Sequence[str]) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {}
    for label in ("first seen", "words memoized", "all memoized"):
        if label == "words memoized":
            _empty_all_but_word_memos(engine)
        gc.collect()
        figures[label] = percentiles_us(
            latencies_ns(lambda query: engine.suggest(query, K), keystrokes)
        )
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="fresh engines, medians reported")
    args = parser.parse_args(argv)
    probe = Autocomplete()
    keystrokes = [query for session in typo_sessions(probe, seed=0) for query in session]
    warmup = [query for session in typo_sessions(probe, seed=1) for query in session]
    warmup = warmup[: int(WARMUP_SHARE * len(keystrokes))]
    runs = []
    for _ in range(args.repeats):
        engine = Autocomplete()
        for query in warmup:
            engine.suggest(query, K)
        runs.append(_split(engine, keystrokes))
    print(
        f"{len(keystrokes):,} keystrokes, {platform.processor() or platform.machine()}, "
        f"median of {args.repeats} fresh engines"
    )
    print("| keystrokes | p50, µs | p90, µs | p99, µs | mean, µs |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label in runs[0]:
        cells = [
            statistics.median(run[label][key] for run in runs)
            for key in ("p50", "p90", "p99", "mean")
        ]
        print(f"| {label} | " + " | ".join(f"{cell:.0f}" for cell in cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
