from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pytest

from autocomplete.catalog.columns import MetadataColumns
from autocomplete.catalog.loader import Record
from autocomplete.index.build import build_index
from autocomplete.index.bundled import bundled_index
from autocomplete.index.catalog_index import CatalogIndex
from autocomplete.rank.filters import (
    BoostRule,
    FilterCache,
    TitleFilter,
    boost_key,
    compile_boost,
    compile_where,
    where_key,
)
from autocomplete.tools.context_eval import records_of

# (text, votes, metadata); titles are numbered in this order.
FILMS: list[tuple[str, float, dict[str, object]]] = [
    ("Toy Story", 900, {"year": 1995, "genres": ["Animation", "Comedy"], "mpaa": "G"}),
    ("Titanic", 1000, {"year": 1997, "genres": ["Drama", "Romance"], "mpaa": "PG-13"}),
    ("Tokyo Story", 50, {"year": 1953, "genres": ["Drama"]}),
    ("Shrek", 800, {"year": 2001, "genres": ["Animation", "Comedy"], "mpaa": "PG"}),
    ("The Terminator", 700, {"year": 1984, "genres": ["Action"], "mpaa": "R", "color": True}),
    ("Top Hat", 60, {"year": 1935, "genres": ["Comedy", "Romance"], "color": False}),
    ("Tarzan", 300, {"year": 1999, "genres": ["Animation"], "mpaa": "G", "rating": 7.1}),
    ("Trainspotting", 500, {"year": 1996, "genres": ["Drama"], "mpaa": "R", "rating": 8.2}),
]


def title_of(text: str) -> int:
    return next(n for n, (film, _, _) in enumerate(FILMS) if film == text)


@pytest.fixture(scope="module")
def films() -> tuple[CatalogIndex, MetadataColumns]:
    records = [
        Record(f"f{number}", text, votes, MappingProxyType(metadata))
        for number, (text, votes, metadata) in enumerate(FILMS)
    ]
    return build_index(records), MetadataColumns.build(records)


def titles(where: Mapping[str, object], films: tuple[CatalogIndex, MetadataColumns]) -> set[str]:
    index, columns = films
    found = compile_where(where, columns, index.arrays.title_prior)
    assert found is not None
    return {FILMS[int(title)][0] for title in np.flatnonzero(found.mask)}


# Semantics --------------------------------------------------------------------------------------


def test_a_value_on_a_list_field_means_contains(
    films: tuple[CatalogIndex, MetadataColumns],
) -> None:
    assert titles({"genres": "Animation"}, films) == {"Toy Story", "Shrek", "Tarzan"}


def test_a_list_means_any_of(films: tuple[CatalogIndex, MetadataColumns]) -> None:
    assert titles({"genres": ["Action", "Romance"]}, films) == {
        "Titanic",
        "The Terminator",
        "Top Hat",
    }
    assert titles({"mpaa": ["G", "R"]}, films) == {
        "Toy Story",
        "Tarzan",
        "The Terminator",
        "Trainspotting",
    }
    assert titles({"year": [1953, 1935]}, films) == {"Tokyo Story", "Top Hat"}


def test_a_tuple_is_an_inclusive_range_with_open_ends(
    films: tuple[CatalogIndex, MetadataColumns],
) -> None:
    assert titles({"year": (1995, 1997)}, films) == {"Toy Story", "Titanic", "Trainspotting"}
    assert titles({"year": (None, 1953)}, films) == {"Tokyo Story", "Top Hat"}
    assert titles({"year": (2001, None)}, films) == {"Shrek"}
    # Titles without a rating never pass a rating range, however open.
    assert titles({"rating": (0, None)}, films) == {"Tarzan", "Trainspotting"}


def test_scalars_mean_equality(films: tuple[CatalogIndex, MetadataColumns]) -> None:
    assert titles({"year": 1984}, films) == {"The Terminator"}
    assert titles({"year": 1984.0}, films) == {"The Terminator"}
    assert titles({"mpaa": "PG"}, films) == {"Shrek"}
    assert titles({"color": False}, films) == {"Top Hat"}
    assert titles({"rating": 8.2}, films) == {"Trainspotting"}


def test_several_fields_must_all_hold(films: tuple[CatalogIndex, MetadataColumns]) -> None:
    assert titles({"genres": "Animation", "year": (1996, None)}, films) == {"Shrek", "Tarzan"}
    assert titles({"genres": "Drama", "mpaa": "R"}, films) == {"Trainspotting"}


def test_no_spec_means_no_filter(films: tuple[CatalogIndex, MetadataColumns]) -> None:
    index, columns = films
    assert compile_where(None, columns, index.arrays.title_prior) is None
    assert compile_where({}, columns, index.arrays.title_prior) is None
    assert compile_boost(None, columns, index.arrays.title_prior) is None
    assert compile_boost({}, columns, index.arrays.title_prior) is None


def test_filter_reports_selected_titles_most_popular_first(
    films: tuple[CatalogIndex, MetadataColumns],
) -> None:
    index, columns = films
    found = compile_where({"genres": "Comedy"}, columns, index.arrays.title_prior)
    assert found is not None
    assert [FILMS[title][0] for title in found.selected.tolist()] == [
        "Toy Story",
        "Shrek",
        "Top Hat",
    ]
    assert found.count == 3
    assert found.fraction == pytest.approx(3 / 8)
    assert title_of("Shrek") in found
    assert title_of("Titanic") not in found
    assert found.description == "genres=Comedy"


# Canonical keys ---------------------------------------------------------------------------------


def test_keys_ignore_order_and_duplicates() -> None:
    first = where_key({"genres": ["Comedy", "Romance"], "year": (1990, 1999)})
    second = where_key({"year": (1990, 1999), "genres": ["Romance", "Comedy", "Romance"]})
    assert first == second
    assert hash(first) == hash(second)
    # A one-item list means the same as the item itself.
    assert where_key({"genres": ["Comedy"]}) == where_key({"genres": "Comedy"})


def test_keys_keep_types_apart() -> None:
    assert where_key({"flag": True}) != where_key({"flag": 1})
    assert where_key({"year": "1999"}) != where_key({"year": 1999})
    assert boost_key({"genres": {"Comedy": 2}}) == boost_key({"genres": {"Comedy": 2.0}})
    assert boost_key({"genres": {"Comedy": 2.0}}) != boost_key({"genres": {"Comedy": 3.0}})


# Errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({"genre": "Comedy"}, r"unknown field 'genre'; filterable fields: color, genres, mpaa"),
        ({"mpaa": ("G", "R")}, r"mpaa: range bounds must be numbers or None, got 'G'"),
        ({"mpaa": (1, 2)}, r"a \(low, high\) range needs a number field, but 'mpaa' holds"),
        ({"genres": (1, 2)}, r"range needs a number field, but 'genres' holds tags values"),
        ({"year": (1990, "1999")}, r"year: range bounds must be numbers or None, got '1999'"),
        ({"year": (2000, 1990)}, r"year: empty range, low 2000 is above high 1990"),
        ({"year": (None, None)}, r"year: a range needs at least one bound"),
        ({"year": (1, 2, 3)}, r"year: a range is a \(low, high\) tuple, got 3 items"),
        ({"year": "1999"}, r"year: expected a number \('year' holds number values\), got '1999'"),
        ({"year": True}, r"year: expected a number"),
        ({"year": math.nan}, r"year: NaN matches nothing"),
        ({"genres": 3}, r"genres: expected a string"),
        ({"genres": []}, r"genres: an empty list matches nothing"),
        ({"genres": {"a": 1}}, r"genres: unsupported value \{'a': 1\} \(dict\)"),
        ({"color": "yes"}, r"color: expected true or false"),
        ({"": 1}, r"field names must be non-empty strings"),
    ],
)
def test_bad_specs_raise_a_clear_value_error(
    films: tuple[CatalogIndex, MetadataColumns], where: dict[str, object], message: str
) -> None:
    index, columns = films
    with pytest.raises(ValueError, match=message):
        compile_where(where, columns, index.arrays.title_prior)


def test_unknown_values_are_named_with_the_known_ones(
    films: tuple[CatalogIndex, MetadataColumns],
) -> None:
    index, columns = films
    with pytest.raises(ValueError) as raised:
        compile_where({"genres": "Animaton"}, columns, index.arrays.title_prior)
    message = str(raised.value)
    assert "no title has 'Animaton'" in message
    assert "did you mean 'Animation'?" in message
    assert "Action, Animation, Comedy, Drama, Romance" in message
    with pytest.raises(ValueError, match=r"no title has 'nc-17'.*known values include: "):
        compile_where({"mpaa": ["G", "nc-17"]}, columns, index.arrays.title_prior)
    with pytest.raises(ValueError, match=r"did you mean 'PG'\?"):
        compile_where({"mpaa": "pg"}, columns, index.arrays.title_prior)


def test_where_must_be_a_mapping(films: tuple[CatalogIndex, MetadataColumns]) -> None:
    index, columns = films
    with pytest.raises(ValueError, match="where must be a mapping"):
        compile_where(["genres"], columns, index.arrays.title_prior)  # type: ignore[arg-type]


def test_unfilterable_fields_say_why(films: tuple[CatalogIndex, MetadataColumns]) -> None:
    index, _ = films
    columns = MetadataColumns.build(
        [
            Record(f"f{n}", f"t{n}", 1.0, MappingProxyType({"cast": [{"name": "x"}]}))
            for n in range(8)
        ]
    )
    with pytest.raises(
        ValueError, match="'cast' cannot be filtered on: holds lists of non-strings"
    ):
        compile_where({"cast": "x"}, columns, index.arrays.title_prior)


# Boosts -----------------------------------------------------------------------------------------


def boost_rule(
    boost: Mapping[str, Mapping[object, object]], films: tuple[CatalogIndex, MetadataColumns]
) -> BoostRule:
    index, columns = films
    rule = compile_boost(boost, columns, index.arrays.title_prior)
    assert rule is not None
    return rule


def test_boost_factors_become_log_multipliers_that_add_up(
    films: tuple[CatalogIndex, MetadataColumns],
) -> None:
    rule = boost_rule({"genres": {"Animation": 2.0}, "year": {(1995, 1999): 1.5}}, films)
    assert rule.log_multiplier.dtype == np.float32
    assert rule.of(title_of("Shrek")) == pytest.approx(math.log(2.0))  # 2001: genre only
    assert rule.of(title_of("Toy Story")) == pytest.approx(math.log(3.0))  # both clauses
    assert rule.of(title_of("Titanic")) == pytest.approx(math.log(1.5))
    assert rule.of(title_of("Top Hat")) == 0.0
    assert rule.explain(title_of("Toy Story")) == ("genres=Animation x2", "year=1995..1999 x1.5")
    assert rule.explain(title_of("Top Hat")) == ()
    assert rule.max_log_factor == pytest.approx(math.log(3.0))
    assert rule.min_log_factor == 0.0


def test_boost_clauses_expose_their_masks(films: tuple[CatalogIndex, MetadataColumns]) -> None:
    rule = boost_rule({"genres": {"Animation": 2.0, "Drama": 0.5}}, films)
    by_label = {clause.label: clause for clause in rule.clauses}
    assert set(by_label) == {"genres=Animation x2", "genres=Drama x0.5"}
    drama = by_label["genres=Drama x0.5"]
    assert isinstance(drama.filter, TitleFilter)
    assert drama.log_factor == pytest.approx(math.log(0.5))
    assert {FILMS[t][0] for t in drama.filter.selected.tolist()} == {
        "Titanic",
        "Tokyo Story",
        "Trainspotting",
    }
    assert rule.min_log_factor == pytest.approx(math.log(0.5))


@pytest.mark.parametrize(
    ("boost", "message"),
    [
        ({"genres": {"Animation": 0}}, r"must be finite and > 0"),
        ({"genres": {"Animation": -2.0}}, r"must be finite and > 0"),
        ({"genres": {"Animation": math.inf}}, r"must be finite and > 0"),
        ({"genres": {"Animation": math.nan}}, r"must be finite and > 0"),
        ({"genres": {"Animation": True}}, r"must be a number, got True"),
        ({"genres": {"Animation": "2"}}, r"must be a number, got '2'"),
        ({"genres": 2.0}, r"boost for field 'genres' must be a non-empty mapping"),
        ({"genres": {}}, r"boost for field 'genres' must be a non-empty mapping"),
        ({"genres": {"Cartoon": 2.0}}, r"no title has 'Cartoon'"),
        ({"mpaa": {(1, 2): 2.0}}, r"range needs a number field"),
    ],
)
def test_bad_boosts_raise_a_clear_value_error(
    films: tuple[CatalogIndex, MetadataColumns], boost: dict[str, object], message: str
) -> None:
    index, columns = films
    with pytest.raises(ValueError, match=message):
        compile_boost(boost, columns, index.arrays.title_prior)  # type: ignore[arg-type]


# Caching ----------------------------------------------------------------------------------------


def test_filter_cache_serves_equal_specs_from_one_compile(
    films: tuple[CatalogIndex, MetadataColumns],
) -> None:
    index, columns = films
    cache = FilterCache(columns, index.arrays.title_prior, max_size=2)
    first = cache.where({"genres": ["Comedy", "Drama"]})
    assert first is not None
    assert cache.where({"genres": ["Drama", "Comedy"]}) is first
    rule = cache.boost({"year": {(1990, None): 2.0}})
    assert rule is not None
    assert cache.boost({"year": {(1990, None): 2}}) is rule
    assert cache.where(None) is None and cache.boost({}) is None
    # Two more filters push the first one out; it is compiled anew (and equal).
    cache.where({"mpaa": "G"})
    cache.where({"mpaa": "R"})
    again = cache.where({"genres": ["Comedy", "Drama"]})
    assert again is not first
    assert again is not None and again.key == first.key
    np.testing.assert_array_equal(again.mask, first.mask)


def test_filter_cache_rejects_priors_of_another_index(
    films: tuple[CatalogIndex, MetadataColumns],
) -> None:
    _, columns = films
    with pytest.raises(ValueError, match="3 priors for 8 titles"):
        FilterCache(columns, np.zeros(3, dtype=np.float32))


# Retrieval --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def movies() -> tuple[CatalogIndex, MetadataColumns]:
    index = bundled_index()
    return index, MetadataColumns.build(records_of(index))


def brute_force(index: CatalogIndex, title_filter: TitleFilter, prefix: str, k: int) -> list[float]:
    """Scores of the k best passing titles under prefix, scanning the whole range."""
    span = index.prefix_range(prefix)
    if span is None:
        return []
    best: dict[int, float] = {}
    for entry in range(*span):
        title = index.hot.entry_title[entry]
        if title in title_filter:
            best[title] = max(best.get(title, -math.inf), index.hot.entry_score[entry])
    return sorted(best.values(), reverse=True)[:k]


@pytest.mark.parametrize(
    "where",
    [
        {"mpaa": "PG"},
        {"genres": "Animation", "year": (1995, 2005)},
        {"genres": "Drama"},
        {"genres": ["Comedy", "Romance"]},  # "t": a wide window, answered once then kept
        {"year": (None, 2004)},
        {"rating": (9.0, None), "votes": (1000, None)},
    ],
)
def test_filtered_retrieval_matches_a_full_scan(
    movies: tuple[CatalogIndex, MetadataColumns], where: dict[str, object]
) -> None:
    index, columns = movies
    title_filter = compile_where(where, columns, index.arrays.title_prior)
    assert title_filter is not None
    for prefix in ("t", "the ", "the t", "s", "star", "lo", "ma", "zz", "love ", "\x01tls"):
        for k in (1, 10, 40):
            found = index.top_entries(prefix, k, where=title_filter)
            titles_found = [index.hot.entry_title[entry] for entry in found]
            assert len(set(titles_found)) == len(titles_found)
            assert all(title in title_filter for title in titles_found)
            scores = [index.hot.entry_score[entry] for entry in found]
            assert scores == brute_force(index, title_filter, prefix, k), (prefix, k)


def test_a_one_percent_filter_still_fills_k(movies: tuple[CatalogIndex, MetadataColumns]) -> None:
    index, columns = movies
    title_filter = compile_where({"mpaa": "PG"}, columns, index.arrays.title_prior)
    assert title_filter is not None
    assert 0.008 <= title_filter.fraction <= 0.012  # 528 of 58,788 titles
    for prefix in "abcdefghlmprst":
        found = index.top_entries(prefix, 10, where=title_filter)
        assert len(found) == min(10, len(brute_force(index, title_filter, prefix, 10)))
        assert len(found) == 10, prefix
    # Star Wars is rated PG: the filtered answer to "star" is the saga, in popularity order.
    star = index.top_entries("star w", 3, where=title_filter)
    assert [index.describe(index.hot.entry_title[e]).text for e in star] == [
        "Star Wars",
        "Star Wars: Episode V - The Empire Strikes Back",
        "Star Wars: Episode I - The Phantom Menace",
    ]


def test_unknown_prefix_gives_nothing(movies: tuple[CatalogIndex, MetadataColumns]) -> None:
    index, columns = movies
    title_filter = compile_where({"genres": "Drama"}, columns, index.arrays.title_prior)
    assert title_filter is not None
    assert index.top_entries("qxzq", 10, where=title_filter) == []
