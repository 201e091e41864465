from __future__ import annotations

import pytest

from autocomplete import Autocomplete
from autocomplete.spell.anchored import anchored_readings, max_anchored_edits
from autocomplete.spell.errormodel import ErrorModel


@pytest.fixture(scope="module")
def model() -> ErrorModel:
    return ErrorModel.load()


def _readings(movies: Autocomplete, model: ErrorModel, typed: str) -> list[str]:
    return [reading.text for reading in anchored_readings(typed, movies.index, model)]


def test_a_missing_word_is_found_through_the_words_around_it(
    movies: Autocomplete, model: ErrorModel
) -> None:
    found = anchored_readings("its mad mad mad", movies.index, model)
    # "its a mad mad" is two edits away too (the first "mad" loses m and d), but a dropped
    # "a " is the likelier slip: the reading shown as "did you mean" keeps every typed word.
    assert found[0].text == "its a mad mad mad"
    assert found[0].edits == 2 and found[0].cost > 0
    assert found[0].cost < model.cost("its mad mad mad", "its a mad mad", prefix=True)
    assert [reading.cost for reading in found] == sorted(reading.cost for reading in found)


def test_a_garbled_short_word_is_read_from_its_neighbours(
    movies: Autocomplete, model: ErrorModel
) -> None:
    assert _readings(movies, model, "ar eiga kantoku")[0] == "aru eiga kantoku"
    # Two slips in a four-letter word are past its budget, not past the phrase's.
    assert "the last sam" in _readings(movies, model, "the lkat sam")
    # A finished query is read to a word's end, and keeps its trailing space.
    assert "sorry wrong " in _readings(movies, model, "sirru wrong ")


def test_nothing_is_read_without_a_close_title(movies: Autocomplete, model: ErrorModel) -> None:
    assert _readings(movies, model, "lebowski") == []  # one word: the speller's job
    assert _readings(movies, model, "zzqx wvvyk jjq") == []
    # Three edits away is too far for a short query.
    assert "the last sam" not in _readings(movies, model, "thr lkat sam")


def test_allowed_edits_grow_with_the_query() -> None:
    assert [max_anchored_edits(n) for n in (5, 20, 29, 30, 45)] == [2, 2, 2, 3, 4]
