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

Faults (``health()`` reports both):

* A stored row that is not a readable event is set aside: skipped, counted in
  ``FeedbackHealth.bad_events`` and logged once with its sequence number; learning goes on
  with the events after it, and opening a layer never fails on one.
* A store that fails (``StoreUnavailableError``) is counted as down by a ``StoreBreaker``:
  ``record_*`` and ``refresh`` raise ``StoreUnavailableError`` at once for
  ``config.store_retry_s`` after each failure, then try the store again, while ``boosts``
  keeps serving what was learned. The refresh thread logs the outage and the recovery once
  each, not a traceback a second.
* A store that lost its log (a Redis server restarted without persistence hands out sequence
  numbers from 1 again) is noticed at the first append whose number is not beyond what the
  layer learned: the next refresh relearns from what the store holds (serving the old boosts
  until then), so new clicks are not ignored until the numbers catch up.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType

from autocomplete.feedback.click_model import select_served
from autocomplete.feedback.config import FeedbackConfig
from autocomplete.feedback.events import Click, Explicit, Impression
from autocomplete.feedback.experiment_tally import ExperimentCounts
from autocomplete.feedback.health import FeedbackHealth, StoreBreaker
from autocomplete.feedback.learner import Learner
from autocomplete.feedback.store import BadEvent, FeedbackStore, StoreUnavailableError

__all__ = ["FeedbackConfig", "FeedbackHealth", "FeedbackLayer"]

REFRESH_BATCH = 32
"""Events read from the store per round trip during a refresh (decoding them holds the GIL,
so batches stay small)."""

PUBLISH_EPSILON = 0.02
"""Nats by which some title's lift must move for a prefix's mapping to be republished."""

BAD_EVENTS_LOGGED = 100
"""Bad stored rows logged one by one; later ones are only counted (a flood must not flood the
log too)."""

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
        self._breaker = StoreBreaker(repr(store), self._config.store_retry_s)
        self._bad_events = 0
        self._bad_through = 0  # the highest bad row counted, so that none counts twice
        self._refresh_failure: str | None = None
        self._log_restarted = False
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
        self,
        query: str,
        ids: Sequence[str],
        session_id: str,
        *,
        client: str | None = None,
        experiment: str | None = None,
        arms: Sequence[str] | None = None,
    ) -> None:
        """Record that ``ids`` were shown, in this order, for the normalized ``query``; for a
        list an online experiment chose, ``experiment`` and the arm that placed each title."""
        if isinstance(ids, str) or not isinstance(ids, Sequence):
            raise TypeError(f"ids must be a sequence of str, got {type(ids).__name__}")
        if arms is not None and (isinstance(arms, str) or not isinstance(arms, Sequence)):
            raise TypeError(f"arms must be a sequence of str, got {type(arms).__name__}")
        shown = None if arms is None else tuple(arms)
        self._append(Impression(query, tuple(ids), session_id, client, experiment, shown))

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
        with self._store_call():
            recorded = self._store.append(event)
        if recorded.seq <= self._learner.last_seq and not self._log_restarted:
            # The store handed out a sequence number this layer has already learned from: its
            # log started again (a Redis server restarted without persistence). The next
            # refresh relearns from what the store holds now.
            self._log_restarted = True
            logger.warning(
                "feedback store %r: new event seq %d is not after seq %d learned from; the "
                "store lost its log, relearning from what it holds now",
                self._store,
                recorded.seq,
                self._learner.last_seq,
            )

    @contextmanager
    def _store_call(self) -> Iterator[None]:
        """Refuse at once while the store is counted as down; count its failures."""
        self._breaker.check()
        try:
            yield
        except StoreUnavailableError as error:
            self._breaker.failed(error)
            raise
        self._breaker.succeeded()

    # Serving -----------------------------------------------------------------------------------

    def boosts(self, query: str) -> Mapping[str, float]:
        """Title id -> feedback term in nats for a normalized ``query`` (empty if none)."""
        return self._snapshot.get(query, _EMPTY)

    # Learning ----------------------------------------------------------------------------------

    def refresh(self, *, wait_s: float | None = None) -> bool:
        """Learn from new events in the store and publish the changed boosts.

        With ``wait_s``, give up (returning False) if another refresh -- the background
        thread's -- holds on for longer than that; otherwise return True once done. Raises
        ``StoreUnavailableError`` if the store is down (see the module docstring).
        """
        if not self._refresh_lock.acquire(timeout=-1 if wait_s is None else max(wait_s, 0.0)):
            self._breaker.check()  # what is served is stale, and the store is known down
            return False
        try:
            if self._closed:
                return True
            with self._store_call():
                self._refresh()
            return True
        finally:
            self._refresh_lock.release()

    def _refresh(self) -> None:
        slice_start = time.perf_counter()
        learner = self._learner
        rebuilt = False
        if self._log_restarted:
            self._log_restarted = False
            learner = self._learner = self._new_learner()
            self._sweep = []
            self._bad_through = 0
            rebuilt = True
        while True:
            scan = self._store.scan(learner.last_seq, REFRESH_BATCH)
            first = scan.first_seq
            if first is not None and first > learner.last_seq + 1 and self._was_compacted():
                # Events this layer never saw were compacted away by another process: start
                # again from the aggregates. The old boosts stay served until the new ones are
                # complete.
                learner = self._learner = self._new_learner()
                self._sweep = []
                rebuilt = True
                continue
            for recorded in scan.events:
                learner.apply(recorded)
                if time.perf_counter() - slice_start > SLICE_S:
                    time.sleep(0)
                    slice_start = time.perf_counter()
            for bad in scan.bad:
                self._set_aside(bad)
            learner.skip_to(scan.last_seq)
            if scan.rows < REFRESH_BATCH:
                break
        now = self._clock()
        learner.expire(now)
        snapshot: dict[str, Mapping[str, float]] = {} if rebuilt else self._snapshot
        self._publish(learner, now, slice_start, snapshot)
        if rebuilt:
            self._snapshot = snapshot

    def _set_aside(self, bad: BadEvent) -> None:
        """Count (once) and log (once) a stored row that is not a readable event."""
        if bad.seq <= self._bad_through:
            return  # met again after a rebuild from the aggregates
        self._bad_through = bad.seq
        self._bad_events += 1
        if self._bad_events <= BAD_EVENTS_LOGGED:
            logger.warning(
                "feedback store %r: event seq %d is not a readable event (%s); set aside, "
                "learning goes on",
                self._store,
                bad.seq,
                bad.reason,
            )
        if self._bad_events == BAD_EVENTS_LOGGED:
            logger.warning(
                "feedback store %r: %d bad events set aside; further ones are counted "
                "(FeedbackLayer.health().bad_events) but not logged",
                self._store,
                BAD_EVENTS_LOGGED,
            )

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
            except StoreUnavailableError:
                pass  # the breaker logged the outage, health() reports it; the last boosts stay
            except Exception as error:  # keep serving the last snapshot; the next refresh retries
                failure = f"{type(error).__name__}: {error}"
                if failure != self._refresh_failure:  # once, not every second
                    self._refresh_failure = failure
                    logger.exception("feedback refresh failed (logged once until it changes)")
            else:
                self._refresh_failure = None

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

    def experiment_counts(self, name: str) -> ExperimentCounts:
        """Online experiment ``name``'s outcome as learned so far (see ``experiment_tally``):
        what every process reading this store counts, once it has refreshed."""
        with self._refresh_lock:
            return self._learner.experiments.counts(name)

    def health(self) -> FeedbackHealth:
        """Whether the store answers, and the bad rows set aside. Never waits for the store or
        for a refresh, so a health check answers at once whatever the store does."""
        available, error, down_for, retry_after = self._breaker.state()
        return FeedbackHealth(
            store_available=available,
            store_error=error,
            unavailable_for_s=down_for,
            retry_after_s=retry_after,
            bad_events=self._bad_events,
            last_seq=self._learner.last_seq,
        )

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
