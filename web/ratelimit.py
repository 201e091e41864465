"""Per-client rate limits on the write endpoints (``POST /api/...``: clicks, impressions).

A token bucket per client (its address as ``web.clients`` resolves it; an IPv6 client per
/64): ``WRITE_RATE_BURST`` requests at once, refilled at ``WRITE_RATE_PER_MINUTE``. A request
beyond it is answered ``429 Too Many Requests`` with ``Retry-After`` (whole seconds until a
token is back) before the endpoint runs, so a flood costs the store nothing. The buckets live
in an LRU of ``WRITE_RATE_CLIENTS`` clients, so invented addresses cannot grow memory; a client
pushed out starts again with a full bucket.

The limits are per worker process: with gunicorn's ``-w N`` a client gets up to N times the
rate in total. The feedback guard's own budgets (per session and per client, in the shared
event log) still bound what the extra requests can teach.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, jsonify, request

from .clients import rate_limit_key
from .validation import ApiError

EXTENSION = "autocomplete.ratelimit"


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets per client key, thread-safe, at most ``max_clients`` of them."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        max_clients: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, value in (("per_minute", per_minute), ("burst", burst)):
            if not value > 0:
                raise ValueError(f"WRITE_RATE_{name.upper()} must be positive, got {value}")
        if max_clients < 1:
            raise ValueError(f"WRITE_RATE_CLIENTS must be at least 1, got {max_clients}")
        self._per_second = per_minute / 60.0
        self._burst = float(burst)
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 if ``key`` may write now (a token is spent), else the seconds until it may."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self._burst, now)
                if len(self._buckets) > self._max_clients:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
                elapsed = max(now - bucket.updated, 0.0)
                bucket.tokens = min(self._burst, bucket.tokens + elapsed * self._per_second)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self._per_second

    def __len__(self) -> int:
        return len(self._buckets)


def install(app: Flask) -> None:
    """Check every write request of ``app`` against its client's bucket."""
    app.extensions[EXTENSION] = RateLimiter(
        float(app.config["WRITE_RATE_PER_MINUTE"]),
        int(app.config["WRITE_RATE_BURST"]),
        int(app.config["WRITE_RATE_CLIENTS"]),
    )
    app.before_request(_limit_writes)


def _limit_writes() -> Response | None:
    if request.method != "POST" or not request.path.startswith("/api/"):
        return None
    limiter: RateLimiter = current_app.extensions[EXTENSION]
    wait = limiter.take(rate_limit_key(request.remote_addr or ""))
    if wait <= 0:
        return None
    retry_after = max(math.ceil(wait), 1)
    error = ApiError(429, f"too many writes from this client; retry in {retry_after} s")
    response = jsonify(error.payload())
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    return response
