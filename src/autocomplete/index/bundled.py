"""The bundled movie catalog, and the on-disk cache of its built index.

The catalog ships in ``data/movies.jsonl.gz`` (see ``data/README.md`` for where it comes from).
Its index is built on first use and saved under the user's cache directory, keyed by the
catalog's content hash and the index format, so later starts only memory-map it.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from autocomplete.catalog.loader import Record, load_catalog
from autocomplete.index.build import build_index
from autocomplete.index.catalog_index import FORMAT_VERSION, CatalogIndex, IndexFormatError
from autocomplete.limits import PRECOMPUTED_TOP, WIDE_PREFIX_ENTRIES
from autocomplete.paths import cache_directory, data_directory

CATALOG_FILE = "movies.jsonl.gz"
TEXT_FIELD = "title"
WEIGHT_FIELD = "votes"
ID_FIELD = "id"
ALIAS_FIELD = "aliases"


def bundled_catalog_path() -> Path:
    path = data_directory() / CATALOG_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"bundled catalog {path} is missing; run from a checkout of the project "
            "or set AUTOCOMPLETE_DATA_DIR to the folder holding movies.jsonl.gz"
        )
    return path


def bundled_records() -> list[Record]:
    """The bundled catalog's records, with its title, votes, id and alias fields."""
    records, _ = load_catalog(
        bundled_catalog_path(),
        text_field=TEXT_FIELD,
        weight_field=WEIGHT_FIELD,
        id_field=ID_FIELD,
        alias_field=ALIAS_FIELD,
    )
    return records


def build_bundled_index() -> CatalogIndex:
    return build_index(bundled_records(), source=CATALOG_FILE)


def bundled_index_path() -> Path:
    """Where the bundled catalog's index is cached (whether or not it is there yet)."""
    digest = hashlib.sha256(bundled_catalog_path().read_bytes()).hexdigest()[:16]
    # The build's limits shape the index as much as its format does, so both key the cache.
    layout = f"v{FORMAT_VERSION}-w{WIDE_PREFIX_ENTRIES}-t{PRECOMPUTED_TOP}"
    return cache_directory() / f"movies-{digest}-{layout}"


def bundled_index() -> CatalogIndex:
    """The bundled catalog's index, from the cache when it is there, else built and cached.

    A cached copy that fails its checks at load (damaged, or cut short) is rebuilt."""
    cached = bundled_index_path()
    if cached.is_dir():
        try:
            return CatalogIndex.load(cached)
        except IndexFormatError:
            shutil.rmtree(cached, ignore_errors=True)
    build_bundled_index().save_atomically(cached)
    # Indexes of older catalogs, formats or limits are of no more use.
    for stale in cached.parent.glob("movies-*"):
        if stale.name != cached.name and "." not in stale.name:
            shutil.rmtree(stale, ignore_errors=True)
    return CatalogIndex.load(cached)
