"""The update log's protocol, and the in-process store.

An ``UpdateStore`` is an append-only log of changes with sequence numbers that only grow.
``append`` returns once the changes are durable (as durable as the back end makes them) and
in the log in the order given; every process reading the log sees the same order.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from autocomplete.live.changes import Logged, decode

READ_LIMIT = 10_000
"""Changes one ``read`` returns at most; a reader catching up reads again from the last."""


class UpdateStoreUnavailableError(RuntimeError):
    """The update store could not be reached or written (nothing was acknowledged)."""


@runtime_checkable
class UpdateStore(Protocol):
    def append(self, bodies: Sequence[str]) -> int:
        """Log these changes (each ``encode``d) in order, durably; the sequence number of the
        last one."""

    def read(self, after: int, limit: int = READ_LIMIT) -> list[Logged]:
        """The changes with sequence numbers above ``after``, oldest first, at most ``limit``."""

    def last_sequence(self) -> int:
        """The sequence number of the newest change (0 for an empty log)."""

    def close(self) -> None: ...


def check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive int, got {limit!r}")


class MemoryUpdateStore:
    """The log in this process only: tests, demos, one process that need not survive a restart.

    Entries are kept encoded, as the durable stores keep them, so every store decodes alike.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bodies: list[str] = []

    def append(self, bodies: Sequence[str]) -> int:
        with self._lock:
            self._bodies.extend(bodies)
            return len(self._bodies)

    def read(self, after: int, limit: int = READ_LIMIT) -> list[Logged]:
        check_limit(limit)
        with self._lock:
            bodies = self._bodies[max(after, 0) : max(after, 0) + limit]
        start = max(after, 0) + 1
        return [Logged(start + offset, decode(body)) for offset, body in enumerate(bodies)]

    def last_sequence(self) -> int:
        with self._lock:
            return len(self._bodies)

    def close(self) -> None:
        return None

    def __repr__(self) -> str:
        return "MemoryUpdateStore()"
