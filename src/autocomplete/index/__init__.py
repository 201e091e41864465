"""Index: the immutable, memory-mapped index built once from a catalog, and retrieval over it.

``catalog_index`` owns prefix lookup and top-k; ``build`` makes an index from records;
``spelling`` is the spelling index the speller searches; ``kinds`` names how an entry reaches
its title and what that is worth before any query is seen; ``bundled`` builds and caches the
bundled catalog's index. Imports only ``text`` and ``catalog`` below it.
"""

from autocomplete.index.catalog_index import FORMAT_VERSION, CatalogIndex, IndexFormatError

__all__ = ["FORMAT_VERSION", "CatalogIndex", "IndexFormatError"]
