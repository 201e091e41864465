"""The table of other known titles of catalog films: English release titles of foreign films.

The bundled catalog holds foreign-language films under their original titles ("Der Name der
Rose"); people type the title they know ("the name of the rose"). ``data/movie_english_titles.csv``
lists, per film, its English release title and the film's original language, written and checked
by hand (see ``data/README.md``). ``data/build_movies.py`` merges it into the catalog's ``aliases``
and ``language`` fields; the evaluation asks for the films by these titles.

Only the standard library is used here: the build script loads this file by path, without the
package's runtime dependencies.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

TABLE_FILE = "movie_english_titles.csv"
"""The table's file name in the data directory."""

COLUMNS = ("id", "title", "year", "language", "english_title")
"""The table's header, in order."""

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


class KnownTitleError(ValueError):
    """A row of the table is malformed (the message names the file, line and field)."""


@dataclass(frozen=True, slots=True)
class KnownTitle:
    """One other title of one catalog film."""

    id: str
    """The film's catalog id ("m16819")."""
    title: str
    """The film's catalog (display) title, to check the id against: "Fa yeung nin wa"."""
    year: int
    language: str
    """The film's original language: ISO 639-1 where there is a code, else ISO 639-3 ("yue",
    Cantonese; "iu", Inuktitut)."""
    english_title: str
    """The title as written in English releases: "In the Mood for Love"."""


def read_known_titles(path: Path) -> list[KnownTitle]:
    """Every row of the table at ``path``, checked for shape (not against the catalog)."""
    rows: list[KnownTitle] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(header) != COLUMNS:
            raise KnownTitleError(f"{path}, line 1: header must be {','.join(COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            rows.append(_parse_row(path, line, row))
    return rows


def _parse_row(path: Path, line: int, row: list[str]) -> KnownTitle:
    def fail(field: str, problem: str) -> KnownTitleError:
        return KnownTitleError(f"{path}, line {line}, field {field!r}: {problem}")

    if len(row) != len(COLUMNS):
        raise KnownTitleError(f"{path}, line {line}: {len(row)} fields, expected {len(COLUMNS)}")
    values = dict(zip(COLUMNS, row, strict=True))
    for name, value in values.items():
        if not value.strip() or value != value.strip():
            raise fail(name, f"empty or padded with spaces: {value!r}")
    if not values["year"].isdigit():
        raise fail("year", f"not a year: {values['year']!r}")
    if not _LANGUAGE_CODE.fullmatch(values["language"]):
        raise fail("language", f"not an ISO 639 code: {values['language']!r}")
    return KnownTitle(
        id=values["id"],
        title=values["title"],
        year=int(values["year"]),
        language=values["language"],
        english_title=values["english_title"],
    )


def check_against_catalog(
    path: Path, rows: list[KnownTitle], titles: dict[str, tuple[str, int | None]]
) -> None:
    """Raise ``KnownTitleError`` for the first row whose id is not a catalog film with that
    title and year (``titles`` maps id -> (title, year)), or that repeats an earlier row."""
    seen: set[tuple[str, str]] = set()
    for line, row in enumerate(rows, start=2):
        found = titles.get(row.id)
        if found is None:
            raise KnownTitleError(f"{path}, line {line}, field 'id': no catalog film {row.id}")
        if found != (row.title, row.year):
            raise KnownTitleError(
                f"{path}, line {line}: {row.id} is {found[0]!r} ({found[1]}), "
                f"not {row.title!r} ({row.year})"
            )
        if (row.id, row.english_title) in seen:
            raise KnownTitleError(f"{path}, line {line}: repeats an earlier row")
        seen.add((row.id, row.english_title))
