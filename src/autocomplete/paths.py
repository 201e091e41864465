"""Where the package finds its committed data files and keeps its caches.

A base module beside ``limits``: every layer may need a path, so it imports nothing.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_directory() -> Path:
    """Where the committed data files live (``AUTOCOMPLETE_DATA_DIR`` overrides)."""
    override = os.environ.get("AUTOCOMPLETE_DATA_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "data"


def cache_directory() -> Path:
    """Where built indexes are cached (``AUTOCOMPLETE_CACHE_DIR`` overrides)."""
    override = os.environ.get("AUTOCOMPLETE_CACHE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "autocomplete"
