"""``SqliteUpdateStore``: the update log in one SQLite file (WAL), for the processes of a host.

Durability: ``append`` writes its whole batch in one transaction committed with
``synchronous=FULL`` in WAL mode, so the log is fsynced before ``append`` returns: an
acknowledged upsert survives ``kill -9`` (one fsync per batch, however many titles). Sequence
numbers are an ``AUTOINCREMENT`` key; a batch holds the write lock for its transaction, so its
changes get consecutive numbers and no other process's change lands between them.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from autocomplete.live.changes import Logged, decode
from autocomplete.live.store import READ_LIMIT, UpdateStoreUnavailableError, check_limit

BUSY_TIMEOUT_MS = 10_000
"""How long a connection waits for another process's write lock before failing."""

_SCHEMA = "CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT)"


class SqliteUpdateStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._closed = False
        with self._unavailable("open the update log"):
            # Autocommit; transactions are explicit. The lock, not the thread, guards it.
            self._connection = sqlite3.connect(
                self._path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
            self._connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=FULL")
            self._connection.execute(_SCHEMA)

    @property
    def path(self) -> Path:
        return self._path

    def append(self, bodies: Sequence[str]) -> int:
        with self._lock, self._unavailable("append changes"):
            self._check_open()
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(
                    "INSERT INTO changes (body) VALUES (?)", [(body,) for body in bodies]
                )
                last: int = connection.execute("SELECT max(seq) FROM changes").fetchone()[0] or 0
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        return last

    def read(self, after: int, limit: int = READ_LIMIT) -> list[Logged]:
        check_limit(limit)
        with self._lock, self._unavailable("read changes"):
            self._check_open()
            rows = self._connection.execute(
                "SELECT seq, body FROM changes WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
            ).fetchall()
        return [Logged(int(seq), decode(body)) for seq, body in rows]

    def last_sequence(self) -> int:
        with self._lock, self._unavailable("read the last sequence"):
            self._check_open()
            found = self._connection.execute("SELECT max(seq) FROM changes").fetchone()[0]
        return int(found or 0)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._connection.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the update store is closed")

    @contextmanager
    def _unavailable(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as error:
            raise UpdateStoreUnavailableError(f"{self._path}: could not {doing}: {error}") from None
        except sqlite3.DatabaseError as error:
            raise UpdateStoreUnavailableError(
                f"{self._path}: not a usable update log ({error})"
            ) from None

    def __repr__(self) -> str:
        return f"SqliteUpdateStore({str(self._path)!r})"
