"""``MemoryStore``: the feedback log in this process's memory (``memory://``).

Nothing survives the process; it exists for tests and experiments, and as the reference
behaviour the durable back ends are tested against.
"""

from __future__ import annotations

import bisect
import threading
import time

from autocomplete.feedback.aggregates import Aggregates
from autocomplete.feedback.events import Event, Recorded
from autocomplete.feedback.store import (
    READ_BATCH,
    Clock,
    Scan,
    check_compaction,
    check_read_limit,
)


class MemoryStore:
    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock: Clock = clock if clock is not None else time.time
        self._lock = threading.Lock()
        self._events: list[Recorded] = []
        self._seqs: list[int] = []
        self._next_seq = 1
        self._aggregates: Aggregates | None = None
        self._closed = False

    def append(self, event: Event) -> Recorded:
        with self._lock:
            self._check_open()
            recorded = Recorded(self._next_seq, float(self._clock()), event)
            self._next_seq += 1
            self._events.append(recorded)
            self._seqs.append(recorded.seq)
            return recorded

    def scan(self, after: int = 0, limit: int = READ_BATCH) -> Scan:
        # Events in memory were validated when made: this store never holds a bad row.
        events = self.read(after, limit)
        return Scan(events, [], len(events), events[-1].seq if events else after)

    def read(self, after: int = 0, limit: int = READ_BATCH) -> list[Recorded]:
        check_read_limit(limit)
        with self._lock:
            self._check_open()
            start = bisect.bisect_right(self._seqs, after)
            return self._events[start : start + limit]

    def count(self) -> int:
        with self._lock:
            self._check_open()
            return len(self._events)

    def load_aggregates(self) -> Aggregates | None:
        with self._lock:
            self._check_open()
            return self._aggregates

    def compact(self, aggregates: Aggregates) -> int:
        with self._lock:
            self._check_open()
            check_compaction(self._aggregates, aggregates)
            cut = bisect.bisect_right(self._seqs, aggregates.through_seq)
            del self._events[:cut]
            del self._seqs[:cut]
            self._aggregates = aggregates
            return cut

    def now(self) -> float:
        return float(self._clock())

    def close(self) -> None:
        with self._lock:
            self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the feedback store is closed")

    def __repr__(self) -> str:
        return "MemoryStore()"
