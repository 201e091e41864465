"""Confident corrections and far-fetched ones: "teh big leb" is announced, "amelie" is not."""

from __future__ import annotations

import pytest

from autocomplete import Autocomplete
from autocomplete.index.bundled import bundled_records
from autocomplete.rank.scoring import CONFIDENT_CORRECTION_COST, correction_is_confident
from autocomplete.tools.evaluation.queries import ONE_SLIP, PHONETIC, TWO_SLIPS, generate_queries


def test_the_rule_is_a_cost_per_character_of_the_reading() -> None:
    assert correction_is_confident(4.0, "the big leb")
    assert correction_is_confident(CONFIDENT_CORRECTION_COST * 6, "americ")
    assert not correction_is_confident(CONFIDENT_CORRECTION_COST * 6 + 0.01, "americ")
    assert correction_is_confident(CONFIDENT_CORRECTION_COST * 3, "the ")  # trailing space
    assert not correction_is_confident(CONFIDENT_CORRECTION_COST + 0.5, "")


def test_an_unrelated_title_is_corrected_but_not_confidently(movies: Autocomplete) -> None:
    top = movies.suggest("amelie")[0]
    assert (top.text, top.corrected, top.corrected_query) == ("American Beauty", True, "american")
    assert not top.corrected_confidently


@pytest.mark.parametrize(
    ("typed", "reading"),
    [
        ("teh big leb", "the big lebowski"),
        ("the matirx", "the matrix"),
        ("star wras", "star wars"),
        ("shawshank redemtion", "shawshank redemption"),
    ],
)
def test_real_slips_stay_confident(movies: Autocomplete, typed: str, reading: str) -> None:
    top = movies.suggest(typed)[0]
    assert (top.corrected_query, top.corrected_confidently) == (reading, True)


def test_a_match_as_typed_is_not_a_correction(movies: Autocomplete) -> None:
    top = movies.suggest("the big leb")[0]
    assert not top.corrected and not top.corrected_confidently


def test_the_typo_categories_keep_their_right_corrections_confident(
    movies: Autocomplete,
) -> None:
    """The fit behind CONFIDENT_CORRECTION_COST, on a sample: nearly every correction whose top
    title is the one meant stays announced."""
    queries = generate_queries(
        bundled_records(), per_category=100, seed=0, categories=(ONE_SLIP, TWO_SLIPS, PHONETIC)
    )
    right = confident = 0
    for query in queries:
        found = movies.suggest(query.text)
        if found and found[0].corrected and found[0].id == query.target_id:
            right += 1
            confident += found[0].corrected_confidently
    assert right >= 200
    assert confident >= 0.98 * right
