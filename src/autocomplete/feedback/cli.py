"""``autocomplete feedback``: export the raw event log, compact old events, show the learned state.

* ``autocomplete feedback export --store sqlite:///feedback.db -o events.jsonl`` writes every raw
  event still in the store as JSON lines (format in ``autocomplete.feedback.retention``);
* ``autocomplete feedback compact --store ... --retention-days 7 [--max-events N]`` folds events
  older than the retention window (and, with ``--max-events``, the oldest ones besides until at
  most N remain) into the store's aggregates and deletes them;
* ``autocomplete feedback stats --store ...`` replays the log and prints the guard's verdicts and
  the model's size.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from autocomplete.feedback.backends import open_store
from autocomplete.feedback.config import DAY_S, FeedbackConfig
from autocomplete.feedback.layer import FeedbackLayer
from autocomplete.feedback.retention import compact_store, export_jsonl


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``autocomplete feedback`` and its subcommands."""
    parser = commands.add_parser("feedback", help="export, compact or inspect the feedback store")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    export = actions.add_parser("export", help="write the raw events as JSON lines")
    _add_store(export)
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    export.set_defaults(run=_cmd_export)

    compact = actions.add_parser("compact", help="fold old events into aggregates")
    _add_store(compact)
    compact.add_argument(
        "--retention-days", type=float, default=7.0, help="keep raw events this recent (7)"
    )
    compact.add_argument(
        "--max-events", type=int, default=None, help="keep at most this many raw events"
    )
    compact.set_defaults(run=_cmd_compact)

    stats = actions.add_parser("stats", help="replay the log: verdicts and model size")
    _add_store(stats)
    stats.set_defaults(run=_cmd_stats)


def _add_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", required=True, help="sqlite:///path.db, redis://host:port/db or memory://"
    )


def _cmd_export(args: argparse.Namespace) -> int:
    store = open_store(args.store)
    try:
        if args.output is None:
            written = export_jsonl(store, sys.stdout)
        else:
            written = export_jsonl(store, args.output)
    finally:
        store.close()
    print(f"exported {written:,} events", file=sys.stderr)
    return 0


def _cmd_compact(args: argparse.Namespace) -> int:
    if args.retention_days < 0:
        raise ValueError("--retention-days must not be negative")
    if args.max_events is not None and args.max_events < 0:
        raise ValueError("--max-events must not be negative")
    store = open_store(args.store)
    try:
        before = store.now() - args.retention_days * DAY_S
        result = compact_store(store, before=before, keep_at_most=args.max_events)
    finally:
        store.close()
    print(f"folded {result.folded:,} events (aggregates through seq {result.through_seq})")
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    layer = FeedbackLayer(open_store(args.store), config=FeedbackConfig(refresh_interval_s=0))
    try:
        print(json.dumps(layer.report(), indent=2, sort_keys=True))
    finally:
        layer.close()
    return 0
