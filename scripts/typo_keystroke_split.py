"""How much of a typo keystroke's time is the word search, and how much is everything after it.

The typo benchmark (``benchmarks/test_bench_typo.py``) times keystrokes with slips the first time
they are seen. This script times the same keystrokes three ways, on one warmed-up engine:

* ``first seen``: as the benchmark does;
* ``words memoized``: again, after emptying every memo except the typed words' candidates. Each
  keystroke still builds its correction plan, runs the beam search over readings, looks the
  readings up and presents the results, but finds every word's candidates in the memo. This is
  the time left if the word search (deletion probes, the edit filter, pricing with the error
  model) cost nothing;
* ``all memoized``: a third time, with every memo full;
* ``pricing free``: first seen, on an engine whose error model is a table of the answers the
  real one gave for the same keystrokes in an earlier run. The search still probes, filters and
  ranks, but pricing a pair is a dictionary lookup: the time left if pricing cost nothing.

The second pass clears the engine's private memos on purpose: this is a measurement, not a use of
the API.

    .venv/bin/python scripts/typo_keystroke_split.py            # ~20 s, bundled catalog
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
from autocomplete.spell.candidates import ChannelModel  # noqa: E402
from autocomplete.spell.errormodel import ErrorModel  # noqa: E402
from queries import latencies_ns, percentiles_us, typo_sessions  # noqa: E402

K = 10
WARMUP_SHARE = 0.5
"""Warm-up keystrokes (from other sessions) as a share of the measured ones."""


class _RecordingModel:
    """The real error model, remembering every answer it gives."""

    def __init__(self, model: ChannelModel) -> None:
        self.model = model
        self.answers: dict[tuple[str, str, bool], float] = {}

    def cost(self, typed: str, intended: str, *, prefix: bool = False) -> float:
        found = self.model.cost(typed, intended, prefix=prefix)
        self.answers[typed, intended, prefix] = found
        return found

    def max_edits(self, length: int) -> int:
        return self.model.max_edits(length)

    def respellings(self, typed: str, *, limit: int = 8) -> list[tuple[str, float]]:
        return self.model.respellings(typed, limit=limit)


class _TableModel(_RecordingModel):
    """Answers from a recorded table: pricing at the cost of a dictionary lookup."""

    def __init__(self, recorded: _RecordingModel) -> None:
        super().__init__(recorded.model)
        self.answers = recorded.answers

    def cost(self, typed: str, intended: str, *, prefix: bool = False) -> float:
        if typed == intended:
            return 0.0
        return self.answers[typed, intended, prefix]


def _empty_all_but_word_memos(engine: Autocomplete) -> None:
    speller = engine._speller
    speller._plans.clear()
    engine._answers.clear()  # else every keystroke is answered whole from it
    engine._exact.clear()
    engine._presented.clear()
    engine._corrected.clear()
    engine._anchored.clear()


def _timed(engine: Autocomplete, keystrokes: Sequence[str]) -> dict[str, float]:
    gc.collect()
    return percentiles_us(latencies_ns(lambda query: engine.suggest(query, K), keystrokes))


def _split(warmup: Sequence[str], keystrokes: Sequence[str]) -> dict[str, dict[str, float]]:
    # A fresh error model for each engine: the model memoizes priced pairs.
    figures: dict[str, dict[str, float]] = {}
    engine = Autocomplete(error_model=ErrorModel.load())
    for query in warmup:
        engine.suggest(query, K)
    figures["first seen"] = _timed(engine, keystrokes)
    _empty_all_but_word_memos(engine)
    figures["words memoized"] = _timed(engine, keystrokes)
    figures["all memoized"] = _timed(engine, keystrokes)
    recording = _RecordingModel(ErrorModel.load())
    recorder = Autocomplete(error_model=recording)
    for query in [*warmup, *keystrokes]:
        recorder.suggest(query, K)
    engine = Autocomplete(error_model=_TableModel(recording))
    for query in warmup:
        engine.suggest(query, K)
    figures["pricing free"] = _timed(engine, keystrokes)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="fresh engines, medians reported")
    args = parser.parse_args(argv)
    probe = Autocomplete()
    keystrokes = [query for session in typo_sessions(probe, seed=0) for query in session]
    warmup = [query for session in typo_sessions(probe, seed=1) for query in session]
    warmup = warmup[: int(WARMUP_SHARE * len(keystrokes))]
    runs = [_split(warmup, keystrokes) for _ in range(args.repeats)]
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
