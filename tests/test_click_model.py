"""The click model's formula pieces and its decayed evidence sums, and FeedbackConfig checks."""

from __future__ import annotations

import math

import pytest

from autocomplete.feedback import FeedbackConfig
from autocomplete.feedback.click_model import (
    ClickStats,
    click_boost,
    click_credit,
    explicit_boost,
    feedback_boost,
    prefix_weights,
    propensity,
    select_served,
)

CONFIG = FeedbackConfig()


def test_propensity_falls_with_rank() -> None:
    assert propensity(1, CONFIG) == 1.0
    assert propensity(8, CONFIG) == pytest.approx(1 / 8)
    flat = FeedbackConfig(propensity_exponent=0.0)
    assert propensity(8, flat) == 1.0


def test_deep_clicks_earn_more_credit_up_to_the_clip() -> None:
    credits = [click_credit(position, None, CONFIG) for position in range(1, 11)]
    assert credits[0] == 1.0
    assert credits == sorted(credits)
    assert credits[7] > credits[0]  # rank 8 counts more than rank 1
    assert max(credits) == CONFIG.max_click_weight


def test_dwell_decides_between_a_click_and_a_bounce() -> None:
    assert click_credit(3, 60_000, CONFIG) == click_credit(3, None, CONFIG) == 3.0
    assert click_credit(3, 500, CONFIG) == CONFIG.short_dwell_weight < 0
    weak = FeedbackConfig(short_dwell_weight=0.25)
    assert click_credit(2, 500, weak) == pytest.approx(0.25 * 2)


def test_prefix_weights_decay_with_distance_and_stop() -> None:
    weights = prefix_weights("the big l", CONFIG)
    assert weights[0] == ("the big l", 1.0)
    prefixes = [prefix for prefix, _ in weights]
    assert prefixes[:4] == ["the big l", "the big ", "the big", "the bi"]
    values = [weight for _, weight in weights]
    assert values == sorted(values, reverse=True)
    assert dict(weights)["the bi"] == pytest.approx(CONFIG.prefix_decay**3)
    assert min(values) >= CONFIG.min_prefix_weight
    assert "t" in prefixes  # nine characters: the decay has not run out yet
    long = prefix_weights("the lord of the rings the fellowship", CONFIG)
    assert len(long) < len("the lord of the rings the fellowship")  # stops at the min weight
    assert prefix_weights("", CONFIG) == []
    assert prefix_weights("x" * (CONFIG.max_prefix_chars + 1), CONFIG) == []
    short = FeedbackConfig(min_prefix_chars=3)
    assert [prefix for prefix, _ in prefix_weights("abcde", short)] == ["abcde", "abcd", "abc"]


def test_blank_prefixes_are_skipped() -> None:
    assert [p for p, _ in prefix_weights("a b", CONFIG)] == ["a b", "a ", "a"]


def test_click_boost_is_zero_without_evidence_and_smoothed() -> None:
    assert click_boost(0.0, 0.0, 0.0, CONFIG) == pytest.approx(0.0)
    one = click_boost(1.0, 0.0, 1.0, CONFIG)
    hundred = click_boost(100.0, 0.0, 100.0, CONFIG)
    assert 0 < one < 1.0  # one click moves a title by less than a factor e
    assert hundred > 3 * one
    assert click_boost(0.0, 0.0, 100.0, CONFIG) < 0  # shown and passed over: demoted
    assert click_boost(1.0, 2.0, 3.0, CONFIG) < click_boost(1.0, 0.0, 3.0, CONFIG)


def test_one_session_shift_bound() -> None:
    worst = click_boost(CONFIG.max_click_weight, 0.0, 1.0, CONFIG)
    assert worst <= CONFIG.max_session_shift
    assert CONFIG.max_session_shift == pytest.approx(
        CONFIG.boost_weight * math.log1p(CONFIG.max_click_weight / CONFIG.prior_clicks)
    )


def test_explicit_boost_and_clipping() -> None:
    assert explicit_boost(0.0, 0.0, CONFIG) == 0.0
    assert explicit_boost(3.0, 0.0, CONFIG) > 0 > explicit_boost(0.0, 3.0, CONFIG)
    assert feedback_boost(100.0, 0.0, CONFIG) == CONFIG.max_boost
    assert feedback_boost(-100.0, 1.0, CONFIG) == -CONFIG.max_demotion
    assert feedback_boost(1.0, -0.5, CONFIG) == 0.5


def test_select_served_keeps_the_strongest_both_ways() -> None:
    boosts = {f"up{n}": float(n + 1) for n in range(5)} | {
        f"down{n}": -float(n + 1) for n in range(5)
    }
    served = select_served(boosts, 2)
    assert served == {"up4": 5.0, "up3": 4.0, "down4": -5.0, "down3": -4.0}
    assert select_served(boosts, 10) == boosts


def test_stats_decay_with_the_half_life() -> None:
    # Breadth off (no minimum following): this is the click term alone.
    config = FeedbackConfig(half_life_s=100.0, min_abs_boost=0.0, breadth_min_clients=0.0)
    stats = ClickStats(config, origin=0.0)
    stats.add_key("amel", "m1", 50.0 * stats.scale(0.0), 0.0, 50.0 * stats.scale(0.0))
    fresh = stats.prefix_boosts("amel", now=0.0)["m1"]
    halved = stats.prefix_boosts("amel", now=100.0)["m1"]
    assert fresh == pytest.approx(click_boost(50.0, 0.0, 50.0, config))
    assert halved == pytest.approx(click_boost(25.0, 0.0, 25.0, config))
    assert 0 < halved < fresh
    # Long after, the evidence is forgotten altogether.
    assert stats.prefix_boosts("amel", now=100.0 * 40) == {}
    assert len(stats) == 0


def test_rebase_keeps_every_boost() -> None:
    config = FeedbackConfig(half_life_s=10.0, breadth_min_clients=0.0)
    stats = ClickStats(config, origin=0.0)
    now = 10.0 * 300
    assert stats.needs_rebase(now)
    stats.add_key("q", "m1", 5.0 * stats.scale(now - 5), 0.0, 9.0 * stats.scale(now - 5))
    stats.add_explicit("m1", 1.0 * stats.scale(now - 5), 0.0)
    before = stats.prefix_boosts("q", now)
    factor = stats.rebase(now)
    assert factor < 1e-50 and stats.origin == now and not stats.needs_rebase(now)
    assert stats.prefix_boosts("q", now)["m1"] == pytest.approx(before["m1"])


def test_aggregates_round_trip() -> None:
    stats = ClickStats(CONFIG, origin=1_000.0)
    stats.add_key("q", "m1", 3.0, 1.0, 7.0)
    stats.add_explicit("m1", 0.0, 2.0)
    aggregates = stats.to_aggregates(now=2_000.0, through_seq=9)
    assert type(aggregates).from_json(aggregates.to_json()) == aggregates
    other = ClickStats(CONFIG, origin=5.0)
    other.add_aggregates(aggregates)
    assert other.prefix_boosts("q", 2_000.0) == pytest.approx(stats.prefix_boosts("q", 2_000.0))


def test_explicit_feedback_touches_the_prefixes_of_its_title() -> None:
    stats = ClickStats(CONFIG, origin=0.0)
    stats.add_key("a", "m1", 1.0, 0.0, 1.0)
    stats.add_key("ab", "m1", 1.0, 0.0, 1.0)
    stats.take_touched()
    stats.add_explicit("m1", 0.0, 1.0)
    assert stats.take_touched() == {"a", "ab"}


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("boost_weight", 0.0, ValueError),
        ("half_life_s", -1.0, ValueError),
        ("prior_mean", 1.0, ValueError),
        ("prior_strength", float("nan"), ValueError),
        ("max_click_weight", 0.5, ValueError),
        ("prefix_decay", 1.5, ValueError),
        ("min_prefix_chars", 0, ValueError),
        ("min_prefix_chars", 2.5, TypeError),
        ("short_dwell_weight", -2.0, ValueError),
        ("max_demotion", -1.0, ValueError),
        ("regular_min_clicks", 2, ValueError),
        ("require_impression", 1, TypeError),
        ("bot_clicks", True, TypeError),
        ("boost_weight", "1", TypeError),
        ("refresh_interval_s", -0.1, ValueError),
    ],
)
def test_config_rejects_bad_values(field: str, value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=field):
        FeedbackConfig(**{field: value})  # type: ignore[arg-type]


def test_config_rejects_inconsistent_prefix_bounds() -> None:
    with pytest.raises(ValueError, match="min_prefix_chars"):
        FeedbackConfig(min_prefix_chars=10, max_prefix_chars=5)
