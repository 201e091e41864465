"""The ``FeedbackStore`` interface, and what its back ends share (``backends.open_store``
opens one from a URL).

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

Faults, as every back end reports them:

* A stored row that cannot be read back as an event (not JSON, a missing field, a wrong type, a
  timestamp that is not a finite number: written by hand or by another program) is *set
  aside*, never raised: ``scan`` returns it as a ``BadEvent`` beside the good ones, and
  ``read`` skips it, so one bad row cannot stop the readers behind it.
* A store that cannot be reached in bounded time (Redis stopped, hung or unreachable; SQLite
  unable to write) raises ``StoreUnavailableError``, so callers can answer "try again later"
  without knowing the back end.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from autocomplete.feedback.aggregates import Aggregates
from autocomplete.feedback.events import Event, Recorded, decode

Clock = Callable[[], float]
"""Seconds since the epoch, like ``time.time``."""

READ_BATCH = 5_000
"""Events returned by one ``read`` call unless the caller asks for another number."""


class StoreUnavailableError(RuntimeError):
    """The store did not answer in bounded time, or refused to; the call can be retried."""


@dataclass(frozen=True, slots=True)
class BadEvent:
    """A stored row that is not a readable event, set aside by ``scan``."""

    seq: int
    reason: str
    """What is wrong with it, for the log (the decoder's message, cut to ``BAD_REASON_CHARS``)."""


BAD_REASON_CHARS = 200
"""Longest description of a bad row kept (a row's own text can be arbitrarily long)."""


@dataclass(frozen=True, slots=True)
class Scan:
    """What one ``scan`` found: the readable events and the bad rows, both in sequence order."""

    events: list[Recorded]
    bad: list[BadEvent]
    rows: int
    """Rows examined: fewer than the limit asked for means the end of the log was reached."""
    last_seq: int
    """The highest sequence number examined (``after`` when none was): where to scan on from."""

    @property
    def first_seq(self) -> int | None:
        """The lowest sequence number examined, good or bad (None when none was)."""
        firsts = [found[0].seq for found in (self.events, self.bad) if found]
        return min(firsts) if firsts else None


@runtime_checkable
class FeedbackStore(Protocol):
    """Durable, ordered storage of feedback events (every method is thread-safe)."""

    def append(self, event: Event) -> Recorded:
        """Store ``event``; when this returns, the event is durable (per the back end's terms)."""
        ...

    def scan(self, after: int = 0, limit: int = READ_BATCH) -> Scan:
        """Up to ``limit`` stored rows with sequence numbers above ``after``, in sequence order:
        the readable events, and the rows that are not (see ``BadEvent``)."""
        ...

    def read(self, after: int = 0, limit: int = READ_BATCH) -> list[Recorded]:
        """Up to ``limit`` readable events with sequence numbers above ``after``, in order
        (bad rows are skipped; fewer than ``limit`` means the end of the log)."""
        ...

    def count(self) -> int:
        """Rows in the log (readable events and bad rows alike), i.e. not yet compacted."""
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


def read_events(scan: Callable[[int, int], Scan], after: int, limit: int) -> list[Recorded]:
    """``read`` on top of a back end's ``scan``: scans on past bad rows until ``limit`` good
    events are found or the log ends (shared by the back ends)."""
    check_read_limit(limit)
    found: list[Recorded] = []
    while len(found) < limit:
        wanted = limit - len(found)
        batch = scan(after, wanted)
        found.extend(batch.events)
        if batch.rows < wanted:
            break
        after = batch.last_seq
    return found


def decode_rows(rows: Iterable[tuple[int, object, object]], after: int) -> Scan:
    """A ``Scan`` of stored ``(seq, timestamp, body)`` rows, setting aside those that do not
    decode into an event (shared by the back ends)."""
    events: list[Recorded] = []
    bad: list[BadEvent] = []
    last_seq = after
    count = 0
    for seq, timestamp, body in rows:
        count += 1
        last_seq = max(last_seq, seq)
        try:
            events.append(Recorded(seq, _timestamp(timestamp), decode(_body(body))))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
            # Whatever the row holds, decoding it is pure: any of these means the row, not the
            # store, is at fault. (JSONDecodeError and UnicodeDecodeError are ValueErrors.)
            reason = f"{type(error).__name__}: {error}"
            bad.append(BadEvent(seq, reason[:BAD_REASON_CHARS]))
    return Scan(events, bad, count, last_seq)


def _timestamp(value: object) -> float:
    if isinstance(value, bytes):
        value = value.decode("ascii")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"timestamp must be a number, got {type(value).__name__}")
    stamp = float(value)
    if not math.isfinite(stamp) or stamp < 0:
        raise ValueError(f"timestamp must be a finite number of seconds, got {value!r}")
    return stamp


def _body(value: object) -> str | bytes:
    if not isinstance(value, (str, bytes)):
        raise TypeError(f"event body must be JSON text, got {type(value).__name__}")
    opens = value.lstrip()[:1] in (b"{", "{")
    if not opens:
        # decode() would fail on a JSON array, string or number with an AttributeError; say
        # what was expected instead.
        raise ValueError(f"event body must be a JSON object, got {_preview(value)}")
    return value


def _preview(value: str | bytes) -> str:
    """The start of a stored body, for a message."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return json.dumps(text[:40])


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
