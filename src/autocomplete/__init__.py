"""Search autocomplete and typo correction.

>>> from autocomplete import Autocomplete
>>> Autocomplete().suggest("the big")[0].text
'The Big Lebowski'
"""

from __future__ import annotations

from autocomplete.catalog.loader import CatalogError, LoadReport, Record, load_catalog
from autocomplete.engine.facade import Autocomplete
from autocomplete.engine.suggestion import Suggestion
from autocomplete.index.catalog_index import CatalogIndex, IndexFormatError

__all__ = [
    "Autocomplete",
    "CatalogError",
    "CatalogIndex",
    "IndexFormatError",
    "LoadReport",
    "Record",
    "Suggestion",
    "load_catalog",
]
