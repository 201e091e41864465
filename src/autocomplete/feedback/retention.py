"""Retention: compacting old events into aggregates, and exporting the raw event log.

``compact_store`` replays the store's aggregates and then its events older than ``before``
through a fresh learner (the same guard and click model the layers use) and hands the
resulting sums to ``FeedbackStore.compact``, which keeps them and deletes those events in one
atomic step. Layers that already learned from the deleted events keep what they learned; a
layer started later begins from the aggregates. Keep ``before`` at least one session lifetime
(``session_ttl_s``) in the past: a session still open at the cut would have its two halves
judged separately (its duplicate clicks could count twice, and a bot rule that fires on its
later events could no longer revoke its compacted part).

Bounds: after a compaction with ``keep_at_most=N`` the log holds at most ``N`` rows, whatever
arrived; the aggregates hold only what the guard accepted (sums per prefix and title), so
events the guard ignores -- bots, floods, clicks matching no impression -- are kept in full
only until they are folded, and add nothing to the aggregates. Run it periodically
(``autocomplete feedback compact --retention-days 7 --max-events N`` from a timer): between
two runs the log grows by what arrives, at most by the write rate times the period.

``export_jsonl`` writes every raw event still in the store, oldest first, one JSON object per
line: ``seq``, ``timestamp`` (seconds since the epoch, the store's clock), ``kind``
(``impression``, ``click`` or ``explicit``), then the event's fields -- ``query``, ``ids``,
``id``, ``position``, ``dwell_ms``, ``value``, ``session_id``, ``client`` -- as documented in
``autocomplete.feedback.events``. Export before compacting to keep the raw record.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, replace
from typing import TextIO

from autocomplete.feedback.config import FeedbackConfig
from autocomplete.feedback.events import Recorded, recorded_to_dict
from autocomplete.feedback.learner import Learner
from autocomplete.feedback.store import READ_BATCH, BadEvent, FeedbackStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Compaction:
    folded: int
    """Rows folded into the aggregates and deleted from the log (bad rows included)."""
    through_seq: int
    """The aggregates now cover every event up to this sequence number."""
    bad: int = 0
    """Rows among the folded ones that were not readable events (deleted without being learned
    from; a layer that met them logged them)."""


def compact_store(
    store: FeedbackStore,
    *,
    before: float,
    config: FeedbackConfig | None = None,
    keep_at_most: int | None = None,
) -> Compaction:
    """Fold the events stamped before ``before`` into the store's aggregates.

    With ``keep_at_most``, fold the oldest events besides until at most that many rows remain:
    what bounds the log when events arrive faster than the retention window can absorb (a
    flood that the guard ignores still costs a row per event until it is folded). Events folded
    for the bound may belong to sessions that are still open (see the module docstring).
    """
    if keep_at_most is not None and (
        isinstance(keep_at_most, bool) or not isinstance(keep_at_most, int) or keep_at_most < 0
    ):
        raise ValueError(f"keep_at_most must be a non-negative int, got {keep_at_most!r}")
    config = config if config is not None else FeedbackConfig()
    kept = store.load_aggregates()
    learner = Learner(config, origin=before)
    if kept is not None:
        learner.load(kept)
    through = learner.last_seq
    excess = 0 if keep_at_most is None else max(store.count() - keep_at_most, 0)
    folded = bad = 0
    as_of = before
    done = False
    while not done:
        scan = store.scan(through, READ_BATCH)
        rows: list[Recorded | BadEvent] = [*scan.events, *scan.bad]
        rows.sort(key=lambda row: row.seq)
        for row in rows:
            # Rows are folded in sequence order up to the first event at or after the cut
            # (once the excess over ``keep_at_most`` is folded); a bad row before it goes too.
            if isinstance(row, Recorded):
                if row.timestamp >= before and folded >= excess:
                    done = True
                    break
                learner.apply(row)
                as_of = max(as_of, row.timestamp)
            else:
                bad += 1
            folded += 1
            through = row.seq
        if scan.rows < READ_BATCH:
            done = True
    if kept is not None and through == kept.through_seq:
        return Compaction(0, through)
    if kept is None and through == 0:
        return Compaction(0, 0)
    # Sessions still open at the cut are folded as they stand: the events that follow it
    # count as a new session of the same id (a boundary effect of at most the open sessions).
    learner.experiments.close_all()
    experiments = learner.experiments.totals()
    aggregates = learner.stats.to_aggregates(as_of, through)
    if experiments:
        aggregates = replace(aggregates, experiments=experiments)
    deleted = store.compact(aggregates)
    if bad:
        logger.warning(
            "feedback store %r: %d bad rows (not readable events) deleted by the compaction "
            "through seq %d",
            store,
            bad,
            through,
        )
    return Compaction(deleted, through, bad)


def export_jsonl(store: FeedbackStore, out: TextIO | str | os.PathLike[str]) -> int:
    """Write the store's raw events to ``out`` (a text stream or a path) as JSON lines."""
    if isinstance(out, (str, os.PathLike)):
        with open(out, "w", encoding="utf-8") as stream:
            return export_jsonl(store, stream)
    written = 0
    after = 0
    while True:
        scan = store.scan(after, READ_BATCH)
        for recorded in scan.events:
            out.write(json.dumps(recorded_to_dict(recorded), ensure_ascii=False))
            out.write("\n")
        for found in scan.bad:
            logger.warning(
                "feedback store %r: event seq %d is not a readable event (%s); not exported",
                store,
                found.seq,
                found.reason,
            )
        written += len(scan.events)
        if scan.rows < READ_BATCH:
            return written
        after = scan.last_seq
