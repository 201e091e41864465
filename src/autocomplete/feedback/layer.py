"""``FeedbackLayer``: the mutable feedback layer the engine consults on every keystroke.

The built index never changes; what users did lives here, apart from it:

* ``record_impression``, ``record_click`` and ``record_feedback`` validate an event and append
  it to the store; when they return, the event is acknowledged (durable on the SQLite back
  end). They do no learning, so they cost one store write and never block ``boosts``.
* ``refresh`` pulls every event appended since the last refresh -- by this process or any
  other sharing the store -- replays it through the guard into the click model, and re-scores
  the prefixes whose evidence changed, publishing them into an in-memory *snapshot*
  (normalized prefix -> {title id: boost}). A background thread calls it every
  ``refresh_interval_s`` (default 1 s); with ``refresh_interval_s=0`` only explicit calls do.
* ``boosts(query)`` is one dictionary lookup in the snapshot (well under a microsecond): never
  a store round trip, never a lock. The mapping it returns is shared and must not be modified
  (it is a plain dict, not a read-only proxy, because proxies are objects the cycle collector
  tracks, and a thousand new ones a second make its full collections, which pause every
  thread, more frequent).

Staleness: an acknowledged event reaches ``boosts`` within one refresh interval plus the time a
refresh takes (milliseconds at a thousand events per second). Time decay alone changes boosts
slowly (the half-life is days), so untouched prefixes are re-scored by a rolling sweep that
visits each about once per 1/64 of a half-life (at most ``sweep_prefixes_per_refresh`` per
refresh) rather than all at once.

Refresh work runs in short slices (``SLICE_S``, and ``REFRESH_BATCH`` events decoded at a time)
between which the thread yields the GIL, so a refresh does not stall a concurrent ``suggest``
for more than a fraction of a millisecond. ``compact`` is the exception: it replays the old
events in the calling thread, so run it from a maintenance job (``autocomplete feedback
compact``), not from a request handler.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from autocomplete.feedback.click_model import select_served
from autocomplete.feedback.config import FeedbackConfig
from autocomplete.feedback.events import Click, Explicit, Impression
from autocomplete.feedback.learner import Learner
from autocomplete.feedback.store import FeedbackStore

__all__ = ["FeedbackConfig", "FeedbackLayer"]

REFRESH_BATCH = 32

PUBLISH_EPSILON = 0.02
"""Nats by which some title's lift must move for a prefix's mapping to be republished."""
"""Events read from the store per round trip during a refresh (decoding them holds the GIL,
so batches stay small)."""

SLICE_S = 0.000_05
"""Longest stretch of refresh work between two yields of the GIL."""

DECAY_SWEEP_FRACTION = 1 / 64
"""Every prefix is re-scored for decay alone at least once per this fraction of a half-life
(when the per-refresh cap allows): boosts drift by about 1% of their evidence in between."""

_EMPTY: Mapping[str, float] = MappingProxyType({})

logger = logging.getLogger(__name__)


class FeedbackLayer:
    """Learns boosts from the events in ``store``; owns (and closes) the store."""

    def __init__(
        self,
        store: FeedbackStore,
        *,
        config: FeedbackConfig | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not isinstance(store, FeedbackStore):
            raise TypeError(f"store must be a FeedbackStore, got {type(store).__name__}")
        if config is not None and not isinstance(config, FeedbackConfig):
            raise TypeError(f"config must be a FeedbackConfig, got {type(config).__name__}")
        self._store = store
        self._config = config if config is not None else FeedbackConfig()
        self._clock: Callable[[], float] = clock if clock is not None else store.now
        self._refresh_lock = threading.Lock()
        self._snapshot: dict[str, Mapping[str, float]] = {}
        self._sweep: list[str] = []
        self._closed = False
        try:
            self._swept_at = self._clock()
            self._learner = self._new_learner()
            self.refresh()
        except BaseException:
            store.close()
            raise
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self._config.refresh_interval_s > 0:
            self._thread = threading.Thread(
                target=self._refresh_forever, name="feedback-refresh", daemon=True
            )
            self._thread.start()

    @property
    def config(self) -> FeedbackConfig:
        return self._config

    @property
    def store(self) -> FeedbackStore:
        return self._store

    # Recording ---------------------------------------------------------------------------------

    def record_impression(
        self, query: str, ids: Sequence[str], session_id: str, *, client: str | None = None
    ) -> None:
        """Record that ``ids`` were shown, in this order, for the normalized ``query``."""
        if isinstance(ids, str) or not isinstance(ids, Sequence):
            raise TypeError(f"ids must be a sequence of str, got {type(ids).__name__}")
        self._append(Impression(query, tuple(ids), session_id, client))

    def record_click(
        self,
        query: str,
        id: str,
        position: int,
        session_id: str,
        dwell_ms: int | None = None,
        *,
        client: str | None = None,
    ) -> None:
        """Record a click on ``id`` at 1-based ``position`` of the list shown for ``query``."""
        self._append(Click(query, id, position, session_id, dwell_ms, client))

    def record_feedback(
        self, id: str, value: float, session_id: str, *, client: str | None = None
    ) -> None:
        """Record a like (+1), a dislike (-1) or a rating scaled into [-1, 1] of ``id``."""
        self._append(Explicit(id, value, session_id, client))

    def _append(self, event: Impression | Click | Explicit) -> None:
        if self._closed:
            raise RuntimeError("the feedback layer is closed")
        self._store.append(event)

    # Serving -----------------------------------------------------------------------------------

    def boosts(self, query: str) -> Mapping[str, float]:
        """Title id -> feedback term in nats for a normalized ``query`` (empty if none)."""
        return self._snapshot.get(query, _EMPTY)

    # Learning ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Learn from new events in the store and publish the changed boosts."""
        with self._refresh_lock:
            if self._closed:
                return
            slice_start = time.perf_counter()
            learner = self._learner
            rebuilt = False
            while True:
                batch = self._store.read(learner.last_seq, REFRESH_BATCH)
                if batch and batch[0].seq > learner.last_seq + 1 and self._was_compacted():
                    # Events this layer never saw were compacted away by another process:
                    # start again from the aggregates. The old boosts stay served until the
                    # new ones are complete.
                    learner = self._learner = self._new_learner()
                    self._sweep = []
                    rebuilt = True
                    continue
                for recorded in batch:
                    learner.apply(recorded)
                    if time.perf_counter() - slice_start > SLICE_S:
                        time.sleep(0)
                        slice_start = time.perf_counter()
                if len(batch) < REFRESH_BATCH:
                    break
            now = self._clock()
            learner.expire(now)
            snapshot: dict[str, Mapping[str, float]] = {} if rebuilt else self._snapshot
            self._publish(learner, now, slice_start, snapshot)
            if rebuilt:
                self._snapshot = snapshot

    def _was_compacted(self) -> bool:
        """Were events this layer has not seen deleted by a compaction (in another process)?"""
        aggregates = self._store.load_aggregates()
        return aggregates is not None and aggregates.through_seq > self._learner.last_seq

    def _publish(
        self,
        learner: Learner,
        now: float,
        slice_start: float,
        snapshot: dict[str, Mapping[str, float]],
    ) -> None:
        """Re-score the touched prefixes (and a slice of the decay sweep) into ``snapshot``."""
        stats = learner.stats
        touched = stats.take_touched()
        # Decay alone moves boosts slowly: every prefix is re-scored about once per
        # ``half_life_s * DECAY_SWEEP_FRACTION`` (capped per refresh), in a rolling sweep.
        elapsed = max(now - self._swept_at, 0.0)
        self._swept_at = now
        period = self._config.half_life_s * DECAY_SWEEP_FRACTION
        quota = math.ceil(stats.prefix_count * min(elapsed / period, 1.0))
        quota = min(quota, self._config.sweep_prefixes_per_refresh)
        for _ in range(quota):
            if not self._sweep:
                self._sweep = stats.prefixes()
                if not self._sweep:
                    break
            touched.add(self._sweep.pop())
        limit = self._config.max_boosted_per_prefix
        for prefix in touched:
            served = select_served(stats.prefix_boosts(prefix, now), limit)
            if served:
                # A mapping that moved by less than PUBLISH_EPSILON stays as it is: readers
                # (the engine) keep what they derived from it while it is the same object.
                if not _about_equal(snapshot.get(prefix), served):
                    snapshot[prefix] = served
            else:
                snapshot.pop(prefix, None)
            if time.perf_counter() - slice_start > SLICE_S:
                time.sleep(0)
                slice_start = time.perf_counter()

    def _new_learner(self) -> Learner:
        learner = Learner(self._config, origin=self._clock())
        aggregates = self._store.load_aggregates()
        if aggregates is not None:
            learner.load(aggregates)
        return learner

    def _refresh_forever(self) -> None:
        while not self._stop.wait(self._config.refresh_interval_s):
            try:
                self.refresh()
            except Exception:  # keep serving the last snapshot; the next refresh retries
                logger.exception("feedback refresh failed")

    def compact(self, retention_s: float) -> int:
        """Fold events older than ``retention_s`` into the store's aggregates; see ``retention``."""
        from autocomplete.feedback.retention import compact_store

        return compact_store(
            self._store, config=self._config, before=self._clock() - retention_s
        ).folded

    # Reporting and lifetime --------------------------------------------------------------------

    def report(self) -> dict[str, object]:
        """Counters for monitoring: events replayed, guard verdicts, model size."""
        with self._refresh_lock:
            learner = self._learner
            return {
                "last_seq": learner.last_seq,
                "events": dict(learner.applied),
                "verdicts": dict(learner.guard.counts),
                "open_sessions": learner.open_sessions,
                "keys": len(learner.stats),
                "served_prefixes": len(self._snapshot),
            }

    @property
    def verdicts(self) -> Counter[str]:
        """Events per guard verdict so far, and the bot sessions and clients it found."""
        with self._refresh_lock:
            return Counter(self._learner.guard.counts)

    def close(self) -> None:
        """Stop the refresh thread and close the store. Idempotent."""
        if self._closed:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._refresh_lock:
            self._closed = True
            self._store.close()

    def __enter__(self) -> FeedbackLayer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _about_equal(old: Mapping[str, float] | None, new: Mapping[str, float]) -> bool:
    """Same titles, and no lift moved by ``PUBLISH_EPSILON`` or more."""
    if old is None or old.keys() != new.keys():
        return False
    return all(abs(old[title] - lift) < PUBLISH_EPSILON for title, lift in new.items())
