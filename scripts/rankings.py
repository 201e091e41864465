"""Record the ranked ids the engine gives for every eval query, or compare two such records.

A refactor that must not change behaviour is checked by recording before and after it:

    python scripts/rankings.py record before.json
    ... change the code ...
    python scripts/rankings.py record after.json
    python scripts/rankings.py compare before.json after.json

The queries are the evaluation's (``autocomplete eval``'s generator: every category, seeds 0 and
5, 300 per category), each answered with ``k = 10`` on the bundled catalog: plainly, and every
tenth one also with a ``where`` filter, a ``boost``, a session context and click lifts, so that
every path of the pipeline is compared. Each answer is its ids with their scores (as ``repr``:
a refactor that adds the same terms in another order shows up here even when no rank moves).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autocomplete import Autocomplete, Suggestion

SEEDS = (0, 5)
PER_CATEGORY = 300
K = 10


def record(output: Path) -> None:
    from autocomplete import Autocomplete
    from autocomplete.feedback.backends import open_store
    from autocomplete.feedback.layer import FeedbackLayer
    from autocomplete.index.bundled import bundled_records
    from autocomplete.tools.evaluation.queries import CATEGORIES, generate_queries

    engine = Autocomplete()
    # A fixed clock: click lifts decay with time, and the record must not depend on when it ran.
    frozen_time = 1_790_000_000.0
    store = open_store("memory://", clock=lambda: frozen_time)
    clicked = Autocomplete(engine.index, feedback=FeedbackLayer(store, clock=lambda: frozen_time))
    records = bundled_records()
    answers: dict[str, list[str]] = {}
    for seed in SEEDS:
        queries = generate_queries(
            records, per_category=PER_CATEGORY, seed=seed, categories=CATEGORIES
        )
        for number, query in enumerate(queries):
            key = f"{seed}\t{query.category}\t{query.text}"
            answers[key] = _answer(engine.suggest(query.text, K))
            if number % 10:
                continue
            answers[f"{key}\twhere"] = _answer(
                engine.suggest(query.text, K, where={"year": (1960, 1999)})
            )
            answers[f"{key}\tboost"] = _answer(
                engine.suggest(query.text, K, boost={"genres": {"Comedy": 3.0}})
            )
            answers[f"{key}\tcontext"] = _answer(
                engine.suggest(query.text, K, context={"clicked": [query.target_id]})
            )
            _click(clicked, query.text, query.target_id, number)
            answers[f"{key}\tclicks"] = _answer(clicked.suggest(query.text, K))
    output.write_text(json.dumps(answers, indent=0, sort_keys=True))
    print(f"{len(answers)} queries recorded in {output}")


def _answer(suggestions: list[Suggestion]) -> list[str]:
    return [f"{suggestion.id} {suggestion.score!r}" for suggestion in suggestions]


def _click(engine: Autocomplete, query: str, id: str, number: int) -> None:
    """Clicks on ``id`` for ``query`` from many networks, and learning caught up."""
    for person in range(30):
        session = f"s{number}-{person}"
        client = f"10.{number % 250}.{person}.1"
        engine.record_impression(query, [id], session, client=client)
        engine.record_click(query, id, 1, session, 4000, client=client)
    assert engine.feedback is not None
    engine.feedback.refresh(wait_s=5.0)


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
