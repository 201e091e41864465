"""``RedisUpdateStore``: the update log in Redis, shared by the workers of several hosts.

Layout under a namespace (default ``autocomplete:updates``, or ``?namespace=...``):
``{ns}:seq`` the last sequence number handed out, ``{ns}:changes`` a stream with one entry
per change, entry id ``<seq>-0``, field ``c`` the change's JSON. ``append`` is one Lua script,
so a batch takes consecutive numbers and lands whole, in order, whichever worker writes.

Durability is Redis's: acknowledged once Redis applied it; it survives a Redis restart as far
as persistence is configured (``appendonly yes`` with ``appendfsync always`` for every
acknowledged change). Every command waits at most ``REDIS_TIMEOUT_S`` and is not retried.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import redis

from autocomplete.feedback.redis_store import connect
from autocomplete.live.changes import Logged, decode
from autocomplete.live.store import READ_LIMIT, UpdateStoreUnavailableError, check_limit

DEFAULT_NAMESPACE = "autocomplete:updates"
"""Key prefix of the log's keys unless the URL names another (``?namespace=...``)."""

REDIS_TIMEOUT_S = 2.0
"""Longest wait for a connection and for each reply (a 10,000-title batch is one command)."""

_APPEND = """
local last = redis.call('INCRBY', KEYS[1], #ARGV)
local first = last - #ARGV
for i = 1, #ARGV do
  redis.call('XADD', KEYS[2], (first + i) .. '-0', 'c', ARGV[i])
end
return last
"""


class RedisUpdateStore:
    def __init__(self, client: redis.Redis, *, namespace: str = DEFAULT_NAMESPACE) -> None:
        if not namespace:
            raise ValueError("namespace must not be empty")
        self._client = client
        self._namespace = namespace
        self._seq_key = f"{namespace}:seq"
        self._changes_key = f"{namespace}:changes"
        self._append = client.register_script(_APPEND)

    @classmethod
    def from_url(cls, url: str) -> RedisUpdateStore:
        """Connect to ``redis://host:port/db[?namespace=...]`` (other options go to redis)."""
        client, namespace = connect(url, DEFAULT_NAMESPACE, REDIS_TIMEOUT_S)
        return cls(client, namespace=namespace)

    def append(self, bodies: Sequence[str]) -> int:
        if not bodies:
            return self.last_sequence()
        with self._unavailable("append changes"):
            last = self._append(keys=[self._seq_key, self._changes_key], args=bodies)
        return int(cast(Any, last))

    def read(self, after: int, limit: int = READ_LIMIT) -> list[Logged]:
        check_limit(limit)
        with self._unavailable("read changes"):
            entries = cast(
                list[tuple[bytes, dict[bytes, bytes]]],
                self._client.xrange(self._changes_key, min=f"{after + 1}-0", count=limit),
            )
        found = []
        for entry_id, fields in entries:
            sequence = int(entry_id.split(b"-", 1)[0])
            found.append(Logged(sequence, decode(fields[b"c"].decode("utf-8"))))
        return found

    def last_sequence(self) -> int:
        with self._unavailable("read the last sequence"):
            value = self._client.get(self._seq_key)
        return int(cast(bytes, value)) if value is not None else 0

    def close(self) -> None:
        self._client.close()

    @contextmanager
    def _unavailable(self, doing: str) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as error:
            raise UpdateStoreUnavailableError(
                f"redis update log {self._namespace!r}: could not {doing}: {error}"
            ) from None

    def __repr__(self) -> str:
        return f"RedisUpdateStore(namespace={self._namespace!r})"
