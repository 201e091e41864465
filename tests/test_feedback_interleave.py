"""Team-draft interleaving and the statistics of the comparison."""

from __future__ import annotations

import random

import pytest

from autocomplete.feedback.interleave import (
    A,
    B,
    Comparison,
    session_winner,
    sign_test,
    team_draft,
    wilson_interval,
)


def test_team_draft_alternates_picks_and_never_repeats() -> None:
    a = ["x1", "x2", "x3", "s1", "x4"]
    b = ["s1", "y1", "y2", "x1", "y3"]
    for seed in range(50):
        merged = team_draft(a, b, 6, random.Random(seed))
        assert len(merged.ids) == 6 == len(set(merged.ids))
        # Each prefix of the list has picks balanced within one.
        for length in range(1, 7):
            picks = merged.teams[:length]
            assert abs(picks.count(A) - picks.count(B)) <= 1
        # Every title comes from the ranking of the team that picked it, in that ranking's order.
        for team, ranking in ((A, a), (B, b)):
            picked = [
                item for item, owner in zip(merged.ids, merged.teams, strict=True) if owner == team
            ]
            assert all(item in ranking for item in picked)
            assert picked == sorted(picked, key=ranking.index)


def test_identical_rankings_interleave_to_themselves() -> None:
    ranking = [f"m{n}" for n in range(10)]
    merged = team_draft(ranking, ranking, 10, random.Random(0))
    assert list(merged.ids) == ranking


def test_a_short_ranking_lets_the_other_fill_the_list() -> None:
    merged = team_draft(["a"], ["b1", "b2", "b3"], 4, random.Random(1))
    assert sorted(merged.ids) == ["a", "b1", "b2", "b3"]
    assert merged.team_of(merged.ids.index("a") + 1) == A
    assert team_draft([], [], 3, random.Random(0)).ids == ()
    with pytest.raises(ValueError, match="k must be positive"):
        team_draft(["a"], ["b"], 0, random.Random(0))


def test_first_pick_is_a_fair_coin() -> None:
    rng = random.Random(3)
    firsts = [team_draft(["a"], ["b"], 1, rng).teams[0] for _ in range(2_000)]
    assert 0.45 < firsts.count(A) / len(firsts) < 0.55


def test_session_winner() -> None:
    assert session_winner([]) is None
    assert session_winner([A, B]) is None
    assert session_winner([B, B, A]) == B
    assert session_winner([A]) == A


def test_sign_test_and_wilson_interval() -> None:
    assert sign_test(0, 0) == 1.0
    assert sign_test(10, 10) == 1.0
    assert sign_test(0, 10) == pytest.approx(2 / 1024)
    assert sign_test(40, 60) == pytest.approx(0.0569, abs=1e-3)
    assert sign_test(100, 900) < 1e-100
    low, high = wilson_interval(80, 100)
    assert low < 0.8 < high and high - low < 0.2
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_comparison_summary() -> None:
    result = Comparison("old", "new", wins_a=30, wins_b=70, ties=5)
    assert result.winner == "new"
    assert result.share_b == 0.7
    assert result.p_value < 0.001
    summary = result.to_dict()
    assert summary["winner"] == "new" and summary["ties"] == 5
    assert Comparison("old", "new", 3, 3, 0).winner is None
