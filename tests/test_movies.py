"""End-to-end behaviour on the bundled movie catalog (58,788 IMDb titles)."""

from __future__ import annotations

import pytest

from autocomplete import Autocomplete


def test_bundled_catalog_is_whole(movies: Autocomplete) -> None:
    assert len(movies) == 58_788


def test_the_big_finds_the_big_lebowski(movies: Autocomplete) -> None:
    assert "The Big Lebowski" in [item.text for item in movies.suggest("the big", 5)]


def test_lord_of_the_rings_puts_the_trilogy_first(movies: Autocomplete) -> None:
    top = [item.text for item in movies.suggest("lord of the rings", 3)]
    assert sorted(top) == sorted(
        [
            "The Lord of the Rings: The Fellowship of the Ring",
            "The Lord of the Rings: The Two Towers",
            "The Lord of the Rings: The Return of the King",
        ]
    )


def test_star_wars_is_the_1977_film(movies: Autocomplete) -> None:
    top = movies.suggest("star wars", 1)[0]
    assert top.text == "Star Wars"
    assert top.metadata["year"] == 1977


def test_inverted_titles_are_restored_and_found_both_ways(movies: Autocomplete) -> None:
    assert movies.suggest("big lebowski", 1)[0].text == "The Big Lebowski"
    assert movies.suggest("lebowski", 1)[0].text == "The Big Lebowski"
    assert movies.suggest("dolce vita", 1)[0].text == "La Dolce vita"
    assert movies.suggest("la dolce", 1)[0].text == "La Dolce vita"
    assert movies.suggest("avventura", 1)[0].text == "L'avventura"
    assert movies.suggest("lavventura", 1)[0].text == "L'avventura"


def test_remakes_are_told_apart_by_year(movies: Autocomplete) -> None:
    labels = [item.label for item in movies.suggest("hamlet", 10)]
    hamlets = [label for label in labels if label.startswith("Hamlet (")]
    assert len(hamlets) >= 2
    assert len(set(hamlets)) == len(hamlets)


def test_a_wide_prefix_is_answered_from_its_precomputed_top(movies: Autocomplete) -> None:
    # "t" (~10,000 completions) must not enumerate its range: its best titles are stored at
    # build time. (What it costs against a narrow prefix is in benchmarks/test_bench_bounds.py.)
    index = movies.index
    assert "t" in index.wide_prefixes
    lo, hi = index.prefix_range("t") or (0, 0)
    assert hi - lo > 5_000
    assert [s.id for s in movies.suggest("t", 10)] == [
        index.describe(index.hot.entry_title[entry]).id for entry in index.top_entries("t", 10)
    ]


def test_fellowship_of_is_a_word_start_match(movies: Autocomplete) -> None:
    top = movies.suggest("fellowship of", 1)[0]
    assert top.text == "The Lord of the Rings: The Fellowship of the Ring"
    assert top.match == "word"


def test_bundled_aliases_reach_their_films(movies: Autocomplete) -> None:
    lotr = movies.suggest("lotr", 3)
    assert {item.id for item in lotr} == {"m30658", "m30659", "m30660"}
    assert all(item.match == "alias" for item in lotr)
    assert movies.suggest("spirited away", 1)[0].text == "Sen to Chihiro no kamikakushi"
    assert movies.suggest("seven samu", 1)[0].text == "Shichinin no samurai"
    # Aliases are corrected like any other text: one slip in an English title still finds it.
    assert movies.suggest("spirted away", 1)[0].text == "Sen to Chihiro no kamikakushi"


def test_typos_are_corrected_as_you_type(movies: Autocomplete) -> None:
    top = movies.suggest("teh big leb", 1)[0]
    assert (top.text, top.corrected) == ("The Big Lebowski", True)
    # "Did you mean" completes the half-typed word from the title it reached.
    assert top.corrected_query == "the big lebowski"
    # Highlight covers the typed length of the corrected reading: "The Big Leb".
    assert top.text[slice(*top.spans[0])] == "The Big Leb"
    assert movies.suggest("lebowsk", 1)[0].text == "The Big Lebowski"  # clean prefix
    assert movies.suggest("lebowdki", 1)[0].text == "The Big Lebowski"  # one slip
    assert movies.suggest("biglebowski", 1)[0].text == "The Big Lebowski"  # dropped space
    assert movies.suggest("the bigle", 1)[0].text == "The Big Lebowski"  # space in the wrong place
    assert movies.suggest("tbl", 1)[0].text == "The Big Lebowski"  # initials


def test_a_correction_never_buries_a_popular_exact_match(movies: Autocomplete) -> None:
    # "alien" is a word and a popular title: nothing corrected may rank above it.
    found = movies.suggest("alien", 5)
    assert found[0].text == "Alien" and not found[0].corrected
    assert all(not item.corrected for item in movies.suggest("the godfather", 3))


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("a beatiful mind", "A Beautiful Mind"),  # completed word, intended one letter longer
        ("shawshnk redemption", "The Shawshank Redemption"),
        ("te godfathe", "The Godfather"),  # a two-letter word corrected inside a phrase
        ("raders off the lost", "Raiders of the Lost Ark"),  # a slip in each of two words
        ("the fantom", "The Phantom of the Opera"),
    ],
)
def test_harder_typos(movies: Autocomplete, query: str, title: str) -> None:
    assert title in [item.text for item in movies.suggest(query, 5)]


def test_an_uncorrectable_last_word_is_dropped_not_fatal(movies: Autocomplete) -> None:
    top = movies.suggest("rthless qx", 1)[0]
    assert top.text == "Ruthless People"
    assert top.corrected and top.corrected_query == "ruthless"


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("the lkat sam", "The Last Samurai"),  # two slips in a four-letter word
        ("ar eiga kantoku", "Aru eiga-kantoku no shogai"),
    ],
)
def test_a_query_nothing_matches_is_read_whole_against_titles(
    movies: Autocomplete, query: str, title: str
) -> None:
    found = movies.suggest(query, 5)
    assert title in [item.text for item in found]
    assert all(item.corrected for item in found)
    # The fallback is a pure function of the query: asked again, it answers the same.
    assert movies.suggest(query, 5) == found


def test_a_word_left_out_is_read_as_scattered_words_not_corrected(movies: Autocomplete) -> None:
    # Before the word index this query matched nothing and only the anchored fallback, which
    # reads it as a correction, found the film; every typed word is in the title as typed.
    found = {item.text: item for item in movies.suggest("its  mad mad mad", 5)}
    title = found["It's a Mad Mad Mad Mad World"]
    assert title.match == "words" and not title.corrected


def test_the_anchored_fallback_respects_where_filters(movies: Autocomplete) -> None:
    found = movies.suggest("its  mad mad mad", 3, where={"year": (1960, 1965)})
    assert [(item.text, item.metadata["year"]) for item in found[:1]] == [
        ("It's a Mad Mad Mad Mad World", 1963)
    ]
    assert movies.suggest("its  mad mad mad", 3, where={"year": (1990, 2005)}) == []
