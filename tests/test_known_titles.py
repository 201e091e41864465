"""The hand-written table of English titles of the bundled catalog's foreign-language films, and
how a film reached through one of its other titles is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocomplete import Autocomplete
from autocomplete.catalog.known_titles import (
    COLUMNS,
    TABLE_FILE,
    KnownTitle,
    KnownTitleError,
    check_against_catalog,
    read_known_titles,
)
from autocomplete.catalog.loader import Record
from autocomplete.index.build import build_index
from autocomplete.index.bundled import bundled_records, data_directory
from autocomplete.index.catalog_index import CatalogIndex
from autocomplete.index.static_score import MatchKind
from autocomplete.text.normalize import normalize

TABLE = data_directory() / TABLE_FILE


@pytest.fixture(scope="module")
def table() -> list[KnownTitle]:
    return read_known_titles(TABLE)


@pytest.fixture(scope="module")
def catalog() -> dict[str, Record]:
    return {record.id: record for record in bundled_records()}


def test_every_row_names_a_real_record_of_the_catalog(
    table: list[KnownTitle], catalog: dict[str, Record]
) -> None:
    assert len(table) >= 350
    for row in table:
        record = catalog.get(row.id)
        assert record is not None, row
        assert (record.text, record.metadata.get("year")) == (row.title, row.year), row
    # The same check the build runs, on the whole table at once.
    years = {key: record.metadata.get("year") for key, record in catalog.items()}
    check_against_catalog(
        TABLE,
        table,
        {
            key: (record.text, year if isinstance(year := years[key], int) else None)
            for key, record in catalog.items()
        },
    )


def test_the_catalog_carries_the_table(table: list[KnownTitle], catalog: dict[str, Record]) -> None:
    """data/build_movies.py merged every row: the English title is an alias, as written, and
    the film's language is a field."""
    for row in table:
        record = catalog[row.id]
        assert row.english_title in record.aliases, row
        assert record.metadata.get("language") == row.language, row
    # The English title comes first and replaces the older lower-case alias of the same name.
    assert catalog["m45697"].aliases == ("Spirited Away",)


def test_the_rows_are_non_english_films_of_the_most_voted(
    table: list[KnownTitle], catalog: dict[str, Record]
) -> None:
    by_votes = sorted(catalog.values(), key=lambda record: -record.weight)
    most_voted = {record.id for record in by_votes[:5_000]}
    assert all(row.id in most_voted for row in table)
    assert all(row.language != "en" for row in table)
    assert len({(row.id, row.english_title) for row in table}) == len(table)


def _write(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([",".join(COLUMNS), *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("m1,Title,19x6,fr,English", "line 3, field 'year': not a year"),
        ("m1,Title,1966,French,English", "line 3, field 'language': not an ISO 639 code"),
        ("m1,Title,1966,fr, English", "line 3, field 'english_title': empty or padded"),
        ("m1,Title,1966,fr", "line 3: 4 fields, expected 5"),
    ],
)
def test_a_malformed_row_is_named_by_file_line_and_field(
    tmp_path: Path, row: str, problem: str
) -> None:
    path = _write(tmp_path / "titles.csv", "m2,Other,1970,de,Fine", row)
    with pytest.raises(KnownTitleError, match=problem) as raised:
        read_known_titles(path)
    assert str(path) in str(raised.value)


def test_a_wrong_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "titles.csv"
    path.write_text("id,title,english\nm1,A,B\n", encoding="utf-8")
    with pytest.raises(KnownTitleError, match="line 1: header must be"):
        read_known_titles(path)


def test_a_row_whose_title_does_not_match_its_id_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "titles.csv", "m1,Der Name der Rose,1986,de,The Name of the Rose")
    rows = read_known_titles(path)
    with pytest.raises(KnownTitleError, match="m1 is 'Heat' \\(1995\\), not 'Der Name der Rose'"):
        check_against_catalog(path, rows, {"m1": ("Heat", 1995)})
    with pytest.raises(KnownTitleError, match="no catalog film m1"):
        check_against_catalog(path, rows, {})


@pytest.mark.parametrize(
    ("typed", "title", "alias"),
    [
        (
            "the good the bad and the ugly",
            "Il Buono, il brutto, il cattivo",
            "The Good, the Bad and the Ugly",
        ),
        ("the name of the ro", "Der Name der Rose", "The Name of the Rose"),
        ("my neighbor totoro", "Tonari no Totoro", "My Neighbor Totoro"),
        ("in the mood for", "Fa yeung nin wa", "In the Mood for Love"),
        ("the seventh seal", "Det Sjunde inseglet", "The Seventh Seal"),
        ("a fistful of dollars", "Per un pugno di dollari", "A Fistful of Dollars"),
        ("downfall", "Der Untergang", "Downfall"),
        ("three colors red", "Trois couleurs: Rouge", "Three Colors: Red"),
        ("the neverending story", "Die Unendliche Geschichte", "The NeverEnding Story"),
        ("black cat white cat", "Crna macka, beli macor", "Black Cat, White Cat"),
        ("once upon a time in the west", "C'era una volta il West", "Once Upon a Time in the West"),
    ],
)
def test_english_titles_reach_the_film_and_are_named_as_written(
    movies: Autocomplete, typed: str, title: str, alias: str
) -> None:
    top = movies.suggest(typed, 5)[0]
    assert (top.text, top.match, top.matched_alias) == (title, "alias", alias)


def test_a_slip_in_an_english_title_still_names_it(movies: Autocomplete) -> None:
    top = movies.suggest("the seventh sael", 5)[0]
    assert (top.text, top.matched_alias, top.corrected) == (
        "Det Sjunde inseglet",
        "The Seventh Seal",
        True,
    )


def test_aliases_as_written_survive_a_save_and_load(tmp_path: Path) -> None:
    records = [
        Record("1", "Les Quatre cents coups", 10.0, {}, ("The 400 Blows", "Les 400 coups")),
        Record("2", "Ça ira", 5.0, {}, ()),
    ]
    loaded = CatalogIndex.load(build_index(records).save(tmp_path / "index"))
    assert loaded.alias_as_written(0, "the 400 blows") == "The 400 Blows"
    assert loaded.alias_as_written(0, "les 400") == "Les 400 coups"  # a prefix of one
    assert loaded.alias_as_written(0, "nothing like it") is None
    assert loaded.alias_as_written(1, "ca ira") is None  # no aliases at all
    engine = Autocomplete(loaded)
    assert engine.suggest("the 400")[0].matched_alias == "The 400 Blows"


def test_the_alias_of_an_entry_is_the_one_its_key_names(movies: Autocomplete) -> None:
    """``alias_of_entry`` names the alias that reached a title without reading the keys under
    the typed prefix when the title's aliases there normalize alike: the alias that
    ``key_of_entry`` and ``alias_as_written`` name, for every alias entry of the bundled
    catalog under three prefixes of its key, and for titles whose aliases share a prefix."""
    records = [
        Record("1", "Les Quatre cents coups", 10.0, {}, ("The 400 Blows", "THE 400 BLOWS!")),
        Record("2", "Il Buono", 9.0, {}, ("The Good One", "The Good", "Good Old Days")),
        Record("3", "Ça ira", 5.0, {}, ()),
    ]
    small = build_index(records)
    named = scanned = 0
    for index in (movies.index, small):
        hot = index.hot
        for title in range(index.title_count):
            stored = index.aliases_json[title]
            if not stored:
                continue
            for position in range(hot.title_entry_first[title], hot.title_entry_first[title + 1]):
                entry = hot.title_entries[position]
                if hot.entry_kind[entry] != MatchKind.ALIAS:
                    continue
                key = next(
                    normalized
                    for normalized in map(normalize, json.loads(stored))
                    if (span := index.key_range(normalized + " ")) and span[0] <= entry < span[1]
                )
                for prefix in {key[:1], key[:3], key}:
                    found = index.key_of_entry(entry, prefix)
                    expected = index.alias_as_written(title, found or prefix)
                    assert index.alias_of_entry(title, entry, prefix) == expected, (title, prefix)
                    named += 1
                    scanned += found is None
    assert named > 1_000 and scanned > 0  # some beyond the keys key_of_entry reads
    assert small.alias_of_entry(0, small.hot.title_entries[0], "the 400 blows") == "The 400 Blows"
    assert small.alias_of_entry(2, small.hot.title_entries[0], "ca") is None  # no aliases
