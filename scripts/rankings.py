"""Record the ranked ids the engine gives for every eval query, or compare two such records.

A refactor that must not change behaviour is checked by recording before and after it:

    python scripts/rankings.py record before.json
    ... change the code ...
    python scripts/rankings.py record after.json
    python scripts/rankings.py compare before.json after.json

The queries are the evaluation's (``autocomplete eval``'s generator: every category, seeds 0 and
5, 300 per category), each answered with ``k = 10`` on the bundled catalog.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SEEDS = (0, 5)
PER_CATEGORY = 300
K = 10


def record(output: Path) -> None:
    from autocomplete import Autocomplete
    from autocomplete.index.bundled import bundled_records
    from autocomplete.tools.evaluation.queries import CATEGORIES, generate_queries

    engine = Autocomplete()
    records = bundled_records()
    answers: dict[str, list[str]] = {}
    for seed in SEEDS:
        for query in generate_queries(
            records, per_category=PER_CATEGORY, seed=seed, categories=CATEGORIES
        ):
            key = f"{seed}\t{query.category}\t{query.text}"
            answers[key] = [suggestion.id for suggestion in engine.suggest(query.text, K)]
    output.write_text(json.dumps(answers, indent=0, sort_keys=True))
    print(f"{len(answers)} queries recorded in {output}")


def compare(before: Path, after: Path) -> int:
    old = json.loads(before.read_text())
    new = json.loads(after.read_text())
    if old.keys() != new.keys():
        print(f"the query sets differ: {len(old.keys() ^ new.keys())} queries in one only")
        return 1
    changed = sorted(key for key in old if old[key] != new[key])
    print(f"{len(old)} queries compared: {len(old) - len(changed)} same, {len(changed)} changed")
    for key in changed[:20]:
        print(f"  {key!r}: {old[key]} -> {new[key]}")
    return 1 if changed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    recording = commands.add_parser("record")
    recording.add_argument("output", type=Path)
    comparing = commands.add_parser("compare")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    arguments = parser.parse_args()
    if arguments.command == "record":
        record(arguments.output)
        return 0
    return compare(arguments.before, arguments.after)


if __name__ == "__main__":
    sys.exit(main())
