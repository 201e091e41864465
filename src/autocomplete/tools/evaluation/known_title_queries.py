"""Queries asking for foreign-language films by their English titles.

An English-speaking user types the title they know ("the name of the rose") for a film the
catalog holds under its original one ("Der Name der Rose"). The queries come from the
hand-written table ``data/movie_english_titles.csv`` (``autocomplete.catalog.known_titles``),
one per row (the whole table: it is small, and the point is coverage), in two categories:

``english_title``
    The English title typed in full, the way ``typed_form`` types any title ("the good the bad
    and the ugly").
``english_title_half``
    The same typed halfway: the first ``ceil(HALF_SHARE * length)`` characters of it, never fewer
    than ``MIN_CHARS`` unless the title is shorter, trailing space dropped ("the good the bad").

The hit is the film itself. ``same_text_ids`` also holds every catalog title whose own typed form
*is* the English title ("The Apartment" of 1960 for *L'appartement*, released in English as "The
Apartment"): such a query names two films, and the report's title-text rule counts either.
"""

from __future__ import annotations

import math
import random
import zlib
from collections import defaultdict
from collections.abc import Sequence

from autocomplete.catalog.known_titles import KnownTitle
from autocomplete.catalog.loader import Record
from autocomplete.tools.evaluation.queries import MIN_CHARS, EvalQuery, typed_form

ENGLISH_TITLE = "english_title"
ENGLISH_TITLE_HALF = "english_title_half"

KNOWN_TITLE_CATEGORIES: tuple[str, ...] = (ENGLISH_TITLE, ENGLISH_TITLE_HALF)
"""The categories generated from the table of English titles, in report order."""

HALF_SHARE = 0.5
"""Share of the typed English title that ``english_title_half`` types."""


def halfway(typed: str) -> str:
    """The first half of ``typed`` (at least ``MIN_CHARS`` characters), without a trailing space."""
    size = max(math.ceil(HALF_SHARE * len(typed)), min(MIN_CHARS, len(typed)))
    return typed[:size].rstrip()


def known_title_queries(
    records: Sequence[Record],
    table: Sequence[KnownTitle],
    *,
    limit: int | None = None,
    seed: int = 0,
) -> list[EvalQuery]:
    """A query of each category per row of ``table`` whose film is in ``records``; with a
    ``limit``, a seeded sample of that many rows."""
    by_id = {record.id: record for record in records}
    by_text: dict[str, set[str]] = defaultdict(set)
    for record in records:
        by_text[typed_form(record.text)].add(record.id)
    rows = [row for row in table if row.id in by_id]
    if limit is not None and len(rows) > limit:
        rows = random.Random(zlib.crc32(ENGLISH_TITLE.encode()) ^ seed).sample(rows, limit)
    queries: list[EvalQuery] = []
    for category in KNOWN_TITLE_CATEGORIES:
        for row in rows:
            typed = typed_form(row.english_title)
            text = typed if category == ENGLISH_TITLE else halfway(typed)
            queries.append(
                EvalQuery(
                    category=category,
                    text=text,
                    target_title=by_id[row.id].text,
                    target_id=row.id,
                    same_text_ids=frozenset({row.id, *by_text.get(typed, ())}),
                    intended=typed,
                    note=f"english title ({row.language})",
                )
            )
    return queries
