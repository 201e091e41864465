"""The catalog's genres and decades, for the page's filter chips and ``GET /api/facets``, and
the ``where`` spec that a request's genre and decade choices make.

Both come from the catalog's metadata columns (``CatalogIndex.columns``), so the chips follow
the data: a catalog without a genre field, or whose year field is not a number, has no genre or
decade chips. The fields are named by the ``GENRE_FIELD`` and ``YEAR_FIELD`` settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autocomplete.catalog.columns import MetadataColumns, NumberColumn, TagsColumn

MAX_DECADES = 24
"""Decade chips at most: the most recent ones (a year field far outside history is no year)."""


@dataclass(frozen=True, slots=True)
class Facet:
    """One chip: the value it filters on and how many titles have it."""

    value: str | int
    titles: int


@dataclass(frozen=True, slots=True)
class Facets:
    """The filter values a catalog offers; computed once per app (the index never changes)."""

    genres: tuple[Facet, ...]  # by name
    decades: tuple[Facet, ...]  # oldest first; value is the decade's first year

    def as_json(self) -> dict[str, list[dict[str, str | int]]]:
        return {
            "genres": [{"value": facet.value, "titles": facet.titles} for facet in self.genres],
            "decades": [{"value": facet.value, "titles": facet.titles} for facet in self.decades],
        }


def catalog_facets(columns: MetadataColumns, genre_field: str, year_field: str) -> Facets:
    genres = columns.columns.get(genre_field)
    years = columns.columns.get(year_field)
    return Facets(
        _genres(genres) if isinstance(genres, TagsColumn) else (),
        _decades(years) if isinstance(years, NumberColumn) else (),
    )


def _genres(column: TagsColumn) -> tuple[Facet, ...]:
    return tuple(
        Facet(tag, count) for tag, count in zip(column.tags, column.counts, strict=True) if count
    )


def _decades(column: NumberColumn) -> tuple[Facet, ...]:
    values = column.values[np.isfinite(column.values)]
    if values.size == 0:
        return ()
    decades, counts = np.unique((np.floor(values / 10) * 10).astype(np.int64), return_counts=True)
    return tuple(
        Facet(int(decade), int(count))
        for decade, count in zip(decades[-MAX_DECADES:], counts[-MAX_DECADES:], strict=True)
    )


@dataclass(frozen=True, slots=True)
class ChosenFilter:
    """The genres (any of) and the decade a request filters on, as the client named them."""

    genres: tuple[str, ...] = ()
    decade: int | None = None  # its first year: 1990 for 1990 to 1999

    def __bool__(self) -> bool:
        return bool(self.genres) or self.decade is not None

    def where(self, genre_field: str, year_field: str) -> dict[str, object] | None:
        """The engine's ``where`` spec; None for no filter.

        A decade becomes an inclusive year range, which the engine takes as a tuple (a list
        would mean "any of these years").
        """
        where: dict[str, object] = {}
        if self.genres:
            where[genre_field] = list(self.genres)
        if self.decade is not None:
            where[year_field] = (self.decade, self.decade + 9)
        return where or None

    @property
    def label(self) -> str:
        """For people: "Animation or Comedy, 1990s"."""
        parts = [" or ".join(self.genres)] if self.genres else []
        if self.decade is not None:
            parts.append(f"{self.decade}s")
        return ", ".join(parts)

    def as_json(self) -> dict[str, object]:
        return {"genre": list(self.genres), "decade": self.decade}
