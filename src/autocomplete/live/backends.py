"""Opening an update store by URL: ``memory://``, ``sqlite:///path.db`` (relative;
``sqlite:////abs/path.db`` absolute, as for the click store), ``redis://host:port/db``."""

from __future__ import annotations

from urllib.parse import urlsplit

from autocomplete.live.store import MemoryUpdateStore, UpdateStore


def open_update_store(url_or_store: str | UpdateStore) -> UpdateStore:
    if not isinstance(url_or_store, str):
        if not isinstance(url_or_store, UpdateStore):
            raise TypeError(
                f"updates must be a store URL or an UpdateStore, got {type(url_or_store).__name__}"
            )
        return url_or_store
    scheme = urlsplit(url_or_store).scheme.lower()
    if scheme == "memory":
        return MemoryUpdateStore()
    if scheme == "sqlite":
        from autocomplete.live.sqlite_store import SqliteUpdateStore

        path = url_or_store.split(":///", 1)[1] if ":///" in url_or_store else ""
        if not path:
            raise ValueError(f"a SQLite update store URL needs a file path: {url_or_store!r}")
        return SqliteUpdateStore(path)
    if scheme in ("redis", "rediss", "unix"):
        from autocomplete.live.redis_store import RedisUpdateStore

        return RedisUpdateStore.from_url(url_or_store)
    raise ValueError(
        f"unknown update store URL {url_or_store!r}: "
        "use memory://, sqlite:///path.db or redis://host:port/db"
    )
