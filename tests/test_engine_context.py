"""``suggest`` with ``where``, ``boost`` and ``context`` on the bundled catalog."""

from __future__ import annotations

import math

import pytest

from autocomplete import Autocomplete
from autocomplete.rank.session_context import GENRE_NUDGE, MAX_CONTEXT_BOOST

FELLOWSHIP = "m30658"
TWO_TOWERS = "m30660"
TOY_STORY = "m52930"  # Animation, Comedy


def test_where_keeps_k_results_from_a_selective_filter(movies: Autocomplete) -> None:
    animated_90s = {"genres": "Animation", "year": (1990, 1999)}
    found = movies.suggest("t", 10, where=animated_90s)
    assert len(found) == 10
    for item in found:
        assert "Animation" in item.metadata["genres"]  # type: ignore[operator]
        assert 1990 <= item.metadata["year"] <= 1999  # type: ignore[operator]
    # The unfiltered top 10 for "t" holds no animated 90s film: the filter works in retrieval.
    assert not {item.id for item in found} & {item.id for item in movies.suggest("t", 10)}


def test_where_applies_to_corrections_and_the_empty_query(movies: Autocomplete) -> None:
    corrected = movies.suggest("teh lion k", 3, where={"genres": "Animation"})
    assert corrected[0].text == "The Lion King" and corrected[0].corrected
    popular_pg = movies.suggest("", 5, where={"mpaa": "PG"})
    assert len(popular_pg) == 5
    assert all(item.metadata["mpaa"] == "PG" for item in popular_pg)
    votes = [item.metadata["votes"] for item in popular_pg]
    assert votes == sorted(votes, reverse=True)  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({"studio": "Pixar"}, "studio"),
        ({"genres": "Cartoon"}, "Cartoon"),
        ({"year": ("1990", 1999)}, "year"),
    ],
)
def test_bad_filters_are_clear_value_errors(
    movies: Autocomplete, where: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        movies.suggest("the", where=where)


def test_boost_lifts_matching_titles_and_explains_itself(movies: Autocomplete) -> None:
    plain = [item.id for item in movies.suggest("the", 10)]
    boosted = movies.suggest("the", 10, boost={"genres": {"Animation": 20.0}})
    animated = [item for item in boosted if "Animation" in item.metadata["genres"]]  # type: ignore[operator]
    assert animated, "a 20x boost must bring animated films into the top 10"
    assert not {item.id for item in animated} & set(plain)
    first = animated[0]
    assert first.context == pytest.approx(2.995732, rel=1e-4)  # log 20
    assert any("Animation" in part for part in first.explanation)
    with pytest.raises(ValueError):
        movies.suggest("the", boost={"genres": {"Animation": 0}})


def test_session_context_ranks_the_next_film_of_the_series_first(movies: Autocomplete) -> None:
    without = movies.suggest("the t", 10)
    assert without[0].id != TWO_TOWERS
    with_context = movies.suggest("the t", 10, context={"clicked": [FELLOWSHIP]})
    assert with_context[0].id == TWO_TOWERS
    assert with_context[0].context > 0
    assert any("session" in part for part in with_context[0].explanation)
    # The lift is bounded: an unrelated, popular prefix keeps its order.
    assert [s.id for s in movies.suggest("star w", 3, context={"clicked": [FELLOWSHIP]})] == [
        s.id for s in movies.suggest("star w", 3)
    ]


def test_a_click_nudges_titles_of_its_genres_by_how_alike_they_are(movies: Autocomplete) -> None:
    after = {
        item.text: item for item in movies.suggest("mon", 10, context={"clicked": [TOY_STORY]})
    }
    assert [item.text for item in movies.suggest("mon", 2)] == [
        "Monty Python and the Holy Grail",
        "Monsters, Inc.",
    ]
    # Animation and Comedy, like Toy Story: the whole nudge, and the first place.
    monsters = after["Monsters, Inc."]
    assert monsters.context == pytest.approx(GENRE_NUDGE, rel=1e-6)
    assert movies.suggest("mon", 1, context={"clicked": [TOY_STORY]})[0].text == "Monsters, Inc."
    assert monsters.explanation == (
        f'session nudge: genres Animation, Comedy like "Toy Story" x{math.exp(GENRE_NUDGE):.3g}',
    )
    # Mononoke-hime shares only Animation (and has Action and Drama): a far smaller lift.
    assert 0 < after["Mononoke-hime"].context < GENRE_NUDGE / 4
    assert after["Monty Python and the Holy Grail"].context == 0  # Comedy alone is common


def test_context_never_lifts_the_clicked_title_and_stays_capped(movies: Autocomplete) -> None:
    found = movies.suggest("toy", 10, context={"clicked": [TOY_STORY], "queries": ["toy st"]})
    by_id = {item.id: item for item in found}
    assert by_id[TOY_STORY].context == 0 and by_id[TOY_STORY].explanation == ()
    # Toy Story 2: same series and the same genres, held to the cap together.
    assert found[0].text == "Toy Story 2"
    assert found[0].context == pytest.approx(MAX_CONTEXT_BOOST, rel=1e-6)
    assert all(item.context <= MAX_CONTEXT_BOOST + 1e-6 for item in found)
