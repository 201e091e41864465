"""Live catalog updates: titles upserted and deleted while the engine serves (issue 18).

``LiveCatalog`` owns the changes: an update log (``UpdateStore``: memory, SQLite, Redis), a
small delta index merged with the immutable main index, and background compaction.
"""

from autocomplete.live.backends import open_update_store
from autocomplete.live.catalog import (
    LiveCatalog,
    LiveStatus,
    UpdateOptions,
)
from autocomplete.live.changes import CatalogFields, Compacted, Delete, Logged, Upsert
from autocomplete.live.store import MemoryUpdateStore, UpdateStore, UpdateStoreUnavailableError

__all__ = [
    "CatalogFields",
    "Compacted",
    "Delete",
    "LiveCatalog",
    "LiveStatus",
    "Logged",
    "MemoryUpdateStore",
    "UpdateOptions",
    "UpdateStore",
    "UpdateStoreUnavailableError",
    "Upsert",
    "open_update_store",
]
