"""Search autocomplete and typo correction.

>>> from autocomplete import Autocomplete
>>> Autocomplete().suggest("the big")[0].text
'The Big Lebowski'
"""

from __future__ import annotations

from autocomplete.catalog.loader import CatalogError, LoadReport, Record, load_catalog
from autocomplete.engine.facade import Autocomplete
from autocomplete.engine.suggestion import Suggestion
from autocomplete.index.catalog_index import CatalogIndex, IndexFormatError, TitleView
from autocomplete.rank.filters import FilterError
from autocomplete.rank.session_context import ContextError

__all__ = [
    "Autocomplete",
    "CatalogError",
    "CatalogIndex",
    "ContextError",
    "FilterError",
    "IndexFormatError",
    "LoadReport",
    "Record",
    "Suggestion",
    "TitleView",
    "load_catalog",
]
