"""The slowest never-seen keystrokes of one saved index, with the garbage collector on and off.

    .venv/bin/python scripts/scale_slowest.py INDEX_DIR

One fresh engine per setting (after 50 queries of another seed's mix, as the never-seen
benchmark warms it), every distinct keystroke of the clean mix timed once; prints p50, p99,
the collector's pauses and the twelve slowest keystrokes.
"""

from __future__ import annotations

import functools
import gc
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from autocomplete import Autocomplete
from queries import distinct_keystrokes, fresh_engine, latencies_ns


def timed_pass(
    engine: Autocomplete, queries: list[str], collecting: bool
) -> tuple[np.ndarray, list[tuple[int, float]]]:
    """Microseconds of each query, and the collector's pauses (generation, ms) meanwhile."""
    pauses: list[tuple[int, float]] = []
    started = [0]

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter_ns()
        else:
            pauses.append((info["generation"], (time.perf_counter_ns() - started[0]) / 1e6))

    gc.callbacks.append(timed)
    if not collecting:
        gc.disable()
    times = latencies_ns(functools.partial(engine.suggest, k=10), queries)
    gc.enable()
    gc.callbacks.remove(timed)
    return times / 1e3, pauses


def main() -> int:
    directory = Path(sys.argv[1])
    queries = distinct_keystrokes(Autocomplete.load(directory), "clean")
    for label, collecting in (("gc on", True), ("gc off", False)):
        micros, pauses = timed_pass(fresh_engine(directory), queries, collecting)
        full = [ms for generation, ms in pauses if generation == 2]
        longest = max((ms for _, ms in pauses), default=0.0)
        print(
            f"{label}: p50 {np.percentile(micros, 50):.0f} µs, p99 {np.percentile(micros, 99):.0f}"
            f" µs; gc {len(pauses)} collections, {len(full)} full, longest {longest:.1f} ms"
        )
        slowest = np.argsort(-micros)[:12].tolist()
        listed = ", ".join(f"{queries[i]!r} {micros[i] / 1000:.1f} ms" for i in slowest)
        print(f"  slowest: {listed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
