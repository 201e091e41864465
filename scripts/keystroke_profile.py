"""Where a never-seen keystroke's time goes: run keystrokes for a sampling profiler, and read
the phases off its samples.

    py-spy record -r 400 --function -o docs/flame/clean.svg -- \\
        python scripts/keystroke_profile.py run clean
    py-spy record -r 400 --function -f raw -o /tmp/clean.raw -- \\
        python scripts/keystroke_profile.py run clean
    python scripts/keystroke_profile.py shares /tmp/clean.raw

``run clean`` answers each distinct keystroke of the benchmark's clean mix once, on a fresh
engine, three times over (``typo``: the typo sessions' keystrokes; ``multiword``: the multi-word
mix's); ``shares`` prints the share of the samples inside ``suggest`` that each phase of the
pipeline holds (a phase's share includes what it calls).
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for benchmarks.queries

ROUNDS = 3

PHASES = {
    "_request": "parse (filters, session, click lifts)",
    "_retrieve_exact": "PREFIX source",
    "plan": "CORRECTED source: per-word candidates (Speller.plan)",
    "corrections": "CORRECTED source: readings search",
    "_retrieve_words": "WORDS source (multiword)",
    "matching": "  of which conjunctive matching (WordIndex.matching)",
    "_retrieve_anchored": "ANCHORED source",
    "_retrieve_without_last_word": "DROPPED_WORD source",
    "_with_translations": "TRANSLATION source",
    "_entries_under": "index top-k lookups (all sources)",
    "_adjusted": "adjust (lifts)",
    "_present_ranked": "dedupe and present",
    "_present": "  of which building Suggestion values",
}


def run(kind: str) -> None:
    from benchmarks.queries import distinct_keystrokes

    from autocomplete import Autocomplete
    from autocomplete.index.bundled import bundled_index

    index = bundled_index()
    probe = Autocomplete(index)
    queries = distinct_keystrokes(probe, kind)
    for _ in range(ROUNDS):
        engine = Autocomplete(index)
        engine.prepare()
        for query in queries:
            engine.suggest(query, 10)


def shares(raw: Path) -> None:
    total = 0
    within: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        names = [frame.split(" (")[0].split(".")[-1] for frame in stack.split(";")]
        if "suggest" not in names:
            continue
        samples = int(count)
        total += samples
        for name in set(names) & PHASES.keys():
            within[name] += samples
    print(f"{total} samples inside suggest")
    for name in PHASES:
        if within[name]:
            print(f"  {PHASES[name]:55} {100 * within[name] / total:5.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    running = commands.add_parser("run")
    running.add_argument("kind", choices=["clean", "typo", "multiword"])
    reading = commands.add_parser("shares")
    reading.add_argument("raw", type=Path)
    arguments = parser.parse_args()
    if arguments.command == "run":
        run(arguments.kind)
    else:
        shares(arguments.raw)


if __name__ == "__main__":
    main()
