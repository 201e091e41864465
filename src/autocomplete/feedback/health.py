"""How the feedback layer is doing: ``FeedbackHealth``, and the breaker that tracks its store.

A store that fails (``StoreUnavailableError``: Redis stopped or hung, SQLite unable to write)
is counted as down by a ``StoreBreaker``: for ``retry_s`` every call that needs the store is
refused at once, without waiting for the store's timeout again, and then the next call (a
write, or the refresh thread's read) tries it; the first success counts it as up again. So a
hung store costs one timeout per ``retry_s``, not one per request, and what the layer reports
follows the store within about ``retry_s`` plus one refresh interval.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from autocomplete.feedback.store import StoreUnavailableError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FeedbackHealth:
    """A feedback layer's state for monitoring (``FeedbackLayer.health()``)."""

    store_available: bool
    """False while the store fails: writes are refused and learning waits (the boosts learned
    so far keep being served)."""
    store_error: str | None
    """The last failure while the store is unavailable (None when it is available)."""
    unavailable_for_s: float
    """How long the store has been unavailable (0 when it is available)."""
    retry_after_s: int
    """Whole seconds until the store is tried again (0 when it is available)."""
    bad_events: int
    """Stored rows that were not readable events, set aside (skipped) since the layer started."""
    last_seq: int
    """Sequence number of the last event learned from (or set aside)."""


class StoreBreaker:
    """Counts a store as down after a failure, and refuses calls for ``retry_s`` after each.

    ``clock`` is a monotonic clock in seconds (``time.monotonic``). Thread-safe.
    """

    def __init__(
        self, store_name: str, retry_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not retry_s > 0:
            raise ValueError(f"retry_s must be positive, got {retry_s}")
        self._store_name = store_name
        self._retry_s = retry_s
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._error: str | None = None

    def check(self) -> None:
        """Raise ``StoreUnavailableError`` if the store is down and not yet due for a retry."""
        with self._lock:
            if self._down_since is not None and self._clock() < self._retry_at:
                raise StoreUnavailableError(
                    f"{self._error} (tried again in {self._retry_in():.1f} s)"
                )

    def failed(self, error: StoreUnavailableError) -> None:
        """Count a failure of the store: refuse calls for ``retry_s`` from now."""
        with self._lock:
            now = self._clock()
            self._error = str(error)
            self._retry_at = now + self._retry_s
            if self._down_since is None:
                self._down_since = now
                # Once per outage, not once per refused call.
                logger.warning(
                    "feedback store %s is unavailable: %s; clicks are refused and learning "
                    "waits until it answers again (suggestions keep the boosts learned so far)",
                    self._store_name,
                    error,
                )

    def succeeded(self) -> None:
        """Count a success of the store: it is up."""
        if self._down_since is None:  # the common case, without the lock
            return
        with self._lock:
            if self._down_since is None:
                return
            outage = self._clock() - self._down_since
            self._down_since = None
            self._error = None
            logger.warning(
                "feedback store %s is available again after %.1f s", self._store_name, outage
            )

    def state(self) -> tuple[bool, str | None, float, int]:
        """(available, last error, seconds unavailable, whole seconds until the next try)."""
        with self._lock:
            if self._down_since is None:
                return True, None, 0.0, 0
            now = self._clock()
            return False, self._error, now - self._down_since, max(1, math.ceil(self._retry_in()))

    def _retry_in(self) -> float:
        return max(self._retry_at - self._clock(), 0.0)
