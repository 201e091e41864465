from __future__ import annotations

import json
import math
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest

from autocomplete.catalog import columns as columns_module
from autocomplete.catalog.columns import (
    MAX_TAGS,
    CategoryColumn,
    ColumnsFormatError,
    FieldKind,
    FlagColumn,
    MetadataColumns,
    MetadataColumnsBuilder,
    NumberColumn,
    TagsColumn,
)
from autocomplete.catalog.loader import Record, load_catalog
from autocomplete.index.bundled import bundled_catalog_path
from columns_reference import reference_columns


def record(number: int, **metadata: object) -> Record:
    return Record(f"r{number}", f"Title {number}", 1.0, MappingProxyType(metadata))


@pytest.fixture(scope="module")
def mixed() -> MetadataColumns:
    return MetadataColumns.build(
        [
            record(
                0,
                year=1999,
                rating=7.5,
                mpaa="R",
                genres=["Comedy", "Drama"],
                adult=False,
                nested={"a": 1},
                mixed=1,
            ),
            record(1, year=2001.0, mpaa="PG", genres="Animation", adult=True, mixed="one"),
            record(2, year=None, genres=[], numbers=[1, 2]),
            record(3, rating=3, mpaa="R"),
        ]
    )


@pytest.fixture(scope="module")
def bundled_columns() -> MetadataColumns:
    records, _ = load_catalog(
        bundled_catalog_path(),
        text_field="title",
        weight_field="votes",
        id_field="id",
        alias_field="aliases",
    )
    return MetadataColumns.build(records)


def test_kinds_are_inferred_from_the_values(mixed: MetadataColumns) -> None:
    kinds = {name: column.kind for name, column in mixed.columns.items()}
    assert kinds == {
        "adult": FieldKind.FLAG,
        "genres": FieldKind.TAGS,
        "mpaa": FieldKind.CATEGORY,
        "rating": FieldKind.NUMBER,
        "year": FieldKind.NUMBER,
    }
    assert mixed.filterable_fields == ("adult", "genres", "mpaa", "rating", "year")
    assert mixed.title_count == 4


def test_numbers_are_float64_with_nan_for_missing(mixed: MetadataColumns) -> None:
    year = mixed.column("year")
    assert isinstance(year, NumberColumn)
    assert year.values.dtype == np.float64
    assert year.values[:2].tolist() == [1999.0, 2001.0]
    assert math.isnan(year.values[2]) and math.isnan(year.values[3])


def test_categories_are_codes_into_a_sorted_vocabulary(mixed: MetadataColumns) -> None:
    mpaa = mixed.column("mpaa")
    assert isinstance(mpaa, CategoryColumn)
    assert list(mpaa.vocabulary) == ["PG", "R"]
    assert mpaa.codes.dtype == np.int32
    assert mpaa.codes.tolist() == [1, 0, -1, 1]
    assert mpaa.vocabulary.code_of("R") == 1
    assert mpaa.vocabulary.code_of("G") is None
    assert mpaa.most_common(5) == ["R", "PG"]


def test_tags_are_bitmasks_and_a_bare_string_is_one_tag(mixed: MetadataColumns) -> None:
    genres = mixed.column("genres")
    assert isinstance(genres, TagsColumn)
    assert genres.tags == ("Animation", "Comedy", "Drama")
    assert genres.bits.dtype == np.uint64
    assert genres.bits.tolist() == [0b110, 0b001, 0, 0]
    assert genres.counts == (1, 1, 1)
    assert genres.bit_of("Drama") == 2
    assert genres.bit_of("Western") is None


def test_flags_keep_missing_apart_from_false(mixed: MetadataColumns) -> None:
    adult = mixed.column("adult")
    assert isinstance(adult, FlagColumn)
    assert adult.values.tolist() == [0, 1, -1, -1]


def test_unfilterable_fields_say_why(mixed: MetadataColumns) -> None:
    assert mixed.unfilterable == {
        "mixed": "mixed value types (number, string)",
        "nested": "holds dict values",
        "numbers": "holds lists of non-strings",
    }
    with pytest.raises(ValueError, match="'nested' cannot be filtered on: holds dict values"):
        mixed.column("nested")


def test_unknown_field_lists_the_filterable_ones(mixed: MetadataColumns) -> None:
    with pytest.raises(ValueError, match=r"unknown field 'genre'; .*genres, mpaa, rating, year"):
        mixed.column("genre")


def test_sixty_four_tags_fit_and_the_sixty_fifth_does_not() -> None:
    tags = [f"tag{number:02d}" for number in range(MAX_TAGS)]
    fitting = MetadataColumns.build([record(0, tags=tags[:32]), record(1, tags=tags[32:])])
    column = fitting.column("tags")
    assert isinstance(column, TagsColumn)
    last = column.bit_of(tags[-1])
    assert last == 63
    assert int(column.bits[1]) >> 63 == 1  # the top bit of the uint64 survives

    too_many = MetadataColumns.build([record(0, tags=tags), record(1, tags=["one more"])])
    assert "more than 64 distinct values" in too_many.unfilterable["tags"]


def test_too_many_distinct_strings_is_not_a_category(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columns_module, "MAX_CATEGORY_VALUES", 2)
    built = MetadataColumns.build([record(n, code=f"c{n}") for n in range(3)])
    assert "more than 2 distinct strings" in built.unfilterable["code"]
    assert "code" not in built.columns


def test_save_and_load_round_trip_memory_mapped(mixed: MetadataColumns, tmp_path: Path) -> None:
    mixed.save(tmp_path)
    loaded = MetadataColumns.load(tmp_path)
    assert loaded.title_count == mixed.title_count
    assert loaded.unfilterable == mixed.unfilterable
    assert set(loaded.columns) == set(mixed.columns)
    year = loaded.column("year")
    assert isinstance(year, NumberColumn)
    np.testing.assert_array_equal(year.values, mixed.columns["year"].values)  # type: ignore[union-attr]
    assert not year.values.flags.writeable  # a read-only map, not a copy
    mpaa = loaded.column("mpaa")
    assert isinstance(mpaa, CategoryColumn)
    assert list(mpaa.vocabulary) == ["PG", "R"]
    assert mpaa.vocabulary.code_of("PG") == 0
    genres = loaded.column("genres")
    assert isinstance(genres, TagsColumn)
    assert genres.tags == ("Animation", "Comedy", "Drama")
    assert genres.bits.tolist() == [0b110, 0b001, 0, 0]
    adult = loaded.column("adult")
    assert isinstance(adult, FlagColumn)
    assert adult.values.tolist() == [0, 1, -1, -1]


def test_field_names_need_not_be_file_names(tmp_path: Path) -> None:
    built = MetadataColumns.build([record(0, **{"a/b c": "x", "ünï": 1})])
    loaded = MetadataColumns.load(built.save(tmp_path))
    assert loaded.filterable_fields == ("a/b c", "ünï")


def test_empty_catalog_round_trips(tmp_path: Path) -> None:
    loaded = MetadataColumns.load(MetadataColumns.build([]).save(tmp_path))
    assert loaded.title_count == 0
    assert loaded.filterable_fields == ()


def test_load_rejects_missing_old_and_damaged_directories(
    mixed: MetadataColumns, tmp_path: Path
) -> None:
    with pytest.raises(ColumnsFormatError, match=r"columns\.json missing"):
        MetadataColumns.load(tmp_path / "nowhere")

    target = mixed.save(tmp_path / "saved")
    manifest = json.loads((target / "columns.json").read_text())
    manifest["format_version"] = 0
    (target / "columns.json").write_text(json.dumps(manifest))
    with pytest.raises(ColumnsFormatError, match="format 0"):
        MetadataColumns.load(target)

    target = mixed.save(tmp_path / "short")
    manifest = json.loads((target / "columns.json").read_text())
    stem = next(field["stem"] for field in manifest["fields"] if field["name"] == "year")
    np.save(target / f"{stem}.npy", np.zeros(2))
    with pytest.raises(ColumnsFormatError, match="'year' has 2 rows"):
        MetadataColumns.load(target)

    target = mixed.save(tmp_path / "gone")
    (target / f"{stem}.npy").unlink()
    with pytest.raises(ColumnsFormatError, match="damaged"):
        MetadataColumns.load(target)


def test_bundled_catalog_columns(bundled_columns: MetadataColumns) -> None:
    genres = bundled_columns.column("genres")
    assert isinstance(genres, TagsColumn)
    assert genres.tags == (
        "Action",
        "Animation",
        "Comedy",
        "Documentary",
        "Drama",
        "Romance",
        "Short",
    )
    assert isinstance(bundled_columns.column("year"), NumberColumn)
    assert isinstance(bundled_columns.column("votes"), NumberColumn)
    mpaa = bundled_columns.column("mpaa")
    assert isinstance(mpaa, CategoryColumn)
    assert set(mpaa.vocabulary) == {"NC-17", "PG", "PG-13", "R"}
    assert int(np.count_nonzero(mpaa.codes >= 0)) == 4924  # the rest have no rating


def test_bundled_columns_stay_compact(bundled_columns: MetadataColumns) -> None:
    per_title = 0
    for column in bundled_columns.columns.values():
        if isinstance(column, CategoryColumn):
            per_title += column.codes.nbytes
        elif isinstance(column, TagsColumn):
            per_title += column.bits.nbytes
        else:
            per_title += column.values.nbytes
    # Five numbers and the genres at 8 bytes, mpaa, imdb_title and language codes at 4: a
    # million titles take 60 MB, memory-mapped.
    assert per_title / bundled_columns.title_count == 60


def _built_one_at_a_time(records: list[Record]) -> MetadataColumns:
    builder = MetadataColumnsBuilder()
    for item in records:
        builder.add(item.metadata)
    return builder.build()


def _same_columns(left: MetadataColumns, right: MetadataColumns) -> None:
    assert left.title_count == right.title_count
    assert dict(left.unfilterable) == dict(right.unfilterable)
    assert sorted(left.columns) == sorted(right.columns)
    for name, column in left.columns.items():
        other = right.columns[name]
        assert type(column) is type(other), name
        if isinstance(column, NumberColumn | FlagColumn):
            assert isinstance(other, NumberColumn | FlagColumn)
            np.testing.assert_array_equal(column.values, other.values)
            assert column.values.dtype == other.values.dtype
        elif isinstance(column, CategoryColumn):
            assert isinstance(other, CategoryColumn)
            np.testing.assert_array_equal(column.codes, other.codes)
            assert column.codes.dtype == other.codes.dtype
            assert list(column.vocabulary) == list(other.vocabulary)
        else:
            assert isinstance(column, TagsColumn) and isinstance(other, TagsColumn)
            np.testing.assert_array_equal(column.bits, other.bits)
            assert column.tags == other.tags


def test_the_builder_makes_the_columns_the_two_pass_build_made() -> None:
    # Every kind, values missing before and after a field first appears, None, a lone string
    # among tag lists, and fields no column can hold (mixed, non-string lists, other types).
    records = [
        record(0, mpaa="R", adult=False, genres="Drama"),
        record(1, year=1999, rating=7.5, genres=["Comedy", "Drama"], mixed=1, odd=[1]),
        record(2, year=None, mpaa="PG", adult=True, genres=[], mixed="x", other={"a": 1}),
        record(3, rating=8, genres=["Western", "Comedy"], late="only here"),
        record(4),
        record(5, year=2005, adult=None, mpaa="R"),
    ]
    _same_columns(_built_one_at_a_time(records), reference_columns(records))


def test_the_builder_gives_up_where_the_two_pass_build_did(monkeypatch: pytest.MonkeyPatch) -> None:
    many_tags = [record(n, tags=[f"t{n}"]) for n in range(MAX_TAGS + 3)]
    _same_columns(_built_one_at_a_time(many_tags), reference_columns(many_tags))
    monkeypatch.setattr(columns_module, "MAX_CATEGORY_VALUES", 100)  # not 65,537 records
    many_strings = [record(n, name=f"n{n}", genres=["Drama"]) for n in range(300)]
    _same_columns(_built_one_at_a_time(many_strings), reference_columns(many_strings))


def test_the_builder_makes_the_bundled_catalogs_columns() -> None:
    records, _ = load_catalog(bundled_catalog_path(), weight_field="votes", id_field="id")
    _same_columns(_built_one_at_a_time(records), reference_columns(records))
