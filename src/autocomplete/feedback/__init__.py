"""Click feedback: a mutable layer, beside the immutable index, that learns from users.

``FeedbackLayer`` records impressions, clicks and explicit judgements into a ``FeedbackStore``
(``memory://``, SQLite or Redis, see ``open_store``), learns position-debiased, smoothed,
decayed boosts from them behind an abuse guard, and serves ``boosts(query)`` from memory. The
scoring formula is documented in ``autocomplete.feedback.config``.

Modules, in the order the data flows: ``events`` (what is recorded) -> ``store`` and its back
ends (where it is kept) -> ``guard`` (what counts) -> ``breadth`` (how many networks stand
behind it) -> ``click_model`` (what it means) -> ``learner`` (replay with per-session bounds)
-> ``layer`` (what the engine calls);
``retention`` compacts and exports (``cli``: ``autocomplete feedback export|compact|stats``);
``simulate`` (``autocomplete simulate``) and ``interleave`` evaluate.
"""

from __future__ import annotations

from autocomplete.feedback.aggregates import Aggregates
from autocomplete.feedback.backends import open_store
from autocomplete.feedback.config import FeedbackConfig
from autocomplete.feedback.events import (
    Click,
    Event,
    Explicit,
    Impression,
    Recorded,
    rating_value,
)
from autocomplete.feedback.health import FeedbackHealth
from autocomplete.feedback.layer import FeedbackLayer
from autocomplete.feedback.memory_store import MemoryStore
from autocomplete.feedback.retention import Compaction, compact_store, export_jsonl
from autocomplete.feedback.sqlite_store import SqliteStore
from autocomplete.feedback.store import (
    BadEvent,
    Clock,
    FeedbackStore,
    Scan,
    StoreUnavailableError,
)

__all__ = [
    "Aggregates",
    "BadEvent",
    "Click",
    "Clock",
    "Compaction",
    "Event",
    "Explicit",
    "FeedbackConfig",
    "FeedbackHealth",
    "FeedbackLayer",
    "FeedbackStore",
    "Impression",
    "MemoryStore",
    "Recorded",
    "Scan",
    "SqliteStore",
    "StoreUnavailableError",
    "compact_store",
    "export_jsonl",
    "open_layer",
    "open_store",
    "rating_value",
]


def open_layer(
    feedback: str | FeedbackStore | FeedbackLayer,
    *,
    config: FeedbackConfig | None = None,
    clock: Clock | None = None,
) -> FeedbackLayer:
    """A feedback layer for a store URL, a store, or a ready layer (returned unchanged).

    ``clock`` is the store's clock when opening a URL, and the layer's clock otherwise.
    """
    if isinstance(feedback, FeedbackLayer):
        if config is not None or clock is not None:
            raise ValueError("config and clock cannot be given with a ready FeedbackLayer")
        return feedback
    if isinstance(feedback, str):
        return FeedbackLayer(open_store(feedback, clock=clock), config=config, clock=clock)
    return FeedbackLayer(open_store(feedback), config=config, clock=clock)
