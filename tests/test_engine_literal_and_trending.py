"""``suggest(correct=False)``, ``trending`` and ``describe``: what the web demo's "search instead
for", empty-box list and title pages ask of the engine."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from autocomplete import Autocomplete
from autocomplete.feedback import FeedbackConfig, FeedbackLayer, MemoryStore

if TYPE_CHECKING:
    from feedback_fixtures import FakeClock

pytest_plugins = ["feedback_fixtures"]

MANUAL = FeedbackConfig(refresh_interval_s=0)


@pytest.fixture
def engine(movies: Autocomplete, clock: FakeClock) -> Iterator[Autocomplete]:
    layer = FeedbackLayer(MemoryStore(clock=clock), config=MANUAL, clock=clock)
    engine = Autocomplete(movies.index, feedback=layer)
    yield engine
    engine.close()


def _choose(engine: Autocomplete, query: str, id: str, people: int, clock: FakeClock) -> None:
    """``people`` distinct people (own session, own network) are shown ``id`` first for
    ``query`` and choose it."""
    for person in range(people):
        session, client = f"person-{query}-{person}", f"10.{person}.{len(query)}.7"
        engine.record_impression(query, [id], session, client=client)
        clock.advance(2.0)
        engine.record_click(query, id, 1, session, dwell_ms=60_000, client=client)
        clock.advance(5.0)


# suggest(correct=False) ------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["amelei", "lort", "teh big leb"])
def test_without_correction_a_typo_reaches_nothing(small_engine: Autocomplete, query: str) -> None:
    corrected = small_engine.suggest(query)
    assert corrected and corrected[0].corrected  # the engine would have read it otherwise
    assert small_engine.suggest(query, correct=False) == []


def test_without_correction_prefixes_aliases_and_initials_still_match(
    small_engine: Autocomplete, movies: Autocomplete
) -> None:
    lotr = small_engine.suggest("lotr", correct=False)
    assert [(item.id, item.match) for item in lotr] == [
        ("lotr-1-2001", "alias"),
        ("lotr-2-2002", "alias"),
    ]
    assert [item.id for item in small_engine.suggest("amelie", correct=False)] == ["amelie-2001"]
    godfather = movies.suggest("godfather", 5, correct=False)
    assert [item.text for item in godfather] == [
        item.text for item in movies.suggest("godfather", 5)
    ]
    assert {"no_article", "alias", "word"} <= {item.match for item in godfather}


def test_without_correction_nothing_is_marked_corrected(movies: Autocomplete) -> None:
    assert movies.suggest("star wrs")[0].corrected_query == "star wars"
    typed = movies.suggest("star w", 8, correct=False)
    assert [item.text for item in typed] == [item.text for item in movies.suggest("star w", 8)]
    for query in ["star wrs", "the big", "amelie", "alien"]:
        for item in movies.suggest(query, 20, correct=False):
            assert not item.corrected and item.corrected_query is None
            assert item.channel == 0.0


def test_without_correction_a_title_only_clicks_reached_stays_out(
    engine: Autocomplete, clock: FakeClock
) -> None:
    """People who typed "strar wars" chose Star Wars: with correction on it is suggested for
    that text; taken literally, "strar wars" reaches no title, clicked or not."""
    star_wars = engine.suggest("star wars")[0].id
    _choose(engine, "strar wars", star_wars, 5, clock)
    layer = engine.feedback
    assert layer is not None
    layer.refresh()
    assert star_wars in [item.id for item in engine.suggest("strar wars")]
    assert engine.suggest("strar wars", correct=False) == []
    # Clicks still lift what the typed text does reach.
    _choose(engine, "star", star_wars, 5, clock)
    layer.refresh()
    lifted = engine.suggest("star", 3, correct=False)
    assert lifted[0].id == star_wars and lifted[0].feedback > 0


# trending ------------------------------------------------------------------------------------


def test_trending_is_what_people_choose_whatever_they_type(
    engine: Autocomplete, movies: Autocomplete, clock: FakeClock
) -> None:
    assert engine.trending(5) == []  # nothing learned yet
    assert movies.trending(5) == []  # feedback off
    deep = engine.suggest("the big", 60)
    rare, rarer = deep[-1], deep[-2]
    _choose(engine, "the big", rare.id, 6, clock)
    _choose(engine, "big w", rarer.id, 3, clock)
    layer = engine.feedback
    assert layer is not None
    layer.refresh()
    trending = engine.trending(5)
    assert [item.id for item in trending] == [rare.id, rarer.id]
    assert all(item.match == "feedback" and item.feedback > 0 for item in trending)
    assert trending[0].feedback > trending[1].feedback  # six people beat three
    assert [item.id for item in engine.trending(1)] == [rare.id]
    genre = rarer.metadata["genres"]
    assert isinstance(genre, list) and genre
    kept = engine.trending(5, where={"genres": genre[0]})
    assert rarer.id in [item.id for item in kept]
    assert all(genre[0] in item.metadata["genres"] for item in kept)  # type: ignore[operator]


def test_trending_checks_k(engine: Autocomplete) -> None:
    with pytest.raises(ValueError, match="k must be between"):
        engine.trending(0)


# describe ------------------------------------------------------------------------------------


def test_describe_finds_a_title_by_its_id(movies: Autocomplete) -> None:
    top = movies.suggest("the big lebowski", 1)[0]
    view = movies.describe(top.id)
    assert view is not None
    assert (view.text, view.id, view.label) == (top.text, top.id, top.label)
    assert view.metadata["year"] == 1998
    assert movies.describe("no such id") is None
    with pytest.raises(TypeError):
        movies.describe(5)  # type: ignore[arg-type]
