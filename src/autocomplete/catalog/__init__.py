"""Catalog: loading CSV/JSONL catalogs into records, and their metadata as typed columns.

Imports only ``text`` below it.
"""

from autocomplete.catalog.loader import (
    CatalogError,
    CatalogNotFoundError,
    LoadReport,
    Record,
    load_catalog,
)

__all__ = ["CatalogError", "CatalogNotFoundError", "LoadReport", "Record", "load_catalog"]
