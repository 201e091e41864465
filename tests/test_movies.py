"""End-to-end behaviour on the bundled movie catalog (58,788 IMDb titles)."""

from __future__ import annotations

import time

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


def test_wide_prefix_is_as_fast_as_a_narrow_one(movies: Autocomplete) -> None:
    # Not a timing target (those live in benchmarks): a guard that "t" (~10,000 completions)
    # does not enumerate its range. Ratio against a narrow prefix in the same process.
    def cost(query: str) -> float:
        movies.suggest(query)
        started = time.perf_counter()
        for _ in range(200):
            movies.suggest(query)
        return time.perf_counter() - started

    assert cost("t") < 10 * cost("the big lebo")


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
