"""Feedback through the engine on the bundled catalog: clicks move rankings, floods do not."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from autocomplete import Autocomplete
from autocomplete.feedback import FeedbackConfig, FeedbackLayer, MemoryStore
from autocomplete.text.normalize import normalize_query

if TYPE_CHECKING:
    from feedback_fixtures import FakeClock

pytest_plugins = ["feedback_fixtures"]

QUERY = "the big"
CLICKS = 10_000
MANUAL = FeedbackConfig(refresh_interval_s=0)


@pytest.fixture
def engine(movies: Autocomplete, clock: FakeClock) -> Iterator[Autocomplete]:
    layer = FeedbackLayer(MemoryStore(clock=clock), config=MANUAL, clock=clock)
    engine = Autocomplete(movies.index, feedback=layer)
    yield engine
    engine.close()


def _ids(engine: Autocomplete, query: str) -> list[str]:
    return [item.id for item in engine.suggest(query)]


def _tail_title(movies: Autocomplete) -> tuple[str, str]:
    """A title 100 deep under ``QUERY``, with a handful of votes: its id and typed text."""
    deep = movies.suggest(QUERY, 100)
    tail = deep[-1]
    votes = tail.metadata.get("votes")
    assert isinstance(votes, int) and votes <= 100, tail
    return tail.id, normalize_query(tail.text)


def _refresh(engine: Autocomplete) -> None:
    layer = engine.feedback
    assert layer is not None
    layer.refresh()


def test_many_ordinary_sessions_lift_a_tail_title_into_the_top_3(
    movies: Autocomplete, engine: Autocomplete, clock: FakeClock
) -> None:
    tail, full = _tail_title(movies)
    before = _ids(engine, QUERY)
    assert tail not in before
    rng = random.Random(1)
    for session in range(CLICKS):
        if session % 500 == 0:  # what people are shown changes as the layer learns
            _refresh(engine)
            on_the_way, at_the_end = _ids(engine, QUERY), _ids(engine, full)
        # Typing the title, a person sees the list for "the big", types on, and clicks the
        # title where it shows up; then reads about it.
        sid = f"user-{session}"
        engine.record_impression(QUERY, on_the_way, sid)
        clock.advance(rng.uniform(0.5, 3.0))
        engine.record_impression(full, at_the_end, sid)
        clock.advance(rng.uniform(0.5, 3.0))
        position = at_the_end.index(tail) + 1
        engine.record_click(full, tail, position, sid, dwell_ms=rng.randint(20_000, 300_000))
        clock.advance(rng.uniform(1.0, 20.0))
    _refresh(engine)
    after = engine.suggest(QUERY)
    assert tail in [item.id for item in after[:3]]
    lifted = next(item for item in after if item.id == tail)
    assert lifted.feedback > 0
    plain = movies.suggest(QUERY, 100)[-1]
    assert plain.id == tail
    assert lifted.score == pytest.approx(plain.score + lifted.feedback, abs=1e-4)


def test_a_flood_from_a_handful_of_sessions_cannot_lift_it(
    movies: Autocomplete, engine: Autocomplete, clock: FakeClock
) -> None:
    tail, _ = _tail_title(movies)
    shown = _ids(engine, QUERY)
    fake = [*shown[:9], tail]  # the bots claim they were shown it at rank 10
    rng = random.Random(2)
    for bot in range(5):
        sid = f"bot-{bot}"
        engine.record_impression(QUERY, fake, sid)
        for _ in range(CLICKS // 5):
            clock.advance(rng.uniform(0.05, 3.0))  # irregular, to dodge the rhythm rule
            engine.record_click(QUERY, tail, 10, sid, dwell_ms=rng.randint(20_000, 300_000))
    _refresh(engine)
    after = _ids(engine, QUERY)
    assert tail not in after[:3]
    assert after[:3] == _ids(movies, QUERY)[:3]
    layer = engine.feedback
    assert layer is not None
    assert layer.verdicts["bot_sessions"] == 5
    assert layer.boosts(QUERY).get(tail, 0.0) <= 0.0


def test_clicks_reach_the_score_breakdown(
    movies: Autocomplete, engine: Autocomplete, clock: FakeClock
) -> None:
    shown = _ids(engine, "amel")
    for session in range(30):
        engine.record_impression("Amel", shown, f"s{session}")  # normalized by the engine
        clock.advance(2.0)
        engine.record_click("AMEL", shown[2], 3, f"s{session}", dwell_ms=60_000)
        clock.advance(45.0)
    _refresh(engine)
    results = engine.suggest("amel")
    assert results[0].id == shown[2]
    assert results[0].feedback > 0
    plain = {item.id: item.score for item in movies.suggest("amel")}
    for item in results:
        if item.id in plain:
            assert item.score == pytest.approx(plain[item.id] + item.feedback, abs=1e-4)
