"""Retention: compacting old events into aggregates, and exporting the raw event log.

``compact_store`` replays the store's aggregates and then its events older than ``before``
through a fresh learner (the same guard and click model the layers use) and hands the
resulting sums to ``FeedbackStore.compact``, which keeps them and deletes those events in one
atomic step. Layers that already learned from the deleted events keep what they learned; a
layer started later begins from the aggregates. Keep ``before`` at least one session lifetime
(``session_ttl_s``) in the past: a session still open at the cut would have its two halves
judged separately (its duplicate clicks could count twice, and a bot rule that fires on its
later events could no longer revoke its compacted part).

``export_jsonl`` writes every raw event still in the store, oldest first, one JSON object per
line: ``seq``, ``timestamp`` (seconds since the epoch, the store's clock), ``kind``
(``impression``, ``click`` or ``explicit``), then the event's fields -- ``query``, ``ids``,
``id``, ``position``, ``dwell_ms``, ``value``, ``session_id``, ``client`` -- as documented in
``autocomplete.feedback.events``. Export before compacting to keep the raw record.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TextIO

from autocomplete.feedback.config import FeedbackConfig
from autocomplete.feedback.events import recorded_to_dict
from autocomplete.feedback.learner import Learner
from autocomplete.feedback.store import READ_BATCH, FeedbackStore


@dataclass(frozen=True)
class Compaction:
    folded: int
    """Events folded into the aggregates and deleted from the log."""
    through_seq: int
    """The aggregates now cover every event up to this sequence number."""


def compact_store(
    store: FeedbackStore, *, before: float, config: FeedbackConfig | None = None
) -> Compaction:
    """Fold the events stamped before ``before`` into the store's aggregates."""
    config = config if config is not None else FeedbackConfig()
    kept = store.load_aggregates()
    learner = Learner(config, origin=before)
    if kept is not None:
        learner.load(kept)
    through = learner.last_seq
    done = False
    while not done:
        batch = store.read(through, READ_BATCH)
        for recorded in batch:
            # Events are folded in sequence order up to the first one at or after the cut.
            if recorded.timestamp >= before:
                done = True
                break
            learner.apply(recorded)
            through = recorded.seq
        if len(batch) < READ_BATCH:
            done = True
    if kept is not None and through == kept.through_seq:
        return Compaction(0, through)
    if kept is None and through == 0:
        return Compaction(0, 0)
    folded = store.compact(learner.stats.to_aggregates(before, through))
    return Compaction(folded, through)


def export_jsonl(store: FeedbackStore, out: TextIO | str | os.PathLike[str]) -> int:
    """Write the store's raw events to ``out`` (a text stream or a path) as JSON lines."""
    if isinstance(out, (str, os.PathLike)):
        with open(out, "w", encoding="utf-8") as stream:
            return export_jsonl(store, stream)
    written = 0
    after = 0
    while True:
        batch = store.read(after, READ_BATCH)
        for recorded in batch:
            out.write(json.dumps(recorded_to_dict(recorded), ensure_ascii=False))
            out.write("\n")
        written += len(batch)
        if len(batch) < READ_BATCH:
            return written
        after = batch[-1].seq
