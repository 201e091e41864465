"""Search autocomplete and typo correction.

>>> from autocomplete import Autocomplete
>>> Autocomplete().suggest("the big")[0].text
'The Big Lebowski'
"""

from __future__ import annotations

from autocomplete.catalog import CatalogError, LoadReport, Record, load_catalog
from autocomplete.engine import Autocomplete
from autocomplete.index import CatalogIndex, IndexFormatError
from autocomplete.suggestion import Suggestion

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
