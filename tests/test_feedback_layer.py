"""The feedback layer end to end on an in-memory store: what clicks teach, and what they cannot."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from autocomplete.feedback import (
    Click,
    Event,
    FeedbackConfig,
    FeedbackLayer,
    MemoryStore,
    Recorded,
    Scan,
    SqliteStore,
    StoreUnavailableError,
    compact_store,
    open_layer,
)
from autocomplete.feedback.health import StoreBreaker
from autocomplete.feedback.layer import PUBLISH_EPSILON

if TYPE_CHECKING:
    from feedback_fixtures import FakeClock

pytest_plugins = ["feedback_fixtures"]

QUERY = "the big l"
IDS = [f"m{n}" for n in range(1, 11)]
TAIL = "m10"
MANUAL = FeedbackConfig(refresh_interval_s=0)


@pytest.fixture
def layer(clock: FakeClock) -> Iterator[FeedbackLayer]:
    layer = FeedbackLayer(MemoryStore(clock=clock), config=MANUAL, clock=clock)
    yield layer
    layer.close()


def visit(
    layer: FeedbackLayer,
    clock: FakeClock,
    session: str,
    item: str,
    *,
    query: str = QUERY,
    shown: Sequence[str] = IDS,
    dwell_ms: int | None = 30_000,
    client: str | None = None,
) -> None:
    """One ordinary session: sees ``shown`` for ``query``, clicks ``item``, reads it."""
    layer.record_impression(query, shown, session, client=client)
    clock.advance(1.5 + (hash(session) % 100) / 40)
    layer.record_click(query, item, list(shown).index(item) + 1, session, dwell_ms, client=client)
    clock.advance(30.0)


def boost(layer: FeedbackLayer, item: str, query: str = QUERY) -> float:
    return layer.boosts(query).get(item, 0.0)


# Position bias, smoothing, decay, dwell, explicit feedback ------------------------------------


def test_a_click_at_rank_8_counts_for_more_than_one_at_rank_1(
    layer: FeedbackLayer, clock: FakeClock
) -> None:
    visit(layer, clock, "s1", IDS[0])  # rank 1
    visit(layer, clock, "s2", IDS[7], query="the big s")  # rank 8, same list, another query
    layer.refresh()
    rank_1 = boost(layer, IDS[0])
    rank_8 = boost(layer, IDS[7], "the big s")
    assert rank_8 > rank_1 > 0
    assert rank_8 > 2 * rank_1


def test_one_click_does_not_jump_a_title_to_the_top(layer: FeedbackLayer, clock: FakeClock) -> None:
    visit(layer, clock, "s1", TAIL)  # one click, at rank 10
    layer.refresh()
    one = boost(layer, TAIL)
    assert 0 < one <= layer.config.max_session_shift < 2.0
    for session in range(200):
        visit(layer, clock, f"s{session + 2}", TAIL)
    layer.refresh()
    assert boost(layer, TAIL) > one + 2.0


def test_evidence_fades_with_the_half_life(clock: FakeClock) -> None:
    config = FeedbackConfig(refresh_interval_s=0, half_life_s=3_600.0)
    with FeedbackLayer(MemoryStore(clock=clock), config=config, clock=clock) as layer:
        for session in range(30):
            visit(layer, clock, f"s{session}", IDS[2])
        layer.refresh()
        fresh = boost(layer, IDS[2])
        clock.advance(3_600.0)
        layer.refresh()
        later = boost(layer, IDS[2])
        clock.advance(3_600.0 * 30)
        layer.refresh()
        assert fresh > later > 0
        assert boost(layer, IDS[2]) == 0.0
        # A new trend rises in the place of the faded one.
        for session in range(30):
            visit(layer, clock, f"t{session}", IDS[5])
        layer.refresh()
        assert boost(layer, IDS[5]) > 0 > boost(layer, IDS[2])  # now shown and passed over


def test_short_dwell_is_evidence_against_a_title(layer: FeedbackLayer, clock: FakeClock) -> None:
    for session in range(20):
        visit(layer, clock, f"read{session}", IDS[1], query="star", dwell_ms=60_000)
        visit(layer, clock, f"bounce{session}", IDS[2], query="star", dwell_ms=400)
        visit(layer, clock, f"unknown{session}", IDS[3], query="star", dwell_ms=None)
    layer.refresh()
    assert boost(layer, IDS[1], "star") > 0
    assert boost(layer, IDS[3], "star") > 0
    assert boost(layer, IDS[2], "star") < boost(layer, IDS[4], "star") < 0  # worse than unclicked


def test_a_bounce_overrides_the_same_sessions_click(clock: FakeClock) -> None:
    # One session's evidence: the breadth bound (tested in test_feedback_breadth) is off.
    config = FeedbackConfig(refresh_interval_s=0, breadth_min_clients=0)
    with FeedbackLayer(MemoryStore(clock=clock), config=config, clock=clock) as layer:
        visit(layer, clock, "s1", IDS[1], dwell_ms=60_000)
        layer.record_click(QUERY, IDS[1], 2, "s1", dwell_ms=300)
        layer.refresh()
        assert boost(layer, IDS[1]) < 0


def test_explicit_likes_promote_and_dislikes_demote(layer: FeedbackLayer, clock: FakeClock) -> None:
    swapped = [IDS[1], IDS[0], *IDS[2:]]
    for session in range(10):  # both titles clicked at rank 1 equally often
        visit(layer, clock, f"s{session}", IDS[0])
        visit(layer, clock, f"t{session}", IDS[1], shown=swapped)
    layer.refresh()
    clicked = boost(layer, IDS[0])
    assert boost(layer, IDS[1]) == pytest.approx(clicked, rel=1e-3)  # up to a minute's decay
    for session in range(5):
        layer.record_feedback(IDS[0], -1, f"s{session}")
        layer.record_feedback(IDS[1], 1.0, f"t{session}")
    layer.refresh()
    assert boost(layer, IDS[0]) < clicked < boost(layer, IDS[1])
    # It applies at every prefix where the title has evidence.
    assert boost(layer, IDS[0], "the bi") < boost(layer, IDS[1], "the bi")
    # A session's latest judgement counts once: changing its mind replaces it.
    for session in range(5):
        layer.record_feedback(IDS[0], 1.0, f"s{session}")
        layer.record_feedback(IDS[0], 1.0, f"s{session}")
    layer.refresh()
    assert boost(layer, IDS[0]) == pytest.approx(boost(layer, IDS[1]), rel=1e-3)


def test_ratings_between_like_and_dislike(layer: FeedbackLayer, clock: FakeClock) -> None:
    from autocomplete.feedback import rating_value

    visit(layer, clock, "s1", IDS[0])
    visit(layer, clock, "s2", IDS[1])
    layer.refresh()
    layer.record_feedback(IDS[0], rating_value(2, 5), "s1")
    layer.record_feedback(IDS[1], rating_value(5, 5), "s2")
    layer.refresh()
    assert boost(layer, IDS[0]) < boost(layer, IDS[1])
    assert rating_value(3, 5) == 0.0 and rating_value(1, 5) == -1.0


# Generalization and bounds ----------------------------------------------------------------------


def test_clicks_generalize_to_shorter_prefixes_with_less_weight(
    layer: FeedbackLayer, clock: FakeClock
) -> None:
    for session in range(5):
        visit(layer, clock, f"s{session}", IDS[3])
    layer.refresh()
    chain = [boost(layer, IDS[3], prefix) for prefix in ("the big l", "the big", "the bi", "th")]
    assert chain == sorted(chain, reverse=True)
    assert all(value > 0 for value in chain)
    assert boost(layer, IDS[3], "the big le") == 0.0  # never longer than what was typed
    assert boost(layer, IDS[3], "star") == 0.0


def test_boosts_stay_within_their_bounds(layer: FeedbackLayer, clock: FakeClock) -> None:
    config = layer.config
    for session in range(3_000):
        visit(layer, clock, f"s{session}", TAIL)
    layer.refresh()
    boosts = layer.boosts(QUERY)
    assert boosts[TAIL] == pytest.approx(config.max_boost)
    assert min(boosts.values()) == pytest.approx(-config.max_demotion)
    assert all(-config.max_demotion <= value <= config.max_boost for value in boosts.values())


def test_each_prefix_serves_a_bounded_number_of_titles(clock: FakeClock) -> None:
    config = FeedbackConfig(refresh_interval_s=0, max_boosted_per_prefix=3, breadth_min_clients=0)
    with FeedbackLayer(MemoryStore(clock=clock), config=config, clock=clock) as layer:
        for n in range(10):
            visit(layer, clock, f"s{n}", f"x{n}", query=f"star {n}", shown=[f"x{n}"])
        layer.refresh()
        served = layer.boosts("star")
        assert len(served) == 3


# Abuse ------------------------------------------------------------------------------------------


def test_a_flood_from_a_handful_of_sessions_moves_nothing_many_ordinary_sessions_do(
    clock: FakeClock,
) -> None:
    """10,000 clicks on a tail title: from 5 sessions, then from 10,000 ordinary sessions."""
    rng = random.Random(7)
    flood = FeedbackLayer(MemoryStore(clock=clock), config=MANUAL, clock=clock)
    crowd = FeedbackLayer(MemoryStore(clock=clock), config=MANUAL, clock=clock)
    try:
        for bot in range(5):
            session = f"bot{bot}"
            flood.record_impression(QUERY, IDS, session)
            for _ in range(2_000):
                clock.advance(rng.uniform(0.05, 3.0))  # irregular, to dodge the rhythm rule
                flood.record_click(QUERY, TAIL, 10, session, dwell_ms=rng.randint(5_000, 90_000))
        flood.refresh()
        for session in range(10_000):
            visit(crowd, clock, f"user{session}", TAIL)
        crowd.refresh()
        assert boost(flood, TAIL) <= 0.0
        assert flood.verdicts["bot_sessions"] == 5
        assert boost(crowd, TAIL) >= 5.0
        assert boost(crowd, TAIL, "the bi") > 3.0
    finally:
        flood.close()
        crowd.close()


def test_one_session_counts_once_however_often_it_clicks(clock: FakeClock) -> None:
    once = FeedbackLayer(MemoryStore(clock=clock), config=MANUAL, clock=clock)
    often = FeedbackLayer(MemoryStore(clock=clock), config=MANUAL, clock=clock)
    try:
        for session in range(4):
            visit(once, clock, f"s{session}", TAIL)
            often.record_impression(QUERY, IDS, f"s{session}")
            for gap in (3.0, 11.0, 2.0, 7.5, 30.0, 1.0, 19.0, 4.0, 9.0, 5.5) * 5:
                clock.advance(gap)
                often.record_click(QUERY, TAIL, 10, f"s{session}", dwell_ms=30_000)
            clock.advance(30.0)
        once.refresh()
        often.refresh()
        # Equal up to the decay between the two timelines (minutes, against a half-life of days).
        assert boost(often, TAIL) == pytest.approx(boost(once, TAIL), rel=1e-2)
        assert boost(often, TAIL) <= 4 * often.config.max_session_shift
    finally:
        once.close()
        often.close()


def test_a_session_found_to_be_a_bot_loses_what_it_contributed(
    layer: FeedbackLayer, clock: FakeClock
) -> None:
    visit(layer, clock, "sneaky", TAIL)
    layer.refresh()
    assert boost(layer, TAIL) > 0
    for _ in range(3):  # clicks on nothing it was shown
        layer.record_click("zzz", "m404", 1, "sneaky")
    layer.refresh()
    assert layer.boosts(QUERY) == {}
    assert layer.boosts("the bi") == {}


def test_clicks_without_impressions_are_ignored(layer: FeedbackLayer, clock: FakeClock) -> None:
    for session in range(50):
        layer.record_click(QUERY, TAIL, 10, f"s{session}", dwell_ms=20_000)
        clock.advance(10.0)
    layer.refresh()
    assert layer.boosts(QUERY) == {}
    assert layer.report()["verdicts"] == {"unmatched": 50}


# Validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda layer: layer.record_impression(QUERY, IDS, ""), ValueError, "session_id"),
        (lambda layer: layer.record_impression(QUERY, IDS, "   "), ValueError, "session_id"),
        (lambda layer: layer.record_impression(QUERY, IDS, 7), TypeError, "session_id"),
        (lambda layer: layer.record_impression(QUERY, "m1", "s"), TypeError, "ids"),
        (lambda layer: layer.record_impression(QUERY, [], "s"), ValueError, "at least one"),
        (lambda layer: layer.record_impression(QUERY, ["m1", "m1"], "s"), ValueError, "once"),
        (lambda layer: layer.record_impression(QUERY, ["m1", 2], "s"), TypeError, "id"),
        (lambda layer: layer.record_impression(None, IDS, "s"), TypeError, "query"),
        (lambda layer: layer.record_impression("x" * 201, IDS, "s"), ValueError, "query"),
        (lambda layer: layer.record_impression("a\x00b", IDS, "s"), ValueError, "NUL"),
        (lambda layer: layer.record_click(QUERY, "m\x001", 1, "s"), ValueError, "NUL"),
        (lambda layer: layer.record_click(QUERY, "m1", 0, "s"), ValueError, "position"),
        (lambda layer: layer.record_click(QUERY, "m1", True, "s"), TypeError, "position"),
        (lambda layer: layer.record_click(QUERY, "m1", 1.0, "s"), TypeError, "position"),
        (lambda layer: layer.record_click(QUERY, "", 1, "s"), ValueError, "id"),
        (lambda layer: layer.record_click(QUERY, "m1", 1, "s", -5), ValueError, "dwell"),
        (lambda layer: layer.record_click(QUERY, "m1", 1, "s", 10**12), ValueError, "dwell"),
        (lambda layer: layer.record_click(QUERY, "m1", 1, "s", 2.5), TypeError, "dwell"),
        (lambda layer: layer.record_click(QUERY, "m1", 1, "s", client=""), ValueError, "client"),
        (lambda layer: layer.record_feedback("m1", 2, "s"), ValueError, "value"),
        (lambda layer: layer.record_feedback("m1", float("nan"), "s"), ValueError, "value"),
        (lambda layer: layer.record_feedback("m1", "like", "s"), TypeError, "value"),
        (lambda layer: layer.record_feedback("m1", True, "s"), TypeError, "value"),
    ],
)
def test_bad_events_are_rejected_before_the_store(
    layer: FeedbackLayer, call: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call(layer)  # type: ignore[operator]
    assert layer.store.read() == []


def test_layer_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="FeedbackStore"):
        FeedbackLayer("memory://")  # type: ignore[arg-type]
    store = MemoryStore()
    with pytest.raises(TypeError, match="FeedbackConfig"):
        FeedbackLayer(store, config={"boost_weight": 2})  # type: ignore[arg-type]
    layer = open_layer(store, config=MANUAL)
    assert open_layer(layer) is layer
    with pytest.raises(ValueError, match="ready FeedbackLayer"):
        open_layer(layer, config=MANUAL)
    layer.close()


# Serving and lifetime ---------------------------------------------------------------------------


def test_boosts_are_an_in_memory_lookup(layer: FeedbackLayer, clock: FakeClock) -> None:
    for session in range(20):
        visit(layer, clock, f"s{session}", IDS[4])
    layer.refresh()
    # The published mapping itself, not a copy: nothing is built per keystroke.
    assert layer.boosts(QUERY) is layer.boosts(QUERY)
    assert layer.boosts("never typed") == {}
    # What a lookup costs is measured in benchmarks/test_bench_bounds.py.


def test_a_background_thread_refreshes(clock: FakeClock) -> None:
    config = FeedbackConfig(refresh_interval_s=0.02)
    with FeedbackLayer(MemoryStore(clock=clock), config=config, clock=clock) as layer:
        visit(layer, clock, "s1", IDS[6])
        deadline = time.monotonic() + 5.0
        while boost(layer, IDS[6]) == 0.0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert boost(layer, IDS[6]) > 0


def test_a_restarted_layer_relearns_from_the_durable_log(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "feedback.db"
    first = FeedbackLayer(SqliteStore(path, clock=clock), config=MANUAL, clock=clock)
    for session in range(10):
        visit(first, clock, f"s{session}", IDS[2])
    first.refresh()
    learned = dict(first.boosts(QUERY))
    first.close()
    second = open_layer(f"sqlite:///{path}", config=MANUAL, clock=clock)
    try:
        assert dict(second.boosts(QUERY)) == pytest.approx(learned)
    finally:
        second.close()


def test_a_layer_notices_a_compaction_it_did_not_see(clock: FakeClock) -> None:
    store = MemoryStore(clock=clock)
    lagging = FeedbackLayer(store, config=MANUAL, clock=clock)
    for session in range(10):
        visit(lagging, clock, f"s{session}", IDS[1])
        clock.advance(3_600.0)
    # Another process compacts everything, then more events arrive.
    compact_store(store, before=clock.now, config=MANUAL)
    for session in range(10, 14):
        visit(lagging, clock, f"s{session}", IDS[1])
    lagging.refresh()
    fresh = FeedbackLayer(store, config=MANUAL, clock=clock)
    assert dict(lagging.boosts(QUERY)) == pytest.approx(dict(fresh.boosts(QUERY)))
    assert boost(lagging, IDS[1]) > 0
    fresh.close()
    lagging.close()


def test_layer_compact_folds_old_events(layer: FeedbackLayer, clock: FakeClock) -> None:
    for session in range(5):
        visit(layer, clock, f"s{session}", IDS[0])
    clock.advance(7_200.0)
    layer.refresh()
    before = dict(layer.boosts(QUERY))
    assert layer.compact(retention_s=3_600.0) == 10
    assert layer.store.read() == []
    layer.refresh()
    assert dict(layer.boosts(QUERY)) == before


def test_close_is_idempotent_and_final(clock: FakeClock) -> None:
    layer = FeedbackLayer(MemoryStore(clock=clock), clock=clock)  # with its refresh thread
    layer.close()
    layer.close()
    with pytest.raises(RuntimeError, match="closed"):
        layer.record_click(QUERY, "m1", 1, "s1")
    layer.refresh()  # a no-op once closed


def test_a_layer_that_cannot_start_closes_its_store() -> None:
    class Unreadable(MemoryStore):
        def read(self, after: int = 0, limit: int = 5_000) -> list[Recorded]:
            raise ConnectionError("store is down")

    store = Unreadable()
    with pytest.raises(ConnectionError, match="down"):
        FeedbackLayer(store, config=MANUAL)
    with pytest.raises(RuntimeError, match="closed"):
        store.append(Click(QUERY, "m1", 1, "s1"))


def test_a_prefix_is_republished_only_when_its_lifts_move(clock: FakeClock) -> None:
    store = MemoryStore(clock=clock)
    layer = FeedbackLayer(store, config=MANUAL, clock=clock)
    for session in range(5):
        visit(layer, clock, f"s{session}", IDS[3])
    layer.refresh()
    first = layer.boosts(QUERY)
    assert first.get(IDS[3], 0.0) > 0
    # An hour and ten minutes later every prefix has been re-scored for decay. The mapping is
    # republished exactly when some lift moved by PUBLISH_EPSILON or more, which a layer
    # learning the same events from scratch tells.
    clock.advance(70 * 60)
    layer.refresh()
    fresh = FeedbackLayer(store, config=MANUAL, clock=clock)
    fresh.refresh()
    now = fresh.boosts(QUERY)
    moved = now.keys() != first.keys() or any(
        abs(now[title] - first[title]) >= PUBLISH_EPSILON for title in now
    )
    assert (layer.boosts(QUERY) is not first) == moved
    # A new click on this prefix moves a lift: a new mapping is published.
    kept = layer.boosts(QUERY)
    visit(layer, clock, "s-new", IDS[6])
    layer.refresh()
    assert layer.boosts(QUERY) is not kept
    assert layer.boosts(QUERY).get(IDS[6], 0.0) > kept.get(IDS[6], 0.0)
    for closing in (layer, fresh):
        closing.close()


# Store outages ----------------------------------------------------------------------------------


class Flaky(MemoryStore):
    """A memory store that can be taken down: while ``down``, every call fails as an
    unreachable back end does (the Redis and SQLite stores raise the same error)."""

    def __init__(self, *, clock: FakeClock | None = None) -> None:
        super().__init__(clock=clock)
        self.down = False
        self.calls = 0

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.down:
            raise StoreUnavailableError("flaky store: connection refused")

    def append(self, event: Event) -> Recorded:
        self._maybe_fail()
        return super().append(event)

    def scan(self, after: int = 0, limit: int = 5_000) -> Scan:
        self._maybe_fail()
        return super().scan(after, limit)


def test_a_breaker_refuses_for_a_while_after_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    breaker = StoreBreaker("the store", retry_s=2.0, clock=lambda: now[0])
    breaker.check()
    assert breaker.state() == (True, None, 0.0, 0)
    with caplog.at_level(logging.WARNING):
        breaker.failed(StoreUnavailableError("refused"))
        now[0] += 0.5
        breaker.failed(StoreUnavailableError("refused again"))  # one outage, one warning
    assert caplog.text.count("is unavailable") == 1
    assert breaker.state() == (False, "refused again", 0.5, 2)
    now[0] += 1.0
    with pytest.raises(StoreUnavailableError, match="refused again"):
        breaker.check()
    now[0] += 1.0
    breaker.check()  # due for a retry
    with caplog.at_level(logging.WARNING):
        breaker.succeeded()
    assert "available again after 2.5 s" in caplog.text
    assert breaker.state() == (True, None, 0.0, 0)
    with pytest.raises(ValueError, match="retry_s"):
        StoreBreaker("x", retry_s=0)


def test_a_layer_refuses_at_once_while_its_store_is_down(clock: FakeClock) -> None:
    store = Flaky(clock=clock)
    layer = FeedbackLayer(store, config=FeedbackConfig(refresh_interval_s=0, store_retry_s=0.3))
    try:
        visit(layer, clock, "s1", TAIL)
        layer.refresh()
        learned = boost(layer, TAIL)
        assert learned > 0 and layer.health().store_available
        store.down = True
        with pytest.raises(StoreUnavailableError, match="connection refused"):
            layer.record_click(QUERY, TAIL, 10, "s2")
        calls = store.calls
        health = layer.health()
        assert not health.store_available and health.retry_after_s == 1
        assert "connection refused" in (health.store_error or "")
        for _ in range(20):  # refused without calling the store again
            with pytest.raises(StoreUnavailableError):
                layer.record_click(QUERY, TAIL, 10, "s2")
            with pytest.raises(StoreUnavailableError):
                layer.refresh()
        assert store.calls == calls
        assert boost(layer, TAIL) == learned  # what was learned is still served
        store.down = False
        time.sleep(0.35)
        visit(layer, clock, "s3", TAIL)  # the first call after retry_s tries the store
        layer.refresh()
        assert layer.health().store_available and layer.health().store_error is None
        assert boost(layer, TAIL) > learned
    finally:
        layer.close()


def test_the_refresh_thread_logs_an_outage_once(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    store = Flaky(clock=clock)
    config = FeedbackConfig(refresh_interval_s=0.02, store_retry_s=0.05)
    with caplog.at_level(logging.WARNING, logger="autocomplete.feedback"):
        layer = FeedbackLayer(store, config=config)
        try:
            store.down = True
            deadline = time.monotonic() + 5
            while layer.health().store_available:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            time.sleep(0.5)  # some twenty-five refreshes, about ten tries of the store
            assert store.calls > 3
            store.down = False
            while not layer.health().store_available:
                assert time.monotonic() < deadline
                time.sleep(0.01)
        finally:
            layer.close()
    messages = [record.getMessage() for record in caplog.records]
    assert sum("is unavailable" in message for message in messages) == 1
    assert sum("available again" in message for message in messages) == 1
    assert not any(record.exc_info for record in caplog.records)  # no traceback a second


def test_an_unexpected_refresh_failure_is_logged_once(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(MemoryStore):
        broken = False

        def scan(self, after: int = 0, limit: int = 5_000) -> Scan:
            if self.broken:
                raise LookupError("a bug")
            return super().scan(after, limit)

    store = Broken(clock=clock)
    with caplog.at_level(logging.ERROR, logger="autocomplete.feedback"):
        layer = FeedbackLayer(store, config=FeedbackConfig(refresh_interval_s=0.02))
        try:
            store.broken = True
            time.sleep(0.3)
        finally:
            layer.close()
    assert caplog.text.count("feedback refresh failed") == 1


def test_a_request_does_not_wait_long_for_a_refresh_under_way(clock: FakeClock) -> None:
    class Slow(MemoryStore):
        delay = 0.0

        def scan(self, after: int = 0, limit: int = 5_000) -> Scan:
            time.sleep(self.delay)
            return super().scan(after, limit)

    store = Slow(clock=clock)
    layer = FeedbackLayer(store, config=MANUAL)
    try:
        store.delay = 0.5
        background = threading.Thread(target=layer.refresh)
        background.start()
        time.sleep(0.05)
        start = time.perf_counter()
        assert layer.refresh(wait_s=0.05) is False
        assert time.perf_counter() - start < 0.3
        background.join()
        store.delay = 0.0
        assert layer.refresh(wait_s=0.05) is True
    finally:
        layer.close()
