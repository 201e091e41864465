"""Compacted feedback: the learned sums that replace raw events older than the retention window.

An ``Aggregates`` value holds the click model's sufficient statistics as they stood at
``as_of`` (decayed to that moment), after learning from every event up to sequence number
``through_seq``: for each (normalized prefix, title id) the position-weighted click credit
(positive and negative parts) and the views, and for each title id the explicit likes and
dislikes. A store keeps at most one ``Aggregates`` document beside its raw events and replaces
it, together with deleting the events it folds in, in one atomic step (``FeedbackStore.compact``).

The document is JSON (``to_json``/``from_json``) so that every back end keeps it the same way::

    {"version": 1, "as_of": 1700000000.0, "through_seq": 1234,
     "keys": [["the big l", "m5567", 3.2, 0.0, 4.0], ...],
     "explicit": [["m5567", 2.0, 0.5], ...],
     "support": [["the big l", "m5567", 12.0], ...], "traffic": [["the big l", 40.0], ...]}

(``support`` and ``traffic``, the distinct client networks behind each key and each prefix,
are absent from documents written before they were counted; ``experiments``, the online
experiments' outcomes of the sessions folded in, is absent when no experiment ran.)

The sums depend on the ``FeedbackConfig`` in force when they were made (half-life, position
weights, guard); raw events, exported before compaction, are the record to re-learn from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from autocomplete.feedback.experiment_tally import ExperimentCounts

AGGREGATES_VERSION = 1

KeyStats = tuple[float, float, float]
"""(positive click credit, negative click credit, views) of one (prefix, title id)."""

ExplicitStats = tuple[float, float]
"""(likes, dislikes) of one title id."""


@dataclass(frozen=True)
class Aggregates:
    as_of: float
    through_seq: int
    keys: Mapping[tuple[str, str], KeyStats] = field(default_factory=dict)
    explicit: Mapping[str, ExplicitStats] = field(default_factory=dict)
    support: Mapping[tuple[str, str], float] | None = None
    """Distinct client networks behind each key's evidence (None in documents written before
    breadth was counted)."""
    traffic: Mapping[str, float] | None = None
    """Distinct client networks that used each prefix."""
    experiments: Mapping[str, ExperimentCounts] | None = None
    """Each online experiment's outcome over the sessions folded in (None when none ran)."""

    def __post_init__(self) -> None:
        if self.through_seq < 0:
            raise ValueError(f"through_seq must be non-negative, got {self.through_seq}")

    def to_json(self) -> str:
        document: dict[str, Any] = {
            "version": AGGREGATES_VERSION,
            "as_of": self.as_of,
            "through_seq": self.through_seq,
            "keys": [[prefix, item, *stats] for (prefix, item), stats in self.keys.items()],
            "explicit": [[item, *stats] for item, stats in self.explicit.items()],
        }
        if self.support is not None:
            document["support"] = [[p, item, count] for (p, item), count in self.support.items()]
        if self.traffic is not None:
            document["traffic"] = [[prefix, count] for prefix, count in self.traffic.items()]
        if self.experiments:
            document["experiments"] = {
                name: counts.to_json() for name, counts in self.experiments.items()
            }
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Aggregates:
        document = json.loads(text)
        version = document.get("version")
        if version != AGGREGATES_VERSION:
            raise ValueError(f"unsupported aggregates version {version!r}")
        keys = {
            (str(prefix), str(item)): (float(positive), float(negative), float(views))
            for prefix, item, positive, negative, views in document["keys"]
        }
        explicit = {
            str(item): (float(likes), float(dislikes))
            for item, likes, dislikes in document["explicit"]
        }
        support = None
        if "support" in document:
            support = {
                (str(prefix), str(item)): float(count)
                for prefix, item, count in document["support"]
            }
        traffic = None
        if "traffic" in document:
            traffic = {str(prefix): float(count) for prefix, count in document["traffic"]}
        experiments = None
        if "experiments" in document:
            experiments = {
                str(name): ExperimentCounts.from_json(counts)
                for name, counts in document["experiments"].items()
            }
        return cls(
            float(document["as_of"]),
            int(document["through_seq"]),
            keys,
            explicit,
            support,
            traffic,
            experiments,
        )


def stored_aggregates(text: str | bytes, where: str) -> Aggregates:
    """``Aggregates.from_json`` for a document a store kept, failing with a message that names
    the store (``where``) and what to do, rather than a bare decoder error."""
    try:
        return Aggregates.from_json(text)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
        raise ValueError(
            f"{where}: the compacted aggregates cannot be read ({type(error).__name__}: "
            f"{str(error)[:200]}); restore them from a backup, or delete them to learn again "
            "from the raw events still in the store"
        ) from None
