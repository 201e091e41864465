"""``SqliteStore``: the embedded feedback log, one SQLite file in WAL mode.

Durability: every ``append`` is its own transaction, committed with ``synchronous=FULL`` in WAL
mode, so the write-ahead log is fsynced before ``append`` returns: an acknowledged event
survives ``kill -9`` of the process (and a power cut, as far as the disk honours fsync).
Appends cost one fsync each (about 0.3 ms on the development machine).

Concurrency: the store keeps one connection for writing and one for reading, each behind its
own lock, so a reader (the feedback layer's refresh) never waits for a writer's fsync; WAL lets
other processes on the same host read and write the same file at the same time
(``busy_timeout`` absorbs their brief write locks). Sequence numbers come from an
``AUTOINCREMENT`` key, so they only grow, even after compaction deletes old rows.

Faults: a row of ``events`` that is not a readable event is set aside by ``scan`` (see
``autocomplete.feedback.store``); SQLite's ``OperationalError`` on an append or a read (the
file locked past ``BUSY_TIMEOUT_MS``, a disk I/O error, a full disk) is raised as
``StoreUnavailableError`` naming the file.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from autocomplete.feedback.aggregates import Aggregates, stored_aggregates
from autocomplete.feedback.events import Event, Recorded, encode
from autocomplete.feedback.store import (
    READ_BATCH,
    Clock,
    Scan,
    StoreUnavailableError,
    check_compaction,
    check_read_limit,
    decode_rows,
    read_events,
)

SCHEMA_VERSION = 1

BUSY_TIMEOUT_MS = 10_000
"""How long a connection waits for another process's write lock before failing."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS aggregates (
    slot INTEGER PRIMARY KEY CHECK (slot = 1),
    through_seq INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class SqliteStore:
    def __init__(self, path: str | os.PathLike[str], *, clock: Clock | None = None) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._clock: Clock = clock if clock is not None else time.time
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._closed = False
        self._writer = _connect(self._path, check=True)
        try:
            with self._write_lock:
                self._writer.execute("PRAGMA journal_mode=WAL")
                self._writer.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            self._writer.execute(statement)
                except BaseException:
                    self._writer.execute("ROLLBACK")
                    raise
                self._check_schema()
            self._reader = _connect(self._path)
        except BaseException:
            self._writer.close()
            raise

    @property
    def path(self) -> Path:
        return self._path

    def append(self, event: Event) -> Recorded:
        body = encode(event)
        with self._write_lock, self._unavailable_on_error("append an event"):
            self._check_open()
            timestamp = float(self._clock())
            cursor = self._writer.execute(
                "INSERT INTO events (ts, body) VALUES (?, ?)", (timestamp, body)
            )
            seq = cursor.lastrowid
        assert seq is not None
        return Recorded(seq, timestamp, event)

    def scan(self, after: int = 0, limit: int = READ_BATCH) -> Scan:
        check_read_limit(limit)
        with self._read_lock, self._unavailable_on_error("read events"):
            self._check_open()
            rows = self._reader.execute(
                "SELECT seq, ts, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit),
            ).fetchall()
        return decode_rows(rows, after)

    def read(self, after: int = 0, limit: int = READ_BATCH) -> list[Recorded]:
        return read_events(self.scan, after, limit)

    def count(self) -> int:
        with self._read_lock, self._unavailable_on_error("count events"):
            self._check_open()
            found: int = self._reader.execute("SELECT count(*) FROM events").fetchone()[0]
        return found

    def load_aggregates(self) -> Aggregates | None:
        with self._read_lock:
            self._check_open()
            row = self._reader.execute("SELECT body FROM aggregates WHERE slot = 1").fetchone()
        return (
            None if row is None else stored_aggregates(row[0], f"{self._path} (table aggregates)")
        )

    def compact(self, aggregates: Aggregates) -> int:
        body = aggregates.to_json()
        with self._write_lock:
            self._check_open()
            writer = self._writer
            writer.execute("BEGIN IMMEDIATE")
            try:
                row = writer.execute("SELECT body FROM aggregates WHERE slot = 1").fetchone()
                check_compaction(None if row is None else Aggregates.from_json(row[0]), aggregates)
                deleted = writer.execute(
                    "DELETE FROM events WHERE seq <= ?", (aggregates.through_seq,)
                ).rowcount
                writer.execute(
                    "INSERT OR REPLACE INTO aggregates (slot, through_seq, body) VALUES (1, ?, ?)",
                    (aggregates.through_seq, body),
                )
            except BaseException:
                writer.execute("ROLLBACK")
                raise
            writer.execute("COMMIT")
        return deleted

    def now(self) -> float:
        return float(self._clock())

    def close(self) -> None:
        with self._write_lock, self._read_lock:
            if self._closed:
                return
            self._closed = True
            self._reader.close()
            self._writer.close()

    def _check_schema(self) -> None:
        row = self._writer.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            self._writer.execute(
                "INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
            )
            self._writer.execute("COMMIT")
        elif row[0] != str(SCHEMA_VERSION):
            self._writer.execute("ROLLBACK")
            raise ValueError(
                f"{self._path}: feedback schema version {row[0]}, expected {SCHEMA_VERSION}"
            )
        else:
            self._writer.execute("COMMIT")

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the feedback store is closed")

    @contextmanager
    def _unavailable_on_error(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as error:
            raise StoreUnavailableError(f"{self._path}: could not {doing}: {error}") from error

    def __repr__(self) -> str:
        return f"SqliteStore({str(self._path)!r})"


class FeedbackStoreError(ValueError):
    """A click store file that cannot be used (damaged, or not a database), named with what
    to do about it."""


DAMAGED_STORE_HINT = (
    "the file is damaged or not a click store: move it aside (sqlite3's .recover may save "
    "its events) and start again, which begins a new, empty store"
)
"""What a damaged-store message tells the reader to do."""

_MAIN_HEADER = "*** in database main ***"


def _connect(path: Path, *, check: bool = False) -> sqlite3.Connection:
    """A connection to the store at ``path``; with ``check``, after reading every page once
    (``PRAGMA quick_check``, about 1.3 ms per MB), so that a damaged file is refused here with
    ``FeedbackStoreError`` rather than failing in some later read."""
    # Autocommit (isolation_level=None): each append commits on its own; transactions that span
    # statements are opened explicitly. check_same_thread=False because a lock, not the thread,
    # guards each connection.
    try:
        connection = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.Error as error:
        raise FeedbackStoreError(f"{path}: cannot open the SQLite click store: {error}") from None
    try:
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA synchronous=FULL")
        if check:
            found = [str(row[0]) for row in connection.execute("PRAGMA quick_check(2)")]
            if found != ["ok"]:
                # SQLite's report spans lines; the message stays on one.
                problems = "; ".join(
                    " ".join(line.replace(_MAIN_HEADER, "").split()) for line in found
                )
                raise FeedbackStoreError(
                    f"{path}: damaged SQLite click store ({problems}); {DAMAGED_STORE_HINT}"
                )
    except sqlite3.OperationalError as error:
        # Locked, read-only, out of disk: the file may well be fine.
        connection.close()
        raise FeedbackStoreError(f"{path}: cannot open the SQLite click store: {error}") from None
    except sqlite3.DatabaseError as error:
        # "file is not a database", "database disk image is malformed".
        connection.close()
        raise FeedbackStoreError(f"{path}: {error}; {DAMAGED_STORE_HINT}") from None
    except BaseException:
        connection.close()
        raise
    return connection
