"""Opening a click store by URL: the one module that knows every back end.

It sits above ``store`` (the protocol and what the back ends share) and the three back ends, so
that they import ``store`` and nothing imports back up: ``memory://``, ``sqlite:///path.db``,
``redis://host:port/db`` (also ``rediss://`` and ``unix://``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from autocomplete.feedback.store import Clock, FeedbackStore


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
