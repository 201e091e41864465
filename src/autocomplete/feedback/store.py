"""The ``FeedbackStore`` interface, and ``open_store`` to open one from a URL.

A store owns every feedback event: it appends them durably, stamps each with a sequence number
and a timestamp taken from its own clock, and hands them back in sequence order to every reader
(each process or host learns from the same ordered log). It also keeps the one compacted
``Aggregates`` document that replaces events older than the retention window.

Back ends, chosen by URL:

* ``memory://`` -- in this process only (tests, one-off experiments);
* ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db`` (SQLAlchemy's spelling:
  the path follows the third slash) -- the embedded default: one file in WAL mode, every
  acknowledged event fsynced, shared by the processes of one host;
* ``redis://host:port/db`` -- shared by several web workers or hosts (needs ``redis``, the
  ``redis`` extra).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from autocomplete.feedback.aggregates import Aggregates
from autocomplete.feedback.events import Event, Recorded

Clock = Callable[[], float]
"""Seconds since the epoch, like ``time.time``."""

READ_BATCH = 5_000
"""Events returned by one ``read`` call unless the caller asks for another number."""


@runtime_checkable
class FeedbackStore(Protocol):
    """Durable, ordered storage of feedback events (every method is thread-safe)."""

    def append(self, event: Event) -> Recorded:
        """Store ``event``; when this returns, the event is durable (per the back end's terms)."""
        ...

    def read(self, after: int = 0, limit: int = READ_BATCH) -> list[Recorded]:
        """Up to ``limit`` events with sequence numbers above ``after``, in sequence order."""
        ...

    def load_aggregates(self) -> Aggregates | None:
        """The compacted aggregates, or None if nothing was ever compacted."""
        ...

    def compact(self, aggregates: Aggregates) -> int:
        """Atomically keep ``aggregates`` and delete the events they fold in.

        Deletes the events with ``seq <= aggregates.through_seq`` and returns how many there
        were. Raises ``ValueError`` if ``aggregates`` would go back before the kept ones.
        """
        ...

    def now(self) -> float:
        """The store's clock: the time it would stamp on an event appended now."""
        ...

    def close(self) -> None:
        """Release connections; the store cannot be used afterwards. Idempotent."""
        ...


def open_store(url_or_store: str | FeedbackStore, *, clock: Clock | None = None) -> FeedbackStore:
    """A store for ``url_or_store``: a URL (see the module docstring) or a ready store.

    ``clock`` replaces the back end's clock (tests); it cannot be given with a ready store.
    """
    if not isinstance(url_or_store, str):
        if not isinstance(url_or_store, FeedbackStore):
            raise TypeError(
                "feedback must be a store URL or a FeedbackStore, "
                f"got {type(url_or_store).__name__}"
            )
        if clock is not None:
            raise ValueError("a clock can only be given when opening a store from a URL")
        return url_or_store
    parts = urlsplit(url_or_store)
    scheme = parts.scheme.lower()
    if scheme == "memory":
        from autocomplete.feedback.memory_store import MemoryStore

        return MemoryStore(clock=clock)
    if scheme == "sqlite":
        from autocomplete.feedback.sqlite_store import SqliteStore

        path = url_or_store.split(":///", 1)[1] if ":///" in url_or_store else ""
        if not path:
            raise ValueError(f"a SQLite store URL needs a file path: {url_or_store!r}")
        return SqliteStore(path, clock=clock)
    if scheme in ("redis", "rediss", "unix"):
        from autocomplete.feedback.redis_store import RedisStore

        return RedisStore.from_url(url_or_store, clock=clock)
    raise ValueError(
        f"unknown feedback store URL {url_or_store!r}: "
        "use memory://, sqlite:///path.db or redis://host:port/db"
    )


def check_read_limit(limit: object) -> None:
    """Reject a ``read`` limit that is not a positive int (shared by the back ends)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive int, got {limit!r}")


def check_compaction(kept: Aggregates | None, new: Aggregates) -> None:
    """Reject aggregates that would go back before the ones a store keeps."""
    if kept is not None and new.through_seq < kept.through_seq:
        raise ValueError(
            f"aggregates through seq {new.through_seq} would go back before the kept ones "
            f"(through seq {kept.through_seq})"
        )
