"""``RedisStore``: the feedback log in Redis, shared by several web workers or hosts.

Layout, under a key namespace (default ``autocomplete:feedback``, or ``?namespace=...`` in the
URL):

* ``{ns}:seq`` -- the last sequence number handed out (``INCR``);
* ``{ns}:events`` -- a stream with one entry per event, entry id ``<seq>-0``, fields ``t`` (the
  timestamp) and ``e`` (the event's JSON);
* ``{ns}:aggregates`` and ``{ns}:aggregates_seq`` -- the compacted ``Aggregates`` document and
  the sequence number it runs through.

``append`` is one Lua script, so taking the next sequence number, the timestamp and adding the
entry are atomic and entries stay in sequence order whichever worker writes them. The timestamp
is the Redis server's ``TIME`` (one clock for every host) unless a clock is injected.
``compact`` is another script: it refuses to go back, trims the stream below the new
aggregates' sequence number and replaces the document, atomically.

Durability is Redis's: an event is acknowledged once Redis has applied it, and survives a Redis
restart only as far as its persistence is configured (``appendonly yes`` with
``appendfsync always`` makes every acknowledged event durable; the defaults lose up to a
second). For a single host, the SQLite store gives that guarantee without a server.

Faults: every command waits at most ``REDIS_TIMEOUT_S`` for its reply (and for a connection)
and is not retried, so a stopped, hung or unreachable server raises ``StoreUnavailableError``
within that time instead of blocking a request (redis-py's own defaults wait 5 s and retry).
URL options (``?socket_timeout=2``) override these. A stream entry that is not a readable
event is set aside by ``scan`` (see ``autocomplete.feedback.store``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from autocomplete.feedback.aggregates import Aggregates, stored_aggregates
from autocomplete.feedback.events import Event, Recorded, encode
from autocomplete.feedback.store import (
    READ_BATCH,
    Clock,
    Scan,
    StoreUnavailableError,
    check_read_limit,
    decode_rows,
    read_events,
)

DEFAULT_NAMESPACE = "autocomplete:feedback"
"""Key prefix of the store's keys unless the URL names another (``?namespace=...``)."""

REDIS_TIMEOUT_S = 0.5
"""Longest wait for a connection to Redis, and for each reply, before the store is unavailable."""

_APPEND = """
local seq = redis.call('INCR', KEYS[1])
local ts = ARGV[2]
if ts == '' then
  local now = redis.call('TIME')
  ts = now[1] .. '.' .. string.format('%06d', tonumber(now[2]))
end
redis.call('XADD', KEYS[2], seq .. '-0', 't', ts, 'e', ARGV[1])
return {seq, ts}
"""

_COMPACT = """
local kept = redis.call('GET', KEYS[2])
if kept and tonumber(kept) > tonumber(ARGV[1]) then
  return {-1, kept}
end
local before = redis.call('XLEN', KEYS[1])
redis.call('XTRIM', KEYS[1], 'MINID', (tonumber(ARGV[1]) + 1) .. '-0')
local removed = before - redis.call('XLEN', KEYS[1])
redis.call('SET', KEYS[3], ARGV[2])
redis.call('SET', KEYS[2], ARGV[1])
return {removed, ARGV[1]}
"""


class RedisStore:
    def __init__(
        self,
        client: redis.Redis,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        clock: Clock | None = None,
    ) -> None:
        if not namespace:
            raise ValueError("namespace must not be empty")
        self._client = client
        self._clock = clock
        self._seq_key = f"{namespace}:seq"
        self._events_key = f"{namespace}:events"
        self._aggregates_key = f"{namespace}:aggregates"
        self._aggregates_seq_key = f"{namespace}:aggregates_seq"
        self._append = client.register_script(_APPEND)
        self._compact = client.register_script(_COMPACT)
        self._closed = False

    @classmethod
    def from_url(cls, url: str, *, clock: Clock | None = None) -> RedisStore:
        """Connect to ``redis://host:port/db[?namespace=...]`` (other query options go to redis)."""
        client, namespace = connect(url, DEFAULT_NAMESPACE, REDIS_TIMEOUT_S)
        return cls(client, namespace=namespace, clock=clock)

    def append(self, event: Event) -> Recorded:
        self._check_open()
        stamp = "" if self._clock is None else repr(float(self._clock()))
        with self._unavailable_on_error("append an event"):
            seq, timestamp = self._append(
                keys=[self._seq_key, self._events_key], args=[encode(event), stamp]
            )
        return Recorded(int(seq), float(timestamp), event)

    def scan(self, after: int = 0, limit: int = READ_BATCH) -> Scan:
        check_read_limit(limit)
        self._check_open()
        with self._unavailable_on_error("read events"):
            entries = self._client.xrange(
                self._events_key, min=f"{after + 1}-0", max="+", count=limit
            )
        rows = (
            (int(_text(entry_id).split("-", 1)[0]), fields.get(b"t"), fields.get(b"e"))
            for entry_id, fields in cast(list[tuple[bytes, dict[bytes, bytes]]], entries or [])
        )
        return decode_rows(rows, after)

    def read(self, after: int = 0, limit: int = READ_BATCH) -> list[Recorded]:
        return read_events(self.scan, after, limit)

    def count(self) -> int:
        self._check_open()
        with self._unavailable_on_error("count events"):
            found: Any = self._client.xlen(self._events_key)
        return int(found)

    def load_aggregates(self) -> Aggregates | None:
        self._check_open()
        with self._unavailable_on_error("read the aggregates"):
            body: Any = self._client.get(self._aggregates_key)
        if body is None:
            return None
        return stored_aggregates(body, f"{self._where()} (key {self._aggregates_key})")

    def compact(self, aggregates: Aggregates) -> int:
        self._check_open()
        with self._unavailable_on_error("compact"):
            removed, kept = self._compact(
                keys=[self._events_key, self._aggregates_seq_key, self._aggregates_key],
                args=[aggregates.through_seq, aggregates.to_json()],
            )
        if int(removed) < 0:
            raise ValueError(
                f"aggregates through seq {aggregates.through_seq} would go back before the "
                f"kept ones (through seq {_text(kept)})"
            )
        return int(removed)

    def now(self) -> float:
        if self._clock is not None:
            return float(self._clock())
        self._check_open()
        with self._unavailable_on_error("read the server's clock"):
            seconds, microseconds = self._client.time()
        return seconds + microseconds / 1e6

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._client.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the feedback store is closed")

    @contextmanager
    def _unavailable_on_error(self, doing: str) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as error:
            # Unreachable, too slow, or not answering as Redis does (a wrong port, a proxy, a
            # key of another type under our namespace): in every case it cannot serve now.
            raise StoreUnavailableError(f"{self._where()}: could not {doing}: {error}") from error

    def _where(self) -> str:
        """The server, for messages: ``redis host:port/db``."""
        options = self._client.connection_pool.connection_kwargs
        place = options.get("path") or f"{options.get('host')}:{options.get('port')}"
        return f"redis {place}/{options.get('db', 0)}"

    def __repr__(self) -> str:
        return f"RedisStore({self._events_key!r})"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def connect(url: str, default_namespace: str, timeout_s: float) -> tuple[redis.Redis, str]:
    """A client for ``redis://host:port/db[?namespace=...]`` and the namespace the URL names
    (``default_namespace`` when none): every command waits at most ``timeout_s`` and is not
    retried. Other query options go to redis, and win over these."""
    namespace = default_namespace
    kept: list[tuple[str, str]] = []
    for name, value in parse_qsl(urlsplit(url).query):
        if name == "namespace":
            namespace = value
        else:
            kept.append((name, value))
    # Cut the query off the URL as written: urlunsplit would turn unix:///path into
    # unix:/path, which redis-py refuses.
    client_url = url.split("?", 1)[0] + (f"?{urlencode(kept)}" if kept else "")
    client = redis.Redis.from_url(
        client_url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),
    )
    return client, namespace
